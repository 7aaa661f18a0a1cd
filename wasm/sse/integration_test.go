//go:build !js

// These tests run the client against the real server, which links
// coder/websocket's Accept (absent for GOOS=js), so they run natively only.

package sse_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/matih-ai/realtime/server"
	"github.com/matih-ai/realtime/wasm/clock"
	"github.com/matih-ai/realtime/wasm/fetch"
	"github.com/matih-ai/realtime/wasm/sse"
)

// fastOptions cut the server's SSE timings to a few milliseconds. Servers
// given the same epoch send the same ticks.
func fastOptions(epoch time.Time) server.Options {
	return server.Options{
		TickEpoch:        epoch,
		TickInterval:     20 * time.Millisecond,
		SSERetry:         20 * time.Millisecond,
		AnswerTokenDelay: 15 * time.Millisecond,
	}
}

// backend is a real server.Server behind an http.Server on 127.0.0.1. It
// records every request that reaches it; a front may answer one in place
// of the server.
type backend struct {
	srv    *server.Server
	hs     *http.Server
	addr   string // host:port, kept for a restart
	served chan error
	once   sync.Once

	mu   sync.Mutex
	hits []hit
}

// hit is a request the backend received.
type hit struct {
	Path, LastEventID string
}

// front answers r itself when it returns true; n counts the earlier
// requests to the same path.
type front func(w http.ResponseWriter, r *http.Request, n int) bool

// startBackend serves server.New(opts) on addr ("" picks a free port)
// until stop or the end of the test.
func startBackend(t *testing.T, addr string, opts server.Options, fr front) *backend {
	t.Helper()
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("failed to listen on %s: %v", addr, err)
	}
	b := &backend{srv: server.New(opts), addr: ln.Addr().String(), served: make(chan error, 1)}
	b.hs = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := b.record(r)
		if fr != nil && fr(w, r, n) {
			return
		}
		b.srv.ServeHTTP(w, r)
	})}
	go func() { b.served <- b.hs.Serve(ln) }()
	t.Cleanup(func() { b.stop(t) })
	return b
}

func (b *backend) url(path string) string { return "http://" + b.addr + path }

func (b *backend) record(r *http.Request) (n int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, h := range b.hits {
		if h.Path == r.URL.Path {
			n++
		}
	}
	b.hits = append(b.hits, hit{Path: r.URL.Path, LastEventID: r.Header.Get("Last-Event-ID")})
	return n
}

// lastEventIDs returns the Last-Event-ID of each request to path, in order.
func (b *backend) lastEventIDs(path string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	ids := []string{}
	for _, h := range b.hits {
		if h.Path == path {
			ids = append(ids, h.LastEventID)
		}
	}
	return ids
}

// stop shuts down as cmd/realtime-server does: the http.Server stops
// accepting and waits for its requests while server.Shutdown ends the
// streams.
func (b *backend) stop(t *testing.T) {
	t.Helper()
	b.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		srvErr := make(chan error, 1)
		go func() { srvErr <- b.srv.Shutdown(ctx) }()
		if err := b.hs.Shutdown(ctx); err != nil {
			t.Errorf("http shutdown: %v", err)
		}
		if err := <-srvErr; err != nil {
			t.Errorf("server shutdown: %v", err)
		}
		if err := <-b.served; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("serve: %v", err)
		}
	})
}

// drop presses the demo's "drop connection" button: POST /sse/drop.
func (b *backend) drop(t *testing.T) {
	t.Helper()
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := hc.Post(b.url("/sse/drop"), "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatalf("POST /sse/drop: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("POST /sse/drop: %s, want 204", resp.Status)
	}
}

// note is one thing a client reported: an event, a status or an error.
type note struct {
	Event  sse.Event
	Status sse.Status
	Err    error
}

// watched is a client whose reports are recorded in the order its
// callbacks ran, so a test can tell which connection an event came on.
type watched struct {
	*sse.Client
	t     *testing.T
	notes chan note
	seen  []note // consumed by until
}

// watch makes a client of cfg with fast retries unless cfg sets them, and
// its own transport; the end of the test closes both.
func watch(t *testing.T, cfg sse.Config) *watched {
	t.Helper()
	tr := &http.Transport{}
	cfg.Fetch = fetch.Client(&http.Client{Transport: tr})
	if cfg.RetryDelay == 0 {
		cfg.RetryDelay = 20 * time.Millisecond
	}
	if cfg.MaxRetryDelay == 0 {
		cfg.MaxRetryDelay = 100 * time.Millisecond
	}
	c, err := sse.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	w := &watched{Client: c, t: t, notes: make(chan note, 10000)}
	c.OnMessage(func(e sse.Event) { w.notes <- note{Event: e} })
	c.OnStatus(func(s sse.Status) { w.notes <- note{Status: s} })
	c.OnError(func(err error) { w.notes <- note{Err: err} })
	t.Cleanup(tr.CloseIdleConnections)
	t.Cleanup(c.Close)
	return w
}

// until consumes reports until stop holds for one.
func (w *watched) until(what string, stop func(note) bool) {
	w.t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case n := <-w.notes:
			w.seen = append(w.seen, n)
			if stop(n) {
				return
			}
		case <-deadline:
			w.t.Fatalf("timed out waiting for %s (now %+v)", what, w.State())
		}
	}
}

func (w *watched) waitStatus(s sse.Status) {
	w.t.Helper()
	w.until(string(s), func(n note) bool { return n.Status == s })
}

// waitEvents waits for count more events of type typ.
func (w *watched) waitEvents(typ string, count int) {
	w.t.Helper()
	w.until(fmt.Sprintf("%d more %s events", count, typ), func(n note) bool {
		if n.Event.Type == typ {
			count--
		}
		return count == 0
	})
}

func (w *watched) events() []sse.Event {
	var out []sse.Event
	for _, n := range w.seen {
		if n.Event.Type != "" {
			out = append(out, n.Event)
		}
	}
	return out
}

func (w *watched) statuses() []sse.Status {
	var out []sse.Status
	for _, n := range w.seen {
		if n.Status != "" {
			out = append(out, n.Status)
		}
	}
	return out
}

func (w *watched) errs() []error {
	var out []error
	for _, n := range w.seen {
		if n.Err != nil {
			out = append(out, n.Err)
		}
	}
	return out
}

// resumeIDs returns, each time the client started connecting, the id of
// the last event it had: the Last-Event-ID it should send.
func (w *watched) resumeIDs() []string {
	ids, last := []string{}, ""
	for _, n := range w.seen {
		switch {
		case n.Event.Type != "":
			last = n.Event.ID
		case n.Status == sse.StatusConnecting:
			ids = append(ids, last)
		}
	}
	return ids
}

// settleOnce opens a client of cfg to path on a clock that never moves,
// waits for status final, and checks that it made one request and has no
// timer pending: no retry will come. It returns the state and the errors
// reported.
func settleOnce(t *testing.T, b *backend, cfg sse.Config, path string, final sse.Status) (sse.State, []error) {
	t.Helper()
	before := len(b.lastEventIDs(path))
	fake := clock.NewFake()
	cfg.URL, cfg.Clock = b.url(path), fake
	w := watch(t, cfg)
	w.Open()
	w.waitStatus(final)
	if p := fake.Pending(); len(p) != 0 {
		t.Errorf("timers pending, a retry among them: %v", p)
	}
	if got := len(b.lastEventIDs(path)) - before; got != 1 {
		t.Errorf("%d requests to %s, want 1", got, path)
	}
	return w.State(), w.errs()
}

// checkTicks fails unless events are ticks whose ids, matching their data,
// count up by one: none lost, none repeated.
func checkTicks(t *testing.T, events []sse.Event) {
	t.Helper()
	var prev int64
	for i, e := range events {
		if e.Type != "tick" {
			t.Fatalf("event %d is %+v, want a tick", i, e)
		}
		var d struct {
			N int64 `json:"n"`
		}
		id, err := strconv.ParseInt(e.ID, 10, 64)
		if err != nil || json.Unmarshal([]byte(e.Data), &d) != nil || d.N != id {
			t.Fatalf("tick %+v: its id and data disagree", e)
		}
		if i > 0 && id != prev+1 {
			t.Fatalf("tick %d came after tick %d", id, prev)
		}
		prev = id
	}
}

// answerText checks that events are tokens 0..n-1, each once and in order,
// then one done event with id n, and returns the tokens' text and n.
func answerText(t *testing.T, events []sse.Event) (string, int) {
	t.Helper()
	var text strings.Builder
	n := 0
	for i, e := range events {
		switch {
		case e.Type == "token":
			var d struct {
				Index int    `json:"index"`
				Text  string `json:"text"`
			}
			if err := json.Unmarshal([]byte(e.Data), &d); err != nil || d.Index != n || e.ID != strconv.Itoa(n) {
				t.Fatalf("event %d is %+v, want token %d", i, e, n)
			}
			text.WriteString(d.Text)
			n++
		case e.Type == "done" && i == len(events)-1:
			if want := fmt.Sprintf(`{"tokens":%d}`, n); e.ID != strconv.Itoa(n) || e.Data != want {
				t.Fatalf("done event %+v, want id %d and %s", e, n, want)
			}
			return text.String(), n
		default:
			t.Fatalf("event %d is %+v, want token %d, or done as the last event", i, e, n)
		}
	}
	t.Fatalf("no done event after %d tokens", n)
	return "", 0
}

// The server cuts every stream mid-stream, several times; the client
// reconnects each time from the last tick it got, and the ticks go on
// without a gap or a repeat.
func TestTickerResumesAfterTheServerDropsTheStream(t *testing.T) {
	t.Parallel()
	const drops = 3
	b := startBackend(t, "", fastOptions(time.Now()), nil)
	w := watch(t, sse.Config{URL: b.url("/sse/ticker")})
	w.Open()
	w.waitStatus(sse.StatusOpen)
	w.waitEvents("tick", 3)
	for i := range drops {
		if i == 1 {
			b.drop(t) // as the demo page does
		} else {
			b.srv.DropStreams()
		}
		w.waitStatus(sse.StatusConnecting)
		w.waitStatus(sse.StatusOpen)
		w.waitEvents("tick", 3)
	}

	checkTicks(t, w.events())
	var want []sse.Status
	for range drops + 1 {
		want = append(want, sse.StatusConnecting, sse.StatusOpen)
	}
	if got := w.statuses(); !slices.Equal(got, want) {
		t.Errorf("statuses %v, want %v", got, want)
	}
	if got, want := b.lastEventIDs("/sse/ticker"), w.resumeIDs(); len(want) != drops+1 || !slices.Equal(got, want) {
		t.Errorf("the server saw Last-Event-ID %q, want %q (the last id before each connection)", got, want)
	}
	for _, err := range w.errs() {
		if !errors.Is(err, sse.ErrStreamEnded) {
			t.Errorf("a drop reported %v, want ErrStreamEnded", err)
		}
	}
}

// The server shuts down and a new one, with the same epoch, starts on the
// same port; the client resumes from its last tick as if nothing happened.
func TestTickerResumesAcrossAServerRestart(t *testing.T) {
	t.Parallel()
	opts := fastOptions(time.Now())
	old := startBackend(t, "", opts, nil)
	w := watch(t, sse.Config{URL: old.url("/sse/ticker")})
	w.Open()
	w.waitStatus(sse.StatusOpen)
	w.waitEvents("tick", 3)

	old.stop(t)
	// Wait until no server answers, so that ticks happen in between.
	w.until("a refused connection", func(n note) bool { return errors.Is(n.Err, syscall.ECONNREFUSED) })
	events := w.events()
	last := events[len(events)-1].ID
	next := startBackend(t, old.addr, opts, nil)
	w.waitStatus(sse.StatusOpen)
	w.waitEvents("tick", 5)

	checkTicks(t, w.events()) // a history-lost event fails it too
	if ids := next.lastEventIDs("/sse/ticker"); len(ids) == 0 || ids[0] != last {
		t.Errorf("the new server saw Last-Event-ID %q, want %q first", ids, last)
	}
	if slices.Contains(w.statuses(), sse.StatusError) {
		t.Errorf("statuses %v: the client gave up during the restart", w.statuses())
	}
	if s := w.State(); s.Status != sse.StatusOpen || s.Err != nil {
		t.Errorf("state %+v, want open without error", s)
	}
}

// A POSTed answer cut twice mid-answer reads as an uninterrupted one, then
// ends closed: the resume past its done event gets 204.
func TestAnswerResumesAfterDropsAndEndsClosed(t *testing.T) {
	t.Parallel()
	const prompt = "Why is the dashboard slow?"
	body, _ := json.Marshal(map[string]string{"prompt": prompt})
	cfg := sse.Config{Method: http.MethodPost, Body: body, Headers: map[string]string{"Content-Type": "application/json"}}
	opts := fastOptions(time.Now())

	// The reference: the same prompt read without a drop, from another server.
	ref := startBackend(t, "", opts, nil)
	refCfg := cfg
	refCfg.URL = ref.url("/sse/answer")
	want := watch(t, refCfg)
	want.Open()

	b := startBackend(t, "", opts, nil)
	cfg.URL = b.url("/sse/answer")
	w := watch(t, cfg)
	w.Open()
	w.waitStatus(sse.StatusOpen)
	w.waitEvents("token", 3)
	b.srv.DropStreams()
	w.waitStatus(sse.StatusConnecting)
	w.waitStatus(sse.StatusOpen)
	w.waitEvents("token", 3)
	b.srv.DropStreams()
	w.waitStatus(sse.StatusClosed)
	want.waitStatus(sse.StatusClosed)

	wantText, n := answerText(t, want.events())
	if !strings.HasPrefix(wantText, `You asked: "`+prompt+`".`) {
		t.Fatalf("the uninterrupted answer %q does not quote the prompt", wantText)
	}
	if got, _ := answerText(t, w.events()); got != wantText {
		t.Errorf("answer after drops:\n%q\nwant\n%q", got, wantText)
	}
	if s := w.State(); s.Status != sse.StatusClosed || !errors.Is(s.Err, sse.ErrNoContent) {
		t.Errorf("state %+v, want closed by the 204", s)
	}
	ids := b.lastEventIDs("/sse/answer")
	if resumed := w.resumeIDs(); len(resumed) != 4 || !slices.Equal(ids, resumed) {
		t.Fatalf("the server saw Last-Event-ID %q, want %q: a start, two drops, the resume past done", ids, resumed)
	}
	for _, id := range ids[1:3] {
		if i, _ := strconv.Atoi(id); i >= n {
			t.Errorf("a drop resumed from %s, not mid-answer (%d tokens): the tokens come too fast", id, n)
		}
	}
	if ids[3] != strconv.Itoa(n) {
		t.Errorf("the last request resumed from %s, want the done event %d", ids[3], n)
	}
	for _, err := range w.errs() {
		if !errors.Is(err, sse.ErrStreamEnded) {
			t.Errorf("reported %v, want only ErrStreamEnded for the drops and the end", err)
		}
	}

	// A page reloaded after the answer resumes past done: one 204, closed,
	// and no retry scheduled.
	cfg.LastEventID = strconv.Itoa(n)
	s, errs := settleOnce(t, b, cfg, "/sse/answer", sse.StatusClosed)
	if !errors.Is(s.Err, sse.ErrNoContent) || len(errs) != 0 {
		t.Errorf("state %+v, errors %v: want closed by the 204, no error reported", s, errs)
	}
}

// The server's health check is text/plain: a clear error, one request, no
// retry.
func TestAnEndpointThatIsNotAStreamFailsWithoutRetry(t *testing.T) {
	t.Parallel()
	b := startBackend(t, "", fastOptions(time.Now()), nil)
	s, errs := settleOnce(t, b, sse.Config{}, "/healthz", sse.StatusError)
	var re *sse.ResponseError
	if !errors.As(s.Err, &re) || re.StatusCode != http.StatusOK || re.ContentType != "text/plain; charset=utf-8" || re.Body != "ok" || re.Temporary() {
		t.Fatalf("state %+v, want an error for a 200 text/plain", s)
	}
	if msg := s.Err.Error(); !strings.Contains(msg, "not text/event-stream") {
		t.Errorf("error %q does not say the response is not a stream", msg)
	}
	if len(errs) != 1 || errs[0] != s.Err {
		t.Errorf("reported %v, want the state's error once", errs)
	}
}

// The ticker answers 500 a few times, then streams: the client retries
// with backoff and ends open.
func TestTickerOpensAfterServerErrors(t *testing.T) {
	t.Parallel()
	const failures = 3
	b := startBackend(t, "", fastOptions(time.Now()), func(w http.ResponseWriter, r *http.Request, n int) bool {
		if r.URL.Path == "/sse/ticker" && n < failures {
			http.Error(w, "warming up", http.StatusInternalServerError)
			return true
		}
		return false
	})
	w := watch(t, sse.Config{URL: b.url("/sse/ticker")})
	w.Open()
	w.waitStatus(sse.StatusOpen)
	w.waitEvents("tick", 3)

	checkTicks(t, w.events())
	errs := w.errs()
	for _, err := range errs {
		var re *sse.ResponseError
		if !errors.As(err, &re) || re.StatusCode != http.StatusInternalServerError || re.Body != "warming up" {
			t.Errorf("reported %v, want the 500", err)
		}
	}
	if len(errs) != failures {
		t.Errorf("%d errors reported, want %d", len(errs), failures)
	}
	if got := len(b.lastEventIDs("/sse/ticker")); got != failures+1 {
		t.Errorf("%d requests, want %d", got, failures+1)
	}
	if got := w.statuses(); !slices.Equal(got, []sse.Status{sse.StatusConnecting, sse.StatusOpen}) {
		t.Errorf("statuses %v, want connecting then open", got)
	}
	if s := w.State(); s.Status != sse.StatusOpen || s.Err != nil || s.Attempt != 0 {
		t.Errorf("state %+v, want open, no error, no attempt", s)
	}
}

// A server with a token: a client without it, or with a wrong one, fails
// with 401 after one request; one with it streams.
func TestAuthToken(t *testing.T) {
	t.Parallel()
	opts := fastOptions(time.Now())
	opts.Auth = server.StaticToken("t")
	b := startBackend(t, "", opts, nil)
	for _, tc := range []struct{ name, token, reason string }{
		{"no token", "", "unauthorized: missing token"},
		{"wrong token", "x", "unauthorized: invalid token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := settleOnce(t, b, sse.Config{AuthToken: tc.token}, "/sse/ticker", sse.StatusError)
			var re *sse.ResponseError
			if !errors.As(s.Err, &re) || re.StatusCode != http.StatusUnauthorized || re.Body != tc.reason || re.Temporary() {
				t.Errorf("state %+v, want a 401 saying %q", s, tc.reason)
			}
		})
	}
	w := watch(t, sse.Config{URL: b.url("/sse/ticker"), AuthToken: "t"})
	w.Open()
	w.waitStatus(sse.StatusOpen)
	w.waitEvents("tick", 1)
	checkTicks(t, w.events())
}
