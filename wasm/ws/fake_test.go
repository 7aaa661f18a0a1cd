package ws_test

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/matih-ai/realtime/wasm/clock"
	"github.com/matih-ai/realtime/wasm/protocol"
	"github.com/matih-ai/realtime/wasm/ws"
)

// fakeNet is an in-memory network: each dial succeeds or fails as the test
// says, and the test plays the server on the connections.
type fakeNet struct {
	mu     sync.Mutex
	refuse error
	// buffered makes connections whose writes never wait (ws.BufferedConn).
	buffered bool
	conns    chan *fakeConn
	dials    int
}

func newFakeNet() *fakeNet { return &fakeNet{conns: make(chan *fakeConn, 100)} }

func (n *fakeNet) dial(ctx context.Context, url string, opts ws.DialOptions) (ws.Conn, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.dials++
	if n.refuse != nil {
		return nil, n.refuse
	}
	c := &fakeConn{url: url, opts: opts, in: make(chan []byte, 1000), out: make(chan []byte, 1000), done: make(chan struct{})}
	n.conns <- c
	if n.buffered {
		return bufferedFake{c}, nil
	}
	return c, nil
}

// bufferedFake is a fakeConn that says its writes never wait, as the
// browser's WebSocket does; the client then writes on the sender's goroutine.
type bufferedFake struct{ *fakeConn }

func (bufferedFake) WritesWithoutWaiting() {}

func (n *fakeNet) setRefuse(err error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.refuse = err
}

func (n *fakeNet) dialCount() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.dials
}

// next waits for the client's next connection.
func (n *fakeNet) next(t *testing.T) *fakeConn {
	t.Helper()
	select {
	case c := <-n.conns:
		return c
	case <-time.After(5 * time.Second):
		t.Fatal("the client did not connect")
		return nil
	}
}

type fakeConn struct {
	url  string
	opts ws.DialOptions
	in   chan []byte // frames to the client
	out  chan []byte // frames the client wrote

	mu        sync.Mutex
	done      chan struct{}
	closed    bool
	closeCode int
	peerErr   error
	stalled   bool          // Write blocks until the connection ends, then fails
	held      chan struct{} // once the connection ends, Read waits for it to close
}

func (c *fakeConn) Read(ctx context.Context) ([]byte, error) {
	// A peer's close wins over a cancelled ctx, as with a real socket whose
	// close frame has arrived.
	select {
	case <-c.done:
		return nil, c.closeErr()
	default:
	}
	select {
	case b := <-c.in:
		return b, nil
	case <-c.done:
		return nil, c.closeErr()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (c *fakeConn) closeErr() error {
	c.mu.Lock()
	held := c.held
	c.mu.Unlock()
	if held != nil {
		<-held
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.peerErr != nil {
		return c.peerErr
	}
	return errors.New("fake: closed")
}

// stall makes every later Write hang until the connection ends and then
// fail, as a large frame does when the peer closes in the middle of it.
func (c *fakeConn) stall() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stalled = true
}

// hold keeps Read from reporting the end of the connection until release
// is called, so that a failed Write is seen first.
func (c *fakeConn) hold() (release func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.held = make(chan struct{})
	return sync.OnceFunc(func() { close(c.held) })
}

func (c *fakeConn) Write(ctx context.Context, b []byte) error {
	select {
	case <-c.done:
		return errors.New("fake: write on closed connection")
	default:
	}
	c.mu.Lock()
	stalled := c.stalled
	c.mu.Unlock()
	if stalled {
		<-c.done
		return errors.New("fake: connection closed during the write")
	}
	c.out <- bytes.Clone(b) // the caller may reuse b (see ws.BufferedConn)
	return nil
}

func (c *fakeConn) Close(code int, reason string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		c.closed, c.closeCode = true, code
		close(c.done)
	}
	return nil
}

// drop ends the connection from the server's side with err.
func (c *fakeConn) drop(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		c.closed, c.peerErr = true, err
		close(c.done)
	}
}

func (c *fakeConn) code() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closeCode
}

// recv returns the next envelope the client sent.
func (c *fakeConn) recv(t *testing.T) protocol.Envelope {
	t.Helper()
	select {
	case b := <-c.out:
		e, err := protocol.Decode(b)
		if err != nil {
			t.Fatalf("client sent a bad frame %q: %v", b, err)
		}
		return e
	case <-time.After(5 * time.Second):
		t.Fatal("the client sent nothing")
		return protocol.Envelope{}
	}
}

// recvType skips envelopes until one of type typ.
func (c *fakeConn) recvType(t *testing.T, typ string) protocol.Envelope {
	t.Helper()
	for {
		if e := c.recv(t); e.Type == typ {
			return e
		}
	}
}

func (c *fakeConn) quiet(t *testing.T) {
	t.Helper()
	select {
	case b := <-c.out:
		t.Fatalf("the client sent %s, expected nothing", b)
	case <-time.After(50 * time.Millisecond):
	}
}

func (c *fakeConn) send(e protocol.Envelope) {
	b, _ := protocol.Encode(e)
	c.in <- b
}

// harness is a client on a fake network and a fake clock, with its state
// changes recorded.
type harness struct {
	t      *testing.T
	net    *fakeNet
	clock  *clock.Fake
	client *ws.Client
	states chan ws.State
	errs   chan error
}

func newHarness(t *testing.T, cfg ws.Config) *harness {
	t.Helper()
	h := &harness{t: t, net: newFakeNet(), clock: clock.NewFake(), states: make(chan ws.State, 1000), errs: make(chan error, 100)}
	if cfg.URL == "" {
		cfg.URL = "ws://127.0.0.1:1/ws"
	}
	cfg.Dialer, cfg.Clock = h.net.dial, h.clock
	c, err := ws.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.client = c
	c.OnState(func(s ws.State) { h.states <- s })
	c.OnError(func(err error) { h.errs <- err })
	t.Cleanup(c.Close)
	return h
}

// waitStatus waits until a state with status s is reported and returns it.
func (h *harness) waitStatus(s ws.Status) ws.State {
	h.t.Helper()
	return h.waitState(func(st ws.State) bool { return st.Status == s })
}

// waitState waits until a reported state satisfies ok and returns it.
func (h *harness) waitState(ok func(ws.State) bool) ws.State {
	h.t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case st := <-h.states:
			if ok(st) {
				return st
			}
		case <-deadline:
			h.t.Fatalf("the awaited state never came (now %+v)", h.client.State())
		}
	}
}

// waitRetry waits until a reconnect is scheduled and returns its state.
func (h *harness) waitRetry() ws.State {
	h.t.Helper()
	for {
		if st := h.waitStatus(ws.StatusReconnecting); st.NextDelay > 0 {
			return st
		}
	}
}

// waitErr waits for an error reported through OnError.
func (h *harness) waitErr() error {
	h.t.Helper()
	select {
	case err := <-h.errs:
		return err
	case <-time.After(5 * time.Second):
		h.t.Fatal("no error reported")
		return nil
	}
}

// connect connects and returns the server side of the connection.
func (h *harness) connect() *fakeConn {
	h.t.Helper()
	h.client.Connect()
	c := h.net.next(h.t)
	h.waitStatus(ws.StatusConnected)
	return c
}
