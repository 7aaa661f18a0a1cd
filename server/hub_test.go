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
