//go:build !js

// The client tests serve with net/http/httptest and plug its client in
// with fetch.Client, which exists natively only.

package sse_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/matih-ai/realtime/internal/leaktest"
	"github.com/matih-ai/realtime/wasm/clock"
	"github.com/matih-ai/realtime/wasm/fetch"
	"github.com/matih-ai/realtime/wasm/sse"
)

// timeout bounds every wait of a test; nothing here should come close.
const timeout = 5 * time.Second

// TestMain fails the run when goroutines outlive the tests.
func TestMain(m *testing.M) { leaktest.Main(m, timeout) }

// request is what the test server received.
type request struct {
	Method string
	Header http.Header
	Body   string
}

// testServer is an HTTP server on 127.0.0.1 whose handler the test writes;
// handle gets the index of the request, from 0.
type testServer struct {
	hs      *httptest.Server
	mu      sync.Mutex
	reqs    []request
	arrived chan request
}

func newTestServer(t *testing.T, handle func(w http.ResponseWriter, r *http.Request, n int)) *testServer {
	t.Helper()
	s := &testServer{arrived: make(chan request, 100)}
	s.hs = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req := request{Method: r.Method, Header: r.Header.Clone(), Body: string(body)}
		s.mu.Lock()
		n := len(s.reqs)
		s.reqs = append(s.reqs, req)
		s.mu.Unlock()
		s.arrived <- req
		handle(w, r, n)
	}))
	t.Cleanup(s.hs.Close)
	return s
}

func (s *testServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.reqs)
}

// next waits for the next request.
func (s *testServer) next(t *testing.T) request {
	t.Helper()
	select {
	case r := <-s.arrived:
		return r
	case <-time.After(timeout):
		t.Fatal("no request reached the server")
		return request{}
	}
}

// stream answers 200 text/event-stream and returns a function that writes
// stream text and flushes it.
func stream(w http.ResponseWriter) (send func(string)) {
	w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	f := w.(http.Flusher)
	f.Flush()
	return func(s string) {
		io.WriteString(w, s)
		f.Flush()
	}
}

// harness is a client on a fake clock against a test server, with its
// states, events and errors recorded.
type harness struct {
	t      *testing.T
	srv    *testServer
	clock  *clock.Fake
	client *sse.Client
	states chan sse.State
	events chan sse.Event
	errs   chan error
}

func newHarness(t *testing.T, cfg sse.Config, handle func(w http.ResponseWriter, r *http.Request, n int)) *harness {
	t.Helper()
	h := &harness{
		t:      t,
		srv:    newTestServer(t, handle),
		clock:  clock.NewFake(),
		states: make(chan sse.State, 1000),
		events: make(chan sse.Event, 1000),
		errs:   make(chan error, 1000),
	}
	cfg.URL = h.srv.hs.URL + "/sse/test"
	cfg.Fetch, cfg.Clock = fetch.Client(h.srv.hs.Client()), h.clock
	c, err := sse.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.client = c
	c.OnState(func(s sse.State) { h.states <- s })
	c.OnMessage(func(e sse.Event) { h.events <- e })
	c.OnError(func(err error) { h.errs <- err })
	t.Cleanup(c.Close) // before the server closes: it waits for its handlers
	return h
}

// waitState waits until a reported state satisfies ok and returns it.
func (h *harness) waitState(what string, ok func(sse.State) bool) sse.State {
	h.t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case s := <-h.states:
			if ok(s) {
				return s
			}
		case <-deadline:
			h.t.Fatalf("timed out waiting for %s (now %+v)", what, h.client.State())
		}
	}
}

func (h *harness) waitStatus(s sse.Status) sse.State {
	h.t.Helper()
	return h.waitState(string(s), func(st sse.State) bool { return st.Status == s })
}

// waitRetry waits until a reconnect is scheduled, checks that its timer is
// the only one pending, and returns the state.
func (h *harness) waitRetry() sse.State {
	h.t.Helper()
	s := h.waitState("a scheduled reconnect", func(s sse.State) bool { return s.Status == sse.StatusConnecting && s.NextDelay > 0 })
	if p := h.clock.Pending(); len(p) != 1 || p[0] != s.NextDelay {
		h.t.Fatalf("waiting %v to retry, but the timers pending are %v", s.NextDelay, p)
	}
	return s
}

// retryAfter waits for a scheduled reconnect, checks its attempt and
// delay, and lets the delay pass.
func (h *harness) retryAfter(attempt int, delay time.Duration) {
	h.t.Helper()
	s := h.waitRetry()
	if s.Attempt != attempt || s.NextDelay != delay {
		h.t.Fatalf("reconnect attempt %d in %v (%v), want attempt %d in %v", s.Attempt, s.NextDelay, s.Err, attempt, delay)
	}
	h.clock.Advance(delay - time.Millisecond)
	if p := h.clock.Pending(); len(p) != 1 || p[0] != time.Millisecond {
		h.t.Fatalf("the reconnect fired early or is not scheduled: pending %v", p)
	}
	h.clock.Advance(time.Millisecond)
}

func (h *harness) nextEvent() sse.Event {
	h.t.Helper()
	select {
	case e := <-h.events:
		return e
	case <-time.After(timeout):
		h.t.Fatalf("no event came (now %+v)", h.client.State())
		return sse.Event{}
	}
}

func (h *harness) nextErr() error {
	h.t.Helper()
	select {
	case err := <-h.errs:
		return err
	case <-time.After(timeout):
		h.t.Fatal("no error was reported")
		return nil
	}
}

// noTimers checks that nothing is scheduled: the client will not retry.
func (h *harness) noTimers() {
	h.t.Helper()
	if p := h.clock.Pending(); len(p) != 0 {
		h.t.Fatalf("timers still pending: %v", p)
	}
}

// waitFor polls cond until it holds or the test times out.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// hold keeps a response open until the client leaves.
func hold(r *http.Request) { <-r.Context().Done() }
