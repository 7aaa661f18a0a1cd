package sse_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/matih-ai/realtime/wasm/sse"
)

func TestConfigDefaults(t *testing.T) {
	t.Parallel()
	c, err := sse.New(sse.Config{URL: "http://127.0.0.1:1/sse/ticker"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cfg := c.Config()
	checks := []struct {
		name      string
		got, want any
	}{
		{"method", cfg.Method, "GET"},
		{"retryDelay", cfg.RetryDelay, 3 * time.Second},
		{"reconnectDelayMultiplier", cfg.ReconnectDelayMultiplier, 1.5},
		{"maxRetryDelay", cfg.MaxRetryDelay, 30 * time.Second},
		{"maxReconnectAttempts", cfg.MaxReconnectAttempts, 10},
		{"stableAfter", cfg.StableAfter, 5 * time.Second},
		{"idleTimeout", cfg.IdleTimeout, 45 * time.Second},
		{"maxEventSize", cfg.MaxEventSize, 1 << 20},
		{"closeWhenHidden", cfg.CloseWhenHidden, false},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: %v, want %v", c.name, c.got, c.want)
		}
	}
	if cfg.Fetch == nil {
		t.Error("fetch: nil, want fetch.Do")
	}
	if s := c.State(); s.Status != sse.StatusClosed || s.Retry != 3*time.Second {
		t.Errorf("a new client: %+v, want closed with the default retry", s)
	}
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		cfg  sse.Config
		want string
	}{
		{"no url", sse.Config{}, "url is required"},
		{"relative url", sse.Config{URL: "/sse/ticker"}, "http:// or https://"},
		{"websocket url", sse.Config{URL: "ws://h/sse"}, "http:// or https://"},
		{"no host", sse.Config{URL: "http:///sse"}, "no host"},
		{"bad url", sse.Config{URL: "http://h/%zz"}, "url"},
		{"method", sse.Config{URL: "http://h/", Method: "PUT"}, `method "PUT"`},
		{"body without POST", sse.Config{URL: "http://h/", Body: []byte("x")}, "needs method POST"},
		{"header name", sse.Config{URL: "http://h/", Headers: map[string]string{"X Bad": "v"}}, "not a valid HTTP token"},
		{"header value", sse.Config{URL: "http://h/", Headers: map[string]string{"X-A": "a\r\nX-B: b"}}, "line break"},
		{"reserved header", sse.Config{URL: "http://h/", Headers: map[string]string{"last-event-id": "3"}}, "set by the client"},
		{"accept header", sse.Config{URL: "http://h/", Headers: map[string]string{"Accept": "*/*"}}, "set by the client"},
		{"authorization twice", sse.Config{URL: "http://h/", AuthToken: "t", Headers: map[string]string{"Authorization": "Basic x"}}, "both set"},
		{"authorization and a token func", sse.Config{URL: "http://h/", TokenFunc: func(context.Context) (string, error) { return "t", nil }, Headers: map[string]string{"authorization": "Basic x"}}, "both set"},
		{"token", sse.Config{URL: "http://h/", AuthToken: "a\nb"}, "authToken"},
		{"last event id", sse.Config{URL: "http://h/", LastEventID: "a\x00"}, "lastEventID"},
		{"retry delay", sse.Config{URL: "http://h/", RetryDelay: -time.Second}, "negative"},
		{"multiplier", sse.Config{URL: "http://h/", ReconnectDelayMultiplier: 0.5}, "below 1"},
		{"cap below delay", sse.Config{URL: "http://h/", RetryDelay: time.Minute}, "maxRetryDelay"},
		{"attempts", sse.Config{URL: "http://h/", MaxReconnectAttempts: -2}, "use -1"},
		{"stable after", sse.Config{URL: "http://h/", StableAfter: -1}, "negative"},
		{"idle timeout", sse.Config{URL: "http://h/", IdleTimeout: -2}, "use -1"},
		{"event size", sse.Config{URL: "http://h/", MaxEventSize: -1}, "negative"},
	}
	for _, tc := range cases {
		_, err := sse.New(tc.cfg)
		if !errors.Is(err, sse.ErrConfig) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want ErrConfig saying %q", tc.name, err, tc.want)
		}
	}
}

func TestConfigAcceptsPostAndNoIdleTimeout(t *testing.T) {
	t.Parallel()
	c, err := sse.New(sse.Config{URL: "https://h/sse/answer", Method: "post", Body: []byte("{}"), IdleTimeout: -1, MaxReconnectAttempts: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if cfg := c.Config(); cfg.Method != "POST" || cfg.IdleTimeout != -1 || cfg.MaxReconnectAttempts != -1 {
		t.Fatalf("config %+v", cfg)
	}
}
