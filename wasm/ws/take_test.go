package ws

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/matih-ai/realtime/wasm/protocol"
)

// offeringConn is a Conn that offers frames the way the browser's does
// through its wasm export (see directConn); Read serves what the test
// queues the usual way.
type offeringConn struct {
	in   chan []byte
	done chan struct{}

	mu    sync.Mutex
	take  func(frame []byte, from takeFrom) int
	relay func(runs []RelayRun) int
	out   [][]byte
}

func (c *offeringConn) Read(ctx context.Context) ([]byte, error) {
	select {
	case f := <-c.in:
		return f, nil
	case <-c.done:
		return nil, errors.New("offering: closed")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (c *offeringConn) Write(_ context.Context, frame []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.out = append(c.out, bytes.Clone(frame)) // the caller may reuse frame
	return nil
}

func (c *offeringConn) Close(int, string) error { return nil }

func (c *offeringConn) offerFrames(take func([]byte, takeFrom) int, relay func([]RelayRun) int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.take, c.relay = take, relay
}

// offerRuns offers the runs of a batch as RelayNow does.
func (c *offeringConn) offerRuns(runs ...RelayRun) int {
	c.mu.Lock()
	relay := c.relay
	c.mu.Unlock()
	return relay(runs)
}

// offer hands frame to the client as realtime.js's export does: in a
// buffer that is overwritten once the call returns.
func (c *offeringConn) offer(frame string) int { return c.offerFrom(frame, fromExport) }

// offerResumed hands frame to the client as go-app's export does, Go
// resumed after it: the frame is the client's to keep.
func (c *offeringConn) offerResumed(frame string) int {
	c.mu.Lock()
	take := c.take
	c.mu.Unlock()
	return take([]byte(frame), fromResumedExport)
}

func (c *offeringConn) offerFrom(frame string, from takeFrom) int {
	c.mu.Lock()
	take := c.take
	c.mu.Unlock()
	buf := []byte(frame)
	n := take(buf, from)
	for i := range buf {
		buf[i] = 'X'
	}
	return n
}

// offerOwn hands frame to the client as the js.Func callback does: the
// frame is the client's to keep.
func (c *offeringConn) offerOwn(frame string) int {
	c.mu.Lock()
	take := c.take
	c.mu.Unlock()
	return take([]byte(frame), fromCallback)
}

func newOffering(t testing.TB) (*Client, *offeringConn) {
	t.Helper()
	conn := &offeringConn{in: make(chan []byte, 10), done: make(chan struct{})}
	return connectedOn(t, conn), conn
}

// connectedOn returns a client connected through conn.
func connectedOn(t testing.TB, conn Conn) *Client {
	t.Helper()
	c, err := New(Config{URL: "ws://127.0.0.1:1/ws", Dialer: func(context.Context, string, DialOptions) (Conn, error) {
		return conn, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	c.Connect()
	waitUntil(t, "connected", func() bool { return c.Status() == StatusConnected })
	return c
}

func waitUntil(t testing.TB, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !ok(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func msgLine(channel string, id int, text string) string {
	return fmt.Sprintf(`{"type":"message","channel":%q,"id":"%d","data":{"text":%q}}`, channel, id, text)
}

func lines(ls ...string) string { return strings.Join(ls, "\n") }

// A frame of messages for inline handlers is delivered during the call
// that brought it (the js.Func callback's), in order, without repeats.
func TestTakeFrameDeliversInlineAtOnce(t *testing.T) {
	c, conn := newOffering(t)
	var got []string
	var kept []protocol.Envelope
	if _, err := c.SubscribeInline("demo:a", func(e protocol.Envelope) {
		got = append(got, e.ID+":"+string(e.Data))
		kept = append(kept, e)
	}); err != nil {
		t.Fatal(err)
	}
	defer func() {
		var ids []string
		for _, e := range kept {
			ids = append(ids, e.Channel+"/"+e.ID)
		}
		if want := "[demo:a/1 demo:a/2 demo:a/3 demo:a/4 demo:a/5]"; fmt.Sprint(ids) != want {
			t.Errorf("kept envelopes read %v, want %s", ids, want)
		}
	}()
	if n := conn.offerOwn(lines(msgLine("demo:a", 1, "one"), msgLine("demo:a", 2, "two"))); n != 0 {
		t.Fatalf("take = %d, want 0 (taken, delivered)", n)
	}
	want := []string{`1:{"text":"one"}`, `2:{"text":"two"}`}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %q, want %q before the call returned", got, want)
	}

	// A repeat is dropped.
	got = nil
	if n := conn.offerOwn(lines(msgLine("demo:a", 2, "two"), msgLine("demo:a", 3, "three"))); n != 0 {
		t.Fatalf("take = %d for a frame with a repeat, want 0", n)
	}
	if want := []string{`3:{"text":"three"}`}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %q, want %q", got, want)
	}

	// A heartbeat is taken too.
	got = nil
	if n := conn.offerOwn(lines(`{"type":"pong"}`, msgLine("demo:a", 4, "four"))); n != 0 {
		t.Fatalf("take = %d for a frame with a pong, want 0", n)
	}
	if len(got) != 1 {
		t.Fatalf("got %q, want message 4", got)
	}
	// Another capability's envelope goes to its channel's handlers too.
	if n := conn.offerOwn(`{"type":"demo.other","channel":"demo:a","id":"5"}`); n != 0 || len(got) != 2 {
		t.Fatalf("take = %d, got %q; want 0, message 5", n, got)
	}
}

// From go-app's export, after which the page resumes Go, inline handlers
// are called as from the js.Func callback; the buffer is the conn's, so
// what they keep is a copy.
func TestTakeFrameFromAResumedExportCallsInlineHandlers(t *testing.T) {
	c, conn := newOffering(t)
	var kept []protocol.Envelope
	if _, err := c.SubscribeInline("demo:a", func(e protocol.Envelope) { kept = append(kept, e) }); err != nil {
		t.Fatal(err)
	}
	if n := conn.offerResumed(lines(msgLine("demo:a", 1, "one"), msgLine("demo:a", 2, "two"))); n != 0 {
		t.Fatalf("take = %d, want 0 (taken, delivered)", n)
	}
	if n := conn.offerResumed(msgLine("demo:a", 2, "two")); n != 0 {
		t.Fatalf("take of a repeat = %d, want 0 (taken, dropped)", n)
	}
	var got []string
	for _, e := range kept {
		got = append(got, e.ID+":"+string(e.Data))
	}
	if want := `[1:{"text":"one"} 2:{"text":"two"}]`; fmt.Sprint(got) != want {
		t.Fatalf("kept %s, want %s (the buffer was overwritten after each call)", got, want)
	}
	// A channel with an ordinary handler is taken too: its handler runs
	// on the callback goroutine, as Go runs after the export.
	queued := make(chan string, 1)
	if _, err := c.Subscribe("demo:b", func(e protocol.Envelope) { queued <- e.ID + ":" + string(e.Data) }); err != nil {
		t.Fatal(err)
	}
	if n := conn.offerResumed(msgLine("demo:b", 1, "b")); n != Routed {
		t.Fatalf("take = %d for an ordinary handler's channel, want Routed (taken, queued)", n)
	}
	if got := <-queued; got != `1:{"text":"b"}` {
		t.Fatalf("the ordinary handler got %s", got)
	}
}

// relayLine is a message as the server writes it (data last), which
// relayFrame reads the head of.
func relayLine(channel string, id int, text string) string {
	b, err := protocol.Encode(protocol.Envelope{Type: protocol.TypeMessage, Channel: channel, ID: fmt.Sprint(id), Data: []byte(fmt.Sprintf("%q", text))})
	if err != nil {
		panic(err)
	}
	return string(b)
}

// A frame of new messages for relays only is left to its reader, whole:
// no handler runs, and the ids count for what comes next.
func TestTakeFrameRelaysWholeFrames(t *testing.T) {
	c, conn := newOffering(t)
	var got []string
	relay := func(e protocol.Envelope) { got = append(got, strings.Clone(e.ID)) }
	if _, err := c.SubscribeRelay("demo:a", relay); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SubscribeRelay("demo:b", relay); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SubscribeRelay("echo:e", relay); err != nil {
		t.Fatal(err)
	}
	frame := lines(relayLine("demo:a", 1, "a1"), relayLine("demo:b", 5, "b5"), relayLine("demo:a", 2, "a2"), relayLine("echo:e", 1, "e1"), relayLine("echo:e", 1, "e1 again"))
	if n := conn.offer(frame); n != 5 || got != nil {
		t.Fatalf("take = %d, handlers got %q; want 5 lines relayed, no handler called", n, got)
	}

	// What follows is checked against those ids: a repeat makes the frame
	// go the decoding way, which drops it and delivers the rest.
	if n := conn.offer(lines(relayLine("demo:a", 2, "a2"), relayLine("demo:a", 3, "a3"))); n != 0 {
		t.Fatalf("take = %d for a frame with a repeat, want 0 (decoded)", n)
	}
	if want := []string{"3"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("handlers got %q, want %q", got, want)
	}
	got = nil
	if n := conn.offer(relayLine("demo:b", 6, "b6")); n != 1 || got != nil {
		t.Fatalf("take = %d, handlers got %q; want 1 relayed", n, got)
	}
	// A frame from the js.Func callback is never relayed: JavaScript has
	// handed its text over.
	if n := conn.offerOwn(relayLine("demo:b", 7, "b7")); n != 0 || fmt.Sprint(got) != "[7]" {
		t.Fatalf("take = %d, handlers got %q; want 0, [7]", n, got)
	}
	got = nil

	// A frame the head scan refuses, or a channel with another kind of
	// subscriber, is decoded and delivered.
	if n := conn.offer(`{"type":"message","channel":"demo:a","data":"data first","id":"4"}`); n != 0 || fmt.Sprint(got) != "[4]" {
		t.Fatalf("take = %d, handlers got %q; want 0, [4]", n, got)
	}
	got = nil
	if _, err := c.SubscribeInline("demo:b", func(e protocol.Envelope) { got = append(got, "inline "+strings.Clone(e.ID)) }); err != nil {
		t.Fatal(err)
	}
	// From the export, only relays are called at once: a frame for an
	// inline handler too goes to the callback goroutine, which runs when
	// the page resumes Go.
	if n := conn.offer(relayLine("demo:b", 8, "b8")); n != Routed || got != nil {
		t.Fatalf("take from the export = %d, handlers got %q; want Routed, none yet", n, got)
	}
	waitUntil(t, "the callback goroutine", c.events.Idle)
	if fmt.Sprint(got) != "[8 inline 8]" {
		t.Fatalf("handlers got %q; want both handlers, on the callback goroutine", got)
	}
	if n := conn.offerOwn(relayLine("demo:b", 8, "b8")); n != 0 || fmt.Sprint(got) != "[8 inline 8]" {
		t.Fatalf("take of the repeat = %d, handlers got %q; want 0 (taken, dropped)", n, got)
	}
	// A channel nobody subscribed to: decoded (and dropped).
	got = nil
	if n := conn.offer(relayLine("demo:z", 1, "z")); n != 0 || got != nil {
		t.Fatalf("take = %d, handlers got %q; want 0, none", n, got)
	}
}

// A batch JavaScript parsed itself is taken by its runs of ids when its
// channels have only relays and its ids are new; the ids then count for
// what comes next, whichever way it comes.
func TestRelayRunsTakesNewIdsOfRelayedChannels(t *testing.T) {
	c, conn := newOffering(t)
	var got []string
	relay := func(e protocol.Envelope) { got = append(got, strings.Clone(e.ID)) }
	for _, ch := range []string{"demo:a", "demo:b", "echo:e"} {
		if _, err := c.SubscribeRelay(ch, relay); err != nil {
			t.Fatal(err)
		}
	}
	if n := conn.offerRuns(RelayRun{"demo:a", 1, 3}, RelayRun{"demo:b", 5, 5}); n != 1 {
		t.Fatalf("relay = %d, want 1 (taken)", n)
	}
	// Ids at or below those recorded: declined, nothing recorded, so that
	// the frame's decoding drops the repeats and keeps the rest.
	for _, runs := range [][]RelayRun{
		{{"demo:a", 3, 4}},
		{{"demo:b", 6, 6}, {"demo:a", 2, 9}},
		{{"demo:a", 0, 0}},
		{{"demo:a", 5, 4}},
	} {
		if n := conn.offerRuns(runs...); n != 0 {
			t.Fatalf("relay(%v) = %d, want 0", runs, n)
		}
	}
	if n := conn.offer(lines(relayLine("demo:a", 3, "a3"), relayLine("demo:a", 4, "a4"), relayLine("demo:b", 6, "b6"))); n != 0 || fmt.Sprint(got) != "[4 6]" {
		t.Fatalf("take = %d, handlers got %q; want 0, [4 6] (3 a repeat)", n, got)
	}
	got = nil
	// An echo channel's ids are not checked (each publisher numbers its own).
	if n := conn.offerRuns(RelayRun{"echo:e", 1, 1}); n != 1 {
		t.Fatalf("relay = %d for an echo channel, want 1", n)
	}
	if n := conn.offerRuns(RelayRun{"echo:e", 1, 1}); n != 1 {
		t.Fatalf("relay = %d for an echo channel again, want 1", n)
	}
	// A channel with another kind of handler, or none: declined.
	if _, err := c.SubscribeInline("demo:b", relay); err != nil {
		t.Fatal(err)
	}
	for _, ch := range []string{"demo:b", "demo:z"} {
		if n := conn.offerRuns(RelayRun{ch, 100, 100}); n != 0 {
			t.Fatalf("relay on %s = %d, want 0", ch, n)
		}
	}
	if got != nil {
		t.Fatalf("handlers got %q from runs", got)
	}
}

// What takeFrame cannot route at once (an ack, a malformed line), or
// anything while callbacks are queued, is declined and changes nothing:
// it then arrives through Read, once, in order.
func TestTakeFrameDeclinesWhatNeedsTheCallbackGoroutine(t *testing.T) {
	c, conn := newOffering(t)
	inline := make(chan string, 10)
	queued := make(chan string, 10)
	release := make(chan struct{})
	if _, err := c.SubscribeInline("demo:a", func(e protocol.Envelope) { inline <- strings.Clone(e.ID) }); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Subscribe("demo:b", func(e protocol.Envelope) {
		queued <- e.ID
		<-release
	}); err != nil {
		t.Fatal(err)
	}

	// An ack, a malformed line.
	for _, frame := range []string{
		lines(msgLine("demo:a", 1, "a"), `{"type":"ack","ref":"r1"}`),
		lines(msgLine("demo:a", 1, "a"), `{"type":`),
	} {
		if n := conn.offerOwn(frame); n != -1 {
			t.Fatalf("take(%q) = %d, want -1", frame, n)
		}
	}
	if len(inline) > 0 {
		t.Fatal("a declined frame reached a handler")
	}

	// Through Read: b's handler runs, and holds the callback goroutine.
	conn.in <- []byte(msgLine("demo:b", 1, "b"))
	if id := <-queued; id != "1" {
		t.Fatalf("b got %s", id)
	}
	// Meanwhile a's message may not overtake what is queued behind b's.
	conn.in <- []byte(msgLine("demo:a", 1, "a"))
	waitUntil(t, "a's message queued", func() bool { return !c.events.Idle() })
	if n := conn.offerOwn(msgLine("demo:a", 2, "a")); n != -1 {
		t.Fatalf("take = %d while callbacks are queued, want -1", n)
	}
	if n := conn.offerRuns(RelayRun{"demo:a", 2, 2}); n != -1 {
		t.Fatalf("relay = %d while callbacks are queued, want -1", n)
	}
	close(release)
	if id := <-inline; id != "1" {
		t.Fatalf("a got %s first, want 1", id)
	}
	waitUntil(t, "the callbacks to finish", c.events.Idle)
	if n := conn.offerOwn(msgLine("demo:a", 2, "a")); n != 0 {
		t.Fatalf("take = %d once idle, want 0 (taken, delivered)", n)
	}
	if id := <-inline; id != "2" {
		t.Fatalf("a got %s, want 2", id)
	}
}

// A frame offered for a connection that has ended is declined.
func TestTakeFrameOfAnEndedConnection(t *testing.T) {
	c, conn := newOffering(t)
	got := 0
	if _, err := c.SubscribeInline("demo:a", func(protocol.Envelope) { got++ }); err != nil {
		t.Fatal(err)
	}
	c.Disconnect()
	if n := conn.offerOwn(msgLine("demo:a", 1, "a")); n != -1 || got != 0 {
		t.Fatalf("take = %d, %d delivered after the disconnect; want -1, none", n, got)
	}
}

// socketFake is a browser-like socket: writes never wait, and code
// outside Go may write on it (socketConn).
type socketFake struct {
	*offeringConn
	id int
}

func (socketFake) WritesWithoutWaiting() {}
func (s socketFake) socketID() int       { return s.id }

// A publish written outside Go gets the next number only when Go could
// have written it at once, on that socket; the numbers of both ways stay
// in order.
func TestNumberNow(t *testing.T) {
	conn := &offeringConn{in: make(chan []byte, 10), done: make(chan struct{})}
	c, err := New(Config{URL: "ws://127.0.0.1:1/ws", MaxMessageSize: 1000, Dialer: func(context.Context, string, DialOptions) (Conn, error) {
		return socketFake{conn, 7}, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	if n := c.NumberNow(7, 100); n != 0 || c.Socket() != 0 {
		t.Fatalf("before connecting: number %d, socket %d; want 0, 0", n, c.Socket())
	}
	c.Connect()
	waitUntil(t, "connected", func() bool { return c.Status() == StatusConnected })
	if s := c.Socket(); s != 7 {
		t.Fatalf("socket %d, want 7", s)
	}
	if err := c.Publish("demo:a", 1); err != nil {
		t.Fatal(err)
	}
	if n := c.NumberNow(7, 100); n != 2 {
		t.Fatalf("number %d after Go's publish 1, want 2", n)
	}
	if err := c.Publish("demo:a", 3); err != nil {
		t.Fatal(err)
	}
	conn.mu.Lock()
	var ids []string
	for _, f := range conn.out {
		e, err := protocol.Decode(f)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, e.ID)
	}
	conn.mu.Unlock()
	p := c.Publisher()
	if want := []string{p + ":1", p + ":3"}; fmt.Sprint(ids) != fmt.Sprint(want) {
		t.Fatalf("Go wrote ids %q, want %q", ids, want)
	}

	for _, tc := range []struct {
		what             string
		socket, maxBytes int
	}{
		{"another socket", 8, 100},
		{"a frame over MaxMessageSize", 7, 1001},
	} {
		if n := c.NumberNow(tc.socket, tc.maxBytes); n != 0 {
			t.Errorf("%s: number %d, want 0", tc.what, n)
		}
	}
	if n := c.NumberNow(7, 1000); n != 4 {
		t.Fatalf("number %d, want 4: the refusals took none", n)
	}

	c.Disconnect()
	if err := c.Publish("demo:a", 5); err != nil {
		t.Fatal(err)
	}
	if n := c.NumberNow(7, 100); n != 0 || c.Socket() != 0 {
		t.Fatalf("offline, a message queued: number %d, socket %d; want 0, 0", n, c.Socket())
	}
}

// BenchmarkTakeBurst is go-app's way for a burst: frames of 100 messages
// taken in the js.Func callback by an inline subscriber that decodes each
// message's data.
func BenchmarkTakeBurst(b *testing.B) {
	protocol.UseFlatData() // as the go-app components do
	c, conn := newOffering(b)
	type data struct {
		I int `json:"i"`
	}
	n := 0
	if _, err := c.SubscribeInline("bench:burst", func(e protocol.Envelope) {
		if _, err := protocol.DecodeData[data](e); err == nil {
			n++
		}
	}); err != nil {
		b.Fatal(err)
	}
	// Until the events of connecting and subscribing are delivered, the
	// client takes no frame (under wasm, where the test's goroutine runs
	// alone, they may still wait).
	waitUntil(b, "events delivered", c.events.Idle)
	const perFrame = 100
	id := 0
	frame := func() string {
		ls := make([]string, perFrame)
		for i := range ls {
			id++
			ls[i] = fmt.Sprintf(`{"type":"message","channel":"bench:burst","id":"%d","timestamp":1764240000000,"data":{"i":%d}}`, id, id)
		}
		return lines(ls...)
	}
	frames := make([]string, b.N)
	for i := range frames {
		frames[i] = frame()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for _, f := range frames {
		if conn.offerOwn(f) != 0 {
			b.Fatal("not taken")
		}
	}
	b.StopTimer()
	if n != b.N*perFrame {
		b.Fatalf("%d messages delivered, want %d", n, b.N*perFrame)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/msg")
}

// The repeat check forgets a channel left: subscribed again, its ids
// count from the server's new start, lower ones included, while another
// channel's are still checked.
func TestTakeFrameForgetsTheIDsOfAChannelLeft(t *testing.T) {
	c, conn := newOffering(t)
	var got []string
	handler := func(e protocol.Envelope) { got = append(got, e.Channel+":"+e.ID) }
	unsubscribe, err := c.SubscribeInline("demo:a", handler)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SubscribeInline("demo:b", handler); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "events delivered", c.events.Idle)
	conn.offerResumed(lines(msgLine("demo:b", 7, "x"), msgLine("demo:a", 5, "x")))
	unsubscribe()
	if _, err := c.SubscribeInline("demo:a", handler); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "events delivered", c.events.Idle)
	conn.offerResumed(lines(msgLine("demo:a", 3, "x"), msgLine("demo:b", 6, "x"), msgLine("demo:a", 4, "x"), msgLine("demo:a", 4, "x")))
	if want := []string{"demo:b:7", "demo:a:5", "demo:a:3", "demo:a:4"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("delivered %q, want %q", got, want)
	}
}

// The subscribers of the channel looked up last are looked up again when
// the subscriptions change: a handler added gets the next message, one
// removed does not, and a channel with a handler that is not inline
// goes to the callback goroutine, its inline handlers too.
func TestTakeFrameFollowsTheSubscriptionsOfItsChannel(t *testing.T) {
	c, conn := newOffering(t)
	var got []string
	handler := func(name string) Handler {
		return func(e protocol.Envelope) { got = append(got, name+":"+e.ID) }
	}
	unsubscribeA, err := c.SubscribeInline("demo:a", handler("a"))
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "events delivered", c.events.Idle)
	conn.offerResumed(msgLine("demo:a", 1, "x"))
	if _, err := c.SubscribeInline("demo:a", handler("b")); err != nil {
		t.Fatal(err)
	}
	conn.offerResumed(msgLine("demo:a", 2, "x"))
	unsubscribeA()
	conn.offerResumed(msgLine("demo:a", 3, "x"))
	if want := []string{"a:1", "a:2", "b:2", "b:3"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("delivered %q, want %q", got, want)
	}
	if _, err := c.Subscribe("demo:a", handler("queued")); err != nil {
		t.Fatal(err)
	}
	if n := conn.offerResumed(msgLine("demo:a", 4, "x")); n != Routed {
		t.Fatalf("take = %d with a subscriber that is not inline, want Routed (taken, queued)", n)
	}
	waitUntil(t, "the queued handler", c.events.Idle)
	if want := []string{"a:1", "a:2", "b:2", "b:3", "b:4", "queued:4"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("delivered %q, want %q (all of a frame's handlers on the callback goroutine, in order)", got, want)
	}
}

// Relays are counted as they come and go, so that a client skips the
// head scan only while it has none: a channel's relays removed every way
// there is, and one subscribed again, relay as the first did.
func TestTakeFrameRelaysAfterRelaysLeft(t *testing.T) {
	c, conn := newOffering(t)
	var got []string
	relay := func(e protocol.Envelope) { got = append(got, strings.Clone(e.ID)) }
	unsubscribe1, err := c.SubscribeRelay("demo:a", relay)
	if err != nil {
		t.Fatal(err)
	}
	unsubscribe2, err := c.SubscribeRelay("demo:a", relay)
	if err != nil {
		t.Fatal(err)
	}
	unsubscribe2()
	c.Unsubscribe("demo:a")
	unsubscribe1() // gone already: counts nothing
	unsubscribe2()
	if _, err := c.SubscribeRelay("demo:a", relay); err != nil {
		t.Fatal(err)
	}
	if n := conn.offer(relayLine("demo:a", 1, "a1")); n != 1 || got != nil {
		t.Fatalf("take = %d, handlers got %q; want 1 line relayed, no handler called", n, got)
	}
}

// From realtime.js's export, a frame for a channel that Go follows itself
// (a live feed's, with an ordinary handler) is taken and queued for the
// callback goroutine, decoded once: the export answers Routed, and the
// page resumes Go. Before, it was decoded there only to be declined, then
// decoded again in the js.Func callback.
func TestTakeFrameFromTheExportRoutesGoChannels(t *testing.T) {
	c, conn := newOffering(t)
	var got []string
	if _, err := c.Subscribe("live:orders", func(e protocol.Envelope) { got = append(got, e.Type+":"+string(e.Data)) }); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SubscribeRelay("demo:a", func(e protocol.Envelope) { got = append(got, "relay "+strings.Clone(e.ID)) }); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "events delivered", c.events.Idle)
	frame := lines(msgLine("demo:a", 1, "a"), `{"type":"live.delta","channel":"live:orders","data":{"seq":1}}`)
	if n := conn.offer(frame); n != Routed {
		t.Fatalf("take = %d from the export, want Routed", n)
	}
	waitUntil(t, "the callback goroutine", c.events.Idle)
	// The buffer was overwritten after the call: what the handlers got is
	// the frame's copy.
	if want := `[relay 1 live.delta:{"seq":1}]`; fmt.Sprint(got) != want {
		t.Fatalf("handlers got %v, want %s, in order", got, want)
	}
}
