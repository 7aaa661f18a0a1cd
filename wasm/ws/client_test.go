package ws_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/matih-ai/realtime/wasm/protocol"
	"github.com/matih-ai/realtime/wasm/ws"
)

var errRefused = errors.New("connection refused")

func TestStatusGoesConnectingConnectedReconnectingConnected(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ws.Config{})
	h.client.Connect()
	h.waitStatus(ws.StatusConnecting)
	conn := h.net.next(t)
	h.waitStatus(ws.StatusConnected)

	conn.drop(&ws.CloseError{Code: protocol.CloseServiceRestart, Reason: "restart"})
	st := h.waitRetry()
	if st.Attempt != 1 || st.NextDelay != time.Second {
		t.Fatalf("after a drop: attempt %d in %v, want attempt 1 in 1s", st.Attempt, st.NextDelay)
	}
	if h.net.dialCount() != 1 {
		t.Fatal("redialed before the delay")
	}
	h.clock.Advance(time.Second)
	h.net.next(t)
	h.waitStatus(ws.StatusConnected)
}

func TestReconnectDelaysGrowThenGiveUpWithError(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ws.Config{MaxReconnectAttempts: 4})
	conn := h.connect()
	h.net.setRefuse(errRefused)
	conn.drop(errors.New("network down"))

	for _, want := range []time.Duration{1000, 1500, 2250, 3375} {
		st := h.waitRetry()
		if st.NextDelay != want*time.Millisecond {
			t.Fatalf("attempt %d: delay %v, want %v", st.Attempt, st.NextDelay, want*time.Millisecond)
		}
		h.clock.Advance(st.NextDelay - time.Millisecond)
		if p := h.clock.Pending(); len(p) != 1 || p[0] != time.Millisecond {
			t.Fatalf("attempt %d fired early or is not scheduled: pending %v", st.Attempt, p)
		}
		h.clock.Advance(time.Millisecond)
	}
	st := h.waitStatus(ws.StatusError)
	if !errors.Is(st.Err, ws.ErrGaveUp) || !strings.Contains(st.Err.Error(), "connection refused") {
		t.Fatalf("error status carries %v, want ErrGaveUp wrapping the dial error", st.Err)
	}
	if n := h.net.dialCount(); n != 5 {
		t.Fatalf("%d dials, want the first and 4 reconnects", n)
	}
	if p := h.clock.Pending(); len(p) != 0 {
		t.Fatalf("timers still pending after giving up: %v", p)
	}
}

func TestAttemptCountResetsOnlyAfterAStableConnection(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ws.Config{StableAfter: 5 * time.Second, PingInterval: -1})
	conn := h.connect()

	conn.drop(errors.New("drop 1"))
	st := h.waitRetry()
	h.clock.Advance(st.NextDelay)
	conn = h.net.next(t)
	h.waitStatus(ws.StatusConnected)

	// Up for less than StableAfter: the next drop continues the sequence.
	h.clock.Advance(4 * time.Second)
	conn.drop(errors.New("drop 2"))
	if st = h.waitRetry(); st.Attempt != 2 || st.NextDelay != 1500*time.Millisecond {
		t.Fatalf("quick drop: attempt %d in %v, want attempt 2 in 1.5s", st.Attempt, st.NextDelay)
	}
	h.clock.Advance(st.NextDelay)
	conn = h.net.next(t)
	h.waitStatus(ws.StatusConnected)

	// Up for StableAfter: the count starts again.
	h.clock.Advance(5 * time.Second)
	conn.drop(errors.New("drop 3"))
	if st = h.waitRetry(); st.Attempt != 1 || st.NextDelay != time.Second {
		t.Fatalf("drop after a stable connection: attempt %d in %v, want attempt 1 in 1s", st.Attempt, st.NextDelay)
	}
}

func TestNoReconnectAfterAFinalCloseCode(t *testing.T) {
	t.Parallel()
	for _, code := range []int{protocol.CloseUnauthorized, protocol.CloseForbidden} {
		h := newHarness(t, ws.Config{})
		conn := h.connect()
		conn.drop(&ws.CloseError{Code: code, Reason: "bad token"})
		st := h.waitStatus(ws.StatusError)
		var ce *ws.CloseError
		if !errors.As(st.Err, &ce) || ce.Code != code {
			t.Fatalf("code %d: error %v, want the close error", code, st.Err)
		}
		h.clock.Advance(time.Hour)
		if n := h.net.dialCount(); n != 1 {
			t.Fatalf("code %d: redialed (%d dials)", code, n)
		}
	}
}

func TestNoReconnectAfterDisconnect(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ws.Config{})
	conn := h.connect()
	h.client.Disconnect()
	h.waitStatus(ws.StatusDisconnected)
	<-conn.done
	if conn.code() != protocol.CloseNormal {
		t.Fatalf("closed with %d, want 1000", conn.code())
	}
	h.clock.Advance(time.Hour)
	if n := h.net.dialCount(); n != 1 {
		t.Fatalf("redialed after Disconnect (%d dials)", n)
	}
	// Connect brings it back.
	h.connect()
}

// A write cut by the close fails before the reader returns the close frame;
// the close code still decides, so a 4401 is not retried.
func TestFinalCloseCodeWinsOverTheWriteItCut(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ws.Config{PingInterval: -1})
	conn := h.connect()
	conn.stall()
	release := conn.hold()
	defer release()
	if err := h.client.Publish("x:y", 1); err != nil {
		t.Fatal(err)
	}
	conn.drop(&ws.CloseError{Code: protocol.CloseUnauthorized, Reason: "bad token"})
	conn.quiet(t) // time for the failed write to be seen first
	release()
	st := h.waitState(func(s ws.State) bool { return s.Status != ws.StatusConnected })
	var ce *ws.CloseError
	if st.Status != ws.StatusError || !errors.As(st.Err, &ce) || ce.Code != protocol.CloseUnauthorized {
		t.Fatalf("after a 4401 that cut a write: %s (%v), want error with the close code", st.Status, st.Err)
	}
	h.clock.Advance(time.Hour)
	if n := h.net.dialCount(); n != 1 {
		t.Fatalf("redialed after 4401 (%d dials)", n)
	}
}

func TestDisableReconnectStaysDisconnected(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ws.Config{DisableReconnect: true})
	conn := h.connect()
	conn.drop(errors.New("gone"))
	h.waitStatus(ws.StatusDisconnected)
	h.clock.Advance(time.Hour)
	if n := h.net.dialCount(); n != 1 {
		t.Fatalf("redialed with reconnect disabled (%d dials)", n)
	}
}

func TestReconnectDialsAtOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ws.Config{})
	conn := h.connect()
	h.client.Reconnect()
	<-conn.done
	h.net.next(t)
	h.waitStatus(ws.StatusConnected)
}

func TestOnlineSkipsTheBackoffWait(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ws.Config{})
	conn := h.connect()
	conn.drop(errors.New("offline"))
	h.waitRetry()
	h.client.Online()
	h.net.next(t)
	h.waitStatus(ws.StatusConnected)
}

func TestQueueFlushesInOrderExactlyOnceAndRefusesOverflow(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ws.Config{QueueSize: 5})
	for i := range 5 {
		if err := h.client.Publish("chat:room", i); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	err := h.client.Publish("chat:room", 5)
	if !errors.Is(err, ws.ErrQueueFull) {
		t.Fatalf("sixth message: %v, want ErrQueueFull", err)
	}
	if q := h.client.State().Queued; q != 5 {
		t.Fatalf("%d queued, want 5", q)
	}
	conn := h.connect()
	for i := range 5 {
		e := conn.recv(t)
		if e.Type != protocol.TypePublish || string(e.Data) != fmt.Sprint(i) {
			t.Fatalf("frame %d: %+v, want publish of %d", i, e, i)
		}
	}
	conn.quiet(t)
	if q := h.client.State().Queued; q != 0 {
		t.Fatalf("%d still queued after the flush", q)
	}
	// A second connection does not send them again.
	conn.drop(errors.New("drop"))
	h.clock.Advance(h.waitRetry().NextDelay)
	h.net.next(t).quiet(t)
}

func TestMessageOverMaxMessageSizeIsRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ws.Config{MaxMessageSize: 100, PingInterval: -1})
	conn := h.connect()
	err := h.client.Publish("chat:room", strings.Repeat("x", 100))
	if !errors.Is(err, ws.ErrMessageTooBig) {
		t.Fatalf("Publish over the limit: %v, want ErrMessageTooBig", err)
	}
	conn.quiet(t)
	if err := h.client.Publish("chat:room", "small"); err != nil {
		t.Fatal(err)
	}
	conn.recvType(t, protocol.TypePublish)
}

// A message whose write a 1009 close cuts short would close every next
// connection the same way: it is dropped and reported, the others stay.
func TestMessageCutByA1009IsDroppedNotSentAgain(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ws.Config{MaxMessageSize: -1, PingInterval: -1})
	conn := h.connect()
	conn.stall()
	release := conn.hold()
	defer release()
	if err := h.client.Publish("chat:room", strings.Repeat("x", 1<<20)); err != nil {
		t.Fatal(err)
	}
	if err := h.client.Publish("chat:room", "next"); err != nil {
		t.Fatal(err)
	}
	conn.drop(&ws.CloseError{Code: protocol.CloseMessageTooBig})
	conn.quiet(t) // time for the failed write to be seen first
	release()
	if err := h.waitErr(); !errors.Is(err, ws.ErrMessageTooBig) {
		t.Fatalf("reported %v, want ErrMessageTooBig", err)
	}
	st := h.waitRetry()
	if st.Queued != 1 {
		t.Fatalf("%d queued after the 1009, want only the next message", st.Queued)
	}
	h.clock.Advance(st.NextDelay)
	conn = h.net.next(t)
	if e := conn.recv(t); e.Type != protocol.TypePublish || string(e.Data) != `"next"` {
		t.Fatalf("after the 1009 the client sent %+v (%d bytes of data), want only the next message", e.Type, len(e.Data))
	}
	conn.quiet(t)
}

func TestSubscriptionsAreSentAndRestoredBeforeQueuedMessages(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ws.Config{PingInterval: -1})
	got := make(chan protocol.Envelope, 10)
	unsub, err := h.client.Subscribe("dashboard:updates", func(e protocol.Envelope) { got <- e })
	if err != nil {
		t.Fatal(err)
	}
	conn := h.connect()
	if e := conn.recv(t); e.Type != protocol.TypeSubscribe || e.Channel != "dashboard:updates" {
		t.Fatalf("first frame %+v, want the subscription", e)
	}
	conn.send(protocol.Envelope{Type: protocol.TypeMessage, Channel: "dashboard:updates", Data: json.RawMessage(`{"v":1}`)})
	if e := <-got; string(e.Data) != `{"v":1}` {
		t.Fatalf("handler got %s", e.Data)
	}

	conn.drop(errors.New("drop"))
	h.waitRetry()
	if err := h.client.Publish("dashboard:updates", "queued"); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(time.Second)
	conn = h.net.next(t)
	if e := conn.recv(t); e.Type != protocol.TypeSubscribe || e.Channel != "dashboard:updates" {
		t.Fatalf("after reconnect, first frame %+v, want the restored subscription", e)
	}
	if e := conn.recv(t); e.Type != protocol.TypePublish {
		t.Fatalf("after reconnect, second frame %+v, want the queued publish", e)
	}

	unsub()
	if e := conn.recv(t); e.Type != protocol.TypeUnsubscribe || e.Channel != "dashboard:updates" {
		t.Fatalf("after unsubscribe: %+v", e)
	}
	conn.send(protocol.Envelope{Type: protocol.TypeMessage, Channel: "dashboard:updates", Data: json.RawMessage(`2`)})
	conn.send(protocol.Envelope{Type: protocol.TypePong})
	select {
	case e := <-got:
		t.Fatalf("handler called after unsubscribe with %s", e.Data)
	case <-time.After(50 * time.Millisecond):
	}
}

func TestChannelStaysSubscribedUntilItsLastHandlerLeaves(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ws.Config{PingInterval: -1})
	conn := h.connect()
	a := make(chan string, 10)
	b := make(chan string, 10)
	unA, _ := h.client.Subscribe("feed:x", func(e protocol.Envelope) { a <- string(e.Data) })
	unB, _ := h.client.Subscribe("feed:x", func(e protocol.Envelope) { b <- string(e.Data) })
	conn.recvType(t, protocol.TypeSubscribe)
	conn.send(protocol.Envelope{Type: protocol.TypeMessage, Channel: "feed:x", Data: json.RawMessage(`1`)})
	if <-a != "1" || <-b != "1" {
		t.Fatal("both handlers should get the message")
	}
	unA()
	unA() // twice is harmless
	conn.quiet(t)
	conn.send(protocol.Envelope{Type: protocol.TypeMessage, Channel: "feed:x", Data: json.RawMessage(`2`)})
	if <-b != "2" {
		t.Fatal("the remaining handler lost the message")
	}
	unB()
	conn.recvType(t, protocol.TypeUnsubscribe)

	// Unsubscribe(channel) drops every handler at once.
	_, _ = h.client.Subscribe("feed:y", func(protocol.Envelope) {})
	_, _ = h.client.Subscribe("feed:y", func(protocol.Envelope) {})
	conn.recvType(t, protocol.TypeSubscribe)
	h.client.Unsubscribe("feed:y")
	if e := conn.recvType(t, protocol.TypeUnsubscribe); e.Channel != "feed:y" {
		t.Fatalf("unsubscribed %q", e.Channel)
	}
	if ch := h.client.Channels(); len(ch) != 0 {
		t.Fatalf("channels left: %v", ch)
	}
}

func TestBadChannelIsRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ws.Config{})
	for _, ch := range []string{"", "nokind", "a:b c", ":x"} {
		if _, err := h.client.Subscribe(ch, func(protocol.Envelope) {}); err == nil {
			t.Errorf("Subscribe(%q) accepted", ch)
		}
		if err := h.client.Publish(ch, 1); err == nil {
			t.Errorf("Publish(%q) accepted", ch)
		}
	}
}

func TestHeartbeatPingsAndConsumesPongs(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ws.Config{PingInterval: 30 * time.Second, PingTimeout: 10 * time.Second})
	got := make(chan protocol.Envelope, 10)
	conn := h.connect()
	h.client.Subscribe("x:y", func(e protocol.Envelope) { got <- e })
	conn.recvType(t, protocol.TypeSubscribe)

	h.clock.Advance(30 * time.Second)
	ping := conn.recv(t)
	if ping.Type != protocol.TypePing || ping.Timestamp != h.clock.Now().UnixMilli() {
		t.Fatalf("heartbeat %+v, want a ping stamped with the time", ping)
	}
	conn.send(protocol.Envelope{Type: protocol.TypePong, Timestamp: ping.Timestamp})
	// Wait until the pong has been read before moving time on.
	conn.send(protocol.Envelope{Type: protocol.TypeMessage, Channel: "x:y", Data: json.RawMessage(`1`)})
	if e := <-got; e.Type != protocol.TypeMessage {
		t.Fatalf("a handler got %+v", e)
	}
	h.clock.Advance(10 * time.Second)
	if s := h.client.Status(); s != ws.StatusConnected {
		t.Fatalf("answered ping: status %s", s)
	}
	select {
	case e := <-got:
		t.Fatalf("the pong was dispatched: %+v", e)
	default:
	}
}

func TestHeartbeatTimeoutReconnects(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ws.Config{PingInterval: 30 * time.Second, PingTimeout: 10 * time.Second})
	conn := h.connect()
	h.clock.Advance(30 * time.Second)
	conn.recvType(t, protocol.TypePing)
	h.clock.Advance(10*time.Second - time.Millisecond)
	if s := h.client.Status(); s != ws.StatusConnected {
		t.Fatalf("dropped before the deadline: %s", s)
	}
	h.clock.Advance(time.Millisecond)
	st := h.waitRetry()
	if !errors.Is(st.Err, ws.ErrHeartbeatTimeout) {
		t.Fatalf("reconnecting because of %v, want the heartbeat timeout", st.Err)
	}
	<-conn.done
	if conn.code() != protocol.CloseHeartbeatFailed {
		t.Fatalf("dead connection closed with %d, want %d", conn.code(), protocol.CloseHeartbeatFailed)
	}
	h.clock.Advance(st.NextDelay)
	h.net.next(t)
	h.waitStatus(ws.StatusConnected)
}

// A ping sent while the previous one's deadline runs must not move the
// mark that deadline judges by: the first ping was answered.
func TestHeartbeatDeadlineJudgesTrafficSinceItsOwnPing(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ws.Config{PingInterval: 10 * time.Second, PingTimeout: 15 * time.Second})
	got := make(chan protocol.Envelope, 10)
	conn := h.connect()
	h.client.Subscribe("x:y", func(e protocol.Envelope) { got <- e })
	conn.recvType(t, protocol.TypeSubscribe)

	h.clock.Advance(10 * time.Second) // ping 1; its deadline is at 25s
	ping := conn.recvType(t, protocol.TypePing)
	conn.send(protocol.Envelope{Type: protocol.TypePong, Timestamp: ping.Timestamp})
	conn.send(protocol.Envelope{Type: protocol.TypeMessage, Channel: "x:y", Data: json.RawMessage(`1`)})
	<-got // the pong has been read
	// Ping 2 goes out; its answer is still on the way at ping 1's deadline.
	h.clock.Advance(10 * time.Second)
	conn.recvType(t, protocol.TypePing)
	h.clock.Advance(5 * time.Second)
	if st := h.client.State(); st.Status != ws.StatusConnected {
		t.Fatalf("answered ping taken for dead: %s (%v)", st.Status, st.Err)
	}
}

func TestCheckPingsAtOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ws.Config{})
	conn := h.connect()
	h.client.Check()
	conn.recvType(t, protocol.TypePing)
	h.clock.Advance(10 * time.Second)
	h.waitRetry()
}

func TestMalformedAndUnknownFramesAreReportedAndTheConnectionStays(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ws.Config{PingInterval: -1})
	got := make(chan string, 10)
	h.client.Subscribe("x:y", func(e protocol.Envelope) { got <- e.Type + " " + string(e.Data) })
	conn := h.connect()

	conn.in <- []byte(`{not json`)
	if err := h.waitErr(); !errors.Is(err, protocol.ErrMalformed) {
		t.Fatalf("malformed frame reported as %v", err)
	}
	conn.in <- []byte(`{"type":"mystery"}`)
	if err := h.waitErr(); !errors.Is(err, ws.ErrUnknownType) {
		t.Fatalf("unknown type reported as %v", err)
	}
	// A batch with one bad line still delivers the good ones.
	conn.in <- []byte("{\"type\":\"message\",\"channel\":\"x:y\",\"data\":1}\n[]\n{\"type\":\"message\",\"channel\":\"x:y\",\"data\":2}")
	if a, b := <-got, <-got; a != "message 1" || b != "message 2" {
		t.Fatalf("batch delivered %s, %s", a, b)
	}
	h.waitErr()
	// A namespaced type goes to its channel's subscribers.
	conn.in <- []byte(`{"type":"presence.diff","channel":"x:y","data":3}`)
	if e := <-got; e != "presence.diff 3" {
		t.Fatalf("namespaced envelope delivered as %q", e)
	}
	conn.send(protocol.NewError("", protocol.CodeBadChannel, "no such channel"))
	var pe *protocol.ErrorData
	if err := h.waitErr(); !errors.As(err, &pe) || pe.Code != protocol.CodeBadChannel {
		t.Fatalf("server error reported as %v", err)
	}
	// An error about a channel reaches its subscribers as well.
	e := protocol.NewError("", "unknown_feed", "no feed y")
	e.Channel = "x:y"
	conn.send(e)
	if got := <-got; !strings.HasPrefix(got, "error ") {
		t.Fatalf("the channel's handler got %q, want the error", got)
	}
	h.waitErr()
	if s := h.client.Status(); s != ws.StatusConnected {
		t.Fatalf("status %s after bad frames", s)
	}
}

func TestSlowHandlerDoesNotStallTheConnection(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ws.Config{PingInterval: -1})
	conn := h.connect()
	release := make(chan struct{})
	h.client.Subscribe("x:slow", func(protocol.Envelope) { <-release })
	conn.recvType(t, protocol.TypeSubscribe)
	for range 100 {
		conn.send(protocol.Envelope{Type: protocol.TypeMessage, Channel: "x:slow", Data: json.RawMessage(`0`)})
	}
	// The handler is stuck, yet a request still gets its answer.
	done := make(chan error, 1)
	go func() {
		_, err := h.client.Request(context.Background(), protocol.Envelope{Type: protocol.TypePublish, Channel: "x:other", Data: json.RawMessage(`1`)})
		done <- err
	}()
	req := conn.recvType(t, protocol.TypePublish)
	conn.send(protocol.Envelope{Type: protocol.TypeAck, Ref: req.Ref})
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a slow handler stalled the connection")
	}
	close(release)
}

func TestRequestReturnsTheServersError(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ws.Config{PingInterval: -1})
	conn := h.connect()
	done := make(chan error, 1)
	go func() {
		_, err := h.client.Request(context.Background(), protocol.Envelope{Type: protocol.TypeSubscribe, Channel: "x:forbidden"})
		done <- err
	}()
	req := conn.recv(t)
	conn.send(protocol.NewError(req.Ref, protocol.CodeForbidden, "not yours"))
	var pe *protocol.ErrorData
	if err := <-done; !errors.As(err, &pe) || pe.Code != protocol.CodeForbidden {
		t.Fatalf("request error %v, want the server's forbidden", err)
	}
}

func TestAuthTokenTravelsAsSubprotocolOrQuery(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ws.Config{AuthToken: "s3cret", Protocols: []string{"realtime.v1"}})
	conn := h.connect()
	if got := strings.Join(conn.opts.Subprotocols, ","); got != "realtime.v1,bearer.s3cret" {
		t.Fatalf("subprotocols %q", got)
	}
	h2 := newHarness(t, ws.Config{AuthToken: "has space/slash"})
	conn = h2.connect()
	if len(conn.opts.Subprotocols) != 0 || !strings.Contains(conn.url, "token=has+space%2Fslash") {
		t.Fatalf("unsafe token: url %q subprotocols %v", conn.url, conn.opts.Subprotocols)
	}
}

func TestClosedClientRefusesWork(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ws.Config{})
	h.connect()
	h.client.Close()
	h.waitStatus(ws.StatusDisconnected)
	if err := h.client.Publish("x:y", 1); !errors.Is(err, ws.ErrClosed) {
		t.Fatalf("Publish after Close: %v", err)
	}
	if _, err := h.client.Subscribe("x:y", func(protocol.Envelope) {}); !errors.Is(err, ws.ErrClosed) {
		t.Fatalf("Subscribe after Close: %v", err)
	}
}

// On a connection whose writes never wait, as in the browser, the client
// writes on the sender's goroutine: messages still go in order, exactly
// once, and one whose write failed goes on the next connection.
func TestBufferedConnectionWritesInOrderAndKeepsAFailedWrite(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ws.Config{})
	h.net.buffered = true
	conn := h.connect()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 200 {
			if err := h.client.Publish("chat:room", i); err != nil {
				t.Errorf("message %d: %v", i, err)
				return
			}
		}
	}()
	for i := range 200 {
		if e := conn.recv(t); string(e.Data) != fmt.Sprint(i) {
			t.Fatalf("frame %d: %+v", i, e)
		}
	}
	<-done
	conn.quiet(t)
	if q := h.client.State().Queued; q != 0 {
		t.Fatalf("%d queued after every message was written", q)
	}

	// The socket ends; the client hears of it only later, and its write
	// fails meanwhile.
	release := conn.hold()
	conn.drop(errors.New("drop"))
	if err := h.client.Publish("chat:room", "after"); err != nil {
		t.Fatal(err)
	}
	release()
	h.clock.Advance(h.waitRetry().NextDelay)
	next := h.net.next(t)
	if e := next.recvType(t, protocol.TypePublish); string(e.Data) != `"after"` {
		t.Fatalf("the next connection got %+v, want the failed publish", e)
	}
	next.quiet(t)
}

// Handlers that change the channel's subscriptions in the middle of a
// frame's messages: one unsubscribed gets nothing more, not even the
// message at hand; one subscribed gets the rest of the frame.
func TestSubscriptionsChangedWithinAFrameTakeEffectAtOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ws.Config{PingInterval: -1})
	conn := h.connect()
	var (
		mu       sync.Mutex
		got      = map[string][]string{}
		unB      func()
		switched bool
	)
	record := func(who string) ws.Handler {
		return func(e protocol.Envelope) {
			mu.Lock()
			defer mu.Unlock()
			got[who] = append(got[who], string(e.Data))
		}
	}
	// c is called after a for each message: done is closed once c has the
	// last one, so that every handler has had the frame.
	done := make(chan struct{})
	_, _ = h.client.Subscribe("feed:x", func(e protocol.Envelope) {
		record("a")(e)
		if !switched {
			switched = true
			unB()
			_, _ = h.client.Subscribe("feed:x", func(e protocol.Envelope) {
				record("c")(e)
				if string(e.Data) == "3" {
					close(done)
				}
			})
		}
	})
	unB, _ = h.client.Subscribe("feed:x", record("b"))
	conn.recvType(t, protocol.TypeSubscribe)
	var frame []byte
	for i := 1; i <= 3; i++ {
		b, _ := protocol.Encode(protocol.Envelope{Type: protocol.TypeMessage, Channel: "feed:x", Data: json.RawMessage(fmt.Sprint(i))})
		frame = append(append(frame, b...), '\n')
	}
	conn.in <- frame
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("c did not get the frame's last message: a got %v, b %v, c %v", got["a"], got["b"], got["c"])
	}
	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(got["a"]) != "[1 2 3]" || len(got["b"]) != 0 || fmt.Sprint(got["c"]) != "[2 3]" {
		t.Fatalf("a got %v, b (unsubscribed by a at the first) %v, c (subscribed then) %v", got["a"], got["b"], got["c"])
	}
}

// SendNow sends only what it can write at once, and otherwise leaves
// everything as it was for Send.
func TestSendNowSendsOnlyWhatItCanWriteAtOnce(t *testing.T) {
	t.Parallel()
	msg := func(i int) protocol.Envelope {
		return protocol.Envelope{Type: protocol.TypePublish, Channel: "chat:room", Data: json.RawMessage(fmt.Sprint(i))}
	}
	h := newHarness(t, ws.Config{PingInterval: -1})
	h.net.buffered = true
	if h.client.SendNow(msg(0)) {
		t.Fatal("SendNow sent before the client connected")
	}
	if q := h.client.State().Queued; q != 0 {
		t.Fatalf("a refused SendNow queued %d", q)
	}
	conn := h.connect()
	if !h.client.SendNow(msg(1)) {
		t.Fatal("SendNow refused on an idle buffered connection")
	}
	if e := conn.recv(t); e.Type != protocol.TypePublish || string(e.Data) != "1" || e.ID == "" {
		t.Fatalf("got %+v, want the numbered publish 1", e)
	}
	if h.client.SendNow(protocol.Envelope{}) {
		t.Fatal("SendNow sent a message without a type")
	}
	if err := h.client.Send(protocol.Envelope{}); err == nil {
		t.Fatal("Send took a message without a type")
	}
	conn.quiet(t)

	// A transport whose writes may block: always Send's way.
	h2 := newHarness(t, ws.Config{PingInterval: -1})
	h2.connect()
	if h2.client.SendNow(msg(2)) {
		t.Fatal("SendNow wrote on a transport that may block")
	}
}

// A frame mixing messages, a repeat and another capability's envelope
// reaches the handler in the frame's order, the repeat dropped.
func TestFrameOfMixedEnvelopesIsDeliveredInOrderWithoutRepeats(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ws.Config{PingInterval: -1})
	conn := h.connect()
	got := make(chan string, 10)
	_, _ = h.client.Subscribe("feed:x", func(e protocol.Envelope) { got <- e.Type + ":" + e.ID })
	conn.recvType(t, protocol.TypeSubscribe)
	var frame []byte
	for _, e := range []protocol.Envelope{
		{Type: protocol.TypeMessage, Channel: "feed:x", ID: "1", Data: json.RawMessage(`1`)},
		{Type: protocol.TypeMessage, Channel: "feed:x", ID: "2", Data: json.RawMessage(`2`)},
		{Type: "presence.diff", Channel: "feed:x", ID: "d"},
		{Type: protocol.TypeMessage, Channel: "feed:x", ID: "2", Data: json.RawMessage(`2`)},
		{Type: protocol.TypeMessage, Channel: "feed:x", ID: "3", Data: json.RawMessage(`3`)},
	} {
		b, _ := protocol.Encode(e)
		frame = append(append(frame, b...), '\n')
	}
	conn.in <- frame
	var seq []string
	for range 4 {
		select {
		case s := <-got:
			seq = append(seq, s)
		case <-time.After(5 * time.Second):
			t.Fatalf("got %v, then nothing", seq)
		}
	}
	if fmt.Sprint(seq) != "[message:1 message:2 presence.diff:d message:3]" {
		t.Fatalf("delivered %v", seq)
	}
	select {
	case s := <-got:
		t.Fatalf("then %s too", s)
	case <-time.After(50 * time.Millisecond):
	}
}
