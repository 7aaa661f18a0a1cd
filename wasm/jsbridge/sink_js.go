//go:build js && wasm

package jsbridge

import (
	"strconv"
	"sync"
	"syscall/js"

	"github.com/matih-ai/realtime/wasm/protocol"
)

// NewSink returns a Sink that calls dispatch, realtime.js's queueing
// function, with the kind, the object id and the arguments of each event.
//
// Messages go in batches: each call into JavaScript costs some
// microseconds and its arguments one more each, so Message only appends
// to a buffer, and one call of KindMessages hands JavaScript all of it.
// The buffer is flushed by a goroutine woken with the first message of a
// batch, so once the goroutines delivering messages are idle (Go runs
// every goroutine it can before it gives the thread back to JavaScript,
// so none waits for a later event), and before any other event, so that
// the order stays that of the calls.
func NewSink(dispatch js.Value) Sink {
	s := &jsSink{dispatch: dispatch, wake: make(chan struct{}, 1)}
	go s.flusher()
	return s
}

type jsSink struct {
	dispatch js.Value
	wake     chan struct{}

	// mu guards the buffer and orders the calls of dispatch.
	mu  sync.Mutex
	buf []byte // the pending messages' arguments, from '[', comma-separated
	n   int    // messages in buf
}

// maxBatch is the size of a batch past which Message flushes at once.
const maxBatch = 1 << 20

func (s *jsSink) Message(conn int, e protocol.Envelope) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n == 0 {
		s.buf = append(s.buf[:0], '[')
	} else {
		s.buf = append(s.buf, ',')
	}
	b := strconv.AppendInt(s.buf, int64(conn), 10)
	b = append(b, ',')
	b = protocol.AppendString(b, e.Channel)
	b = append(b, ',')
	b = protocol.AppendString(b, e.Type)
	b = append(b, ',')
	b = protocol.AppendString(b, string(e.Data))
	b = append(b, ',')
	b = protocol.AppendString(b, e.ID)
	b = append(b, ',')
	b = protocol.AppendString(b, e.Ref)
	b = append(b, ',')
	b = strconv.AppendInt(b, e.Timestamp, 10)
	s.buf = b
	s.n++
	switch {
	case len(s.buf) >= maxBatch:
		s.flushLocked()
	case s.n == 1:
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}

func (s *jsSink) Event(kind Kind, id int, args ...any) {
	all := make([]any, 0, 2+len(args))
	all = append(all, int(kind), id)
	all = append(all, args...)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.flushLocked()
	s.dispatch.Invoke(all...)
}

func (s *jsSink) flusher() {
	for range s.wake {
		s.mu.Lock()
		s.flushLocked()
		s.mu.Unlock()
	}
}

func (s *jsSink) flushLocked() {
	if s.n == 0 {
		return
	}
	s.buf = append(s.buf, ']')
	s.dispatch.Invoke(int(KindMessages), 0, string(s.buf))
	s.n = 0
	if cap(s.buf) > maxBatch {
		s.buf = nil // a burst's buffer is not kept
	} else {
		s.buf = s.buf[:0]
	}
}
