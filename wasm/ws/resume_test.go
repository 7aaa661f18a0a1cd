package ws_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/matih-ai/realtime/wasm/protocol"
	"github.com/matih-ai/realtime/wasm/ws"
)

func TestPublishesCarryIDsInTheirOrder(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ws.Config{PingInterval: -1})
	conn := h.connect()
	for range 2 {
		if err := h.client.Publish("chat:room", 1); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.client.Send(protocol.Envelope{Type: protocol.TypePublish, Channel: "chat:room", ID: "mine:9"}); err != nil {
		t.Fatal(err)
	}
	a, b, own := conn.recv(t), conn.recv(t), conn.recv(t)
	prefix, n, ok := strings.Cut(a.ID, ":")
	if !ok || n != "1" || b.ID != prefix+":2" || own.ID != "mine:9" {
		t.Fatalf("publish ids %q, %q, %q; want <client>:1, <client>:2 and the one given", a.ID, b.ID, own.ID)
	}
	// A refused publish takes no number.
	if err := h.client.Publish("chat:room", strings.Repeat("x", 70<<10)); !errors.Is(err, ws.ErrMessageTooBig) {
		t.Fatalf("big publish: %v", err)
	}
	h.client.Publish("chat:room", 1)
	if e := conn.recv(t); e.ID != prefix+":3" {
		t.Fatalf("after a refused publish: id %q, want %s:3", e.ID, prefix)
	}
}

// request runs Request in the background; the result comes on the channel.
func request(h *harness, ctx context.Context, e protocol.Envelope) chan error {
	done := make(chan error, 1)
	go func() {
		_, err := h.client.Request(ctx, e)
		done <- err
	}()
	return done
}

func TestRequestWrittenButUnansweredGoesAgainOnTheNextConnection(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ws.Config{PingInterval: -1})
	conn := h.connect()
	done := request(h, context.Background(), protocol.Envelope{Type: protocol.TypePublish, Channel: "chat:room", Data: json.RawMessage(`1`)})
	first := conn.recv(t)
	// Another request without an id, written too: not sent again.
	other := request(h, context.Background(), protocol.Envelope{Type: "query.cancel", Channel: "query:q-1"})
	conn.recvType(t, "query.cancel")
	if err := h.client.Publish("chat:room", 2); err != nil {
		t.Fatal(err)
	}
	conn.recv(t)

	conn.drop(errors.New("drop"))
	st := h.waitRetry()
	if st.Queued != 1 {
		t.Fatalf("%d queued while down, want the unanswered publish", st.Queued)
	}
	if err := h.client.Publish("chat:room", 3); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(st.NextDelay)
	conn = h.net.next(t)
	h.waitStatus(ws.StatusConnected)
	again := conn.recv(t)
	if again.ID != first.ID || again.Ref != first.Ref || string(again.Data) != "1" {
		t.Fatalf("sent again %+v, want %+v", again, first)
	}
	if e := conn.recv(t); string(e.Data) != "3" {
		t.Fatalf("then %+v, want the publish queued while down", e)
	}
	conn.quiet(t)
	conn.send(protocol.Envelope{Type: protocol.TypeAck, Ref: first.Ref, Channel: "chat:room"})
	if err := <-done; err != nil {
		t.Fatalf("request: %v", err)
	}
	// Answered: a later drop does not send it again.
	conn.drop(errors.New("drop"))
	h.clock.Advance(h.waitRetry().NextDelay)
	h.net.next(t).quiet(t)
	select {
	case err := <-other:
		t.Fatalf("the request without an id was answered: %v", err)
	default:
	}
}

func TestRequestWithdrawnWhenItsContextEndsIsNotSent(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ws.Config{PingInterval: -1})
	ctx, cancel := context.WithCancel(context.Background())
	done := request(h, ctx, protocol.Envelope{Type: protocol.TypePublish, Channel: "chat:room", Data: json.RawMessage(`1`)})
	h.waitState(func(s ws.State) bool { return s.Queued == 1 })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("request: %v, want context.Canceled", err)
	}
	if q := h.client.State().Queued; q != 0 {
		t.Fatalf("%d queued after the request was withdrawn", q)
	}
	h.connect().quiet(t)
}

// resumeScene is a client subscribed to chat:room whose handler's messages
// come on got.
func resumeScene(t *testing.T, channel string) (*harness, *fakeConn, chan protocol.Envelope) {
	h := newHarness(t, ws.Config{PingInterval: -1})
	got := make(chan protocol.Envelope, 100)
	if _, err := h.client.Subscribe(channel, func(e protocol.Envelope) { got <- e }); err != nil {
		t.Fatal(err)
	}
	conn := h.connect()
	if e := conn.recv(t); e.Type != protocol.TypeSubscribe || e.Ref == "" || e.Data != nil {
		t.Fatalf("first subscribe %+v, want one with a ref and no since", e)
	}
	return h, conn, got
}

func message(channel, id, data string) protocol.Envelope {
	return protocol.Envelope{Type: protocol.TypeMessage, Channel: channel, ID: id, Data: json.RawMessage(data)}
}

// expectData reads handler calls until the one of data, failing on any
// other message before it.
func expectData(t *testing.T, got chan protocol.Envelope, want ...string) {
	t.Helper()
	for _, w := range want {
		select {
		case e := <-got:
			if string(e.Data) != w {
				t.Fatalf("handler got %s (id %s), want %s", e.Data, e.ID, w)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("handler never got %s", w)
		}
	}
}

// reconnect drops conn and returns the next connection and the restored
// subscription.
func reconnect(t *testing.T, h *harness, conn *fakeConn) (*fakeConn, protocol.Envelope) {
	t.Helper()
	conn.drop(errors.New("drop"))
	h.clock.Advance(h.waitRetry().NextDelay)
	conn = h.net.next(t)
	return conn, conn.recvType(t, protocol.TypeSubscribe)
}

func since(t *testing.T, e protocol.Envelope) string {
	t.Helper()
	if e.Data == nil {
		return ""
	}
	d, err := protocol.DecodeData[protocol.SubscribeData](e)
	if err != nil {
		t.Fatal(err)
	}
	return d.Since
}

func TestResumeAfterTheLastMessageAndDropRepeats(t *testing.T) {
	t.Parallel()
	h, conn, got := resumeScene(t, "chat:room")
	conn.send(message("chat:room", "5", "5"))
	conn.send(message("chat:room", "6", "6"))
	expectData(t, got, "5", "6")

	conn, sub := reconnect(t, h, conn)
	if s := since(t, sub); s != "6" {
		t.Fatalf("restored with since %q, want 6", s)
	}
	// A replay that overlaps what came live reaches no handler twice.
	for _, id := range []string{"5", "6", "7", "6", "8"} {
		conn.send(message("chat:room", id, id))
	}
	expectData(t, got, "7", "8")

	// An ack says where a subscription starts: no message yet, resume
	// from there.
	conn.send(protocol.Envelope{Type: protocol.TypeAck, Ref: sub.Ref, Channel: "chat:room", ID: "20"})
	conn.send(message("chat:room", "19", "19"))
	conn.send(message("chat:room", "21", "21"))
	expectData(t, got, "21")
	_, sub = reconnect(t, h, conn)
	if s := since(t, sub); s != "21" {
		t.Fatalf("restored with since %q, want 21", s)
	}
}

func TestHistoryLostStartsTheChannelAgain(t *testing.T) {
	t.Parallel()
	h, conn, got := resumeScene(t, "chat:room")
	conn.send(message("chat:room", "900", "900"))
	expectData(t, got, "900")
	conn, sub := reconnect(t, h, conn)
	// Another history, with lower ids: the server says so, then sends
	// what it keeps.
	lost := protocol.NewError("", protocol.CodeHistoryLost, "gone")
	lost.Channel = "chat:room"
	conn.send(lost)
	conn.send(message("chat:room", "3", "3"))
	conn.send(protocol.Envelope{Type: protocol.TypeAck, Ref: sub.Ref, Channel: "chat:room", ID: "3"})
	e := <-got
	if d, err := protocol.DecodeData[protocol.ErrorData](e); e.Type != protocol.TypeError || err != nil || d.Code != protocol.CodeHistoryLost {
		t.Fatalf("handler got %+v, want the history_lost error", e)
	}
	expectData(t, got, "3")
	if err := h.waitErr(); !strings.Contains(err.Error(), "lost") {
		t.Fatalf("reported %v", err)
	}
	conn.send(message("chat:room", "4", "4"))
	expectData(t, got, "4")
}

func TestEchoAndUnsubscribedChannelsAreNotResumed(t *testing.T) {
	t.Parallel()
	h, conn, got := resumeScene(t, "echo:x")
	conn.send(message("echo:x", "1", "1"))
	expectData(t, got, "1")
	conn, sub := reconnect(t, h, conn)
	if s := since(t, sub); s != "" {
		t.Fatalf("echo restored with since %q", s)
	}
	conn.send(message("echo:x", "1", "1"))
	expectData(t, got, "1")

	// Leaving a channel forgets where it was.
	unsub, err := h.client.Subscribe("chat:room", func(e protocol.Envelope) { got <- e })
	if err != nil {
		t.Fatal(err)
	}
	conn.recvType(t, protocol.TypeSubscribe)
	conn.send(message("chat:room", "50", "50"))
	expectData(t, got, "50")
	unsub()
	conn.recvType(t, protocol.TypeUnsubscribe)
	if _, err := h.client.Subscribe("chat:room", func(e protocol.Envelope) { got <- e }); err != nil {
		t.Fatal(err)
	}
	if e := conn.recvType(t, protocol.TypeSubscribe); since(t, e) != "" {
		t.Fatalf("subscribed again with since %q", since(t, e))
	}
}
