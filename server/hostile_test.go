package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"

	"github.com/matih-ai/realtime/wasm/protocol"
)

// maxTrip bounds one round trip of a bystander while another client is
// hostile: the server serves each connection on its own goroutines, so no
// input of one client may hold up the others for long.
const maxTrip = 2 * time.Second

// Close codes a flood may end with: the rate limit's own code, or the
// generic policy violation.
const (
	closeRateLimited    = 4008
	closePolicyViolated = 1008
)

// bystander is a client minding its own business on a server under attack:
// it publishes on its own channel and times each message's way back, over
// and over, until checked.
type bystander struct {
	channel string
	conn    *websocket.Conn
	stop    chan struct{}
	done    chan struct{}

	// Set by run, read after done.
	trips   int
	slowest time.Duration
	err     error
}

// startBystander connects a bystander to the server of hs and starts its round
// trips; call check to stop it and assert it was never held up.
func startBystander(t *testing.T, hs *httptest.Server) *bystander {
	t.Helper()
	b := &bystander{channel: "watch:" + t.Name(), stop: make(chan struct{}), done: make(chan struct{})}
	b.channel = strings.NewReplacer("/", ".", " ", "_").Replace(b.channel)
	conn, err := tryDial(hs, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.CloseNow() })
	b.conn = conn
	if err := b.request(protocol.Envelope{Type: protocol.TypeSubscribe, Channel: b.channel, Ref: "sub"}, "", "sub"); err != nil {
		t.Fatalf("bystander: %v", err)
	}
	go b.run()
	return b
}

func (b *bystander) run() {
	defer close(b.done)
	for i := 1; ; i++ {
		select {
		case <-b.stop:
			return
		default:
		}
		start := time.Now()
		n := strconv.Itoa(i)
		if b.err = b.request(protocol.Envelope{Type: protocol.TypePublish, Channel: b.channel, Data: json.RawMessage(n), Ref: n}, n, n); b.err != nil {
			return
		}
		b.trips++
		b.slowest = max(b.slowest, time.Since(start))
		// Leave the CPU to the attack between trips, and stay well under
		// the default rate limit (100 requests a second).
		time.Sleep(20 * time.Millisecond)
	}
}

// request sends env and reads until both its message with data want (when
// want is set) and the ack of ref have come, within maxTrip.
func (b *bystander) request(env protocol.Envelope, want, ref string) error {
	ctx, cancel := context.WithTimeout(context.Background(), maxTrip)
	defer cancel()
	frame, err := protocol.Encode(env)
	if err != nil {
		return err
	}
	if err := b.conn.Write(ctx, websocket.MessageText, frame); err != nil {
		return fmt.Errorf("failed to write %s: %w", env.Type, err)
	}
	gotMessage, gotAck := want == "", false
	for !gotMessage || !gotAck {
		envs, err := readEnvelopes(ctx, b.conn)
		if err != nil {
			return fmt.Errorf("%s %s not answered within %v: %w", env.Type, ref, maxTrip, err)
		}
		for _, e := range envs {
			switch {
			case e.Type == protocol.TypeMessage && string(e.Data) == want:
				gotMessage = true
			case e.Type == protocol.TypeAck && e.Ref == ref:
				gotAck = true
			default:
				return fmt.Errorf("unexpected %+v (data %s)", e, e.Data)
			}
		}
	}
	return nil
}

// check stops the bystander and fails the test unless every round trip
// completed within maxTrip; it makes one more trip last, so the bystander
// is proven served after whatever the attack did.
func (b *bystander) check(t *testing.T) {
	t.Helper()
	close(b.stop)
	<-b.done
	if b.err != nil {
		t.Fatalf("bystander after %d round trips: %v", b.trips, b.err)
	}
	if err := b.request(protocol.Envelope{Type: protocol.TypePublish, Channel: b.channel, Data: json.RawMessage(`"last"`), Ref: "last"}, `"last"`, "last"); err != nil {
		t.Fatalf("bystander's last round trip: %v", err)
	}
	t.Logf("bystander: %d round trips, slowest %v", b.trips, b.slowest.Round(time.Millisecond))
}

// readEnvelopes reads one frame and decodes its envelopes; every text
// frame the server sends must be valid UTF-8, or a browser drops the
// connection.
func readEnvelopes(ctx context.Context, conn *websocket.Conn) ([]protocol.Envelope, error) {
	typ, frame, err := conn.Read(ctx)
	if err != nil {
		return nil, err
	}
	if typ != websocket.MessageText {
		return nil, fmt.Errorf("got a %v frame, want text", typ)
	}
	if !utf8.Valid(frame) {
		return nil, fmt.Errorf("the server sent invalid UTF-8: %q", frame)
	}
	return protocol.DecodeFrame(frame)
}

// hostile is a raw connection that checks each answer's shape and that
// every frame the server sends is valid UTF-8.
type hostile struct{ *testConn }

func dialHostile(t *testing.T, hs *httptest.Server) hostile {
	t.Helper()
	return hostile{dial(t, hs, "", nil)}
}

// next returns the next envelope, checking the frame it came in.
func (h hostile) next() protocol.Envelope {
	h.t.Helper()
	for len(h.pending) == 0 {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		envs, err := readEnvelopes(ctx, h.conn)
		cancel()
		if err != nil {
			h.t.Fatalf("failed to read: %v", err)
		}
		h.pending = envs
	}
	e := h.pending[0]
	h.pending = h.pending[1:]
	return e
}

// expect reads the next envelope and checks its type, channel and ref.
func (h hostile) expect(typ, channel, ref string) protocol.Envelope {
	h.t.Helper()
	e := h.next()
	if e.Type != typ || e.Channel != channel || e.Ref != ref {
		h.t.Fatalf("got %+v (data %.100s), want type %q channel %q ref %q", e, e.Data, typ, channel, ref)
	}
	return e
}

// expectCode reads the next envelope and checks it is an error with code
// and ref; a refusal may name the channel, which is not checked.
func (h hostile) expectCode(code, ref string) protocol.ErrorData {
	h.t.Helper()
	e := h.next()
	d, err := protocol.DecodeData[protocol.ErrorData](e)
	if e.Type != protocol.TypeError || e.Ref != ref || err != nil || d.Code != code {
		h.t.Fatalf("got %+v (data %s), want error %q with ref %q", e, e.Data, code, ref)
	}
	return d
}

// served proves the connection is still served: a ping comes back as the
// very next envelope.
func (h hostile) served() {
	h.t.Helper()
	h.send(protocol.Envelope{Type: protocol.TypePing, Ref: "still"})
	if e := h.next(); e.Type != protocol.TypePong || e.Ref != "still" {
		h.t.Fatalf("got %+v (data %s), want the pong", e, e.Data)
	}
}

// badFrame is a frame and the error it must be answered with.
type badFrame struct {
	name  string
	frame string
	code  string
	ref   string
}

// answerEach sends each frame on one connection and checks its error; the
// connection stays served throughout.
func answerEach(t *testing.T, hs *httptest.Server, frames []badFrame) {
	h := dialHostile(t, hs)
	for _, f := range frames {
		h.sendRaw(websocket.MessageText, []byte(f.frame))
		e := h.next()
		d, err := protocol.DecodeData[protocol.ErrorData](e)
		if e.Type != protocol.TypeError || e.Ref != f.ref || err != nil || d.Code != f.code {
			t.Fatalf("%s: got %+v (data %s), want error %q with ref %q", f.name, e, e.Data, f.code, f.ref)
		}
	}
	h.served()
}

// nested returns depth arrays nested in one another.
func nested(depth int) string {
	return strings.Repeat("[", depth) + strings.Repeat("]", depth)
}

// TestHostileInput sends what a broken or malicious client might while a
// bystander on the same server keeps publishing to itself: the hostile
// client gets error envelopes or the documented close code, the server
// never panics (a panic in a connection's goroutine would end this test
// binary), and the bystander's round trips each complete within maxTrip.
// The cases run one after another, each on its own server: the timings
// mean nothing if they compete for the CPU.
func TestHostileInput(t *testing.T) {
	cases := []struct {
		name   string
		opts   Options
		attack func(t *testing.T, s *Server, hs *httptest.Server)
	}{
		{"malformed JSON", Options{}, func(t *testing.T, _ *Server, hs *httptest.Server) {
			var frames []badFrame
			for _, f := range []string{
				`{"type":`, `{"type":"ping"`, `nul`, `{"type":"ping"}}`, `{"type":"ping"}x`,
				"\x00\x01", `{"type":"ping","ref":}`, `[]`, `"ping"`, `{"type":"ping",}`,
				`{'type':'ping'}`, `{"type":"ping","data":NaN}`, `{"type":"ping","data":01}`,
				`{"type":"ping","ref":"` + "\x01" + `"}`, strings.Repeat("{", 1000),
			} {
				frames = append(frames, badFrame{f, f, protocol.CodeBadFrame, ""})
			}
			answerEach(t, hs, frames)
		}},
		{"wrong field types", Options{}, func(t *testing.T, _ *Server, hs *httptest.Server) {
			answerEach(t, hs, []badFrame{
				{"type as number", `{"type":1,"ref":"r"}`, protocol.CodeBadFrame, ""},
				{"type as null", `{"type":null,"ref":"r"}`, protocol.CodeBadFrame, ""},
				{"type as object", `{"type":{"type":"ping"}}`, protocol.CodeBadFrame, ""},
				{"channel as object", `{"type":"subscribe","channel":{"a":1},"ref":"r"}`, protocol.CodeBadFrame, ""},
				{"channel as array", `{"type":"subscribe","channel":["a:b"],"ref":"r"}`, protocol.CodeBadFrame, ""},
				{"ref as array", `{"type":"ping","ref":["r"]}`, protocol.CodeBadFrame, ""},
				{"ref as number", `{"type":"ping","ref":7}`, protocol.CodeBadFrame, ""},
				{"id as bool", `{"type":"ping","id":true}`, protocol.CodeBadFrame, ""},
				{"timestamp as string", `{"type":"ping","timestamp":"now"}`, protocol.CodeBadFrame, ""},
				{"timestamp as fraction", `{"type":"ping","timestamp":1.5}`, protocol.CodeBadFrame, ""},
				{"timestamp out of range", `{"type":"ping","timestamp":1e400}`, protocol.CodeBadFrame, ""},
				{"timestamp over int64", `{"type":"ping","timestamp":9223372036854775808}`, protocol.CodeBadFrame, ""},
				{"presence meta as number", `{"type":"presence.join","channel":"presence:doc","data":42,"ref":"p1"}`, protocol.CodeBadPresence, "p1"},
				{"presence session as array", `{"type":"presence.join","channel":"presence:doc","data":{"session":["s"],"user":"u"},"ref":"p2"}`, protocol.CodeBadPresence, "p2"},
				{"presence extra as string", `{"type":"presence.join","channel":"presence:doc","data":{"session":"s","user":"u","extra":"x"},"ref":"p3"}`, protocol.CodeBadPresence, "p3"},
				{"presence leave as string", `{"type":"presence.leave","channel":"presence:doc","data":"s","ref":"p4"}`, protocol.CodeBadPresence, "p4"},
				{"presence without data", `{"type":"presence.update","channel":"presence:doc","ref":"p5"}`, protocol.CodeBadPresence, "p5"},
				{"notify after as string", `{"type":"notify.sync","channel":"notifications:u","data":{"after":"1"},"ref":"n1"}`, protocol.CodeBadNotify, "n1"},
				{"notify after negative", `{"type":"notify.sync","channel":"notifications:u","data":{"after":-1},"ref":"n2"}`, protocol.CodeBadNotify, "n2"},
				{"notify data as array", `{"type":"notify.sync","channel":"notifications:u","data":[],"ref":"n3"}`, protocol.CodeBadNotify, "n3"},
			})
			// Data is any JSON value, a huge string too: it is a message.
			h := dialHostile(t, hs)
			big := strconv.Quote(strings.Repeat("x", DefaultReadLimit-200))
			h.sendRaw(websocket.MessageText, []byte(`{"type":"publish","channel":"echo:big","data":`+big+`,"ref":"big"}`))
			if e := h.next(); e.Type != protocol.TypeMessage || string(e.Data) != big {
				t.Fatalf("got %s of %d bytes, want the echo of the huge string", e.Type, len(e.Data))
			}
			if e := h.next(); e.Type != protocol.TypeAck || e.Ref != "big" {
				t.Fatalf("got %+v, want the ack", e)
			}
		}},
		{"huge frames", Options{}, func(t *testing.T, _ *Server, hs *httptest.Server) {
			// Exactly the read limit is served.
			h := dialHostile(t, hs)
			prefix, suffix := `{"type":"publish","channel":"echo:big","data":"`, `","ref":"max"}`
			frame := prefix + strings.Repeat("x", DefaultReadLimit-len(prefix)-len(suffix)) + suffix
			h.sendRaw(websocket.MessageText, []byte(frame))
			h.expect(protocol.TypeMessage, "echo:big", "")
			h.expect(protocol.TypeAck, "echo:big", "max")
			h.served()
			// One byte more closes with 1009, text or binary.
			for _, typ := range []websocket.MessageType{websocket.MessageText, websocket.MessageBinary} {
				h := dialHostile(t, hs)
				h.sendRaw(typ, []byte(frame+" "))
				h.expectClose(protocol.CloseMessageTooBig)
			}
			// A stream of frames just under the limit is only bandwidth.
			h = dialHostile(t, hs)
			for range 50 {
				h.sendRaw(websocket.MessageText, []byte(frame))
				h.expect(protocol.TypeMessage, "echo:big", "")
				h.expect(protocol.TypeAck, "echo:big", "max")
			}
		}},
		{"deeply nested data within the read limit", Options{}, func(t *testing.T, _ *Server, hs *httptest.Server) {
			h := dialHostile(t, hs)
			// As deep as 64 KiB allows: past encoding/json's depth limit.
			start := time.Now()
			h.sendRaw(websocket.MessageText, []byte(`{"type":"publish","channel":"echo:deep","data":`+nested(32000)+`,"ref":"deep"}`))
			h.expectCode(protocol.CodeBadFrame, "")
			t.Logf("32,000 nested arrays (64 KB) refused in %v", time.Since(start).Round(time.Microsecond))
			// 100,000 do not fit.
			h.sendRaw(websocket.MessageText, []byte(`{"type":"publish","channel":"echo:deep","data":`+nested(100_000)+`}`))
			h.expectClose(protocol.CloseMessageTooBig)
		}},
		{"deeply nested data with a large read limit", Options{ReadLimit: 1 << 20}, func(t *testing.T, _ *Server, hs *httptest.Server) {
			h := dialHostile(t, hs)
			sub := dialHostile(t, hs)
			sub.subscribe("deep:x")
			start := time.Now()
			h.sendRaw(websocket.MessageText, []byte(`{"type":"publish","channel":"deep:x","data":`+nested(100_000)+`,"ref":"deep"}`))
			h.expectCode(protocol.CodeBadFrame, "")
			t.Logf("100,000 nested arrays (200 KB) refused in %v", time.Since(start).Round(time.Microsecond))
			// Just under encoding/json's limit of 10,000 is a message; its
			// subscriber gets it.
			start = time.Now()
			h.sendRaw(websocket.MessageText, []byte(`{"type":"publish","channel":"deep:x","data":`+nested(9000)+`,"ref":"9000"}`))
			h.expect(protocol.TypeAck, "deep:x", "9000")
			if e := sub.next(); e.Type != protocol.TypeMessage || len(e.Data) != 18000 {
				t.Fatalf("subscriber got %s with %d bytes of data, want the 9,000 nested arrays", e.Type, len(e.Data))
			}
			t.Logf("9,000 nested arrays published and delivered in %v", time.Since(start).Round(time.Microsecond))
			// Presence metas are decoded into maps before their size is checked.
			start = time.Now()
			extra := strings.Repeat(`{"a":`, 9000) + "1" + strings.Repeat("}", 9000)
			h.sendRaw(websocket.MessageText, []byte(`{"type":"presence.join","channel":"presence:deep","data":{"session":"s","user":"u","extra":`+extra+`},"ref":"meta"}`))
			h.expectCode(protocol.CodeBadPresence, "meta")
			t.Logf("a presence meta 9,000 objects deep refused in %v", time.Since(start).Round(time.Microsecond))
		}},
		{"unknown types", Options{}, func(t *testing.T, _ *Server, hs *httptest.Server) {
			answerEach(t, hs, []badFrame{
				{"made up", `{"type":"dance","ref":"1"}`, protocol.CodeUnknownType, "1"},
				{"server to client", `{"type":"message","channel":"a:b","ref":"2"}`, protocol.CodeUnknownType, "2"},
				{"ack", `{"type":"ack","ref":"3"}`, protocol.CodeUnknownType, "3"},
				{"presence diff", `{"type":"presence.diff","channel":"presence:x","ref":"4"}`, protocol.CodeUnknownType, "4"},
				{"NUL", `{"type":"\u0000","ref":"5"}`, protocol.CodeUnknownType, "5"},
				{"case", `{"type":"PING","ref":"6"}`, protocol.CodeUnknownType, "6"},
			})
			// A huge type is not echoed back whole.
			h := dialHostile(t, hs)
			h.sendRaw(websocket.MessageText, []byte(`{"type":"`+strings.Repeat("x", 60_000)+`","ref":"7"}`))
			if d := h.expectCode(protocol.CodeUnknownType, "7"); len(d.Message) > 200 {
				t.Fatalf("the error repeats %d bytes of the type", len(d.Message))
			}
		}},
		{"binary frames", Options{}, func(t *testing.T, _ *Server, hs *httptest.Server) {
			h := dialHostile(t, hs)
			for _, frame := range [][]byte{[]byte(`{"type":"ping","ref":"b"}`), {}, {0, 0xff, 0xfe}, bytes.Repeat([]byte{0x81}, DefaultReadLimit)} {
				h.sendRaw(websocket.MessageBinary, frame)
				h.expectCode(protocol.CodeBinaryFrame, "")
			}
			h.served()
		}},
		{"invalid UTF-8", Options{}, func(t *testing.T, _ *Server, hs *httptest.Server) {
			sub := dialHostile(t, hs)
			sub.subscribe("utf8:x")
			var frames []badFrame
			for _, bad := range []string{"\xff", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "a\xe2\x82"} {
				frames = append(frames,
					badFrame{fmt.Sprintf("outside strings %q", bad), `{"type":"ping"}` + bad, protocol.CodeBadFrame, ""},
					badFrame{fmt.Sprintf("in the type %q", bad), `{"type":"` + bad + `","ref":"t"}`, protocol.CodeBadFrame, ""},
					badFrame{fmt.Sprintf("in the channel %q", bad), `{"type":"publish","channel":"utf8:` + bad + `","data":1,"ref":"c"}`, protocol.CodeBadFrame, ""},
					badFrame{fmt.Sprintf("in data %q", bad), `{"type":"publish","channel":"utf8:x","data":"` + bad + `","ref":"d"}`, protocol.CodeBadFrame, ""},
					badFrame{fmt.Sprintf("in a data key %q", bad), `{"type":"publish","channel":"utf8:x","data":{"` + bad + `":1},"ref":"k"}`, protocol.CodeBadFrame, ""},
				)
			}
			answerEach(t, hs, frames)
			// The subscriber got none of them: its next message is this one.
			h := dialHostile(t, hs)
			h.send(protocol.Envelope{Type: protocol.TypePublish, Channel: "utf8:x", Data: json.RawMessage(`"é ok"`), Ref: "ok"})
			h.expect(protocol.TypeAck, "utf8:x", "ok")
			if e := sub.next(); e.Type != protocol.TypeMessage || string(e.Data) != `"é ok"` {
				t.Fatalf("subscriber got %+v (data %q), want the valid message", e, e.Data)
			}
		}},
		{"flood", Options{}, func(t *testing.T, _ *Server, hs *httptest.Server) {
			flood(t, hs, 10_000, true)
		}},
		{"flood without a rate limit", Options{RateLimit: -1}, func(t *testing.T, _ *Server, hs *httptest.Server) {
			flood(t, hs, 10_000, false)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, hs := newTestServer(t, tc.opts)
			b := startBystander(t, hs)
			tc.attack(t, s, hs)
			b.check(t)
		})
	}
}

// flood sends n requests, one a frame, as fast as the connection takes
// them, while reading whatever comes back. A server with a rate limit
// answers every one, some perhaps with rate_limited, or closes with the
// rate limit's code; one without answers every request.
func flood(t *testing.T, hs *httptest.Server, n int, rateLimited bool) {
	t.Helper()
	conn, err := tryDial(hs, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	// Each kind of request and how many envelopes answer it.
	requests := []struct {
		frame   string
		answers int
	}{
		{`{"type":"ping","ref":"p"}`, 1},
		{`{"type":"publish","channel":"echo:flood","data":{"n":1},"ref":"e"}`, 2}, // the echo and the ack
		{`{"type":"publish","channel":"flood:x","data":"x","ref":"f"}`, 1},        // nobody listens
		{`not json`, 1},
		{`{"type":"subscribe","channel":"flood:y","ref":"s"}`, 1},
		{`{"type":"dance","ref":"d"}`, 1},
	}
	want := 1 // the last ping
	var wg sync.WaitGroup
	wg.Add(1)
	start := time.Now()
	var writeErr error
	go func() {
		defer wg.Done()
		for i := range n - 1 {
			if writeErr = conn.Write(ctx, websocket.MessageText, []byte(requests[i%len(requests)].frame)); writeErr != nil {
				return
			}
		}
		writeErr = conn.Write(ctx, websocket.MessageText, []byte(`{"type":"ping","ref":"last"}`))
	}()
	for i := range n - 1 {
		want += requests[i%len(requests)].answers
	}

	got, limited := 0, 0
	var closed error
read:
	for {
		envs, err := readEnvelopes(ctx, conn)
		if err != nil {
			closed = err
			break
		}
		for _, e := range envs {
			got++
			if d, err := protocol.DecodeData[protocol.ErrorData](e); e.Type == protocol.TypeError && err == nil && d.Code == "rate_limited" {
				limited++
			}
			if e.Ref == "last" {
				break read
			}
		}
	}
	wg.Wait()
	elapsed := time.Since(start)
	switch code := websocket.CloseStatus(closed); {
	case !rateLimited && (closed != nil || limited > 0 || got != want):
		t.Fatalf("flood of %d frames without a rate limit: %d answers (%d rate_limited), want %d; ended with %v", n, got, limited, want, closed)
	case closed == nil && limited == 0 && got != want:
		t.Fatalf("flood of %d frames: %d answers, want %d", n, got, want)
	case closed == nil:
		t.Logf("flood of %d frames answered in %v: %d answers, %d rate_limited", n, elapsed.Round(time.Millisecond), got, limited)
	case code == closeRateLimited || code == closePolicyViolated:
		t.Logf("flood of %d frames closed with %d after %v and %d answers (%d rate_limited)", n, code, elapsed.Round(time.Millisecond), got, limited)
	default:
		t.Fatalf("flood of %d frames: after %d answers the connection ended with %v (write: %v)", n, got, closed, writeErr)
	}
}
