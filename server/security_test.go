package server

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/matih-ai/realtime/wasm/clock"
	"github.com/matih-ai/realtime/wasm/notify"
	"github.com/matih-ai/realtime/wasm/presence"
	"github.com/matih-ai/realtime/wasm/protocol"
)

// refusedOn sends a request and expects an error with code that names the
// request's channel and ref.
func (c *testConn) refusedOn(env protocol.Envelope, code string) protocol.ErrorData {
	c.t.Helper()
	c.send(env)
	e := c.next()
	d, err := protocol.DecodeData[protocol.ErrorData](e)
	if e.Type != protocol.TypeError || e.Channel != env.Channel || e.Ref != env.Ref || err != nil || d.Code != code || d.Message == "" {
		c.t.Fatalf("%s on %q: got %+v (data %s), want error %q on the channel with ref %q", env.Type, env.Channel, e, e.Data, code, env.Ref)
	}
	return d
}

// expectCloseReason reads until the connection ends and checks the close
// code and reason.
func (c *testConn) expectCloseReason(code int, reason string) {
	c.t.Helper()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		_, _, err := c.conn.Read(ctx)
		cancel()
		if err == nil {
			continue
		}
		var ce websocket.CloseError
		if !errors.As(err, &ce) || int(ce.Code) != code || ce.Reason != reason {
			c.t.Fatalf("closed with %v, want %d %q", err, code, reason)
		}
		return
	}
}

// userTokens accepts any token as the user of that name, valid until
// expires (zero: for ever).
func userTokens(expires time.Time) Authenticator {
	return AuthenticatorFunc(func(_ context.Context, token string) (Identity, error) {
		if token == "" {
			return Identity{}, ErrMissingToken
		}
		return Identity{User: token, Expires: expires}, nil
	})
}

func TestTokenExpiryClosesTheWebSocketWith4401(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake()
	_, hs := newTestServer(t, Options{Auth: userTokens(clk.Now().Add(time.Minute)), Clock: clk})
	c := dial(t, hs, "?token=ada", nil)
	c.roundTrip() // serving: the expiry timer is armed
	clk.Advance(time.Minute - time.Millisecond)
	c.roundTrip()
	clk.Advance(time.Millisecond)
	c.expectCloseReason(protocol.CloseUnauthorized, "token expired")

	// The same token is refused from now on.
	dial(t, hs, "?token=ada", nil).expectCloseReason(protocol.CloseUnauthorized, "token expired")
	code, body, _ := request(t, hs, http.MethodGet, "/live/orders", "Bearer ada", "")
	if code != http.StatusUnauthorized || !strings.Contains(body, "token expired") {
		t.Fatalf("GET /live/orders with an expired token: %d %q, want 401 token expired", code, body)
	}
}

func TestTokenExpiryEndsTheSSEStream(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake()
	_, hs := newTestServer(t, Options{Auth: userTokens(clk.Now().Add(time.Minute)), Clock: clk, TickInterval: time.Hour})
	req, _ := http.NewRequest(http.MethodGet, hs.URL+"/sse/ticker", nil)
	req.Header.Set("Authorization", "Bearer ada")
	resp, err := hs.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	first := make([]byte, len("retry:"))
	if _, err := io.ReadFull(resp.Body, first); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("stream: %d %q %v", resp.StatusCode, first, err)
	}
	ended := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, resp.Body)
		ended <- err
	}()
	clk.Advance(time.Minute)
	select {
	case err := <-ended:
		if err != nil {
			t.Fatalf("the stream failed rather than ended: %v", err)
		}
	case <-time.After(timeout):
		t.Fatal("the stream outlived its token")
	}
	code, body, _ := request(t, hs, http.MethodGet, "/sse/ticker", "Bearer ada", "")
	if code != http.StatusUnauthorized || !strings.Contains(body, "token expired") {
		t.Fatalf("the client's next request: %d %q, want 401 token expired", code, body)
	}
}

// recordingAuthorizer refuses everything and records what it was asked.
type recordingAuthorizer struct {
	mu    sync.Mutex
	asked []string
}

var errRefusedByTest = errors.New("refused by the test")

func (a *recordingAuthorizer) Authorize(_ context.Context, id Identity, action Action, channel string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.asked = append(a.asked, id.User+" "+string(action)+" "+channel)
	return errRefusedByTest
}

func (a *recordingAuthorizer) last() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.asked) == 0 {
		return ""
	}
	return a.asked[len(a.asked)-1]
}

func TestAuthorizerDecidesEveryRequestOnAChannel(t *testing.T) {
	t.Parallel()
	authz := &recordingAuthorizer{}
	_, hs := newTestServer(t, Options{Auth: userTokens(time.Time{}), Authorizer: authz})
	c := dial(t, hs, "?token=ada", nil)
	meta := rawData(t, presence.Meta{Session: "s1", User: "ada"})

	for _, tt := range []struct {
		env  protocol.Envelope
		want Action
	}{
		{protocol.Envelope{Type: protocol.TypeSubscribe, Channel: "chat:room"}, ActionSubscribe},
		{protocol.Envelope{Type: protocol.TypePublish, Channel: "chat:room", Data: []byte(`1`)}, ActionPublish},
		{protocol.Envelope{Type: protocol.TypePublish, Channel: "echo:me", Data: []byte(`1`)}, ActionPublish},
		{protocol.Envelope{Type: protocol.TypeSubscribe, Channel: "presence:doc"}, ActionSubscribe},
		{protocol.Envelope{Type: presence.TypeJoin, Channel: "presence:doc", Data: meta}, ActionPresence},
		{protocol.Envelope{Type: presence.TypeUpdate, Channel: "presence:doc", Data: meta}, ActionPresence},
		{protocol.Envelope{Type: presence.TypeSync, Channel: "presence:doc"}, ActionSubscribe},
		{protocol.Envelope{Type: notify.TypeSync, Channel: "notifications:ada", Data: []byte(`{"after":0}`)}, ActionSubscribe},
		{protocol.Envelope{Type: typeLiveResync, Channel: "live:orders"}, ActionSubscribe},
		{protocol.Envelope{Type: typeQueryCancel, Channel: "query:q-1001"}, ActionCancel},
	} {
		tt.env.Ref = "r-" + tt.env.Type
		d := c.refusedOn(tt.env, protocol.CodeForbidden)
		if !strings.Contains(d.Message, errRefusedByTest.Error()) {
			t.Errorf("%s: message %q does not say why", tt.env.Type, d.Message)
		}
		if got, want := authz.last(), "ada "+string(tt.want)+" "+tt.env.Channel; got != want {
			t.Errorf("%s: asked %q, want %q", tt.env.Type, got, want)
		}
	}

	// Leaving is never refused: these fail for what they are.
	c.refusedOn(protocol.Envelope{Type: presence.TypeLeave, Channel: "presence:doc", Data: []byte(`{"session":"s1"}`), Ref: "l"}, protocol.CodeNotJoined)
	c.send(protocol.Envelope{Type: protocol.TypeUnsubscribe, Channel: "chat:room", Ref: "u"})
	c.expectError(protocol.CodeNotSubscribed, "u")

	// Polling a feed is reading it.
	code, body, _ := request(t, hs, http.MethodGet, "/live/orders", "Bearer ada", "")
	if code != http.StatusForbidden || !strings.Contains(body, "refused by the test") {
		t.Fatalf("GET /live/orders: %d %q, want 403", code, body)
	}
	if got := authz.last(); got != "ada subscribe live:orders" {
		t.Fatalf("GET /live/orders asked %q", got)
	}
}

func TestDefaultAuthorizerKeepsNotificationsToTheirUser(t *testing.T) {
	t.Parallel()
	_, perUser := newTestServer(t, Options{Auth: userTokens(time.Time{})})
	ada := dial(t, perUser, "?token=ada", nil)
	ada.subscribe("notifications:ada")
	ada.refusedOn(protocol.Envelope{Type: protocol.TypeSubscribe, Channel: "notifications:bob", Ref: "1"}, protocol.CodeForbidden)
	ada.refusedOn(protocol.Envelope{Type: notify.TypeSync, Channel: "notifications:bob", Data: []byte(`{"after":0}`), Ref: "2"}, protocol.CodeForbidden)
	ada.subscribeState("presence:doc-bob") // the rule is about inboxes only

	// A shared token, or no auth, names nobody: any inbox may be read.
	_, shared := newTestServer(t, Options{Auth: StaticToken("s3cret")})
	dial(t, shared, "?token=s3cret", nil).subscribe("notifications:bob")
	_, open := newTestServer(t, Options{})
	dial(t, open, "", nil).subscribe("notifications:bob")
}

func TestPresenceAsAnotherUserIsForbidden(t *testing.T) {
	t.Parallel()
	_, hs := newTestServer(t, Options{Auth: userTokens(time.Time{})})
	ada := dial(t, hs, "?token=ada", nil)
	spy := dial(t, hs, "?token=carl", nil)
	spy.subscribeState("presence:doc")

	join := func(user, ref string) protocol.Envelope {
		return protocol.Envelope{Type: presence.TypeJoin, Channel: "presence:doc", Data: rawData(t, presence.Meta{Session: "s-" + ref, User: user}), Ref: ref}
	}
	ada.refusedOn(join("bob", "1"), protocol.CodeForbidden)
	ada.request(presence.TypeJoin, "presence:doc", presence.Meta{Session: "s-2", User: "ada"}, "2")
	ada.refusedOn(protocol.Envelope{Type: presence.TypeUpdate, Channel: "presence:doc", Data: rawData(t, presence.Meta{Session: "s-2", User: "bob"}), Ref: "3"}, protocol.CodeForbidden)
	// The spy saw ada join, and nobody else.
	if d := decode[presence.DiffData](t, spy.expect(presence.TypeDiff, "presence:doc", "")); len(d.Joins) != 1 || d.Joins["ada"] == nil {
		t.Fatalf("spy saw %+v, want ada's join only", d)
	}
	spy.roundTrip()

	// A shared token names nobody: its people are the page's.
	_, shared := newTestServer(t, Options{Auth: StaticToken("s3cret")})
	dial(t, shared, "?token=s3cret", nil).request(presence.TypeJoin, "presence:doc", presence.Meta{Session: "s", User: "anyone"}, "4")
}

func TestClientsCannotPublishOnServerOwnedChannels(t *testing.T) {
	t.Parallel()
	_, hs := newTestServer(t, Options{})
	spy := dial(t, hs, "", nil)
	spy.subscribe("notifications:ada")
	c := dial(t, hs, "", nil)
	for _, ch := range []string{"presence:doc", "presence-count:doc", "notifications:ada", "live:orders", "query:q-1001"} {
		c.refusedOn(protocol.Envelope{Type: protocol.TypePublish, Channel: ch, Data: []byte(`{"forged":true}`), Ref: ch}, protocol.CodeForbidden)
	}
	spy.roundTrip() // nothing reached the subscriber
	c.send(protocol.Envelope{Type: protocol.TypePublish, Channel: "chat:room", Data: []byte(`1`), Ref: "ok"})
	c.expect(protocol.TypeAck, "chat:room", "ok")
}

func TestRateLimitRefusesPastTheBurstThenRefills(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake()
	_, hs := newTestServer(t, Options{Clock: clk, RateLimit: 10, RateBurst: 5})
	c := dial(t, hs, "", nil)
	var pings []protocol.Envelope
	for i := range 6 {
		pings = append(pings, protocol.Envelope{Type: protocol.TypePing, Ref: string(rune('a' + i)), Timestamp: 1})
	}
	c.send(pings...)
	for _, p := range pings[:5] {
		c.expect(protocol.TypePong, "", p.Ref)
	}
	c.expectError(protocol.CodeRateLimited, "f")

	// Each connection has its own bucket.
	dial(t, hs, "", nil).roundTrip()

	clk.Advance(100 * time.Millisecond) // one request's worth
	c.roundTrip()
	c.send(protocol.Envelope{Type: protocol.TypePublish, Channel: "chat:room", Data: []byte(`1`), Ref: "p"})
	c.expectError(protocol.CodeRateLimited, "p")
}

func TestFloodClosesWith4008(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake()
	_, hs := newTestServer(t, Options{Clock: clk, RateLimit: 10, RateBurst: 5})
	other := dial(t, hs, "", nil)
	c := dial(t, hs, "", nil)
	// 5 served, then 40 refused (four times the rate) are tolerated: the
	// 41st refusal in the second closes.
	pings := make([]protocol.Envelope, 5+41+10)
	for i := range pings {
		pings[i] = protocol.Envelope{Type: protocol.TypePing, Timestamp: 1}
	}
	c.send(pings...)
	for range 5 {
		c.expect(protocol.TypePong, "", "")
	}
	for range 40 {
		c.expectError(protocol.CodeRateLimited, "")
	}
	c.expectCloseReason(protocol.CloseFlood, "policy violation: flood")
	if protocol.IsFinal(protocol.CloseFlood) {
		t.Fatal("4008 is final: a client that flooded by mistake could never come back")
	}
	other.roundTrip()
}

func TestOriginAllowList(t *testing.T) {
	t.Parallel()
	_, hs := newTestServer(t, Options{Origins: []string{"*.example.com"}})
	handshake := func(origin string) int {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		conn, resp, err := websocket.Dial(ctx, wsURL(hs, ""), &websocket.DialOptions{
			HTTPClient: hs.Client(),
			HTTPHeader: http.Header{"Origin": {origin}},
		})
		if err == nil {
			conn.CloseNow()
		}
		if resp == nil {
			t.Fatalf("origin %s: no response: %v", origin, err)
		}
		return resp.StatusCode
	}
	for origin, want := range map[string]int{
		"https://app.example.com":    http.StatusSwitchingProtocols,
		"https://evil.test":          http.StatusForbidden,
		"https://example.com.evil.a": http.StatusForbidden,
		hs.URL:                       http.StatusSwitchingProtocols, // the server's own
	} {
		if got := handshake(origin); got != want {
			t.Errorf("origin %s: %d, want %d", origin, got, want)
		}
	}
}

func TestEveryEndpointNeedsAToken(t *testing.T) {
	t.Parallel()
	_, hs := newTestServer(t, Options{Auth: StaticToken("s3cret")})
	tests := []struct {
		method, path, body string
		ok                 int
	}{
		{http.MethodGet, "/sse/ticker", "", http.StatusOK},
		{http.MethodGet, "/sse/answer?prompt=hi", "", http.StatusOK},
		{http.MethodPost, "/sse/answer", `{"prompt":"hi"}`, http.StatusOK},
		{http.MethodPost, "/sse/drop", "", http.StatusNoContent},
		{http.MethodPost, "/notifications/demo?user=ada&severity=info", "", http.StatusOK},
		{http.MethodGet, "/live/orders", "", http.StatusOK},
		{http.MethodPost, "/live/burst?feed=orders&n=1", "", http.StatusOK},
		{http.MethodPost, "/queries", `{"sql":"select 1","kind":"short"}`, http.StatusCreated},
		{http.MethodGet, "/queries", "", http.StatusOK},
	}
	status := func(method, path, body, auth string) int {
		t.Helper()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel() // ends the streams
		req, _ := http.NewRequestWithContext(ctx, method, hs.URL+path, strings.NewReader(body))
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := hs.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			for auth, want := range map[string]int{
				"":               http.StatusUnauthorized,
				"Bearer wrong":   http.StatusUnauthorized,
				"Bearer s3cret":  tt.ok,
				"?token=s3cret":  tt.ok,
				"?token=s3cretx": http.StatusUnauthorized,
			} {
				path, header := tt.path, auth
				if strings.HasPrefix(auth, "?") {
					sep := "?"
					if strings.Contains(path, "?") {
						sep = "&"
					}
					path, header = path+sep+auth[1:], ""
				}
				if got := status(tt.method, path, tt.body, header); got != want {
					t.Errorf("%s %s (%q): %d, want %d", tt.method, path, header, got, want)
				}
			}
		})
	}
	t.Run("/ws", func(t *testing.T) {
		dial(t, hs, "", nil).expectClose(protocol.CloseUnauthorized)
		dial(t, hs, "?token=wrong", nil).expectClose(protocol.CloseUnauthorized)
		dial(t, hs, "?token=s3cret", nil).roundTrip()
	})
	// What stays public: health, pages and static files.
	if code, _, _ := request(t, hs, http.MethodGet, "/healthz", "", ""); code != http.StatusOK {
		t.Fatalf("/healthz without a token: %d", code)
	}
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "realtime.js"), []byte("js"), 0o644); err != nil {
		t.Fatal(err)
	}
	pages := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache") // as go-app does
		io.WriteString(w, "<!doctype html>")
	})
	_, hs := newTestServer(t, Options{WebDir: dir, Pages: pages})
	_, custom := newTestServer(t, Options{Pages: pages, ContentSecurityPolicy: "default-src 'none'"})

	for _, tt := range []struct {
		name, url, accept, csp string
		noStore                bool
	}{
		{"page", hs.URL + "/websocket", "", DefaultContentSecurityPolicy, true},
		{"go-app script", hs.URL + "/app.js", "", DefaultContentSecurityPolicy, true},
		{"queries page", hs.URL + "/queries", "text/html", DefaultContentSecurityPolicy, true},
		{"static file", hs.URL + "/web/realtime.js", "", DefaultContentSecurityPolicy, false},
		{"own policy", custom.URL + "/", "", "default-src 'none'", true},
	} {
		req, _ := http.NewRequest(http.MethodGet, tt.url, nil)
		if tt.accept != "" {
			req.Header.Set("Accept", tt.accept)
		}
		resp, err := hs.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		h := resp.Header
		if resp.StatusCode != http.StatusOK ||
			h.Get("Content-Security-Policy") != tt.csp ||
			h.Get("X-Content-Type-Options") != "nosniff" ||
			h.Get("Referrer-Policy") != "same-origin" ||
			h.Get("X-Frame-Options") != "DENY" ||
			(h.Get("Cache-Control") == "no-store") != tt.noStore {
			t.Errorf("%s: %d %v", tt.name, resp.StatusCode, h)
		}
	}
	for _, want := range []string{"'wasm-unsafe-eval'", "frame-ancestors 'none'", "object-src 'none'"} {
		if !strings.Contains(DefaultContentSecurityPolicy, want) {
			t.Errorf("the default policy lacks %s", want)
		}
	}
	if strings.Contains(DefaultContentSecurityPolicy, "'unsafe-eval'") || strings.Contains(DefaultContentSecurityPolicy, "script-src 'self' 'unsafe-inline'") {
		t.Error("the default policy lets scripts eval or run inline")
	}
}
