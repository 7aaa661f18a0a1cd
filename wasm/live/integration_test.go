//go:build !js

// The server package links coder/websocket's Accept, which does not exist
// for GOOS=js, so these tests run natively only.

package live_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/matih-ai/realtime/server"
	"github.com/matih-ai/realtime/wasm/live"
	"github.com/matih-ai/realtime/wasm/ws"
)

// realServer is the bundled server on 127.0.0.1, its demo feeds changing
// only when a test bursts them.
type realServer struct {
	t     *testing.T
	hs    *httptest.Server
	mu    sync.Mutex
	conns []*killable // every connection dialed, to drop them
}

func startServer(t *testing.T) *realServer {
	t.Helper()
	srv := server.New(server.Options{LiveInterval: time.Hour})
	s := &realServer{t: t, hs: httptest.NewServer(srv)}
	t.Cleanup(func() {
		s.hs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return s
}

func (s *realServer) wsURL() string { return "ws" + strings.TrimPrefix(s.hs.URL, "http") + "/ws" }

// dial dials the server and keeps the connection, for drop.
func (s *realServer) dial(ctx context.Context, url string, opts ws.DialOptions) (ws.Conn, error) {
	c, err := ws.DialWebSocket(ctx, url, opts)
	if err != nil {
		return nil, err
	}
	k := &killable{Conn: c, dead: make(chan struct{})}
	s.mu.Lock()
	s.conns = append(s.conns, k)
	s.mu.Unlock()
	return k, nil
}

// drop ends every connection from the client's side, as a network
// failure would: its reads fail and it reconnects.
func (s *realServer) drop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range s.conns {
		k.once.Do(func() { close(k.dead) })
	}
	s.conns = nil
}

// killable is a connection whose reads a test can make fail.
type killable struct {
	ws.Conn
	dead chan struct{}
	once sync.Once
}

func (k *killable) Read(ctx context.Context) ([]byte, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-k.dead:
			cancel()
		case <-ctx.Done():
		}
	}()
	return k.Conn.Read(ctx)
}

// burst asks the server for n changes of feed and returns the seq after them.
func (s *realServer) burst(feed string, n int) uint64 {
	s.t.Helper()
	resp, err := http.Post(fmt.Sprintf("%s/live/burst?feed=%s&n=%d", s.hs.URL, feed, n), "", nil)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Seq uint64 }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
		s.t.Fatalf("burst: %s, %v", resp.Status, err)
	}
	return out.Seq
}

// snapshot is the feed as GET /live/<feed> gives it.
func (s *realServer) snapshot(feed string) live.Snapshot {
	s.t.Helper()
	resp, err := http.Get(s.hs.URL + "/live/" + feed)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	var snap live.Snapshot
	if err := json.NewDecoder(resp.Body).Decode(&snap); err != nil {
		s.t.Fatal(err)
	}
	return snap
}

// client is a ws client of the real server, with a slow first reconnect so
// that a stale feed is seen.
func (s *realServer) client(cfg ws.Config) *ws.Client {
	s.t.Helper()
	if cfg.URL == "" {
		cfg.URL, cfg.Dialer = s.wsURL(), s.dial
	}
	cfg.ReconnectDelay = 300 * time.Millisecond
	cfg.MaxReconnectAttempts = -1
	cfg.DialTimeout = time.Second
	c, err := ws.New(cfg)
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(c.Close)
	return c
}

// watch records a feed's renders.
func watch(t *testing.T, f *live.Feed) chan live.State {
	states := make(chan live.State, 10000)
	f.OnChange(func(s live.State) { states <- s })
	t.Cleanup(f.Close)
	return states
}

func waitFor(t *testing.T, states chan live.State, what string, ok func(live.State) bool) live.State {
	t.Helper()
	deadline := time.After(waitTimeout)
	for {
		select {
		case s := <-states:
			if ok(s) {
				return s
			}
		case <-deadline:
			t.Fatalf("%s: never seen", what)
			return live.State{}
		}
	}
}

// checkSame fails unless the state shows exactly the server's snapshot.
func checkSame(t *testing.T, s live.State, want live.Snapshot) {
	t.Helper()
	if s.Seq != want.Seq || s.Key != want.Key || s.Max != want.Max || !reflect.DeepEqual(s.Items, want.Items) {
		t.Fatalf("the feed shows seq %d %v,\nthe server has seq %d %v", s.Seq, keysOf(s.Items), want.Seq, keysOf(want.Items))
	}
	if !unique(keysOf(s.Items)) {
		t.Fatalf("duplicate rows: %v", keysOf(s.Items))
	}
}

// liveOnServer starts a server and a feed of it, and waits for it to be live.
func liveOnServer(t *testing.T, feed string) (*realServer, *live.Feed, chan live.State) {
	t.Helper()
	s := startServer(t)
	c := s.client(ws.Config{})
	f, err := live.Subscribe(c, feed, live.Options{})
	if err != nil {
		t.Fatal(err)
	}
	states := watch(t, f)
	c.Connect()
	waitFor(t, states, "live", func(s live.State) bool { return s.Status == live.StatusLive })
	return s, f, states
}

func TestServerBurst(t *testing.T) {
	t.Parallel()
	s, f, states := liveOnServer(t, "orders")
	seq := s.burst("orders", 2000)
	got := waitFor(t, states, "the end of the burst", func(s live.State) bool { return s.Seq >= seq })
	checkSame(t, got, s.snapshot("orders"))
	st := f.Stats()
	t.Logf("2000 upserts: stats %+v", st)
	if st.Render.Renders >= st.Deltas/2 {
		t.Fatalf("%d renders for %d deltas: not coalesced", st.Render.Renders, st.Deltas)
	}
}

func TestServerReconnect(t *testing.T) {
	t.Parallel()
	s, _, states := liveOnServer(t, "orders")
	s.drop()
	stale := waitFor(t, states, "stale", func(s live.State) bool { return s.Status == live.StatusStale })
	if len(stale.Items) == 0 || stale.StaleSince.IsZero() {
		t.Fatalf("stale without data or time: %+v", stale)
	}
	seq := s.burst("orders", 300) // the client misses these
	got := waitFor(t, states, "live again", func(s live.State) bool { return s.Status == live.StatusLive && s.Seq >= seq })
	checkSame(t, got, s.snapshot("orders"))
}

func TestServerPolling(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	c := s.client(ws.Config{URL: "ws://" + closedPort(t) + "/ws"})
	f, err := live.Subscribe(c, "metrics", live.Options{
		PollURL:      s.hs.URL + "/live/metrics",
		PollAfter:    10 * time.Millisecond,
		PollInterval: 20 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	states := watch(t, f)
	c.Connect()
	first := waitFor(t, states, "polling", func(s live.State) bool { return s.Status == live.StatusPolling && s.Key != "" })
	seq := s.burst("metrics", 5)
	got := waitFor(t, states, "the next poll", func(s live.State) bool { return s.Seq >= seq })
	if got.Status != live.StatusPolling || got.Seq <= first.Seq {
		t.Fatalf("status %s seq %d after %d", got.Status, got.Seq, first.Seq)
	}
	checkSame(t, got, s.snapshot("metrics"))
}
