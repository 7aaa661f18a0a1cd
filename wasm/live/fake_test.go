package live_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/matih-ai/realtime/internal/leaktest"
	"github.com/matih-ai/realtime/wasm/clock"
	"github.com/matih-ai/realtime/wasm/live"
	"github.com/matih-ai/realtime/wasm/protocol"
	"github.com/matih-ai/realtime/wasm/ws"
)

// waitTimeout bounds every wait; nothing here should come close.
const waitTimeout = 5 * time.Second

// TestMain fails the run when goroutines outlive the tests.
func TestMain(m *testing.M) { leaktest.Main(m, waitTimeout) }

// fakeServer plays the server side of the live feed contract over an
// in-memory network: the ws client dials it through Config.Dialer. Its
// feeds are Views too, numbered as the contract says.
type fakeServer struct {
	mu      sync.Mutex
	feeds   map[string]*live.View
	conns   []*fakeConn
	refuse  bool
	dials   int
	resyncs int
	polls   int
}

func newFakeServer() *fakeServer { return &fakeServer{feeds: map[string]*live.View{}} }

// addFeed creates a feed holding items.
func (s *fakeServer) addFeed(t *testing.T, name string, max int, items ...live.Item) {
	t.Helper()
	v := &live.View{}
	if _, err := v.ApplySnapshot(live.Snapshot{Key: "id", Items: items, Max: max}); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	s.feeds[name] = v
	s.mu.Unlock()
}

func (s *fakeServer) dial(ctx context.Context, url string, opts ws.DialOptions) (ws.Conn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dials++
	if s.refuse {
		return nil, errors.New("fake: connection refused")
	}
	c := &fakeConn{srv: s, toClient: make(chan []byte, 10000), done: make(chan struct{}), subs: map[string]bool{}}
	s.conns = append(s.conns, c)
	return c, nil
}

// change numbers d, applies it to the feed and sends it to the
// subscribers; a lost change is applied but never sent, as if the
// network had eaten it.
func (s *fakeServer) change(t *testing.T, feed string, d live.Delta, lost bool) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.feeds[feed]
	d.Seq = v.Seq() + 1
	if _, err := v.ApplyDelta(d); err != nil {
		t.Fatalf("server: %v", err)
	}
	if !lost {
		s.broadcastLocked(feed, live.TypeDelta, d)
	}
}

// sendRaw sends data as an envelope of type typ to the feed's subscribers.
func (s *fakeServer) sendRaw(feed, typ, data string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conns {
		if c.subs[live.Channel(feed)] {
			c.send(protocol.Envelope{Type: typ, Channel: live.Channel(feed), Data: json.RawMessage(data)})
		}
	}
}

func (s *fakeServer) broadcastLocked(feed, typ string, data any) {
	raw, _ := json.Marshal(data)
	for _, c := range s.conns {
		if c.subs[live.Channel(feed)] {
			c.send(protocol.Envelope{Type: typ, Channel: live.Channel(feed), Data: raw})
		}
	}
}

// snapshot returns the feed as the server has it.
func (s *fakeServer) snapshot(feed string) live.Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.feeds[feed].Snapshot()
}

// drop ends every connection and refuses new ones while refuse is true.
func (s *fakeServer) drop(refuse bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse = refuse
	for _, c := range s.conns {
		c.close()
	}
	s.conns = nil
}

func (s *fakeServer) setRefuse(refuse bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse = refuse
}

func (s *fakeServer) counts() (dials, resyncs, polls int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dials, s.resyncs, s.polls
}

// handle answers the envelopes the client wrote.
func (s *fakeServer) handle(c *fakeConn, frame []byte) {
	envs, _ := protocol.DecodeFrame(frame)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range envs {
		name, isFeed := strings.CutPrefix(e.Channel, "live:")
		v := s.feeds[name]
		switch e.Type {
		case protocol.TypeSubscribe:
			if !isFeed || v == nil {
				data, _ := json.Marshal(protocol.ErrorData{Code: protocol.CodeUnknownFeed, Message: "no feed " + name})
				c.send(protocol.Envelope{Type: protocol.TypeError, Channel: e.Channel, Ref: e.Ref, Data: data})
				continue
			}
			c.subs[e.Channel] = true
			c.sendData(live.TypeSnapshot, e.Channel, v.Snapshot())
		case protocol.TypeUnsubscribe:
			delete(c.subs, e.Channel)
		case live.TypeResync:
			s.resyncs++
			if v != nil && c.subs[e.Channel] {
				c.sendData(live.TypeSnapshot, e.Channel, v.Snapshot())
			}
		case protocol.TypePing:
			c.send(protocol.Envelope{Type: protocol.TypePong, Timestamp: e.Timestamp})
		}
	}
}

// ServeHTTP is the polling endpoint: GET /live/<feed> with a bearer token.
func (s *fakeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.polls++
	s.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer secret" {
		http.Error(w, "no token", http.StatusUnauthorized)
		return
	}
	name, _ := strings.CutPrefix(r.URL.Path, "/live/")
	s.mu.Lock()
	v := s.feeds[name]
	s.mu.Unlock()
	if v == nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(s.snapshot(name))
}

// fakeConn is the client's connection to the fake server.
type fakeConn struct {
	srv      *fakeServer
	toClient chan []byte
	done     chan struct{}
	once     sync.Once
	subs     map[string]bool // guarded by srv.mu
}

func (c *fakeConn) Read(ctx context.Context) ([]byte, error) {
	select {
	case b := <-c.toClient:
		return b, nil
	case <-c.done:
		return nil, errors.New("fake: connection closed")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (c *fakeConn) Write(ctx context.Context, frame []byte) error {
	select {
	case <-c.done:
		return errors.New("fake: write on a closed connection")
	default:
	}
	c.srv.handle(c, frame)
	return nil
}

func (c *fakeConn) Close(code int, reason string) error {
	c.close()
	return nil
}

func (c *fakeConn) close() { c.once.Do(func() { close(c.done) }) }

func (c *fakeConn) send(e protocol.Envelope) {
	b, _ := protocol.Encode(e)
	select {
	case c.toClient <- b:
	case <-c.done:
	}
}

func (c *fakeConn) sendData(typ, channel string, data any) {
	raw, _ := json.Marshal(data)
	c.send(protocol.Envelope{Type: typ, Channel: channel, Data: raw})
}

// harness is a ws client on the fake network (wall clock, short delays),
// and feeds on a fake clock whose renders are recorded.
type harness struct {
	t      *testing.T
	srv    *fakeServer
	clock  *clock.Fake
	client *ws.Client
}

func newHarness(t *testing.T, cfg ws.Config) *harness {
	t.Helper()
	h := &harness{t: t, srv: newFakeServer(), clock: clock.NewFake()}
	if cfg.URL == "" {
		cfg.URL = "ws://fake/ws"
		cfg.Dialer = h.srv.dial
	}
	cfg.ReconnectDelay = 5 * time.Millisecond
	cfg.MaxReconnectDelay = 20 * time.Millisecond
	cfg.MaxReconnectAttempts = -1
	cfg.PingInterval = -1
	cfg.DialTimeout = time.Second
	c, err := ws.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.client = c
	t.Cleanup(c.Close)
	return h
}

// feedRun is a feed with its renders and errors recorded.
type feedRun struct {
	h       *harness
	feed    *live.Feed
	renders chan live.State
	errs    chan error
	last    live.State // the last render seen by wait
	count   int        // renders seen by wait
}

func (h *harness) subscribe(name string, opts live.Options) *feedRun {
	h.t.Helper()
	opts.Clock = h.clock
	f, err := live.Subscribe(h.client, name, opts)
	if err != nil {
		h.t.Fatal(err)
	}
	r := &feedRun{h: h, feed: f, renders: make(chan live.State, 10000), errs: make(chan error, 100)}
	f.OnChange(func(s live.State) { r.renders <- s })
	f.OnError(func(err error) { r.errs <- err })
	h.t.Cleanup(f.Close)
	return r
}

// wait advances the fake clock a frame at a time until a render satisfies
// ok, and returns it.
func (r *feedRun) wait(what string, ok func(live.State) bool) live.State {
	r.h.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for time.Now().Before(deadline) {
		r.h.clock.Advance(time.Millisecond)
		for {
			select {
			case s := <-r.renders:
				r.last, r.count = s, r.count+1
				if ok(s) {
					return s
				}
				continue
			case <-time.After(time.Millisecond):
			}
			break
		}
	}
	r.h.t.Fatalf("%s: never rendered; last render %s, state %s", what, describe(r.last), describe(r.feed.State()))
	return live.State{}
}

// waitLive waits until a render shows the server's feed, live.
func (r *feedRun) waitLive(what string) live.State {
	r.h.t.Helper()
	want := r.h.srv.snapshot(r.feed.Name())
	return r.wait(what, func(s live.State) bool { return s.Status == live.StatusLive && sameAs(s, want) })
}

// wantResyncs checks how many live.resync requests reached the server.
func (h *harness) wantResyncs(n int) {
	h.t.Helper()
	if _, resyncs, _ := h.srv.counts(); resyncs != n {
		h.t.Fatalf("%d resyncs reached the server, want %d", resyncs, n)
	}
}

// waitErr waits for an error reported through OnError.
func (r *feedRun) waitErr() error {
	r.h.t.Helper()
	select {
	case err := <-r.errs:
		return err
	case <-time.After(waitTimeout):
		r.h.t.Fatal("no error reported")
		return nil
	}
}

// quiet advances the fake clock by d and fails on any render.
func (r *feedRun) quiet(d time.Duration) {
	r.h.t.Helper()
	r.h.clock.Advance(d)
	select {
	case s := <-r.renders:
		r.h.t.Fatalf("rendered %s, expected nothing", describe(s))
	case <-time.After(20 * time.Millisecond):
	}
}

func describe(s live.State) string {
	var b strings.Builder
	b.WriteString(string(s.Status))
	b.WriteString(" seq ")
	b.WriteString(itoa(s.Seq))
	b.WriteString(" [")
	b.WriteString(strings.Join(keysOf(s.Items), " "))
	b.WriteString("]")
	if s.Err != nil {
		b.WriteString(" err: " + s.Err.Error())
	}
	return b.String()
}

func itoa(n uint64) string { b, _ := json.Marshal(n); return string(b) }

func keysOf(items []live.Item) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.String("id")
	}
	return out
}

// sameAs reports whether a state shows exactly the server's feed.
func sameAs(s live.State, want live.Snapshot) bool {
	if s.Seq != want.Seq || len(s.Items) != len(want.Items) {
		return false
	}
	for i, it := range s.Items {
		w := want.Items[i]
		if it.String("id") != w.String("id") || it.String("v") != w.String("v") {
			return false
		}
	}
	return true
}

func unique(keys []string) bool {
	s := slices.Clone(keys)
	slices.Sort(s)
	return len(slices.Compact(s)) == len(keys)
}

func item(id string, v float64) live.Item { return live.Item{"id": id, "v": v} }
