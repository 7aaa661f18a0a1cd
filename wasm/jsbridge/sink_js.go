//go:build js && wasm

package jsbridge

import (
	"strconv"
	"sync"
	"syscall/js"

	"github.com/matih-ai/realtime/wasm/protocol"
)

// NewSink returns a Sink over realtime.js's boot object: dispatch(kind,
// id, ...args) queues an event, mailbox(n) returns a Uint8Array of at
// least n bytes for the text of messages.
//
// Messages go in batches: each call into JavaScript costs some
// microseconds and each string argument a copy and a finalizer in Go, so
// Message only appends to a buffer, and one call of KindMessages hands
// JavaScript all of it as bytes in the mailbox. The buffer is flushed by a
// goroutine woken with the first message of a batch, so once the
// goroutines delivering messages are idle (Go runs every goroutine it can
// before it gives the thread back to JavaScript, so none waits for a later
// event), and before any other event, so that the order stays that of the
// calls.
func NewSink(boot js.Value) Sink {
	s := &jsSink{dispatch: boot.Get("dispatch"), mailboxFn: boot.Get("mailbox"), wake: make(chan struct{}, 1)}
	go s.flusher()
	return s
}

type jsSink struct {
	dispatch  js.Value
	mailboxFn js.Value
	wake      chan struct{}

	// mu guards the buffer and orders the calls of dispatch.
	mu      sync.Mutex
	buf     []byte // the pending messages' text (see KindMessages)
	conn    int    // the connection of the latest line in buf
	n       int    // messages in buf
	mailbox js.Value
	mailCap int
}

// maxBatch is the size of a batch past which Message flushes at once.
const maxBatch = 1 << 20

func (s *jsSink) Message(conn int, e protocol.Envelope) {
	line := e.Raw
	if line == nil {
		// Made in Go, not received: encoded once here.
		b, err := protocol.Encode(e)
		if err != nil {
			return // no type: nothing JavaScript could take
		}
		line = b
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n == 0 || conn != s.conn {
		if s.n > 0 {
			s.buf = append(s.buf, '\n')
		}
		s.buf = strconv.AppendInt(s.buf, int64(conn), 10)
		s.conn = conn
	}
	s.buf = append(s.buf, '\n')
	s.buf = append(s.buf, line...)
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
		s.flush()
	}
}

// flush hands JavaScript the messages buffered now, as the flusher would.
func (s *jsSink) flush() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.flushLocked()
}

func (s *jsSink) flushLocked() {
	if s.n == 0 {
		return
	}
	if len(s.buf) > s.mailCap {
		s.mailbox = s.mailboxFn.Invoke(len(s.buf))
		s.mailCap = s.mailbox.Length()
	}
	js.CopyBytesToJS(s.mailbox, s.buf)
	s.dispatch.Invoke(int(KindMessages), 0, len(s.buf))
	s.n = 0
	if cap(s.buf) > maxBatch {
		s.buf = nil // a burst's buffer is not kept
	} else {
		s.buf = s.buf[:0]
	}
}
