package components

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/matih-ai/realtime/wasm/ws"
)

// stateView renders StatusView for a fixed state.
type stateView struct {
	app.Compo
	State    ws.State
	Detailed bool
}

func (v *stateView) Render() app.UI { return StatusView(v.State, v.Detailed) }

func TestStatusViewShowsWhatAUserNeeds(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		view    *stateView
		path    []int
		want    string
		details int
	}{
		{"label", &stateView{State: ws.State{Status: ws.StatusConnected}}, []int{0, 1, 0}, "connected", 0},
		{"zero state reads disconnected", &stateView{}, []int{0, 1, 0}, "disconnected", 0},
		{"reconnect attempt and delay", &stateView{State: ws.State{Status: ws.StatusReconnecting, Attempt: 2, NextDelay: 1500 * time.Millisecond}, Detailed: true}, []int{0, 2, 0}, "attempt 2 in 1.5s", 1},
		{"dialing", &stateView{State: ws.State{Status: ws.StatusReconnecting, Attempt: 3}, Detailed: true}, []int{0, 2, 0}, "attempt 3, dialing", 1},
		{"queue", &stateView{State: ws.State{Status: ws.StatusDisconnected, Queued: 4}, Detailed: true}, []int{0, 2, 0}, "4 queued", 1},
		{"no details unless asked", &stateView{State: ws.State{Status: ws.StatusReconnecting, Attempt: 2, NextDelay: time.Second, Queued: 4}}, []int{0, 1, 0}, "reconnecting", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := app.NewTestEngine()
			if err := e.Load(tc.view); err != nil {
				t.Fatal(err)
			}
			e.ConsumeAll()
			if err := app.Match(app.Text(tc.want), tc.view, tc.path...); err != nil {
				t.Fatalf("want %q: %v", tc.want, err)
			}
			// The dot, the label, then only the details asked for.
			err := app.Match(app.Span(), tc.view, 0, 2+tc.details)
			if err == nil || !strings.Contains(err.Error(), "out of range") {
				t.Fatalf("an extra detail is shown (%v)", err)
			}
		})
	}
}

func TestResolveWebSocketURL(t *testing.T) {
	t.Parallel()
	page := func(s string) *url.URL { u, _ := url.Parse(s); return u }
	cases := []struct {
		raw  string
		page *url.URL
		want string
	}{
		{"/ws", page("http://127.0.0.1:8080/websocket"), "ws://127.0.0.1:8080/ws"},
		{"/ws?x=1", page("https://app.example.com/a/b"), "wss://app.example.com/ws?x=1"},
		{"wss://other.example.com/ws", page("http://127.0.0.1/"), "wss://other.example.com/ws"},
		{"//host/ws", page("http://127.0.0.1/"), "//host/ws"},
		{"/ws", nil, "/ws"},
	}
	for _, tc := range cases {
		if got := resolveWebSocketURL(tc.raw, tc.page); got != tc.want {
			t.Errorf("resolve(%q): %q, want %q", tc.raw, got, tc.want)
		}
	}
}
