package server

import (
	"bytes"
	"context"
	"encoding/json"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/coder/websocket"

	"github.com/matih-ai/realtime/wasm/protocol"
)

func TestPingPong(t *testing.T) {
	t.Parallel()
	_, hs := newTestServer(t, Options{})
	c := dial(t, hs, "", nil)
	c.send(protocol.Envelope{Type: protocol.TypePing, Timestamp: 1764240000000, Ref: "hb"})
	if e := c.expect(protocol.TypePong, "", "hb"); e.Timestamp != 1764240000000 {
		t.Fatalf("pong timestamp %d", e.Timestamp)
	}
}

func TestBadInputKeepsConnection(t *testing.T) {
	t.Parallel()
	_, hs := newTestServer(t, Options{})
	tests := []struct {
		name  string
		typ   websocket.MessageType
		frame string
		code  string
		ref   string
	}{
		{"malformed json", websocket.MessageText, `{"type":`, protocol.CodeBadFrame, ""},
		{"not an object", websocket.MessageText, `[1,2]`, protocol.CodeBadFrame, ""},
		{"missing type", websocket.MessageText, `{"channel":"a:b"}`, protocol.CodeBadFrame, ""},
		{"unknown type", websocket.MessageText, `{"type":"dance","ref":"7"}`, protocol.CodeUnknownType, "7"},
		{"server-only type", websocket.MessageText, `{"type":"message","ref":"8"}`, protocol.CodeUnknownType, "8"},
		{"bad channel subscribe", websocket.MessageText, `{"type":"subscribe","channel":"nokind","ref":"9"}`, protocol.CodeBadChannel, "9"},
		{"empty channel publish", websocket.MessageText, `{"type":"publish","ref":"10"}`, protocol.CodeBadChannel, "10"},
		{"bad channel unsubscribe", websocket.MessageText, `{"type":"unsubscribe","channel":"a:b c","ref":"11"}`, protocol.CodeBadChannel, "11"},
		{"long channel", websocket.MessageText, `{"type":"subscribe","channel":"a:` + strings.Repeat("x", 300) + `","ref":"12"}`, protocol.CodeBadChannel, "12"},
		{"binary frame", websocket.MessageBinary, `{"type":"ping"}`, protocol.CodeBinaryFrame, ""},
		{"invalid utf8", websocket.MessageText, "\xff\xfe", protocol.CodeBadFrame, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := dial(t, hs, "", nil)
			c.sendRaw(tt.typ, []byte(tt.frame))
			c.expectError(tt.code, tt.ref)
			c.roundTrip()
		})
	}
}

func TestBatchedRequests(t *testing.T) {
	t.Parallel()
	_, hs := newTestServer(t, Options{})
	c := dial(t, hs, "", nil)
	c.sendRaw(websocket.MessageText, []byte(
		`{"type":"subscribe","channel":"chat:room","ref":"1"}`+"\n"+
			"not json\n\n"+
			`{"type":"publish","channel":"chat:room","data":"x","ref":"2"}`+"\n"))
	c.expect(protocol.TypeAck, "chat:room", "1")
	c.expectError(protocol.CodeBadFrame, "")
	c.expect(protocol.TypeMessage, "chat:room", "")
	c.expect(protocol.TypeAck, "chat:room", "2")
}

func TestOversizeFrameCloses1009(t *testing.T) {
	t.Parallel()
	_, hs := newTestServer(t, Options{ReadLimit: 1024})
	c := dial(t, hs, "", nil)
	c.roundTrip()
	c.send(protocol.Envelope{Type: protocol.TypePublish, Channel: "echo:big", Data: json.RawMessage(strconv.Quote(strings.Repeat("x", 2048)))})
	c.expectClose(protocol.CloseMessageTooBig)
}

// TestSlowClientClosed1013 fills a never-reading subscriber's socket and
// send buffer; it must be closed with 1013 while another subscriber of the
// same channel receives every message.
func TestSlowClientClosed1013(t *testing.T) {
	t.Parallel()
	s, hs := newTestServer(t, Options{SendBuffer: 4})
	slow := dial(t, hs, "", nil)
	fast := dial(t, hs, "", nil)
	slow.subscribe("feed:x")
	fast.subscribe("feed:x")

	n, last := 0, ""
	// publish sends the next message in lockstep: fast has read it before
	// the next one goes out, so only the slow client falls behind.
	publish := func(data any) {
		t.Helper()
		n++
		if err := s.Publish("feed:x", data); err != nil {
			t.Fatal(err)
		}
		m := fast.expect(protocol.TypeMessage, "feed:x", "")
		if last != "" && m.ID != nextMessageID(t, last) {
			t.Fatalf("fast client got id %s after %s", m.ID, last)
		}
		last = m.ID
	}
	payload := strings.Repeat("x", 16<<10)
	for s.hub.subscribers("feed:x") == 2 {
		if n == 10000 {
			t.Fatal("the slow client was never closed")
		}
		publish(payload)
	}
	t.Logf("closed after %d messages", n)
	for range 3 {
		publish("after")
	}
	slow.expectClose(protocol.CloseTryAgainLater)
}

func TestShutdownCloses1012(t *testing.T) {
	t.Parallel()
	s, hs := newTestServer(t, Options{})
	a := dial(t, hs, "", nil)
	b := dial(t, hs, "", nil)
	a.subscribe("chat:room")
	b.roundTrip()

	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		done <- s.Shutdown(ctx)
	}()
	a.expectClose(protocol.CloseServiceRestart)
	b.expectClose(protocol.CloseServiceRestart)
	if err := <-done; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if n := s.connections(); n != 0 {
		t.Fatalf("%d connections after shutdown", n)
	}
	// Late arrivals are turned away with the same code.
	dial(t, hs, "", nil).expectClose(protocol.CloseServiceRestart)
}

func TestShutdownDeadlineDropsStuckClients(t *testing.T) {
	t.Parallel()
	s, hs := newTestServer(t, Options{})
	c := dial(t, hs, "", nil) // never reads, so it never answers the close
	c.roundTrip()

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Shutdown(ctx); err == nil {
		t.Fatal("shutdown with an expired context reported success")
	}
	if n := s.connections(); n != 0 {
		t.Fatalf("%d connections after a forced shutdown", n)
	}
}

// TestNoGoroutineLeak is not parallel, so the count is not disturbed.
func TestNoGoroutineLeak(t *testing.T) {
	s, hs := newTestServer(t, Options{})
	before := runtime.NumGoroutine()

	conns := make([]*testConn, 5)
	for i := range conns {
		conns[i] = dial(t, hs, "", nil)
		conns[i].subscribe("chat:room")
	}
	if err := s.Publish("chat:room", 1); err != nil {
		t.Fatal(err)
	}
	for _, c := range conns {
		c.expect(protocol.TypeMessage, "chat:room", "")
		c.close()
	}
	waitFor(t, "connections to end", func() bool { return s.connections() == 0 })
	if s.hub.subscribers("chat:room") != 0 {
		t.Fatal("closed clients are still subscribed")
	}
	if err := waitGoroutines(before); err != nil {
		t.Fatal(err)
	}
}

// TestManyRequestsInOneFrame sends more requests at once than the send
// buffer holds: the replies wait for room instead of closing the sender,
// and however the writer batches them each frame stays within the bound.
// The rate limit is off: 500 requests at once are past any burst.
func TestManyRequestsInOneFrame(t *testing.T) {
	t.Parallel()
	_, hs := newTestServer(t, Options{SendBuffer: 16, RateLimit: -1})
	c := dial(t, hs, "", nil)
	var frame bytes.Buffer
	for i := range 500 {
		frame.WriteString(`{"type":"ping","timestamp":` + strconv.Itoa(i+1) + "}\n")
	}
	c.sendRaw(websocket.MessageText, frame.Bytes())
	got := 0
	for got < 500 {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		_, b, err := c.conn.Read(ctx)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > maxBatchBytes {
			t.Fatalf("frame of %d bytes, bound is %d", len(b), maxBatchBytes)
		}
		envs, err := protocol.DecodeFrame(b)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range envs {
			got++
			if e.Type != protocol.TypePong || e.Timestamp != int64(got) {
				t.Fatalf("envelope %d: %+v", got, e)
			}
		}
	}
}

// A client that asks for frames=binary gets the server's long frames as
// binary messages, with the bytes a text frame would hold, and its short
// ones as text; other clients get text only. Its own frames stay text.
func TestLongFramesGoAsBinaryWhenAsked(t *testing.T) {
	t.Parallel()
	s, hs := newTestServer(t, Options{SendBuffer: 1000}) // the burst at once
	for i, tt := range []struct {
		query  string
		binary bool
	}{
		{"", false},
		{"?frames=binary", true},
		{"?frames=text", false},
		{"?token=x&frames=binary", true},
	} {
		t.Run(tt.query, func(t *testing.T) {
			c := dial(t, hs, tt.query, nil)
			channel := "feed:frames-" + strconv.Itoa(i)
			c.subscribe(channel) // its ack a short text frame (next refuses binary)
			text := "café ✓ " + strings.Repeat("x", 40)
			const n = 300
			data := make([]any, n)
			for j := range data {
				data[j] = map[string]any{"n": j, "text": text}
			}
			if err := s.Publish(channel, "short"); err != nil {
				t.Fatal(err)
			}
			if err := s.PublishAll(channel, data...); err != nil {
				t.Fatal(err)
			}
			got, binaries := 0, 0
			for got < n+1 {
				ctx, cancel := context.WithTimeout(context.Background(), timeout)
				typ, frame, err := c.conn.Read(ctx)
				cancel()
				if err != nil {
					t.Fatal(err)
				}
				wantType := websocket.MessageText
				if tt.binary && len(frame) >= binaryFrom {
					wantType = websocket.MessageBinary
					binaries++
				}
				if typ != wantType {
					t.Fatalf("a frame of %d bytes came as %v, want %v", len(frame), typ, wantType)
				}
				envs, err := protocol.DecodeFrame(frame)
				if err != nil {
					t.Fatalf("a %v frame did not decode: %v", typ, err)
				}
				for _, e := range envs {
					want := `"short"`
					if got > 0 {
						want = `{"n":` + strconv.Itoa(got-1) + `,"text":"` + text + `"}`
					}
					if e.Type != protocol.TypeMessage || string(e.Data) != want {
						t.Fatalf("message %d: %s %s, want data %s", got, e.Type, e.Data, want)
					}
					got++
				}
			}
			if tt.binary && binaries == 0 {
				t.Fatal("no frame came as binary")
			}
			c.roundTrip() // its own frames are text, and served
		})
	}
}
