package jsbridge

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/matih-ai/realtime/wasm/sse"
	"github.com/matih-ai/realtime/wasm/ws"
)

const page = "http://app.example:8080/workbench/index.html"

func TestWebSocketConfig(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, json string
		want       ws.Config
	}{
		{"relative url on the page's host", `{"url":"/ws"}`, ws.Config{URL: "ws://app.example:8080/ws"}},
		{"url relative to the page", `{"url":"ws"}`, ws.Config{URL: "ws://app.example:8080/workbench/ws"}},
		{"absolute url kept", `{"url":"wss://api.example/ws?x=1"}`, ws.Config{URL: "wss://api.example/ws?x=1"}},
		{"empty url left for the runtime", `{"url":""}`, ws.Config{}},
		{"spec fields", `{"url":"/ws","protocols":["v1"],"headers":{"X-A":"b"},"authToken":"t","maxReconnectAttempts":3,` +
			`"reconnectDelay":250,"reconnectDelayMultiplier":2,"maxReconnectDelay":4000,"pingInterval":1500.5,"queueSize":7}`,
			ws.Config{URL: "ws://app.example:8080/ws", Protocols: []string{"v1"}, Headers: map[string]string{"X-A": "b"}, AuthToken: "t",
				MaxReconnectAttempts: 3, ReconnectDelay: 250 * time.Millisecond, ReconnectDelayMultiplier: 2,
				MaxReconnectDelay: 4 * time.Second, PingInterval: 1500500 * time.Microsecond, QueueSize: 7}},
		{"autoReconnect false", `{"url":"/ws","autoReconnect":false}`, ws.Config{URL: "ws://app.example:8080/ws", DisableReconnect: true}},
		{"autoReconnect true is the default", `{"url":"/ws","autoReconnect":true}`, ws.Config{URL: "ws://app.example:8080/ws"}},
		{"no reconnect attempts", `{"url":"/ws","maxReconnectAttempts":0}`, ws.Config{URL: "ws://app.example:8080/ws", DisableReconnect: true}},
		{"no limit as Infinity", `{"url":"/ws","maxReconnectAttempts":"Infinity"}`, ws.Config{URL: "ws://app.example:8080/ws", MaxReconnectAttempts: -1}},
		{"no limit as -1", `{"url":"/ws","maxReconnectAttempts":-1}`, ws.Config{URL: "ws://app.example:8080/ws", MaxReconnectAttempts: -1}},
		{"pingInterval 0 turns heartbeats off", `{"url":"/ws","pingInterval":0}`, ws.Config{URL: "ws://app.example:8080/ws", PingInterval: -1}},
		{"null is absent", `{"url":"/ws","queueSize":null}`, ws.Config{URL: "ws://app.example:8080/ws"}},
		{"extras", `{"url":"/ws","pingTimeout":500,"reconnectJitter":0.2,"maxMessageSize":"Infinity","dialTimeout":2000}`,
			ws.Config{URL: "ws://app.example:8080/ws", PingTimeout: 500 * time.Millisecond, ReconnectJitter: 0.2, MaxMessageSize: -1, DialTimeout: 2 * time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := WebSocketConfig([]byte(tc.json), page, nil)
			if err != nil {
				t.Fatal(err)
			}
			if g, w := fmtConfig(got), fmtConfig(tc.want); g != w {
				t.Errorf("got  %s\nwant %s", g, w)
			}
		})
	}
}

func fmtConfig(c any) string { return strings.ReplaceAll(mustJSON(c), ",", ", ") }

func TestWebSocketConfigErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ json, want string }{
		{`[]`, "config must be an object"},
		{`{"url":5}`, "config.url must be a string, not 5"},
		{`{"url":"/ws","pingIntervall":100}`, "config has unknown field pingIntervall"},
		{`{"url":"/ws","reconnectDelay":"soon"}`, `config.reconnectDelay must be a number, not "soon"`},
		{`{"url":"/ws","reconnectDelay":0}`, "config.reconnectDelay must be more than 0 milliseconds, not 0"},
		{`{"url":"/ws","reconnectDelay":"NaN"}`, `config.reconnectDelay must be a number, not "NaN"`},
		{`{"url":"/ws","reconnectDelay":"Infinity"}`, "config.reconnectDelay must be a number of milliseconds up to a year, not +Inf"},
		{`{"url":"/ws","pingInterval":-5}`, "config.pingInterval must be 0 or more milliseconds, not -5"},
		{`{"url":"/ws","maxReconnectAttempts":-2}`, "config.maxReconnectAttempts must be 0 or more (-1 or Infinity: no limit), not -2"},
		{`{"url":"/ws","maxReconnectAttempts":1.5}`, "config.maxReconnectAttempts must be a whole number, not 1.5"},
		{`{"url":"/ws","reconnectDelayMultiplier":0.5}`, "config.reconnectDelayMultiplier must be a number of 1 or more, not 0.5"},
		{`{"url":"/ws","queueSize":0}`, "config.queueSize must be 1 or more, not 0"},
		{`{"url":"/ws","autoReconnect":"no"}`, `config.autoReconnect must be true or false, not "no"`},
		{`{"url":"/ws","getToken":"yes"}`, `config.getToken must be true or false, not "yes"`},
		{`{"url":"/ws","protocols":"v1"}`, `config.protocols must be an array of strings, not "v1"`},
		{`{"url":"/ws","reconnectJitter":2}`, "config.reconnectJitter must be between 0 and 1, not 2"},
	} {
		_, err := WebSocketConfig([]byte(tc.json), page, nil)
		if err == nil || !errors.Is(err, ErrConfig) || !strings.HasSuffix(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one ending %q", tc.json, err, tc.want)
		}
		if Code(err) != "config" {
			t.Errorf("%s: code %q, want config", tc.json, Code(err))
		}
	}
}

// TestRuntimeValidationReachesJavaScript: what the bridge lets through,
// ws.New judges, and its message is the one JavaScript sees.
func TestRuntimeValidationReachesJavaScript(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ json, want string }{
		{`{}`, "ws: invalid config: url is required"},
		{`{"url":"ftp://files.example/x"}`, `ws: invalid config: url "ftp://files.example/x" must start with ws:// or wss://`},
		{`{"url":"/ws","reconnectDelay":5000,"maxReconnectDelay":1000}`, "ws: invalid config: maxReconnectDelay 1s is below reconnectDelay 5s"},
	} {
		cfg, err := WebSocketConfig([]byte(tc.json), page, nil)
		if err == nil {
			_, err = ws.New(cfg)
		}
		if err == nil || err.Error() != tc.want || Code(err) != "config" {
			t.Errorf("%s: error %v (code %q), want %q (config)", tc.json, err, Code(err), tc.want)
		}
	}
}

func TestEventSourceConfig(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, json string
		want       sse.Config
	}{
		{"relative url stays http", `{"url":"/sse/ticker"}`, sse.Config{URL: "http://app.example:8080/sse/ticker"}},
		{"string body as it is", `{"url":"/a","method":"POST","body":"prompt=hi"}`,
			sse.Config{URL: "http://app.example:8080/a", Method: "POST", Body: []byte("prompt=hi")}},
		{"object body as JSON", `{"url":"/a","method":"POST","body":{"prompt":"hi"}}`,
			sse.Config{URL: "http://app.example:8080/a", Method: "POST", Body: []byte(`{"prompt":"hi"}`)}},
		{"durations and limits", `{"url":"/a","retryDelay":100,"maxRetryDelay":900,"idleTimeout":0,"maxReconnectAttempts":"Infinity","lastEventId":"7","maxEventSize":4096,"closeWhenHidden":true}`,
			sse.Config{URL: "http://app.example:8080/a", RetryDelay: 100 * time.Millisecond, MaxRetryDelay: 900 * time.Millisecond,
				IdleTimeout: -1, MaxReconnectAttempts: -1, LastEventID: "7", MaxEventSize: 4096, CloseWhenHidden: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := EventSourceConfig([]byte(tc.json), page, nil)
			if err != nil {
				t.Fatal(err)
			}
			if g, w := fmtConfig(got), fmtConfig(tc.want); g != w {
				t.Errorf("got  %s\nwant %s", g, w)
			}
		})
	}
	if _, err := EventSourceConfig([]byte(`{"url":"/a","retry":5}`), page, nil); err == nil || !strings.Contains(err.Error(), "unknown field retry") {
		t.Errorf("a typo gave %v", err)
	}
}

func TestResolveURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		raw, page string
		websocket bool
		want      string
	}{
		{"/ws", "https://secure.example/app", true, "wss://secure.example/ws"},
		{"//other.example/ws", "https://secure.example/app", true, "wss://other.example/ws"},
		{"../ws", "http://h/a/b/c", true, "ws://h/a/ws"},
		{"/sse#frag", "http://h/", false, "http://h/sse"},
		{"ws://h/ws", "http://other/", true, "ws://h/ws"},
		{"/ws", "", true, "/ws"},
		{"/ws", "about:blank", true, "/ws"},
		{"", "http://h/", true, ""},
	} {
		if got := resolveURL(tc.raw, tc.page, tc.websocket); got != tc.want {
			t.Errorf("resolveURL(%q, %q): %q, want %q", tc.raw, tc.page, got, tc.want)
		}
	}
}
