package server

import (
	"encoding/json"
	"time"

	"github.com/matih-ai/realtime/wasm/clock"
)

// ticker is the numbered ticker of /sse/ticker: tick n happens at
// epoch + n*interval. Ticks are a pure function of n and the clock, so
// nothing is stored: a restarted server, or another node with the same
// epoch, holds the same window and a client resumes across it without a
// gap or a repeat. The window is bounded anyway, like any replay buffer, so
// that a client too far behind learns it lost history.
type ticker struct {
	clock    clock.Clock
	epoch    time.Time
	interval time.Duration
	window   int64
}

var _ Stream = (*ticker)(nil)

// tickData is the data of a tick event.
type tickData struct {
	N  int64 `json:"n"`
	At int64 `json:"at"` // unix ms
}

// newest returns the latest tick at now, -1 before the epoch.
func (t *ticker) newest(now time.Time) int64 {
	d := now.Sub(t.epoch)
	if d < 0 {
		return -1
	}
	return int64(d / t.interval)
}

func (t *ticker) windowAt(now time.Time) (oldest, newest int64) {
	newest = t.newest(now)
	return max(0, newest-t.window+1), newest
}

// Window returns the ticks held now.
func (t *ticker) Window() (oldest, newest int64) { return t.windowAt(t.clock.Now()) }

// Since returns the ticks after id that have happened.
func (t *ticker) Since(id int64) ([]Event, error) {
	oldest, newest := t.windowAt(t.clock.Now())
	if ok, err := sinceWindow(id, oldest, newest); !ok {
		return nil, err
	}
	last := min(newest, id+sinceBatch)
	out := make([]Event, 0, last-id)
	for n := id + 1; n <= last; n++ {
		out = append(out, t.tick(n))
	}
	return out, nil
}

// Wait is ready when tick id+1 is due, or at once when id is not the
// newest tick.
func (t *ticker) Wait(id int64) (ready <-chan struct{}, stop func()) {
	now := t.clock.Now()
	if id != t.newest(now) {
		return closedChan, noStop
	}
	due := t.epoch.Add(time.Duration(id+1) * t.interval)
	return after(t.clock, due.Sub(now))
}

func (t *ticker) tick(n int64) Event {
	at := t.epoch.Add(time.Duration(n) * t.interval)
	data, _ := json.Marshal(tickData{N: n, At: at.UnixMilli()}) // two ints cannot fail
	return Event{ID: n, Name: "tick", Data: data}
}
