package ws_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/matih-ai/realtime/wasm/ws"
)

func TestConfigDefaultsAreTheSpecs(t *testing.T) {
	t.Parallel()
	c, err := ws.New(ws.Config{URL: "ws://127.0.0.1:1/ws"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cfg := c.Config()
	checks := []struct {
		name      string
		got, want any
	}{
		{"autoReconnect", !cfg.DisableReconnect, true},
		{"maxReconnectAttempts", cfg.MaxReconnectAttempts, 10},
		{"reconnectDelay", cfg.ReconnectDelay, time.Second},
		{"reconnectDelayMultiplier", cfg.ReconnectDelayMultiplier, 1.5},
		{"maxReconnectDelay", cfg.MaxReconnectDelay, 30 * time.Second},
		{"pingInterval", cfg.PingInterval, 30 * time.Second},
		{"queueSize", cfg.QueueSize, 100},
		{"jitter", cfg.ReconnectJitter, 0.0},
		{"maxMessageSize", cfg.MaxMessageSize, 64 << 10},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: %v, want %v", c.name, c.got, c.want)
		}
	}
	if s := c.Status(); s != ws.StatusDisconnected {
		t.Errorf("a new client is %s, want disconnected", s)
	}
}

func TestInvalidConfigGetsAClearError(t *testing.T) {
	t.Parallel()
	good := "ws://127.0.0.1:1/ws"
	cases := []struct {
		cfg  ws.Config
		want string
	}{
		{ws.Config{}, "url is required"},
		{ws.Config{URL: "http://127.0.0.1/ws"}, "must start with ws:// or wss://"},
		{ws.Config{URL: "ws:///ws"}, "has no host"},
		{ws.Config{URL: "ws://a b"}, "url"},
		{ws.Config{URL: good, ReconnectDelay: -1}, "reconnectDelay"},
		{ws.Config{URL: good, ReconnectDelayMultiplier: 0.5}, "reconnectDelayMultiplier"},
		{ws.Config{URL: good, ReconnectDelay: 2 * time.Second, MaxReconnectDelay: time.Second}, "maxReconnectDelay"},
		{ws.Config{URL: good, MaxReconnectAttempts: -2}, "maxReconnectAttempts"},
		{ws.Config{URL: good, QueueSize: -1}, "queueSize"},
		{ws.Config{URL: good, PingInterval: -5}, "pingInterval"},
		{ws.Config{URL: good, ReconnectJitter: 1.5}, "reconnectJitter"},
		{ws.Config{URL: good, MaxMessageSize: -2}, "maxMessageSize"},
	}
	for _, tc := range cases {
		_, err := ws.New(tc.cfg)
		if err == nil {
			t.Errorf("%+v: no error", tc.cfg)
			continue
		}
		if !errors.Is(err, ws.ErrConfig) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %q, want ErrConfig mentioning %q", tc.cfg, err, tc.want)
		}
	}
}
