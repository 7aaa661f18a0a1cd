//go:build !js

// The server links coder/websocket's Accept, which does not exist for
// GOOS=js, so these tests run natively only: the bridge against the real
// server, with a sink that records what JavaScript would be told.

package jsbridge_test

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/matih-ai/realtime/internal/leaktest"
	"github.com/matih-ai/realtime/server"
	"github.com/matih-ai/realtime/wasm/jsbridge"
	"github.com/matih-ai/realtime/wasm/notify"
	"github.com/matih-ai/realtime/wasm/protocol"
)

// timeout bounds every wait; nothing here should come close.
const timeout = 5 * time.Second

// TestMain fails the run when goroutines outlive the tests: every object
// the bridge closes must stop what it started.
func TestMain(m *testing.M) { leaktest.Main(m, 2*timeout) }

// event is one call to the sink.
type event struct {
	kind jsbridge.Kind
	id   int
	args []any
	env  protocol.Envelope // of a message
}

func (e event) arg(i int) any {
	if i < len(e.args) {
		return e.args[i]
	}
	return nil
}

// sink records what the bridge tells JavaScript.
type sink struct {
	mu      sync.Mutex
	events  []event
	changed chan struct{}
}

func newSink() *sink { return &sink{changed: make(chan struct{}, 1)} }

func (s *sink) add(e event) {
	s.mu.Lock()
	s.events = append(s.events, e)
	s.mu.Unlock()
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

func (s *sink) Message(conn int, e protocol.Envelope) {
	s.add(event{kind: jsbridge.KindMessage, id: conn, env: e})
}

func (s *sink) Event(kind jsbridge.Kind, id int, args ...any) {
	s.add(event{kind: kind, id: id, args: args})
}

// find returns the events that match.
func (s *sink) find(match func(event) bool) []event {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []event
	for _, e := range s.events {
		if match(e) {
			out = append(out, e)
		}
	}
	return out
}

// wait returns the first event that matches, waiting for it.
func (s *sink) wait(t *testing.T, what string, match func(event) bool) event {
	t.Helper()
	deadline := time.After(timeout)
	for {
		if found := s.find(match); len(found) > 0 {
			return found[0]
		}
		select {
		case <-s.changed:
		case <-deadline:
			t.Fatalf("no %s", what)
		}
	}
}

func is(kind jsbridge.Kind, id int, args ...any) func(event) bool {
	return func(e event) bool {
		if e.kind != kind || e.id != id {
			return false
		}
		for i, a := range args {
			if e.arg(i) != a {
				return false
			}
		}
		return true
	}
}

func message(conn int, channel, data string) func(event) bool {
	return func(e event) bool {
		return e.kind == jsbridge.KindMessage && e.id == conn && e.env.Channel == channel && string(e.env.Data) == data
	}
}

// backend is the real server on 127.0.0.1.
type backend struct {
	srv  *server.Server
	page string // the page relative URLs resolve against
}

func startBackend(t *testing.T, opts server.Options) *backend {
	t.Helper()
	srv := server.New(opts)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	t.Cleanup(func() { srv.Shutdown(t.Context()) })
	return &backend{srv: srv, page: hs.URL + "/workbench/"}
}

func (b *backend) waitSubscribers(t *testing.T, channel string, n int) {
	t.Helper()
	for deadline := time.Now().Add(timeout); b.srv.Subscribers(channel) != n; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s has %d subscribers, want %d", channel, b.srv.Subscribers(channel), n)
		}
	}
}

// open opens connection id to the backend and waits until it is connected.
func open(t *testing.T, br *jsbridge.Bridge, s *sink, be *backend, id int) {
	t.Helper()
	if err := br.OpenWebSocket(id, []byte(`{"url":"/ws"}`), be.page); err != nil {
		t.Fatal(err)
	}
	s.wait(t, "connected status", is(jsbridge.KindState, id, "connected"))
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := jsbridge.Code(err); got != code {
		t.Errorf("%s: error %v (code %q), want code %q", what, err, got, code)
	}
}

func wantStats(t *testing.T, br *jsbridge.Bridge, want map[string]int) {
	t.Helper()
	if got := br.Stats(); !maps.Equal(got, want) {
		t.Errorf("stats %v, want %v", got, want)
	}
}

func TestConnectionSubscribesReceivesUnsubscribesAndCloses(t *testing.T) {
	t.Parallel()
	be := startBackend(t, server.Options{})
	s := newSink()
	br := jsbridge.New(s)
	open(t, br, s, be, 1)

	for range 2 { // twice is one subscription
		if err := br.Subscribe(1, "demo:a"); err != nil {
			t.Fatal(err)
		}
	}
	if err := br.Subscribe(1, "echo:me"); err != nil {
		t.Fatal(err)
	}
	be.waitSubscribers(t, "demo:a", 1)
	wantStats(t, br, map[string]int{"connection": 1, "channels": 2})
	if err := be.srv.Publish("demo:a", map[string]int{"n": 1}); err != nil {
		t.Fatal(err)
	}
	got := s.wait(t, "the published message", message(1, "demo:a", `{"n":1}`))
	if got.env.Type != protocol.TypeMessage || got.env.ID == "" || got.env.Timestamp == 0 {
		t.Errorf("message %+v lacks its type, id or timestamp", got.env)
	}

	if err := br.Unsubscribe(1, "demo:a"); err != nil {
		t.Fatal(err)
	}
	be.waitSubscribers(t, "demo:a", 0)
	be.srv.Publish("demo:a", map[string]int{"n": 2})
	// The echo comes after anything the server sent before it.
	if err := br.Send(1, protocol.Envelope{Type: protocol.TypePublish, Channel: "echo:me", Data: json.RawMessage(`"mark"`)}); err != nil {
		t.Fatal(err)
	}
	s.wait(t, "the echo", message(1, "echo:me", `"mark"`))
	if late := s.find(message(1, "demo:a", `{"n":2}`)); len(late) > 0 {
		t.Errorf("a message arrived after the unsubscribe: %+v", late)
	}

	// A request is settled by the server's ack.
	if err := br.Request(1, 99, protocol.Envelope{Type: protocol.TypePublish, Channel: "echo:me", Data: json.RawMessage(`1`)}, timeout); err != nil {
		t.Fatal(err)
	}
	reply := s.wait(t, "the reply", is(jsbridge.KindReply, 99))
	if ack, _ := reply.arg(0).(string); !strings.Contains(ack, `"type":"ack"`) || reply.arg(1) != "" {
		t.Errorf("reply %v, want an ack and no error", reply.args)
	}

	wantCode(t, "a message without a type", br.Send(1, protocol.Envelope{Channel: "echo:me"}), "bad_message")
	wantCode(t, "a malformed channel", br.Send(1, protocol.Envelope{Type: "publish", Channel: "nocolon"}), "bad_argument")
	wantCode(t, "a subscription to a malformed channel", br.Subscribe(1, "a b"), "bad_argument")

	br.Close(1)
	br.Close(1) // closing twice is fine
	wantStats(t, br, map[string]int{})
	wantCode(t, "send after close", br.Send(1, protocol.Envelope{Type: "publish", Channel: "echo:me"}), "closed")
	wantCode(t, "subscribe after close", br.Subscribe(1, "demo:a"), "closed")
	be.waitSubscribers(t, "echo:me", 0)
	n := len(s.find(func(event) bool { return true }))
	time.Sleep(50 * time.Millisecond) // nothing is due; a late event would show
	if m := len(s.find(func(event) bool { return true })); m != n {
		t.Errorf("%d events after close", m-n)
	}
}

func TestOpenRefusesBadConfigsAndIDs(t *testing.T) {
	t.Parallel()
	s := newSink()
	br := jsbridge.New(s)
	err := br.OpenWebSocket(1, []byte(`{"url":"http://h/ws"}`), "http://h/")
	if err == nil || err.Error() != `ws: invalid config: url "http://h/ws" must start with ws:// or wss://` {
		t.Errorf("an http url: %v", err)
	}
	wantCode(t, "an http url", err, "config")
	wantCode(t, "a typo", br.OpenWebSocket(1, []byte(`{"url":"/ws","queuesize":5}`), "http://h/"), "config")
	wantCode(t, "id 0", br.OpenWebSocket(0, []byte(`{"url":"/ws"}`), "http://h/"), "bad_argument")
	if err := br.OpenWebSocket(1, []byte(`{"url":"/ws","maxReconnectAttempts":0}`), "http://127.0.0.1:1/"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "an id taken", br.OpenWebSocket(1, []byte(`{"url":"/ws"}`), "http://h/"), "bad_argument")
	wantCode(t, "an SSE config error", br.OpenEventSource(2, []byte(`{"url":"/sse","method":"PUT"}`), "http://h/"), "config")
	wantCode(t, "presence over no connection", br.WatchPresenceCount(3, 7, "doc"), "closed")
	br.Shutdown()
	wantStats(t, br, map[string]int{})
	wantCode(t, "open after shutdown", br.OpenWebSocket(4, []byte(`{"url":"/ws"}`), "http://h/"), "shutdown")
	wantCode(t, "connect after shutdown", br.Connect(1), "shutdown")
}

func TestClosingAConnectionClosesWhatRunsOverIt(t *testing.T) {
	t.Parallel()
	be := startBackend(t, server.Options{})
	s := newSink()
	br := jsbridge.New(s)
	open(t, br, s, be, 1)
	if _, err := br.JoinPresence(2, 1, "doc-1", []byte(`{"user":"ann"}`), []byte(`{"activity":false}`)); err != nil {
		t.Fatal(err)
	}
	if err := br.WatchPresenceCount(3, 1, "doc-1"); err != nil {
		t.Fatal(err)
	}
	if err := br.OpenNotifications(4, 1, "ann", nil); err != nil {
		t.Fatal(err)
	}
	if err := br.OpenQueries(5, 1); err != nil {
		t.Fatal(err)
	}
	if err := br.Subscribe(1, "presence:doc-1"); err != nil { // JavaScript's own, beside the tracker's
		t.Fatal(err)
	}
	s.wait(t, "ann present", is(jsbridge.KindCount, 3, 1, 1))
	wantStats(t, br, map[string]int{"connection": 1, "channels": 1, "presence": 1, "count": 1, "notifications": 1, "queries": 1})

	// JavaScript's unsubscribe leaves the tracker's subscription alone.
	if err := br.Unsubscribe(1, "presence:doc-1"); err != nil {
		t.Fatal(err)
	}
	if err := br.UpdatePresence(2, []byte(`{"status":"idle"}`)); err != nil {
		t.Fatal(err)
	}
	s.wait(t, "ann idle", func(e event) bool {
		people, _ := e.arg(2).(string)
		return e.kind == jsbridge.KindPresence && e.id == 2 && strings.Contains(people, `"status":"idle"`)
	})

	br.Close(1)
	wantStats(t, br, map[string]int{})
	be.waitSubscribers(t, "presence:doc-1", 0)
	be.waitSubscribers(t, "notifications:ann", 0)
	wantCode(t, "update after the connection closed", br.UpdatePresence(2, []byte(`{"status":"away"}`)), "closed")
	wantCode(t, "view after the connection closed", func() error { _, err := br.NotificationsView(4, "unread", nil); return err }(), "closed")
}

func TestPresenceBetweenTwoConnections(t *testing.T) {
	t.Parallel()
	be := startBackend(t, server.Options{})
	s := newSink()
	br := jsbridge.New(s)
	open(t, br, s, be, 1)
	open(t, br, s, be, 2)
	session, err := br.JoinPresence(11, 1, "doc-2", []byte(`{"user":"ann","name":"Ann","color":"#c00","extra":{"cursor":3}}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(session, "s-") {
		t.Errorf("session %q", session)
	}
	if _, err := br.JoinPresence(12, 2, "doc-2", []byte(`{"user":"bob","session":"bob-tab"}`), []byte(`{"throttle":10}`)); err != nil {
		t.Fatal(err)
	}
	ev := s.wait(t, "both present for bob", func(e event) bool {
		people, _ := e.arg(2).(string)
		return e.kind == jsbridge.KindPresence && e.id == 12 && strings.Contains(people, `"user":"ann"`) && strings.Contains(people, `"user":"bob"`)
	})
	var state map[string][]map[string]any
	if err := json.Unmarshal([]byte(ev.arg(0).(string)), &state); err != nil {
		t.Fatal(err)
	}
	if ann := state["ann"]; len(ann) != 1 || ann[0]["name"] != "Ann" || ann[0]["session"] != session || ann[0]["extra"].(map[string]any)["cursor"] != 3.0 {
		t.Errorf("ann in bob's state: %v", state["ann"])
	}

	if err := br.UpdatePresence(12, []byte(`{"name":"Bob","status":"away"}`)); err != nil {
		t.Fatal(err)
	}
	s.wait(t, "bob away for ann", func(e event) bool {
		people, _ := e.arg(2).(string)
		return e.kind == jsbridge.KindPresence && e.id == 11 && strings.Contains(people, `{"user":"bob","name":"Bob","status":"away","sessions":1}`)
	})
	wantCode(t, "an unknown status", br.UpdatePresence(12, []byte(`{"status":"asleep"}`)), "config")
	wantCode(t, "a new user", br.UpdatePresence(12, []byte(`{"user":"eve"}`)), "config")
	_, err = br.JoinPresence(13, 1, "doc-2", []byte(`{"name":"nobody"}`), nil)
	wantCode(t, "a meta without user", err, "config")

	br.Close(12) // bob leaves
	s.wait(t, "bob gone for ann", func(e event) bool {
		changes, _ := e.arg(1).(string)
		return e.kind == jsbridge.KindPresence && e.id == 11 && strings.Contains(changes, `"left":["bob"]`)
	})
	br.Shutdown()
}

func TestNotificationsAndToasts(t *testing.T) {
	t.Parallel()
	be := startBackend(t, server.Options{})
	s := newSink()
	br := jsbridge.New(s)
	open(t, br, s, be, 1)
	if err := br.OpenNotifications(2, 1, "cy", []byte(`{"toastLife":60000,"maxToasts":1}`)); err != nil {
		t.Fatal(err)
	}
	be.waitSubscribers(t, "notifications:cy", 1)
	sent, err := be.srv.Notify("cy", notify.Notification{Severity: notify.Warning, Title: "Disk almost full"})
	if err != nil {
		t.Fatal(err)
	}
	ev := s.wait(t, "the notification", is(jsbridge.KindNotification, 2))
	if got, _ := ev.arg(0).(string); !strings.Contains(got, `"title":"Disk almost full"`) || !strings.Contains(got, `"state":"unseen"`) {
		t.Errorf("notification %s", got)
	}
	view := func(what string, arg string) string {
		t.Helper()
		v, err := br.NotificationsView(2, what, []byte(arg))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if got := view("unread", ""); got != `{"total":1,"bySeverity":{"warning":1}}` {
		t.Errorf("unread %s", got)
	}
	s.wait(t, "a toast", is(jsbridge.KindToasts, 2))
	if got := view("toasts", ""); !strings.Contains(got, `"title":"Disk almost full"`) || !strings.HasSuffix(got, `"queued":0}`) {
		t.Errorf("toasts %s", got)
	}
	if got := view("list", `{"severity":["error"]}`); got != "[]" {
		t.Errorf("errors only: %s", got)
	}
	if got := view("get", sent.ID); !strings.Contains(got, sent.ID) {
		t.Errorf("get: %s", got)
	}
	if got := view("get", "nope"); got != "null" {
		t.Errorf("get of an unknown id: %s", got)
	}
	if err := br.NotificationsDo(2, "markRead", sent.ID); err != nil {
		t.Fatal(err)
	}
	if got := view("unread", ""); got != `{"total":0,"bySeverity":{}}` {
		t.Errorf("unread after markRead: %s", got)
	}
	wantCode(t, "archive of an unknown id", br.NotificationsDo(2, "archive", "nope"), "not_found")
	if err := br.NotificationsDo(2, "dismissToast", sent.ID); err != nil {
		t.Fatal(err)
	}
	if got := view("toasts", ""); got != `{"visible":[],"queued":0}` {
		t.Errorf("toasts after dismiss: %s", got)
	}
	_, err = br.NotificationsView(2, "list", []byte(`{"severity":["loud"]}`))
	wantCode(t, "an unknown severity", err, "config")

	if err := br.OpenNotifications(3, 1, "dee", []byte(`{"toasts":false}`)); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "a toast action without toasts", br.NotificationsDo(3, "pauseToasts", "hover"), "bad_argument")
	wantCode(t, "a center without user", br.OpenNotifications(4, 1, "", nil), "error")
	br.Shutdown()
}

func TestEventSourceStreamsTicks(t *testing.T) {
	t.Parallel()
	be := startBackend(t, server.Options{TickInterval: 10 * time.Millisecond})
	s := newSink()
	br := jsbridge.New(s)
	if err := br.OpenEventSource(1, []byte(`{"url":"/sse/ticker"}`), be.page); err != nil {
		t.Fatal(err)
	}
	s.wait(t, "open status", is(jsbridge.KindStreamState, 1, "open"))
	tick := s.wait(t, "a tick", is(jsbridge.KindStreamEvent, 1, "tick"))
	if data, _ := tick.arg(1).(string); !strings.Contains(data, `"n":`) || tick.arg(2) == "" {
		t.Errorf("tick %v", tick.args)
	}
	if err := br.ReconnectStream(1); err != nil {
		t.Fatal(err)
	}
	wantStats(t, br, map[string]int{"stream": 1})
	br.Close(1)
	wantStats(t, br, map[string]int{})
	wantCode(t, "reopen after close", br.OpenStream(1), "closed")
}

func TestQueriesTrackAndUntrack(t *testing.T) {
	t.Parallel()
	be := startBackend(t, server.Options{})
	s := newSink()
	br := jsbridge.New(s)
	open(t, br, s, be, 1)
	if err := br.OpenQueries(2, 1); err != nil {
		t.Fatal(err)
	}
	if err := br.QueriesDo(2, "track", "q-1"); err != nil {
		t.Fatal(err)
	}
	list, err := br.QueriesView(2, "list", "")
	if err != nil || !strings.Contains(list, `"id":"q-1"`) {
		t.Errorf("list %s, %v", list, err)
	}
	wantCode(t, "a malformed query id", br.QueriesDo(2, "track", "a b"), "error")
	if err := br.CancelQuery(2, 7, "q-2", timeout); err != nil {
		t.Fatal(err)
	}
	s.wait(t, "the refused cancel", is(jsbridge.KindReply, 7, "", "querystatus: query not tracked: q-2", "not_tracked"))
	if err := br.QueriesDo(2, "untrack", "q-1"); err != nil {
		t.Fatal(err)
	}
	if got, _ := br.QueriesView(2, "get", "q-1"); got != "null" {
		t.Errorf("get after untrack: %s", got)
	}
	br.Shutdown()
}

func TestLiveFeedSnapshotDeltasPauseAndClose(t *testing.T) {
	t.Parallel()
	be := startBackend(t, server.Options{})
	feed, err := be.srv.NewFeed("bridge-orders", "id", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := feed.Append(map[string]any{"id": "a", "qty": 1}); err != nil {
		t.Fatal(err)
	}
	s := newSink()
	br := jsbridge.New(s)
	open(t, br, s, be, 1)
	_, err = br.OpenLive(2, 1, "bridge-orders", []byte(`{"frame":1,"pauseWhenHidden":true}`), be.page)
	if err != nil {
		t.Fatal(err)
	}
	live := func(status, items string) func(event) bool {
		return func(e event) bool {
			state, _ := e.arg(0).(string)
			return e.kind == jsbridge.KindLive && e.id == 2 && strings.Contains(state, `"status":"`+status+`"`) && strings.Contains(state, items)
		}
	}
	s.wait(t, "the snapshot", live("live", `"items":[{"id":"a","qty":1}]`))
	if _, err := feed.Upsert(map[string]any{"id": "a", "qty": 2}, map[string]any{"id": "b", "qty": 5}); err != nil {
		t.Fatal(err)
	}
	s.wait(t, "the delta", live("live", `"items":[{"id":"a","qty":2},{"id":"b","qty":5}]`))
	if err := br.LiveDo(2, "pause"); err != nil {
		t.Fatal(err)
	}
	s.wait(t, "the pause", live("paused", `"id":"b"`))
	if err := br.LiveDo(2, "resume"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "an unknown action", br.LiveDo(2, "rewind"), "bad_argument")
	stats, err := br.LiveStats(2)
	if err != nil || !strings.Contains(stats, `"snapshots":1`) || !strings.Contains(stats, `"deltas":1`) {
		t.Errorf("stats %s, %v", stats, err)
	}

	_, err = br.OpenLive(3, 1, "nope", []byte(`{"frame":1}`), be.page)
	if err != nil {
		t.Fatal(err)
	}
	s.wait(t, "the unknown feed's error", func(e event) bool { return e.kind == jsbridge.KindError && e.id == 3 && e.arg(1) == "unknown_feed" })
	_, err = br.OpenLive(4, 1, "x", []byte(`{"pollURL":"ftp://h/x"}`), be.page)
	wantCode(t, "a bad poll address", err, "config")
	_, err = br.OpenLive(4, 1, "x", []byte(`{"frames":1}`), be.page)
	wantCode(t, "a typo", err, "config")

	br.Close(1)
	wantStats(t, br, map[string]int{})
	be.waitSubscribers(t, "live:bridge-orders", 0)
}

// tokenBackend starts a backend that takes the tokens "short" (expiring
// after expiry) and "long", and returns what it saw so far.
func tokenBackend(t *testing.T, opts server.Options, expiry time.Duration) (be *backend, seen func() string) {
	var (
		mu     sync.Mutex
		tokens []string
	)
	opts.Auth = server.AuthenticatorFunc(func(_ context.Context, token string) (server.Identity, error) {
		mu.Lock()
		tokens = append(tokens, token)
		mu.Unlock()
		switch token {
		case "short":
			return server.Identity{User: "ann", Expires: time.Now().Add(expiry)}, nil
		case "long":
			return server.Identity{User: "ann"}, nil
		}
		return server.Identity{}, errors.New("unknown token")
	})
	return startBackend(t, opts), func() string {
		mu.Lock()
		defer mu.Unlock()
		return strings.Join(tokens, " ")
	}
}

// A connection whose config has getToken asks JavaScript for a token
// before each dial (KindToken, answered by Token), and after a 4401 (its
// token expired) asks again and reconnects. A late answer to an old ask
// is dropped; an error from getToken is the connection's error.
func TestConnectionAsksJavaScriptForTokens(t *testing.T) {
	t.Parallel()
	be, seen := tokenBackend(t, server.Options{}, 300*time.Millisecond)
	s := newSink()
	br := jsbridge.New(s)
	t.Cleanup(br.Shutdown)
	if err := br.OpenWebSocket(1, []byte(`{"url":"/ws","getToken":true,"reconnectDelay":10}`), be.page); err != nil {
		t.Fatal(err)
	}
	s.wait(t, "the first ask", is(jsbridge.KindToken, 1, 1))
	if err := br.Token(1, 1, "short", ""); err != nil {
		t.Fatal(err)
	}
	s.wait(t, "connected status", is(jsbridge.KindState, 1, "connected"))

	// The server closes with 4401 when "short" expires: a second ask.
	s.wait(t, "the ask after the 4401", is(jsbridge.KindToken, 1, 2))
	if err := br.Token(1, 1, "stale", ""); err != nil { // the first ask's, late
		t.Fatal(err)
	}
	if err := br.Token(1, 2, "long", ""); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(timeout); len(s.find(is(jsbridge.KindState, 1, "connected"))) < 2; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no reconnect with the fresh token")
		}
	}
	if got := seen(); got != "short long" {
		t.Errorf("the server saw tokens %q, want %q", got, "short long")
	}

	// getToken failing ends the connecting with its message.
	if err := br.OpenWebSocket(2, []byte(`{"url":"/ws","getToken":true}`), be.page); err != nil {
		t.Fatal(err)
	}
	s.wait(t, "the second connection's ask", is(jsbridge.KindToken, 2, 1))
	if err := br.Token(2, 1, "", "signed out"); err != nil {
		t.Fatal(err)
	}
	e := s.wait(t, "the error status", is(jsbridge.KindState, 2, "error"))
	if msg, code := e.arg(4), e.arg(5); msg != "ws: failed to get a token: signed out" || code != "token" {
		t.Errorf("error %v (code %v), want getToken's message (token)", msg, code)
	}
	wantCode(t, "an answer for a connection that is not open", br.Token(3, 1, "x", ""), "closed")
}

// A stream whose config has getToken asks for a token before each
// request, and when the server ends the stream as its token expires,
// comes back with a fresh one.
func TestEventSourceAsksJavaScriptForTokens(t *testing.T) {
	t.Parallel()
	be, seen := tokenBackend(t, server.Options{TickInterval: 10 * time.Millisecond, SSERetry: 10 * time.Millisecond}, 200*time.Millisecond)
	s := newSink()
	br := jsbridge.New(s)
	t.Cleanup(br.Shutdown)
	if err := br.OpenEventSource(1, []byte(`{"url":"/sse/ticker","getToken":true,"retryDelay":10}`), be.page); err != nil {
		t.Fatal(err)
	}
	s.wait(t, "the first ask", is(jsbridge.KindToken, 1, 1))
	if err := br.Token(1, 1, "short", ""); err != nil {
		t.Fatal(err)
	}
	s.wait(t, "open status", is(jsbridge.KindStreamState, 1, "open"))
	s.wait(t, "the ask after the stream ended", is(jsbridge.KindToken, 1, 2))
	if err := br.Token(1, 2, "long", ""); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(timeout); len(s.find(is(jsbridge.KindStreamState, 1, "open"))) < 2; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the stream did not come back with the fresh token")
		}
	}
	if got := seen(); got != "short long" {
		t.Errorf("the server saw tokens %q, want %q", got, "short long")
	}
}
