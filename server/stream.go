package server

import (
	"errors"
	"fmt"
	"time"

	"github.com/matih-ai/realtime/wasm/clock"
)

// Event is one event of a [Stream], sent as a server-sent event.
type Event struct {
	// ID orders the events of a stream: it grows by one from event to event
	// and never goes below 0. A client resumes by sending back the last one
	// it saw.
	ID int64

	// Name is the event field ("tick", "token"). It must not contain a line
	// break; empty sends no event field, which clients read as "message".
	Name string

	// Data is sent as data fields, one per line of it.
	Data []byte
}

// Stream is a sequence of events with increasing ids and a bounded window of
// the latest ones, from which a client that reconnects gets exactly the
// events it missed. Implementations are safe for concurrent use.
type Stream interface {
	// Window returns the ids of the oldest and the newest event held, with
	// oldest > newest when none is. A new subscriber starts after newest.
	Window() (oldest, newest int64)

	// Since returns the events after id that have happened, oldest first;
	// none when id is the newest. It may return only the oldest of them,
	// and the caller asks again after the last one it got. It returns ErrStreamEnded when id is the
	// last event of a stream that has ended, and a *HistoryLostError when
	// the events after id are gone from the window or id is newer than any
	// event of the stream (it was issued before a restart, by another node,
	// or not at all). Callers must not modify the events' Data.
	Since(id int64) ([]Event, error)

	// Wait returns a channel that is closed once Since(id) has something
	// new to say: events, the end, or lost history. stop releases what the
	// wait holds and must be called once the caller is done waiting.
	Wait(id int64) (ready <-chan struct{}, stop func())
}

// ErrStreamEnded is returned by [Stream.Since] after the last event of a
// stream that has an end, such as an answer.
var ErrStreamEnded = errors.New("server: stream ended")

// HistoryLostError reports that a stream cannot give the events right
// after ID: the client must be told, and then it continues after Resume.
type HistoryLostError struct {
	// ID is the id that was asked for.
	ID int64
	// Resume is the id after which the stream continues: right before the
	// oldest one held when ID is too old, the newest when ID is too new.
	Resume int64
}

func (e *HistoryLostError) Error() string {
	return fmt.Sprintf("server: history lost after event %d, continuing after %d", e.ID, e.Resume)
}

// sinceBatch bounds the events one Since of a computed stream returns, so
// that a client far behind, with a large window, is caught up in steps.
const sinceBatch = 256

// sinceWindow applies the rules of [Stream.Since] that every window shares:
// an id outside [oldest-1, newest] is lost history. ok reports that id is
// inside, and the caller returns its events.
func sinceWindow(id, oldest, newest int64) (ok bool, err error) {
	switch {
	case id > newest:
		return false, &HistoryLostError{ID: id, Resume: newest}
	case id < oldest-1:
		return false, &HistoryLostError{ID: id, Resume: oldest - 1}
	}
	return true, nil
}

// closedChan is ready at once, for a Wait that has nothing to wait for.
var closedChan = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

func noStop() {}

// after is a Wait of streams whose next event is due at a known time: it is
// ready once d has passed on c.
func after(c clock.Clock, d time.Duration) (ready <-chan struct{}, stop func()) {
	if d <= 0 {
		return closedChan, noStop
	}
	ch := make(chan struct{})
	t := c.AfterFunc(d, func() { close(ch) })
	return ch, func() { t.Stop() }
}
