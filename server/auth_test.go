package server

import (
	"net/http"
	"testing"

	"github.com/coder/websocket"

	"github.com/matih-ai/realtime/wasm/protocol"
)

func TestAuth(t *testing.T) {
	t.Parallel()
	_, hs := newTestServer(t, Options{Auth: StaticToken("s3cret")})
	_, open := newTestServer(t, Options{})

	tests := []struct {
		name    string
		server  string // "auth" or "open"
		query   string
		opts    websocket.DialOptions
		wantSub string
		ok      bool
	}{
		{name: "no token", server: "auth"},
		{name: "bad subprotocol", server: "auth", opts: websocket.DialOptions{Subprotocols: []string{"bearer.wrong"}}, wantSub: "bearer.wrong"},
		{name: "bad query", server: "auth", query: "?token=wrong"},
		{name: "good subprotocol", server: "auth", opts: websocket.DialOptions{Subprotocols: []string{"other", "bearer.s3cret"}}, wantSub: "bearer.s3cret", ok: true},
		{name: "good query", server: "auth", query: "?token=s3cret", ok: true},
		{name: "good header", server: "auth", opts: websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer s3cret"}}}, ok: true},
		{name: "no auth echoes bearer", server: "open", opts: websocket.DialOptions{Subprotocols: []string{"bearer.any"}}, wantSub: "bearer.any", ok: true},
		{name: "no auth no token", server: "open", ok: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := hs
			if tt.server == "open" {
				srv = open
			}
			c := dial(t, srv, tt.query, &tt.opts)
			if got := c.conn.Subprotocol(); got != tt.wantSub {
				t.Errorf("subprotocol %q, want %q", got, tt.wantSub)
			}
			if !tt.ok {
				c.expectClose(protocol.CloseUnauthorized)
				return
			}
			c.roundTrip()
		})
	}
}

func TestUnauthorizedRequestsAreNotServed(t *testing.T) {
	t.Parallel()
	_, hs := newTestServer(t, Options{Auth: StaticToken("s3cret")})
	spy := dial(t, hs, "?token=s3cret", nil)
	spy.subscribe("chat:room")

	c := dial(t, hs, "?token=wrong", nil)
	c.send(protocol.Envelope{Type: protocol.TypePublish, Channel: "chat:room", Data: []byte(`1`)})
	c.expectClose(protocol.CloseUnauthorized)
	spy.roundTrip()
}

func TestOrigins(t *testing.T) {
	t.Parallel()
	_, strict := newTestServer(t, Options{})
	_, allowing := newTestServer(t, Options{Origins: []string{"app.example"}})
	cross := func() *websocket.DialOptions {
		return &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {"http://app.example"}}}
	}

	if conn, err := tryDial(strict, "", cross()); err == nil {
		conn.CloseNow()
		t.Fatal("a cross-origin handshake was accepted by default")
	}
	dial(t, allowing, "", cross()).roundTrip()
}
