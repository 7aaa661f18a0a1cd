package ws

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/matih-ai/realtime/wasm/backoff"
	"github.com/matih-ai/realtime/wasm/clock"
	"github.com/matih-ai/realtime/wasm/internal/weburl"
)

// Config configures a Client. Its fields mirror the spec's WebSocketConfig;
// a zero field takes the spec's default.
type Config struct {
	// URL is the ws:// or wss:// address to dial. Required.
	URL string
	// Protocols are WebSocket subprotocols to offer.
	Protocols []string
	// Headers are sent with the handshake where the platform allows it
	// (native clients; browsers cannot set WebSocket headers).
	Headers map[string]string
	// AuthToken is sent as the subprotocol "bearer.<token>", or as the query
	// parameter "token" when it holds characters a subprotocol cannot.
	AuthToken string
	// TokenFunc, when set, is asked for the token before every dial, in
	// place of AuthToken, so that each connection carries a fresh one: the
	// client asks the app, which refreshes it as it sees fit. ctx ends
	// after DialTimeout. An error ends the connecting with StatusError and
	// that error. A 4401 close (the token expired, or was refused) is then
	// not final: the client asks for a token again and reconnects at once,
	// once; a second 4401 before the new connection has been up for
	// StableAfter is final.
	TokenFunc func(ctx context.Context) (string, error)

	// DisableReconnect turns off automatic reconnection (the spec's
	// autoReconnect: false). Default is to reconnect.
	DisableReconnect bool
	// MaxReconnectAttempts is how many reconnects in a row may fail before
	// the status becomes StatusError. Default is 10; -1 means no limit.
	MaxReconnectAttempts int
	// ReconnectDelay is the delay before the first reconnect. Default is 1s.
	ReconnectDelay time.Duration
	// ReconnectDelayMultiplier grows the delay after each failed attempt.
	// Default is 1.5.
	ReconnectDelayMultiplier float64
	// MaxReconnectDelay caps the delay. Default is 30s.
	MaxReconnectDelay time.Duration
	// ReconnectJitter spreads delays by up to this fraction either way
	// (0.2 gives ±20%) so that clients dropped together do not return
	// together. Default is 0: exact delays.
	ReconnectJitter float64
	// StableAfter is how long a connection must stay up before the attempt
	// count resets. Default is 5s.
	StableAfter time.Duration

	// PingInterval is the time between heartbeats. Default is 30s; -1
	// disables them.
	PingInterval time.Duration
	// PongTimeout is how long after a ping the connection may stay silent
	// before it is taken for dead. Default is 10s, or PingInterval when that
	// is shorter.
	PingTimeout time.Duration

	// QueueSize bounds the messages kept while disconnected. Default is 100.
	QueueSize int
	// MaxMessageSize bounds one encoded message: Send refuses a bigger one
	// with ErrMessageTooBig rather than send what the server would close
	// the connection for (1009). Set it to the server's read limit.
	// Default is 64 KiB, the bundled server's; -1 means no limit.
	MaxMessageSize int
	// DialTimeout bounds one connection attempt. Default is 10s.
	DialTimeout time.Duration

	// Dialer opens connections. Default dials with coder/websocket.
	Dialer Dialer
	// Clock tells time and runs timers. Default is the wall clock.
	Clock clock.Clock
}

// Defaults of Config, from the spec.
const (
	DefaultMaxReconnectAttempts     = 10
	DefaultReconnectDelay           = time.Second
	DefaultReconnectDelayMultiplier = 1.5
	DefaultMaxReconnectDelay        = 30 * time.Second
	DefaultPingInterval             = 30 * time.Second
	DefaultPingTimeout              = 10 * time.Second
	DefaultQueueSize                = 100
	DefaultMaxMessageSize           = 64 << 10
	DefaultDialTimeout              = 10 * time.Second
	DefaultStableAfter              = 5 * time.Second
)

// ErrConfig is wrapped by every configuration error.
var ErrConfig = errors.New("ws: invalid config")

func configErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(format, args...))
}

// withDefaults validates c and fills its zero fields.
func (c Config) withDefaults() (Config, error) {
	if c.URL == "" {
		return c, configErr("url is required")
	}
	u, err := weburl.Parse(c.URL)
	if err != nil {
		return c, configErr("url %q: %v", c.URL, err)
	}
	if u.Scheme != "ws" && u.Scheme != "wss" {
		return c, configErr("url %q must start with ws:// or wss://", c.URL)
	}
	if u.Host == "" {
		return c, configErr("url %q has no host", c.URL)
	}
	switch {
	case c.MaxReconnectAttempts == 0:
		c.MaxReconnectAttempts = DefaultMaxReconnectAttempts
	case c.MaxReconnectAttempts < -1:
		return c, configErr("maxReconnectAttempts %d: use -1 for no limit", c.MaxReconnectAttempts)
	}
	b, err := backoff.Backoff{
		Initial: c.ReconnectDelay, Multiplier: c.ReconnectDelayMultiplier,
		Max: c.MaxReconnectDelay, Jitter: c.ReconnectJitter,
	}.Normalize(
		backoff.Backoff{Initial: DefaultReconnectDelay, Multiplier: DefaultReconnectDelayMultiplier, Max: DefaultMaxReconnectDelay},
		backoff.Names{Initial: "reconnectDelay", Multiplier: "reconnectDelayMultiplier", Max: "maxReconnectDelay", Jitter: "reconnectJitter"},
	)
	if err != nil {
		return c, configErr("%v", err)
	}
	c.ReconnectDelay, c.ReconnectDelayMultiplier, c.MaxReconnectDelay = b.Initial, b.Multiplier, b.Max
	if c.StableAfter < 0 {
		return c, configErr("stableAfter %v is negative", c.StableAfter)
	}
	if c.StableAfter == 0 {
		c.StableAfter = DefaultStableAfter
	}
	switch {
	case c.PingInterval == 0:
		c.PingInterval = DefaultPingInterval
	case c.PingInterval < -1:
		return c, configErr("pingInterval %v is negative: use -1 to disable", c.PingInterval)
	}
	if c.PingTimeout < 0 {
		return c, configErr("pingTimeout %v is negative", c.PingTimeout)
	}
	if c.PingTimeout == 0 {
		c.PingTimeout = min(DefaultPingTimeout, max(c.PingInterval, time.Millisecond))
	}
	if c.QueueSize < 0 {
		return c, configErr("queueSize %d is negative", c.QueueSize)
	}
	if c.QueueSize == 0 {
		c.QueueSize = DefaultQueueSize
	}
	switch {
	case c.MaxMessageSize == 0:
		c.MaxMessageSize = DefaultMaxMessageSize
	case c.MaxMessageSize < -1:
		return c, configErr("maxMessageSize %d: use -1 for no limit", c.MaxMessageSize)
	}
	if c.DialTimeout < 0 {
		return c, configErr("dialTimeout %v is negative", c.DialTimeout)
	}
	if c.DialTimeout == 0 {
		c.DialTimeout = DefaultDialTimeout
	}
	if c.Dialer == nil {
		c.Dialer = DialWebSocket
	}
	if c.Clock == nil {
		c.Clock = clock.Real
	}
	return c, nil
}
