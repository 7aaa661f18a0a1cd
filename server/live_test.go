package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/matih-ai/realtime/wasm/clock"
	"github.com/matih-ai/realtime/wasm/protocol"
)

// The wire shapes of the contract (notes/live-query-contract.md), decoded
// apart from the server's own types, so a renamed field shows.
type (
	wireSnapshot struct {
		Seq   uint64            `json:"seq"`
		Key   string            `json:"key"`
		Items []json.RawMessage `json:"items"`
		Max   int               `json:"max"`
	}
	wireDelta struct {
		Seq   uint64            `json:"seq"`
		Op    string            `json:"op"`
		Items []json.RawMessage `json:"items"`
		Keys  []string          `json:"keys"`
	}
)

// liveView is a feed as a client holds it: a snapshot with the deltas
// after it applied.
type liveView struct {
	t     *testing.T
	snap  wireSnapshot
	ops   []string // of the deltas applied, in order
	items []json.RawMessage
	keys  []string // of items
}

func (v *liveView) keyOf(item json.RawMessage) string {
	v.t.Helper()
	var fields map[string]any
	if err := json.Unmarshal(item, &fields); err != nil {
		v.t.Fatalf("item %s: %v", item, err)
	}
	k, ok := fields[v.snap.Key].(string)
	if !ok {
		v.t.Fatalf("item %s has no string %q", item, v.snap.Key)
	}
	return k
}

func (v *liveView) reset(s wireSnapshot) {
	v.snap = s
	v.items, v.keys = nil, nil
	v.add(s.Items...)
}

func (v *liveView) add(items ...json.RawMessage) {
	for _, it := range items {
		v.items = append(v.items, it)
		v.keys = append(v.keys, v.keyOf(it))
	}
}

func (v *liveView) drop(from, to int) {
	v.items = slices.Delete(v.items, from, to)
	v.keys = slices.Delete(v.keys, from, to)
}

// apply applies a delta, which must follow the last one.
func (v *liveView) apply(d wireDelta) {
	v.t.Helper()
	if d.Seq != v.snap.Seq+1 {
		v.t.Fatalf("delta %d after %d", d.Seq, v.snap.Seq)
	}
	v.snap.Seq = d.Seq
	v.ops = append(v.ops, d.Op)
	switch d.Op {
	case "append":
		v.add(d.Items...)
		if v.snap.Max > 0 && len(v.items) > v.snap.Max {
			v.drop(0, len(v.items)-v.snap.Max)
		}
	case "upsert":
		for _, it := range d.Items {
			if i := slices.Index(v.keys, v.keyOf(it)); i >= 0 {
				v.items[i] = it
			} else {
				v.add(it)
			}
		}
	case "remove":
		for _, k := range d.Keys {
			if i := slices.Index(v.keys, k); i >= 0 {
				v.drop(i, i+1)
			}
		}
	case "replace":
		v.reset(wireSnapshot{Seq: d.Seq, Key: v.snap.Key, Items: d.Items, Max: v.snap.Max})
	default:
		v.t.Fatalf("unknown op %q", d.Op)
	}
}

// equal fails the test unless v holds what s does.
func (v *liveView) equal(s wireSnapshot) {
	v.t.Helper()
	if v.snap.Seq != s.Seq || v.snap.Key != s.Key || v.snap.Max != s.Max {
		v.t.Fatalf("view at seq %d key %q max %d, server at %d %q %d", v.snap.Seq, v.snap.Key, v.snap.Max, s.Seq, s.Key, s.Max)
	}
	same := func(a, b json.RawMessage) bool { return bytes.Equal(a, b) }
	if !slices.EqualFunc(v.items, s.Items, same) {
		v.t.Fatalf("view items\n%s\nserver items\n%s", v.items, s.Items)
	}
}

// subscribeLive subscribes to a feed: its snapshot comes, then the ack.
func (c *testConn) subscribeLive(feed string) *liveView {
	c.t.Helper()
	ch := "live:" + feed
	c.send(protocol.Envelope{Type: protocol.TypeSubscribe, Channel: ch, Ref: "sub"})
	v := &liveView{t: c.t}
	v.reset(decode[wireSnapshot](c.t, c.expect(typeLiveSnapshot, ch, "")))
	// The ack comes once the subscribe is handled; a feed that changed
	// since the snapshot (on the wall clock, TestLiveRealClock) may send
	// deltas first.
	for {
		e := c.next()
		switch {
		case e.Type == protocol.TypeAck && e.Channel == ch && e.Ref == "sub":
			return v
		case e.Type == typeLiveDelta && e.Channel == ch:
			v.apply(decode[wireDelta](c.t, e))
		default:
			c.t.Fatalf("got %+v (data %s), want a delta of %q or the ack of its subscribe", e, e.Data, ch)
		}
	}
}

// follow applies the deltas of the view's feed until it reaches seq.
func (c *testConn) follow(v *liveView, feed string, seq uint64) {
	c.t.Helper()
	for v.snap.Seq < seq {
		v.apply(decode[wireDelta](c.t, c.expect(typeLiveDelta, "live:"+feed, "")))
	}
}

// poll gets GET /live/<feed>; query carries the token, if any.
func poll(t *testing.T, hs *httptest.Server, feed, query string) (int, wireSnapshot) {
	t.Helper()
	code, body := get(t, hs.Client(), hs.URL+"/live/"+feed+query)
	var s wireSnapshot
	if code == http.StatusOK {
		if err := json.Unmarshal([]byte(body), &s); err != nil {
			t.Fatalf("GET /live/%s: %q: %v", feed, body, err)
		}
	}
	return code, s
}

// burstFeed posts a burst and returns the seq after it.
func burstFeed(t *testing.T, hs *httptest.Server, feed, n string) uint64 {
	t.Helper()
	code, body, _ := request(t, hs, "POST", "/live/burst?feed="+feed+"&n="+n, "", "")
	var res struct {
		Seq uint64 `json:"seq"`
	}
	if err := json.Unmarshal([]byte(body), &res); code != http.StatusOK || err != nil {
		t.Fatalf("burst: %d %q (%v)", code, body, err)
	}
	return res.Seq
}

func TestLiveSnapshotThenDeltas(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake()
	_, hs := newTestServer(t, Options{Clock: clk})
	oc, orders := readerOf(t, hs, "orders")
	if orders.snap.Key != "id" || orders.snap.Max != 0 || len(orders.items) != ordersRows {
		t.Fatalf("orders snapshot %+v, want %d rows keyed by id", orders.snap, ordersRows)
	}
	mc, metrics := readerOf(t, hs, "metrics")
	if metrics.snap.Max != metricsKeep || len(metrics.items) != metricsKeep {
		t.Fatalf("metrics snapshot of %d items, max %d; want %d", len(metrics.items), metrics.snap.Max, metricsKeep)
	}
	oc.roundTrip() // no delta before the interval

	// Two turnovers of the orders table, and as many points.
	for range 2 * ordersTurnover {
		clk.Advance(DefaultLiveInterval)
	}
	for feed, r := range map[string]struct {
		c *testConn
		v *liveView
	}{"orders": {oc, orders}, "metrics": {mc, metrics}} {
		code, want := poll(t, hs, feed, "")
		if code != http.StatusOK {
			t.Fatalf("GET /live/%s: %d", feed, code)
		}
		r.c.follow(r.v, feed, want.Seq)
		r.v.equal(want)
	}
	if n := len(metrics.ops); n != 2*ordersTurnover || slices.ContainsFunc(metrics.ops, func(op string) bool { return op != "append" }) {
		t.Errorf("metrics ops %v, want one append a tick", metrics.ops)
	}
	if !slices.Contains(orders.ops, "remove") || !slices.Contains(orders.ops, "upsert") || len(orders.items) != ordersRows {
		t.Errorf("orders ops %v with %d rows, want upserts and a turnover keeping %d rows", orders.ops, len(orders.items), ordersRows)
	}
}

// readerOf subscribes to a feed on a new connection.
func readerOf(t *testing.T, hs *httptest.Server, feed string) (*testConn, *liveView) {
	t.Helper()
	c := dial(t, hs, "", nil)
	return c, c.subscribeLive(feed)
}

// TestLiveBurst applies a burst of 1000 upserts on the client side and
// finds the server's state; the burst paces itself to the readers, so
// even with a small send buffer nobody is closed as too slow.
func TestLiveBurst(t *testing.T) {
	t.Parallel()
	_, hs := newTestServer(t, Options{Clock: clock.NewFake(), SendBuffer: 16})
	a, va := readerOf(t, hs, "orders")
	b, vb := readerOf(t, hs, "orders")

	seq := burstFeed(t, hs, "orders", "1000")
	if want := va.snap.Seq + 1000; seq != want {
		t.Fatalf("seq after the burst %d, want %d", seq, want)
	}
	_, want := poll(t, hs, "orders", "")
	for _, r := range []struct {
		c *testConn
		v *liveView
	}{{a, va}, {b, vb}} {
		r.c.follow(r.v, "orders", seq)
		r.v.equal(want)
		if slices.ContainsFunc(r.v.ops, func(op string) bool { return op != "upsert" }) {
			t.Fatalf("burst ops %v, want upserts", r.v.ops)
		}
	}
}

func TestLiveResync(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake()
	_, hs := newTestServer(t, Options{Clock: clk})
	c := dial(t, hs, "", nil)
	v := c.subscribeLive("orders")
	for range 3 {
		clk.Advance(DefaultLiveInterval)
	}
	c.follow(v, "orders", v.snap.Seq+3)

	c.send(protocol.Envelope{Type: typeLiveResync, Channel: "live:orders", Ref: "r"})
	s := decode[wireSnapshot](t, c.expect(typeLiveSnapshot, "live:orders", ""))
	c.expect(protocol.TypeAck, "live:orders", "r")
	v.equal(s)
	v.reset(s)
	clk.Advance(DefaultLiveInterval)
	c.follow(v, "orders", s.Seq+1) // numbering goes on from the snapshot

	// A connection that does not follow the feed gets the snapshot alone.
	other := dial(t, hs, "", nil)
	other.send(protocol.Envelope{Type: typeLiveResync, Channel: "live:orders"})
	if s := decode[wireSnapshot](t, other.expect(typeLiveSnapshot, "live:orders", "")); s.Seq != v.snap.Seq {
		t.Fatalf("snapshot at %d, want %d", s.Seq, v.snap.Seq)
	}
	clk.Advance(DefaultLiveInterval)
	other.roundTrip()
}

func TestLiveUnknownFeed(t *testing.T) {
	t.Parallel()
	s, hs := newTestServer(t, Options{})
	c := dial(t, hs, "", nil)
	for _, env := range []protocol.Envelope{
		{Type: protocol.TypeSubscribe, Channel: "live:nope", Ref: "1"},
		{Type: typeLiveResync, Channel: "live:nope", Ref: "2"},
	} {
		c.send(env)
		e := c.expect(protocol.TypeError, "live:nope", env.Ref)
		if d := decode[protocol.ErrorData](t, e); d.Code != protocol.CodeUnknownFeed || !strings.Contains(d.Message, "nope") {
			t.Fatalf("%s: error %+v, want unknown_feed naming the feed", env.Type, d)
		}
	}
	if n := s.Subscribers("live:nope"); n != 0 {
		t.Fatalf("%d subscribers of an unknown feed", n)
	}
	c.refused(protocol.Envelope{Type: typeLiveResync, Channel: "chat:orders", Ref: "3"}, protocol.CodeBadChannel)
	c.roundTrip()
}

func TestLiveHTTP(t *testing.T) {
	t.Parallel()
	s, hs := newTestServer(t, Options{Auth: StaticToken("s3cret"), Clock: clock.NewFake()})
	if _, err := s.NewFeed("board", "id", 0); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, method, path, auth string
		code                     int
		body                     string
	}{
		{"poll without a token", "GET", "/live/orders", "", 401, "missing token"},
		{"poll with a wrong token", "GET", "/live/orders?token=nope", "", 401, "invalid token"},
		{"poll an unknown feed", "GET", "/live/nope", "Bearer s3cret", 404, "unknown feed"},
		{"burst without a token", "POST", "/live/burst?feed=orders&n=1", "", 401, "missing token"},
		{"burst without a feed", "POST", "/live/burst?n=1", "Bearer s3cret", 400, "missing feed"},
		{"burst of none", "POST", "/live/burst?feed=orders&n=0", "Bearer s3cret", 400, "from 1 to 10000"},
		{"burst too big", "POST", "/live/burst?feed=orders&n=10001", "Bearer s3cret", 400, "from 1 to 10000"},
		{"burst of words", "POST", "/live/burst?feed=orders&n=many", "Bearer s3cret", 400, "from 1 to 10000"},
		{"burst an unknown feed", "POST", "/live/burst?feed=nope&n=1", "Bearer s3cret", 404, "unknown feed"},
		{"burst a feed without a demo", "POST", "/live/burst?feed=board&n=1", "Bearer s3cret", 400, "no demo"},
		{"burst by GET", "GET", "/live/burst?feed=orders&n=1", "Bearer s3cret", 404, "unknown feed"},
	} {
		if code, body, _ := request(t, hs, tc.method, tc.path, tc.auth, ""); code != tc.code || !strings.Contains(body, tc.body) {
			t.Errorf("%s: %d %q, want %d with %q", tc.name, code, body, tc.code, tc.body)
		}
	}

	code, body, h := request(t, hs, "GET", "/live/orders", "Bearer s3cret", "")
	var snap wireSnapshot
	if err := json.Unmarshal([]byte(body), &snap); code != 200 || err != nil || h.Get("Content-Type") != "application/json" || h.Get("Cache-Control") != "no-store" {
		t.Fatalf("poll: %d %v %q (%v)", code, h, body, err)
	}
	if snap.Key != "id" || len(snap.Items) != ordersRows {
		t.Fatalf("poll: %+v, want %d rows", snap, ordersRows)
	}
	if code, body, _ := request(t, hs, "POST", "/live/burst?feed=orders&n=5&token=s3cret", "", ""); code != 200 || body != `{"seq":`+strconv.FormatUint(snap.Seq+5, 10)+"}\n" {
		t.Fatalf("burst: %d %q, want seq %d", code, body, snap.Seq+5)
	}
	if code, _ := poll(t, hs, "board", "?token=s3cret"); code != 200 {
		t.Fatalf("poll an empty feed: %d", code)
	}
}

// TestFeedOps drives a feed of the Go API through every op and checks
// what a subscriber makes of it.
func TestFeedOps(t *testing.T) {
	t.Parallel()
	s, hs := newTestServer(t, Options{})
	f, err := s.NewFeed("board", "key", 3)
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, hs, "", nil)
	v := c.subscribeLive("board")
	if v.snap.Seq != 0 || v.snap.Max != 3 || v.snap.Items == nil || len(v.items) != 0 {
		t.Fatalf("empty feed snapshot %+v, want seq 0, max 3, no items", v.snap)
	}
	type row struct {
		Key string `json:"key"`
		N   int    `json:"n"`
	}
	must := func(seq uint64, err error) uint64 {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return seq
	}
	must(f.Append(row{"a", 1}, row{"b", 1}))
	must(f.Append(row{"c", 1}, map[string]any{"key": "d", "extra": true})) // a goes: max 3
	must(f.Upsert(row{"c", 2}))
	f.Remove("b", "zz")
	must(f.Upsert(row{"e", 1}, row{"c", 3}))
	if seq := f.Remove("zz"); seq != 5 {
		t.Fatalf("removing nothing: seq %d, want 5 and no delta", seq)
	}
	if seq := must(f.Append()); seq != 5 {
		t.Fatalf("appending nothing: seq %d, want 5", seq)
	}

	for _, tc := range []struct {
		name string
		do   func() (uint64, error)
	}{
		{"append a key held", func() (uint64, error) { return f.Append(row{"c", 9}) }},
		{"append without the key", func() (uint64, error) { return f.Append(map[string]int{"n": 1}) }},
		{"append a number key", func() (uint64, error) { return f.Append(map[string]int{"key": 1}) }},
		{"append an empty key", func() (uint64, error) { return f.Append(row{"", 1}) }},
		{"append a non-object", func() (uint64, error) { return f.Append(42) }},
		{"append what JSON cannot hold", func() (uint64, error) { return f.Append(func() {}) }},
		{"upsert past the max", func() (uint64, error) { return f.Upsert(row{"x", 1}, row{"y", 1}) }},
		{"replace with a key twice", func() (uint64, error) { return f.Replace(row{"x", 1}, row{"x", 2}) }},
		{"replace past the max", func() (uint64, error) { return f.Replace(row{"w", 1}, row{"x", 1}, row{"y", 1}, row{"z", 1}) }},
	} {
		if _, err := tc.do(); !errors.Is(err, errBadItem) {
			t.Errorf("%s: %v, want errBadItem", tc.name, err)
		}
	}
	if got := f.Seq(); got != 5 {
		t.Fatalf("seq %d after refusals, want 5", got)
	}
	must(f.Replace(row{"p", 1}, row{"q", 1}))

	_, want := poll(t, hs, "board", "")
	c.follow(v, "board", want.Seq)
	v.equal(want)
	if !slices.Equal(v.ops, []string{"append", "append", "upsert", "remove", "upsert", "replace"}) {
		t.Fatalf("ops %v", v.ops)
	}

	for _, tc := range []struct{ name, feed, key string }{
		{"taken", "board", "key"},
		{"with a space", "a b", "id"},
		{"with a colon", "a:b", "id"},
		{"empty", "", "id"},
		{"without a key", "keyless", ""},
	} {
		if _, err := s.NewFeed(tc.feed, tc.key, 0); err == nil {
			t.Errorf("NewFeed %s succeeded", tc.name)
		}
	}
}

// TestLiveRealClock runs the demo feed on the wall clock and stops it at
// Shutdown (TestMain checks that no timer goroutine is left).
func TestLiveRealClock(t *testing.T) {
	t.Parallel()
	_, hs := newTestServer(t, Options{LiveInterval: time.Millisecond})
	c := dial(t, hs, "", nil)
	v := c.subscribeLive("metrics")
	c.follow(v, "metrics", v.snap.Seq+20)
}
