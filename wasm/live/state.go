package live

import "time"

// Status says how far a feed's data can be trusted.
type Status string

// Statuses of a feed.
const (
	// StatusLoading: no data yet; the first snapshot is awaited.
	StatusLoading Status = "loading"
	// StatusLive: the data follows the server's.
	StatusLive Status = "live"
	// StatusStale: the data is kept on display but may be behind: the
	// connection dropped, or a fresh snapshot is awaited after a gap or a
	// reconnect. State.StaleSince says since when.
	StatusStale Status = "stale"
	// StatusPaused: rendering is stopped (Pause, or a hidden page with
	// PauseWhenHidden); the data keeps up behind it.
	StatusPaused Status = "paused"
	// StatusPolling: the WebSocket never connected, and the data comes
	// from polling the feed's HTTP address.
	StatusPolling Status = "polling"
)

// State is a feed as it should be displayed.
type State struct {
	Feed   string
	Status Status
	// Items are the feed's items in order, in a slice of their own; the
	// items themselves are shared: do not modify them.
	Items []Item
	// Key names the key field of the items.
	Key string
	// Max is the feed's bound on items, 0 for none.
	Max int
	// Seq is the number of the last delta in Items.
	Seq uint64
	// Updated is when the data last changed; zero before any.
	Updated time.Time
	// StaleSince is when the data stopped being current (live, or fresh
	// from a poll); zero while it is, and before any data.
	StaleSince time.Time
	// Err is the last problem: an unknown feed, bad data, a failed poll.
	// A good snapshot clears it.
	Err error
}

// Age is how long the data has been stale at now; 0 while it is current.
func (s State) Age(now time.Time) time.Duration {
	if s.StaleSince.IsZero() {
		return 0
	}
	return now.Sub(s.StaleSince)
}

// Stats count a feed's traffic, for figures.
type Stats struct {
	Snapshots uint64 // snapshots received, polls included
	Deltas    uint64 // deltas received
	Gaps      uint64 // deltas found missing
	Resyncs   uint64 // live.resync requests sent
	Polls     uint64 // polls answered, well or not
	Render    CoalesceStats
}
