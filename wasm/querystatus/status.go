// Package querystatus tracks SQL query execution in real time: a state
// machine that only moves forward, progress with an estimate of the time
// left, and a tracker of many queries over the WebSocket client.
package querystatus

import (
	"errors"
	"fmt"
	"time"
)

// State is where a query is in its execution.
type State string

// States, in the order a query goes through them. The last three are
// final: nothing moves a query out of them.
const (
	Queued    State = "queued"
	Planning  State = "planning"
	Running   State = "running"
	Finishing State = "finishing"
	Succeeded State = "succeeded"
	Failed    State = "failed"
	Cancelled State = "cancelled"
)

// States lists every state.
var States = []State{Queued, Planning, Running, Finishing, Succeeded, Failed, Cancelled}

// Final reports whether s ends a query.
func (s State) Final() bool { return s == Succeeded || s == Failed || s == Cancelled }

// phase orders the states; the final ones share the last place.
func (s State) phase() int {
	switch s {
	case Queued:
		return 0
	case Planning:
		return 1
	case Running:
		return 2
	case Finishing:
		return 3
	case Succeeded, Failed, Cancelled:
		return 4
	}
	return -1
}

// Valid reports whether s is a known state.
func (s State) Valid() bool { return s.phase() >= 0 }

// ErrTransition reports a move the state machine refuses.
var ErrTransition = errors.New("querystatus: transition refused")

// CanMove reports whether a query may go from one state to another: forward
// only, skipping phases as an engine may, into any final state from any
// other one, and never out of a final state. Staying put is allowed.
func CanMove(from, to State) error {
	switch {
	case !from.Valid() || !to.Valid():
		return fmt.Errorf("%w: unknown state in %q -> %q", ErrTransition, from, to)
	case from == to:
		return nil
	case from.Final():
		return fmt.Errorf("%w: %s is final, it cannot become %s", ErrTransition, from, to)
	case to.phase() < from.phase():
		return fmt.Errorf("%w: %s cannot go back to %s", ErrTransition, from, to)
	}
	return nil
}

// Progress is how far a query has got.
type Progress struct {
	// Percent is 0..100 when Known.
	Percent float64 `json:"percent"`
	// Known is false until the engine knows its total work: show an
	// indeterminate bar.
	Known     bool  `json:"known"`
	Rows      int64 `json:"rows"`
	Bytes     int64 `json:"bytes"`
	TotalRows int64 `json:"totalRows,omitempty"`
}

// Error is why a query failed.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Status is the state of one query, as the server sends it.
type Status struct {
	ID          string   `json:"id"`
	SQL         string   `json:"sql,omitempty"`
	State       State    `json:"state"`
	Version     uint64   `json:"version"`
	Progress    Progress `json:"progress"`
	SubmittedAt int64    `json:"submittedAt,omitempty"` // Unix ms
	StartedAt   int64    `json:"startedAt,omitempty"`
	UpdatedAt   int64    `json:"updatedAt,omitempty"`
	FinishedAt  int64    `json:"finishedAt,omitempty"`
	Error       *Error   `json:"error,omitempty"`
}

// Apply merges a newer update into s. A late or out-of-order update (an
// older version) is ignored and reported false; an update that would move
// the state backwards or out of a final state is refused with
// ErrTransition, and s keeps what it had.
func (s *Status) Apply(u Status) (bool, error) {
	if s.ID != "" && u.ID != s.ID {
		return false, fmt.Errorf("querystatus: update for %s applied to %s", u.ID, s.ID)
	}
	if s.ID != "" && u.Version <= s.Version {
		return false, nil
	}
	if s.ID != "" {
		if err := CanMove(s.State, u.State); err != nil {
			return false, err
		}
	} else if !u.State.Valid() {
		return false, fmt.Errorf("%w: unknown state %q", ErrTransition, u.State)
	}
	// Progress never shrinks within a query: an engine's estimate can, the
	// bar must not.
	if s.ID != "" && u.Progress.Known && s.Progress.Known && u.Progress.Percent < s.Progress.Percent {
		u.Progress.Percent = s.Progress.Percent
	}
	if u.State == Succeeded {
		u.Progress.Known, u.Progress.Percent = true, 100
	}
	*s = u
	return true, nil
}

// Elapsed is how long the query has run: to its end, or to now.
func (s Status) Elapsed(now time.Time) time.Duration {
	start := s.StartedAt
	if start == 0 {
		start = s.SubmittedAt
	}
	if start == 0 {
		return 0
	}
	end := now.UnixMilli()
	if s.FinishedAt != 0 {
		end = s.FinishedAt
	}
	if end < start {
		return 0
	}
	return time.Duration(end-start) * time.Millisecond
}

// Remaining estimates the time left from the pace so far: elapsed times the
// share of work left over the share done. It knows nothing (false) until
// the progress is known and has moved, and once the query has ended.
func (s Status) Remaining(now time.Time) (time.Duration, bool) {
	if s.State.Final() || !s.Progress.Known || s.Progress.Percent <= 0 || s.StartedAt == 0 {
		return 0, false
	}
	p := min(s.Progress.Percent, 100) / 100
	// Measure the pace up to the last update: between updates the engine
	// has not reported, and the estimate should not drift.
	at := s.UpdatedAt
	if at == 0 {
		at = now.UnixMilli()
	}
	spent := time.Duration(at-s.StartedAt) * time.Millisecond
	if spent <= 0 {
		return 0, false
	}
	left := time.Duration(float64(spent) * (1 - p) / p)
	// Time since the last update counts against the estimate.
	left -= time.Duration(now.UnixMilli()-at) * time.Millisecond
	return max(left, 0), true
}
