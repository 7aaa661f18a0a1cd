package live_test

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/matih-ai/realtime/wasm/live"
	"github.com/matih-ai/realtime/wasm/ws"
)

func upsert(id string, v float64) live.Delta {
	return live.Delta{Op: live.OpUpsert, Items: []live.Item{item(id, v)}}
}

// liveFeed connects and waits for the first snapshot of "orders".
func liveFeed(t *testing.T, opts live.Options) (*harness, *feedRun) {
	t.Helper()
	h := newHarness(t, ws.Config{})
	h.srv.addFeed(t, "orders", 0, item("r1", 1), item("r2", 2), item("r3", 3))
	r := h.subscribe("orders", opts)
	h.client.Connect()
	r.waitLive("the first snapshot")
	return h, r
}

func TestFeedSnapshotThenDeltas(t *testing.T) {
	t.Parallel()
	h, r := liveFeed(t, live.Options{})
	h.srv.change(t, "orders", upsert("r2", 20), false)
	h.srv.change(t, "orders", live.Delta{Op: live.OpAppend, Items: []live.Item{item("r4", 4)}}, false)
	h.srv.change(t, "orders", live.Delta{Op: live.OpRemove, Keys: []string{"r1"}}, false)
	s := r.waitLive("the deltas")
	if s.Key != "id" || s.Err != nil || !s.StaleSince.IsZero() {
		t.Fatalf("state %s, stale since %v", describe(s), s.StaleSince)
	}
	if got := strings.Join(keysOf(s.Items), " "); got != "r2 r3 r4" {
		t.Fatalf("keys %s", got)
	}
	if st := r.feed.Stats(); st.Snapshots != 1 || st.Deltas != 3 || st.Gaps != 0 || st.Resyncs != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestFeedGapResyncs(t *testing.T) {
	t.Parallel()
	h, r := liveFeed(t, live.Options{})
	h.srv.change(t, "orders", upsert("r1", 10), true) // lost on the way
	h.srv.change(t, "orders", upsert("r2", 20), false)
	h.srv.change(t, "orders", upsert("r3", 30), false)
	r.waitLive("the fresh snapshot")
	h.wantResyncs(1)
	if st := r.feed.Stats(); st.Gaps != 1 || st.Resyncs != 1 || st.Snapshots != 2 {
		t.Fatalf("stats %+v", st)
	}
	// The feed goes on from the fresh snapshot.
	h.srv.change(t, "orders", upsert("r9", 9), false)
	r.waitLive("a delta after the resync")
}

// A server whose data keeps going wrong gets one resync a second at most.
func TestFeedResyncsAreSpaced(t *testing.T) {
	t.Parallel()
	h, r := liveFeed(t, live.Options{})
	gap := func() {
		h.srv.change(t, "orders", upsert("r1", 1), true)
		h.srv.change(t, "orders", upsert("r2", 2), false)
	}
	gap()
	r.waitLive("the first resync")
	gap()
	r.wait("the second gap", func(s live.State) bool { return s.Status == live.StatusStale })
	h.wantResyncs(1)
	h.clock.Advance(time.Second)
	r.waitLive("the second resync")
	h.wantResyncs(2)
}

func TestFeedBadDeltaResyncs(t *testing.T) {
	t.Parallel()
	h, r := liveFeed(t, live.Options{})
	h.srv.sendRaw("orders", live.TypeDelta, `{"seq":4,"op":"append","items":[42]}`)
	if err := r.waitErr(); !errors.Is(err, live.ErrBadData) || !strings.Contains(err.Error(), "not a JSON object") {
		t.Fatalf("error %v, want ErrBadData about the item", err)
	}
	h.srv.change(t, "orders", upsert("r1", 5), false)
	s := r.waitLive("the fresh snapshot")
	if s.Err != nil {
		t.Fatalf("a good snapshot left the error %v", s.Err)
	}
	h.wantResyncs(1)
}

func TestFeedReconnect(t *testing.T) {
	t.Parallel()
	h, r := liveFeed(t, live.Options{})
	dropped := h.clock.Now()
	h.srv.drop(true)
	s := r.wait("stale", func(s live.State) bool { return s.Status == live.StatusStale })
	if len(s.Items) != 3 || s.StaleSince.Before(dropped) || s.StaleSince.After(h.clock.Now()) {
		t.Fatalf("stale state %s since %v, want the 3 rows since the drop at %v", describe(s), s.StaleSince, dropped)
	}
	h.clock.Advance(3 * time.Second)
	if age := r.feed.State().Age(h.clock.Now()); age < 3*time.Second {
		t.Fatalf("age %v, want at least 3s", age)
	}
	// The feed moves on while the client is away.
	h.srv.change(t, "orders", upsert("r2", 22), false)
	h.srv.change(t, "orders", live.Delta{Op: live.OpAppend, Items: []live.Item{item("r4", 4), item("r1", 11)}}, false)
	h.srv.setRefuse(false)
	want := h.srv.snapshot("orders")
	s = r.wait("live again", func(s live.State) bool { return s.Status == live.StatusLive })
	if !sameAs(s, want) || !unique(keysOf(s.Items)) {
		t.Fatalf("after the reconnect %s, want %v", describe(s), keysOf(want.Items))
	}
	if !s.StaleSince.IsZero() {
		t.Fatal("a live feed says stale since")
	}
	h.wantResyncs(0)
}

func TestFeedPause(t *testing.T) {
	t.Parallel()
	h, r := liveFeed(t, live.Options{})
	before := h.srv.snapshot("orders")
	r.feed.Pause()
	s := r.wait("the pause", func(s live.State) bool { return s.Status == live.StatusPaused })
	if !sameAs(s, before) {
		t.Fatalf("paused on %s", describe(s))
	}
	for i := range 50 {
		h.srv.change(t, "orders", upsert(fmt.Sprint("p", i%5), float64(i)), false)
	}
	want := h.srv.snapshot("orders")
	// Give the client time to take the deltas in; nothing renders.
	deadline := time.Now().Add(waitTimeout)
	for r.feed.Stats().Deltas < 50 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	r.quiet(time.Second)
	if s := r.feed.State(); s.Status != live.StatusPaused || !sameAs(s, before) {
		t.Fatalf("State while paused: %s", describe(s))
	}
	r.feed.Resume()
	s = r.wait("the resume", func(s live.State) bool { return true })
	if s.Status != live.StatusLive || !sameAs(s, want) {
		t.Fatalf("resumed on %s, want the latest %v", describe(s), keysOf(want.Items))
	}
}

func TestFeedCoalesces(t *testing.T) {
	t.Parallel()
	h, r := liveFeed(t, live.Options{})
	start, renders := h.clock.Now(), r.count
	const n = 500
	for i := range n {
		h.srv.change(t, "orders", upsert(fmt.Sprint("b", i%20), float64(i)), false)
	}
	r.waitLive("the end of the burst")
	elapsed, got := h.clock.Now().Sub(start), r.count-renders
	bound := int(math.Ceil(float64(elapsed)/float64(live.DefaultFrame))) + 1
	if got > bound {
		t.Fatalf("%d renders in %v of the fake clock, bound %d", got, elapsed, bound)
	}
	st := r.feed.Stats()
	t.Logf("%d deltas: %d renders in %v (bound %d); render stats %+v", n, got, elapsed, bound, st.Render)
}

// A feed started on a connected client takes the snapshot and the deltas
// after it, whatever else the client reports meanwhile.
func TestFeedOnAConnectedClient(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ws.Config{})
	h.srv.addFeed(t, "orders", 0, item("r1", 1))
	connected := make(chan struct{})
	h.client.OnStatus(func(s ws.Status) {
		if s == ws.StatusConnected {
			close(connected)
		}
	})
	h.client.Connect()
	<-connected
	r := h.subscribe("orders", live.Options{})
	// A message sent makes the client report its state again.
	if err := h.client.Publish("echo:x", "hi"); err != nil {
		t.Fatal(err)
	}
	r.waitLive("the snapshot")
	for i := range 3 {
		if err := h.client.Publish("echo:x", i); err != nil {
			t.Fatal(err)
		}
		h.srv.change(t, "orders", upsert("r1", float64(10+i)), false)
	}
	r.waitLive("the deltas")
	h.wantResyncs(0)
}

// A second feed on a channel already subscribed asks for its own snapshot.
func TestFeedSharedChannel(t *testing.T) {
	t.Parallel()
	h, _ := liveFeed(t, live.Options{})
	r2 := h.subscribe("orders", live.Options{})
	r2.waitLive("the second feed's snapshot")
}

func TestFeedUnknown(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ws.Config{})
	h.srv.addFeed(t, "orders", 0)
	other := h.subscribe("orders", live.Options{})
	r := h.subscribe("nope", live.Options{})
	h.client.Connect()
	err := r.waitErr()
	if !errors.Is(err, live.ErrUnknownFeed) || !strings.Contains(err.Error(), `"nope"`) {
		t.Fatalf("error %v, want ErrUnknownFeed naming the feed", err)
	}
	s := r.wait("the error", func(s live.State) bool { return s.Err != nil })
	if s.Status != live.StatusLoading || !errors.Is(s.Err, live.ErrUnknownFeed) {
		t.Fatalf("state %s", describe(s))
	}
	select {
	case err := <-other.errs:
		t.Fatalf("another feed got the error: %v", err)
	case <-time.After(20 * time.Millisecond):
	}
}

// closedPort returns a local address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestFeedPollsWhenTheWebSocketNeverConnects(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ws.Config{URL: "ws://" + closedPort(t) + "/ws", AuthToken: "secret"})
	h.srv.addFeed(t, "metrics", 3, item("1", 0.5), item("2", 0.7))
	hs := httptest.NewServer(h.srv)
	t.Cleanup(hs.Close)
	r := h.subscribe("metrics", live.Options{PollURL: hs.URL + "/live/metrics"})
	h.client.Connect()

	// Nothing before PollAfter.
	h.clock.Advance(live.DefaultPollAfter - time.Millisecond)
	if _, _, polls := h.srv.counts(); polls != 0 {
		t.Fatalf("%d polls before PollAfter", polls)
	}
	if s := r.feed.State(); s.Status != live.StatusLoading {
		t.Fatalf("status %s before any data", s.Status)
	}
	h.clock.Advance(time.Millisecond)
	want := h.srv.snapshot("metrics")
	r.wait("the first poll", func(s live.State) bool {
		return s.Status == live.StatusPolling && sameAs(s, want) && s.StaleSince.IsZero()
	})

	// Each interval brings the feed as it is then.
	h.srv.change(t, "metrics", live.Delta{Op: live.OpAppend, Items: []live.Item{item("3", 0.1), item("4", 0.2)}}, false)
	want = h.srv.snapshot("metrics")
	h.clock.Advance(live.DefaultPollInterval)
	s := r.wait("the second poll", func(s live.State) bool { return sameAs(s, want) })
	if got := strings.Join(keysOf(s.Items), " "); got != "2 3 4" || s.Max != 3 {
		t.Fatalf("keys %s max %d", got, s.Max)
	}
	if st := h.client.State(); st.Status == ws.StatusConnected {
		t.Fatal("the WebSocket connected to a closed port")
	}
}

func TestFeedPollingStopsOnConnect(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ws.Config{AuthToken: "secret"})
	h.srv.addFeed(t, "orders", 0, item("r1", 1))
	h.srv.setRefuse(true)
	hs := httptest.NewServer(h.srv)
	t.Cleanup(hs.Close)
	r := h.subscribe("orders", live.Options{PollURL: hs.URL + "/live/orders", PollAfter: time.Second, PollInterval: 500 * time.Millisecond})
	h.client.Connect()
	h.clock.Advance(time.Second)
	r.wait("polling", func(s live.State) bool { return s.Status == live.StatusPolling && len(s.Items) == 1 })

	h.srv.change(t, "orders", upsert("r2", 2), false)
	h.srv.setRefuse(false)
	r.waitLive("live over the WebSocket")
	_, _, polls := h.srv.counts()
	for range 5 {
		h.clock.Advance(500 * time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // a stray poll would be on its way
	if _, _, after := h.srv.counts(); after != polls {
		t.Fatalf("%d polls after the WebSocket connected", after-polls)
	}
	if st := r.feed.Stats(); st.Polls == 0 {
		t.Fatalf("stats %+v: no poll counted", st)
	}
}

func TestFeedPollErrors(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ws.Config{AuthToken: "secret"})
	h.srv.setRefuse(true)
	hs := httptest.NewServer(h.srv)
	t.Cleanup(hs.Close)
	r := h.subscribe("gone", live.Options{PollURL: hs.URL + "/live/gone"})
	h.client.Connect()
	h.clock.Advance(live.DefaultPollAfter)
	if err := r.waitErr(); !errors.Is(err, live.ErrUnknownFeed) || !strings.Contains(err.Error(), "404") {
		t.Fatalf("error %v, want ErrUnknownFeed from a 404", err)
	}
	s := r.wait("the error", func(s live.State) bool { return s.Err != nil })
	if s.Status != live.StatusPolling {
		t.Fatalf("status %s", s.Status)
	}
}

func TestOptions(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ws.Config{})
	for _, tc := range []struct {
		feed string
		opts live.Options
		msg  string
	}{
		{"", live.Options{}, "channel"},
		{"a b", live.Options{}, "character"},
		{"ok", live.Options{Frame: -1}, "frame"},
		{"ok", live.Options{PollInterval: -1}, "pollInterval"},
		{"ok", live.Options{PollURL: "/live/ok"}, "pollURL"},
		{"ok", live.Options{PollURL: "ws://host/live/ok"}, "pollURL"},
	} {
		_, err := live.Subscribe(h.client, tc.feed, tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Fatalf("feed %q %+v: err %v, want one about %s", tc.feed, tc.opts, err, tc.msg)
		}
	}
}

func TestPollURLFor(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ ws, want string }{
		{"ws://localhost:8080/ws", "http://localhost:8080/live/metrics"},
		{"wss://example.com/rt/ws?token=x", "https://example.com/rt/live/metrics"},
		{"ws://host", "http://host/live/metrics"},
	} {
		got, err := live.PollURLFor(tc.ws, "metrics")
		if err != nil || got != tc.want {
			t.Fatalf("PollURLFor(%s) = %s, %v; want %s", tc.ws, got, err, tc.want)
		}
	}
	if _, err := live.PollURLFor("http://host/ws", "metrics"); err == nil {
		t.Fatal("an http address was taken for a WebSocket one")
	}
}
