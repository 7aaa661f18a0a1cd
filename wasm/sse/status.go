package sse

import "time"

// Status is the state of a stream. The names follow the WebSocket client's
// where they mean the same, and the browser EventSource's readyState.
type Status string

// Statuses.
const (
	// StatusConnecting: requesting the stream, or waiting to retry
	// (State.NextDelay says how long).
	StatusConnecting Status = "connecting"
	// StatusOpen: the server answered 200 text/event-stream; events flow.
	StatusOpen Status = "open"
	// StatusClosed: not streaming and not trying to: before Open, after
	// Close, after the server's 204, and while CloseWhenHidden holds the
	// stream closed.
	StatusClosed Status = "closed"
	// StatusError: gave up: a response that is not retried, or attempts
	// exhausted (see State.Err). Open or Reconnect starts again.
	StatusError Status = "error"
)

// State is a snapshot of a client, for display.
type State struct {
	Status Status
	// Attempt is the reconnect attempt under way or scheduled; 0 for the
	// first connection and while open.
	Attempt int
	// NextDelay is the wait before that attempt; 0 while it connects.
	NextDelay time.Duration
	// Retry is the reconnection time in force: Config.RetryDelay, or the
	// server's last "retry" field.
	Retry time.Duration
	// LastEventID is the id a reconnect resumes from.
	LastEventID string
	// Err is why the last connection failed or why the client gave up;
	// ErrNoContent after the server's 204; nil after Close.
	Err error
}
