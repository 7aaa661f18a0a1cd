package server

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/matih-ai/realtime/internal/leaktest"
	"github.com/matih-ai/realtime/wasm/protocol"
)

// timeout bounds every wait of a test; nothing here should come close.
const timeout = 5 * time.Second

// TestMain fails the run when goroutines outlive the tests.
func TestMain(m *testing.M) { leaktest.Main(m, timeout) }

// waitGoroutines polls until at most n goroutines run.
func waitGoroutines(n int) error { return leaktest.Wait(n, timeout) }

// waitFor polls cond until it holds or the test times out.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// newTestServer starts a Server on 127.0.0.1 and shuts it down after the test.
func newTestServer(t *testing.T, opts Options) (*Server, *httptest.Server) {
	t.Helper()
	s := New(opts)
	hs := httptest.NewServer(s)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		hs.Close()
	})
	return s, hs
}

// testConn is a client connection that reads one envelope at a time out of
// batched frames.
type testConn struct {
	t       *testing.T
	conn    *websocket.Conn
	pending []protocol.Envelope
}

func wsURL(hs *httptest.Server, query string) string {
	return "ws" + strings.TrimPrefix(hs.URL, "http") + "/ws" + query
}

// dial connects to the server of hs; query is appended to /ws.
func dial(t *testing.T, hs *httptest.Server, query string, opts *websocket.DialOptions) *testConn {
	t.Helper()
	conn, err := tryDial(hs, query, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.CloseNow() })
	return &testConn{t: t, conn: conn}
}

func tryDial(hs *httptest.Server, query string, opts *websocket.DialOptions) (*websocket.Conn, error) {
	if opts == nil {
		opts = &websocket.DialOptions{}
	}
	opts.HTTPClient = hs.Client()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, wsURL(hs, query), opts)
	if err != nil {
		return nil, fmt.Errorf("failed to dial: %w", err)
	}
	conn.SetReadLimit(-1)
	return conn, nil
}

// sendRaw writes one frame of the given type.
func (c *testConn) sendRaw(typ websocket.MessageType, frame []byte) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := c.conn.Write(ctx, typ, frame); err != nil {
		c.t.Fatalf("failed to write: %v", err)
	}
}

// send writes the envelopes as one batched frame.
func (c *testConn) send(envs ...protocol.Envelope) {
	c.t.Helper()
	lines := make([][]byte, len(envs))
	for i, e := range envs {
		b, err := protocol.Encode(e)
		if err != nil {
			c.t.Fatal(err)
		}
		lines[i] = b
	}
	c.sendRaw(websocket.MessageText, bytes.Join(lines, []byte("\n")))
}

// next returns the next envelope the server sent.
func (c *testConn) next() protocol.Envelope {
	c.t.Helper()
	for len(c.pending) == 0 {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		typ, frame, err := c.conn.Read(ctx)
		cancel()
		if err != nil {
			c.t.Fatalf("failed to read: %v", err)
		}
		if typ != websocket.MessageText {
			c.t.Fatalf("got a %v frame, want text", typ)
		}
		envs, err := protocol.DecodeFrame(frame)
		if err != nil {
			c.t.Fatalf("failed to decode %q: %v", frame, err)
		}
		c.pending = envs
	}
	e := c.pending[0]
	c.pending = c.pending[1:]
	return e
}

// expect reads the next envelope and checks its type, channel and ref.
func (c *testConn) expect(typ, channel, ref string) protocol.Envelope {
	c.t.Helper()
	e := c.next()
	if e.Type != typ || e.Channel != channel || e.Ref != ref {
		c.t.Fatalf("got %+v (data %s), want type %q channel %q ref %q", e, e.Data, typ, channel, ref)
	}
	return e
}

// expectError reads the next envelope and checks it is an error with code.
func (c *testConn) expectError(code, ref string) {
	c.t.Helper()
	e := c.expect(protocol.TypeError, "", ref)
	d, err := protocol.DecodeData[protocol.ErrorData](e)
	if err != nil || d.Code != code {
		c.t.Fatalf("got error %s, want code %q", e.Data, code)
	}
}

// subscribe joins a channel and waits for the ack.
func (c *testConn) subscribe(channel string) {
	c.t.Helper()
	c.send(protocol.Envelope{Type: protocol.TypeSubscribe, Channel: channel, Ref: "sub-" + channel})
	c.expect(protocol.TypeAck, channel, "sub-"+channel)
}

// roundTrip pings and expects the pong as the very next envelope, which
// proves nothing else was queued for this client before the ping.
func (c *testConn) roundTrip() {
	c.t.Helper()
	c.send(protocol.Envelope{Type: protocol.TypePing, Timestamp: 42})
	if e := c.expect(protocol.TypePong, "", ""); e.Timestamp != 42 {
		c.t.Fatalf("pong timestamp %d, want 42", e.Timestamp)
	}
}

// expectClose reads until the connection ends and checks the close code.
func (c *testConn) expectClose(code int) {
	c.t.Helper()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		_, _, err := c.conn.Read(ctx)
		cancel()
		if err != nil {
			if got := websocket.CloseStatus(err); got != websocket.StatusCode(code) {
				c.t.Fatalf("closed with %v (%v), want %d", got, err, code)
			}
			return
		}
	}
}

func (c *testConn) close() {
	c.conn.Close(websocket.StatusNormalClosure, "")
}

// request sends a request with an optional Authorization header and
// returns the status, the body and the headers.
func request(t *testing.T, hs *httptest.Server, method, path, auth, body string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, hs.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := hs.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// nextMessageID returns the id of the message after id on its channel.
func nextMessageID(t *testing.T, id string) string {
	t.Helper()
	n, err := strconv.ParseUint(id, 10, 64)
	if err != nil {
		t.Fatalf("message id %q: %v", id, err)
	}
	return strconv.FormatUint(n+1, 10)
}
