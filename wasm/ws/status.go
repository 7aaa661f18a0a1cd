package ws

import "time"

// Status is the state of a connection, as the spec names it.
type Status string

// Statuses.
const (
	StatusConnecting   Status = "connecting"   // first dial after Connect
	StatusConnected    Status = "connected"    // open; messages flow
	StatusDisconnected Status = "disconnected" // not connected and not trying: before Connect, after Disconnect
	StatusReconnecting Status = "reconnecting" // lost; waiting for or dialing the next attempt
	StatusError        Status = "error"        // gave up: attempts exhausted or refused for good (see State.Err)
)

// State is a snapshot of a client, for display.
type State struct {
	Status Status
	// Attempt is the reconnect attempt under way or scheduled (0 when none).
	Attempt int
	// NextDelay is the delay before that attempt; 0 while it dials.
	NextDelay time.Duration
	// Queued counts messages kept while disconnected, waiting to be sent.
	Queued int
	// Err is the last connection error (why it dropped, or why it gave up).
	Err error
}
