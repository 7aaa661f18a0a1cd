package server

import (
	"encoding/json"
	"errors"
	"strconv"
	"testing"

	"github.com/matih-ai/realtime/wasm/clock"
	"github.com/matih-ai/realtime/wasm/protocol"
)

func TestEchoRoundTrip(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake()
	_, hs := newTestServer(t, Options{Clock: clk})
	sender := dial(t, hs, "", nil)
	other := dial(t, hs, "", nil)
	other.subscribe("echo:demo")

	for i := 1; i <= 2; i++ {
		ref := strconv.Itoa(i)
		sender.send(protocol.Envelope{Type: protocol.TypePublish, Channel: "echo:demo", Data: json.RawMessage(`{"n":1}`), Ref: ref})
		msg := sender.expect(protocol.TypeMessage, "echo:demo", "")
		if string(msg.Data) != `{"n":1}` || msg.ID != ref || msg.Timestamp != clk.Now().UnixMilli() {
			t.Fatalf("echo %d: got %+v data %s", i, msg, msg.Data)
		}
		sender.expect(protocol.TypeAck, "echo:demo", ref)
	}
	// The echo went to the sender only, even though other is subscribed.
	other.roundTrip()
}

func TestPubSubBetweenClients(t *testing.T) {
	t.Parallel()
	_, hs := newTestServer(t, Options{})
	a := dial(t, hs, "", nil)
	b := dial(t, hs, "", nil)
	outsider := dial(t, hs, "", nil)
	a.subscribe("chat:room")
	b.subscribe("chat:room")

	a.send(protocol.Envelope{Type: protocol.TypePublish, Channel: "chat:room", Data: json.RawMessage(`"hi"`), Ref: "p1"})
	// The subscribed sender sees its own message before the ack.
	first := a.expect(protocol.TypeMessage, "chat:room", "")
	if first.ID == "" || string(first.Data) != `"hi"` {
		t.Fatalf("sender got %+v", first)
	}
	a.expect(protocol.TypeAck, "chat:room", "p1")
	if m := b.expect(protocol.TypeMessage, "chat:room", ""); m.ID != first.ID || string(m.Data) != `"hi"` {
		t.Fatalf("subscriber got %+v, want id %s", m, first.ID)
	}

	// A publisher that is not subscribed gets only the ack.
	outsider.send(protocol.Envelope{Type: protocol.TypePublish, Channel: "chat:room", Data: json.RawMessage(`2`), Ref: "p2"})
	outsider.expect(protocol.TypeAck, "chat:room", "p2")
	outsider.roundTrip()
	for _, c := range []*testConn{a, b} {
		if m := c.expect(protocol.TypeMessage, "chat:room", ""); m.ID != nextMessageID(t, first.ID) {
			t.Fatalf("second message id %q after %q", m.ID, first.ID)
		}
	}
}

func TestUnsubscribeStopsDelivery(t *testing.T) {
	t.Parallel()
	_, hs := newTestServer(t, Options{})
	a := dial(t, hs, "", nil)
	b := dial(t, hs, "", nil)
	a.subscribe("chat:room")
	b.subscribe("chat:room")

	b.send(protocol.Envelope{Type: protocol.TypeUnsubscribe, Channel: "chat:room", Ref: "u"})
	b.expect(protocol.TypeAck, "chat:room", "u")
	a.send(protocol.Envelope{Type: protocol.TypePublish, Channel: "chat:room", Data: json.RawMessage(`1`)})
	a.expect(protocol.TypeMessage, "chat:room", "")
	b.roundTrip()

	b.send(protocol.Envelope{Type: protocol.TypeUnsubscribe, Channel: "chat:room", Ref: "again"})
	b.expectError(protocol.CodeNotSubscribed, "again")
}

func TestServerPublish(t *testing.T) {
	t.Parallel()
	s, hs := newTestServer(t, Options{})
	c := dial(t, hs, "", nil)
	c.subscribe("feed:prices")

	if err := s.Publish("feed:prices", map[string]int{"eur": 1}); err != nil {
		t.Fatal(err)
	}
	if m := c.expect(protocol.TypeMessage, "feed:prices", ""); m.ID == "" || string(m.Data) != `{"eur":1}` {
		t.Fatalf("got %+v data %s", m, m.Data)
	}
	if err := s.Publish("feed:nobody", 1); err != nil {
		t.Fatalf("publish without subscribers: %v", err)
	}
	if err := s.Publish("echo:x", 1); !errors.Is(err, ErrEchoChannel) {
		t.Fatalf("publish on echo: %v, want ErrEchoChannel", err)
	}
	if err := s.Publish("no-kind", 1); err == nil {
		t.Fatal("publish on a malformed channel succeeded")
	}
	if err := s.Publish("feed:prices", func() {}); err == nil {
		t.Fatal("publish of unencodable data succeeded")
	}
}

func TestTooManyChannels(t *testing.T) {
	t.Parallel()
	_, hs := newTestServer(t, Options{MaxSubscriptions: 2})
	c := dial(t, hs, "", nil)
	c.subscribe("a:1")
	c.subscribe("a:2")
	c.subscribe("a:2") // joining again is not a new channel
	c.refusedOn(protocol.Envelope{Type: protocol.TypeSubscribe, Channel: "a:3", Ref: "3"}, protocol.CodeTooManyChannel)

	c.send(protocol.Envelope{Type: protocol.TypePublish, Channel: "echo:1"},
		protocol.Envelope{Type: protocol.TypePublish, Channel: "echo:2"})
	c.expect(protocol.TypeMessage, "echo:1", "")
	c.expect(protocol.TypeMessage, "echo:2", "")
	c.refusedOn(protocol.Envelope{Type: protocol.TypePublish, Channel: "echo:3", Ref: "e3"}, protocol.CodeTooManyChannel)
	c.roundTrip()
}

// PublishAll delivers a burst in order with consecutive ids, keeps it in
// the history, and publishes nothing when one of its values cannot be
// encoded.
func TestServerPublishAll(t *testing.T) {
	t.Parallel()
	s, hs := newTestServer(t, Options{})
	c := dial(t, hs, "", nil)
	c.subscribe("feed:burst")

	if err := s.PublishAll("feed:burst", 0, 1, 2, 3, 4); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range 5 {
		m := c.expect(protocol.TypeMessage, "feed:burst", "")
		if string(m.Data) != strconv.Itoa(i) {
			t.Fatalf("message %d has data %s", i, m.Data)
		}
		if len(ids) > 0 && m.ID != nextMessageID(t, ids[len(ids)-1]) {
			t.Fatalf("message %d has id %s after %s", i, m.ID, ids[len(ids)-1])
		}
		ids = append(ids, m.ID)
	}
	// A late subscriber replays the burst from the history.
	late := dial(t, hs, "", nil)
	late.send(protocol.Envelope{Type: protocol.TypeSubscribe, Channel: "feed:burst", Ref: "s", Data: json.RawMessage(`{"since":"` + ids[1] + `"}`)})
	for _, want := range ids[2:] {
		if m := late.expect(protocol.TypeMessage, "feed:burst", ""); m.ID != want {
			t.Fatalf("replayed id %s, want %s", m.ID, want)
		}
	}
	late.expect(protocol.TypeAck, "feed:burst", "s")

	if err := s.PublishAll("feed:burst", 5, func() {}); err == nil {
		t.Fatal("a burst with unencodable data was published")
	}
	if err := s.PublishAll("echo:x", 1); !errors.Is(err, ErrEchoChannel) {
		t.Fatalf("burst on echo: %v, want ErrEchoChannel", err)
	}
	if err := s.PublishAll("no-kind", 1); err == nil {
		t.Fatal("burst on a malformed channel succeeded")
	}
	// Nothing of the refused burst came: the next message is 6.
	if err := s.Publish("feed:burst", 6); err != nil {
		t.Fatal(err)
	}
	if m := c.expect(protocol.TypeMessage, "feed:burst", ""); string(m.Data) != "6" || m.ID != nextMessageID(t, ids[4]) {
		t.Fatalf("after a refused burst got %s with id %s, want 6 after %s", m.Data, m.ID, ids[4])
	}
}

// A burst longer than a subscriber's send buffer closes it with 1013; a
// shorter one is delivered whole.
func TestPublishAllLongerThanTheBufferCloses(t *testing.T) {
	t.Parallel()
	s, hs := newTestServer(t, Options{SendBuffer: 4})
	c := dial(t, hs, "", nil)
	c.subscribe("feed:x")
	if err := s.PublishAll("feed:x", 1, 2, 3); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		c.expect(protocol.TypeMessage, "feed:x", "")
	}
	if err := s.PublishAll("feed:x", 1, 2, 3, 4, 5); err != nil {
		t.Fatal(err)
	}
	c.expectClose(protocol.CloseTryAgainLater)
}

// failingHistory refuses to keep anything after its first n messages.
type failingHistory struct {
	History
	n int
}

func (h *failingHistory) Append(channel string, m HistoryMessage) error {
	if h.n == 0 {
		return errors.New("disk full")
	}
	h.n--
	return h.History.Append(channel, m)
}

// A burst whose history fails part way sends the subscribers what the
// history kept, and reports the failure.
func TestPublishAllSendsWhatTheHistoryKept(t *testing.T) {
	t.Parallel()
	s, hs := newTestServer(t, Options{History: &failingHistory{History: NewMemoryHistory(100, 10), n: 2}})
	c := dial(t, hs, "", nil)
	c.subscribe("feed:x")
	if err := s.PublishAll("feed:x", 1, 2, 3); err == nil {
		t.Fatal("a burst the history could not keep was published without an error")
	}
	for i := 1; i <= 2; i++ {
		if m := c.expect(protocol.TypeMessage, "feed:x", ""); string(m.Data) != strconv.Itoa(i) {
			t.Fatalf("message %d has data %s", i, m.Data)
		}
	}
	c.roundTrip() // and nothing more
}
