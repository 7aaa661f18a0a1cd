package server

import (
	"context"
	"encoding/json"
	"strconv"
	"sync"
	"testing"

	"github.com/matih-ai/realtime/wasm/protocol"
)

// publishN publishes n messages {"n":i} on channel through c, each acked.
func (c *testConn) publishN(channel string, from, n int) {
	c.t.Helper()
	for i := from; i < from+n; i++ {
		ref := "p" + strconv.Itoa(i)
		c.send(protocol.Envelope{Type: protocol.TypePublish, Channel: channel, Data: json.RawMessage(`{"n":` + strconv.Itoa(i) + `}`), Ref: ref})
		c.expect(protocol.TypeAck, channel, ref)
	}
}

// subscribeSince subscribes with since and returns the ack.
func (c *testConn) subscribeSince(channel, since string) {
	c.t.Helper()
	c.send(protocol.Envelope{Type: protocol.TypeSubscribe, Channel: channel, Ref: "since", Data: json.RawMessage(`{"since":"` + since + `"}`)})
}

// expectMessages reads messages with data {"n":from}..{"n":to} and returns
// their ids, which must follow one another.
func (c *testConn) expectMessages(channel string, from, to int) []string {
	c.t.Helper()
	var ids []string
	for i := from; i <= to; i++ {
		m := c.expect(protocol.TypeMessage, channel, "")
		if want := `{"n":` + strconv.Itoa(i) + `}`; string(m.Data) != want {
			c.t.Fatalf("got message %s, want %s", m.Data, want)
		}
		if len(ids) > 0 && m.ID != nextMessageID(c.t, ids[len(ids)-1]) {
			c.t.Fatalf("message id %s after %s", m.ID, ids[len(ids)-1])
		}
		ids = append(ids, m.ID)
	}
	return ids
}

func TestSubscribeSinceReplaysWhatWasMissedThenLive(t *testing.T) {
	t.Parallel()
	_, hs := newTestServer(t, Options{})
	pub := dial(t, hs, "", nil)
	sub := dial(t, hs, "", nil)
	sub.subscribe("chat:room")
	pub.publishN("chat:room", 1, 3)
	ids := sub.expectMessages("chat:room", 1, 3)
	sub.close()

	// Messages 4 and 5 while away; back with the last id seen.
	pub.publishN("chat:room", 4, 2)
	back := dial(t, hs, "", nil)
	back.subscribeSince("chat:room", ids[2])
	got := back.expectMessages("chat:room", 4, 5)
	if got[0] != nextMessageID(t, ids[2]) {
		t.Fatalf("replay starts at %s after %s", got[0], ids[2])
	}
	// The ack carries the latest id when it joined.
	if ack := back.expect(protocol.TypeAck, "chat:room", "since"); ack.ID != got[1] {
		t.Fatalf("ack id %q, want the latest, %s", ack.ID, got[1])
	}
	pub.publishN("chat:room", 6, 1)
	back.expectMessages("chat:room", 6, 6)

	// A fresh subscriber's ack says where it starts; since the latest
	// replays nothing.
	fresh := dial(t, hs, "", nil)
	fresh.send(protocol.Envelope{Type: protocol.TypeSubscribe, Channel: "chat:room", Ref: "f"})
	ack := fresh.expect(protocol.TypeAck, "chat:room", "f")
	again := dial(t, hs, "", nil)
	again.subscribeSince("chat:room", ack.ID)
	again.expect(protocol.TypeAck, "chat:room", "since")
	again.roundTrip()
	// Subscribing again on the same connection replays nothing.
	back.subscribeSince("chat:room", ids[0])
	back.expect(protocol.TypeAck, "chat:room", "since")
	back.roundTrip()
}

func TestSubscribeSinceBeyondTheHistoryIsToldThenGetsWhatIsKept(t *testing.T) {
	t.Parallel()
	_, hs := newTestServer(t, Options{History: NewMemoryHistory(3, 0)})
	pub := dial(t, hs, "", nil)
	sub := dial(t, hs, "", nil)
	sub.subscribe("chat:room")
	pub.publishN("chat:room", 1, 6)
	first := sub.expectMessages("chat:room", 1, 6)[0]

	for _, since := range []string{first, "99999999999999999"} {
		c := dial(t, hs, "", nil)
		c.subscribeSince("chat:room", since)
		e := c.expect(protocol.TypeError, "chat:room", "")
		if d := decode[protocol.ErrorData](t, e); d.Code != protocol.CodeHistoryLost || d.Message == "" {
			t.Fatalf("since %s: error %+v, want history_lost", since, d)
		}
		c.expectMessages("chat:room", 4, 6)
		c.expect(protocol.TypeAck, "chat:room", "since")
	}

	c := dial(t, hs, "", nil)
	for i, data := range []string{`{"since":"x"}`, `{"since":7}`, `[]`} {
		c.refusedOn(protocol.Envelope{Type: protocol.TypeSubscribe, Channel: "chat:room", Ref: strconv.Itoa(i), Data: json.RawMessage(data)}, protocol.CodeBadFrame)
	}
	// Echo channels have no history: since is ignored.
	c.send(protocol.Envelope{Type: protocol.TypeSubscribe, Channel: "echo:x", Ref: "e", Data: json.RawMessage(`{"since":"5"}`)})
	if ack := c.expect(protocol.TypeAck, "echo:x", "e"); ack.ID != "" {
		t.Fatalf("echo ack with id %q", ack.ID)
	}
}

func TestRepeatedPublishIsAckedAndDeliveredOnce(t *testing.T) {
	t.Parallel()
	_, hs := newTestServer(t, Options{})
	pub := dial(t, hs, "", nil)
	sub := dial(t, hs, "", nil)
	sub.subscribe("chat:room")
	for i, id := range []string{"w1:1", "w1:1", "w1:3", "w1:2", "w2:1", "w1:3", "w1:4"} {
		ref := strconv.Itoa(i)
		pub.send(protocol.Envelope{Type: protocol.TypePublish, Channel: "chat:room", ID: id, Data: json.RawMessage(`"` + id + `"`), Ref: ref})
		pub.expect(protocol.TypeAck, "chat:room", ref)
	}
	for _, want := range []string{"w1:1", "w1:3", "w2:1", "w1:4"} {
		if m := sub.expect(protocol.TypeMessage, "chat:room", ""); string(m.Data) != `"`+want+`"` {
			t.Fatalf("got %s, want %s", m.Data, want)
		}
	}
	sub.roundTrip()
	// Marks are per channel.
	pub.send(protocol.Envelope{Type: protocol.TypePublish, Channel: "chat:other", ID: "w1:1", Ref: "o"})
	pub.expect(protocol.TypeAck, "chat:other", "o")
	pub.refusedOn(protocol.Envelope{Type: protocol.TypePublish, Channel: "chat:room", ID: "7", Ref: "bad"}, protocol.CodeBadFrame)
}

// A restarted server on the same FileHistory goes on with the ids,
// replays to those who resume and still knows the publishes it took.
func TestFileHistoryCarriesChannelsAcrossARestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	start := func() (*Server, *testConn, func()) {
		h, err := OpenFileHistory(dir, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		s, hs := newTestServer(t, Options{History: h})
		return s, dial(t, hs, "", nil), func() {
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			s.Shutdown(ctx)
			hs.Close()
			h.Close()
		}
	}
	_, c, stop := start()
	c.subscribe("chat:room")
	for i := 1; i <= 3; i++ {
		c.send(protocol.Envelope{Type: protocol.TypePublish, Channel: "chat:room", ID: "w:" + strconv.Itoa(i), Data: json.RawMessage(`{"n":` + strconv.Itoa(i) + `}`), Ref: "r"})
		c.expect(protocol.TypeMessage, "chat:room", "")
		c.expect(protocol.TypeAck, "chat:room", "r")
	}
	c.send(protocol.Envelope{Type: protocol.TypeSubscribe, Channel: "chat:room", Ref: "last"})
	last := c.expect(protocol.TypeAck, "chat:room", "last").ID
	stop()

	_, c, stop = start()
	defer stop()
	// w:3 again: acked, not delivered; w:4 is the next message.
	c.send(protocol.Envelope{Type: protocol.TypePublish, Channel: "chat:room", ID: "w:3", Data: json.RawMessage(`{"n":3}`), Ref: "again"},
		protocol.Envelope{Type: protocol.TypePublish, Channel: "chat:room", ID: "w:4", Data: json.RawMessage(`{"n":4}`), Ref: "next"})
	c.expect(protocol.TypeAck, "chat:room", "again")
	c.expect(protocol.TypeAck, "chat:room", "next")
	first, err := strconv.ParseUint(last, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	c.subscribeSince("chat:room", strconv.FormatUint(first-2, 10))
	c.expectMessages("chat:room", 2, 4)
	c.expect(protocol.TypeAck, "chat:room", "since")
}

// Subscribers that leave and resume again and again while messages are
// published get every message once, in order: replay and live meet with
// no gap and no repeat.
func TestResumeWhilePublishingHasNoGapOrRepeat(t *testing.T) {
	t.Parallel()
	s, hs := newTestServer(t, Options{History: NewMemoryHistory(1000, 0)})
	const total = 400
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 1; i <= total; i++ {
			if err := s.Publish("feed:x", map[string]int{"n": i}); err != nil {
				t.Error(err)
				return
			}
		}
	})
	defer wg.Wait()

	c := dial(t, hs, "", nil)
	c.send(protocol.Envelope{Type: protocol.TypeSubscribe, Channel: "feed:x", Data: json.RawMessage(`{"since":"0"}`)})
	next, lastID := 1, ""
	for round := 0; next <= total; round++ {
		// Read a few, then leave and come back after the last one read.
		for range 7 {
			if next > total {
				break
			}
			m := c.next()
			if m.Type != protocol.TypeMessage {
				t.Fatalf("got %+v", m)
			}
			if want := `{"n":` + strconv.Itoa(next) + `}`; string(m.Data) != want {
				t.Fatalf("round %d: got %s, want %s", round, m.Data, want)
			}
			if lastID != "" && m.ID != nextMessageID(t, lastID) {
				t.Fatalf("round %d: id %s after %s", round, m.ID, lastID)
			}
			lastID = m.ID
			next++
		}
		c.close()
		c = dial(t, hs, "", nil)
		c.send(protocol.Envelope{Type: protocol.TypeSubscribe, Channel: "feed:x", Data: json.RawMessage(`{"since":"` + lastID + `"}`)})
	}
}
