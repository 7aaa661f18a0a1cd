package ws_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/matih-ai/realtime/wasm/protocol"
	"github.com/matih-ai/realtime/wasm/ws"
)

// tokens is an app's token source: t1, t2, ... one per call.
type tokens struct {
	mu    sync.Mutex
	calls int
	err   error // returned instead, when set
}

func (s *tokens) next(context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.err != nil {
		return "", s.err
	}
	return "t" + strconv.Itoa(s.calls), nil
}

// expectToken checks the token a connection was dialed with.
func expectToken(t *testing.T, c *fakeConn, want string) {
	t.Helper()
	if !slices.Contains(c.opts.Subprotocols, protocol.BearerPrefix+want) {
		t.Fatalf("dialed with subprotocols %q, want the token %q", c.opts.Subprotocols, want)
	}
}

var errExpired = &ws.CloseError{Code: protocol.CloseUnauthorized, Reason: "token expired"}

func TestTokenFuncIsAskedBeforeEveryDial(t *testing.T) {
	t.Parallel()
	src := &tokens{}
	h := newHarness(t, ws.Config{TokenFunc: src.next, AuthToken: "static", PingInterval: -1})
	conn := h.connect()
	expectToken(t, conn, "t1")

	conn.drop(&ws.CloseError{Code: protocol.CloseServiceRestart})
	h.clock.Advance(h.waitRetry().NextDelay)
	conn = h.net.next(t)
	h.waitStatus(ws.StatusConnected)
	expectToken(t, conn, "t2")
}

func TestExpiredTokenIsRefreshedAndTheClientReconnectsAtOnce(t *testing.T) {
	t.Parallel()
	src := &tokens{}
	h := newHarness(t, ws.Config{TokenFunc: src.next, PingInterval: -1})
	if _, err := h.client.Subscribe("chat:room", func(protocol.Envelope) {}); err != nil {
		t.Fatal(err)
	}
	conn := h.connect()
	conn.recvType(t, protocol.TypeSubscribe)

	conn.drop(errExpired)
	// No clock moves: the reconnect is not a backoff.
	conn = h.net.next(t)
	h.waitStatus(ws.StatusConnected)
	expectToken(t, conn, "t2")
	if e := conn.recvType(t, protocol.TypeSubscribe); e.Channel != "chat:room" {
		t.Fatalf("restored %q, want chat:room", e.Channel)
	}
	if p := h.clock.Pending(); len(p) != 1 { // the stable timer only
		t.Fatalf("timers pending after the refresh: %v", p)
	}
}

func TestSecond4401InARowIsFinal(t *testing.T) {
	t.Parallel()
	src := &tokens{}
	h := newHarness(t, ws.Config{TokenFunc: src.next, PingInterval: -1})
	conn := h.connect()
	conn.drop(errExpired)
	conn = h.net.next(t)
	h.waitStatus(ws.StatusConnected)

	conn.drop(&ws.CloseError{Code: protocol.CloseUnauthorized, Reason: "unauthorized: invalid token"})
	st := h.waitStatus(ws.StatusError)
	var ce *ws.CloseError
	if !errors.As(st.Err, &ce) || ce.Code != protocol.CloseUnauthorized {
		t.Fatalf("error %v, want the 4401", st.Err)
	}
	if n := h.net.dialCount(); n != 2 {
		t.Fatalf("%d dials, want 2: no loop of refreshes", n)
	}

	// Connect starts over, with a fresh token and a fresh refresh.
	h.client.Connect()
	conn = h.net.next(t)
	h.waitStatus(ws.StatusConnected)
	expectToken(t, conn, "t3")
	conn.drop(errExpired)
	expectToken(t, h.net.next(t), "t4")
}

func TestTokenExpiringAgainAfterAStableConnectionIsRefreshedAgain(t *testing.T) {
	t.Parallel()
	src := &tokens{}
	h := newHarness(t, ws.Config{TokenFunc: src.next, PingInterval: -1, StableAfter: time.Minute})
	conn := h.connect()
	for _, want := range []string{"t2", "t3"} {
		conn.drop(errExpired)
		conn = h.net.next(t)
		h.waitStatus(ws.StatusConnected)
		expectToken(t, conn, want)
		h.clock.Advance(time.Minute) // the token lived its life
	}
}

func TestTokenFuncErrorIsStatusError(t *testing.T) {
	t.Parallel()
	errSession := errors.New("session ended: sign in again")
	src := &tokens{err: errSession}
	h := newHarness(t, ws.Config{TokenFunc: src.next})
	h.client.Connect()
	st := h.waitStatus(ws.StatusError)
	if !errors.Is(st.Err, errSession) || !errors.Is(st.Err, ws.ErrToken) {
		t.Fatalf("error %v, want ErrToken wrapping the app's error", st.Err)
	}
	if n := h.net.dialCount(); n != 0 {
		t.Fatalf("%d dials without a token", n)
	}
	if p := h.clock.Pending(); len(p) != 0 {
		t.Fatalf("a retry is scheduled: %v", p)
	}
}

func TestTokenFuncErrorOnARefreshIsStatusError(t *testing.T) {
	t.Parallel()
	src := &tokens{}
	h := newHarness(t, ws.Config{TokenFunc: src.next, PingInterval: -1})
	conn := h.connect()
	errSession := errors.New("session ended")
	src.mu.Lock()
	src.err = errSession
	src.mu.Unlock()
	conn.drop(errExpired)
	if st := h.waitStatus(ws.StatusError); !errors.Is(st.Err, errSession) {
		t.Fatalf("error %v, want the app's error", st.Err)
	}
	if n := h.net.dialCount(); n != 1 {
		t.Fatalf("%d dials, want 1", n)
	}
}

func TestWithoutTokenFunc4401IsFinal(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ws.Config{AuthToken: "old"})
	h.connect().drop(errExpired)
	h.waitStatus(ws.StatusError)
	if n := h.net.dialCount(); n != 1 {
		t.Fatalf("%d dials, want 1", n)
	}
}
