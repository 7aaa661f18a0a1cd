//go:build !js

package ws_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/matih-ai/realtime/server"
	"github.com/matih-ai/realtime/wasm/clock"
	"github.com/matih-ai/realtime/wasm/protocol"
	"github.com/matih-ai/realtime/wasm/ws"
)

// expiringTokens is a server's Authenticator whose tokens ("t1", "t2",
// ...) are valid for a minute of its clock from their first use, and the
// tokens it was shown.
type expiringTokens struct {
	clock *clock.Fake

	mu   sync.Mutex
	seen []string
	exp  map[string]time.Time
}

func (a *expiringTokens) Authenticate(_ context.Context, token string) (server.Identity, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.seen = append(a.seen, token)
	if token == "" {
		return server.Identity{}, server.ErrMissingToken
	}
	if _, ok := a.exp[token]; !ok {
		a.exp[token] = a.clock.Now().Add(time.Minute)
	}
	return server.Identity{User: "ada", Expires: a.exp[token]}, nil
}

func (a *expiringTokens) shown() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.seen...)
}

func TestRealServerExpiredTokenIsRefreshedAndSubscriptionsRestored(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake()
	auth := &expiringTokens{clock: clk, exp: map[string]time.Time{}}
	b := startBackend(t, server.Options{Auth: auth, Clock: clk, IdleTimeout: time.Hour}, "")

	src := &tokens{}
	// A backoff would take an hour: only an immediate reconnect passes.
	c := newClient(t, b.url(), ws.Config{TokenFunc: src.next, ReconnectDelay: time.Hour, MaxReconnectDelay: time.Hour})
	in := subscribe(t, c, "room:tokens")
	c.connect()
	c.barrier()

	clk.Advance(time.Minute) // t1 expires: the server closes with 4401
	st := c.waitStatus(ws.StatusReconnecting)
	var ce *ws.CloseError
	if !errors.As(st.Err, &ce) || ce.Code != protocol.CloseUnauthorized || ce.Reason != "token expired" {
		t.Fatalf("reconnecting after %v, want 4401 token expired", st.Err)
	}
	c.waitStatus(ws.StatusConnected)
	c.barrier()
	if got := auth.shown(); len(got) != 2 || got[0] != "t1" || got[1] != "t2" {
		t.Fatalf("the server was shown %q, want t1 then the fresh t2", got)
	}
	if err := b.srv.Publish("room:tokens", "after the refresh"); err != nil {
		t.Fatal(err)
	}
	if e := in.next(t); string(e.Data) != `"after the refresh"` {
		t.Fatalf("got %s, want the message published after the refresh", e.Data)
	}
}

func TestRealServerTokenFuncErrorIsStatusError(t *testing.T) {
	t.Parallel()
	b := startBackend(t, server.Options{Auth: server.StaticToken("good")}, "")
	errSignedOut := errors.New("signed out")
	c := newClient(t, b.url(), ws.Config{TokenFunc: func(context.Context) (string, error) { return "", errSignedOut }})
	c.Connect()
	if st := c.waitStatus(ws.StatusError); !errors.Is(st.Err, errSignedOut) {
		t.Fatalf("error %v, want the token func's", st.Err)
	}
	if d := b.dialCount(); d != 0 {
		t.Fatalf("%d handshakes without a token", d)
	}
}
