package sse

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/matih-ai/realtime/wasm/backoff"
	"github.com/matih-ai/realtime/wasm/clock"
	"github.com/matih-ai/realtime/wasm/fetch"
	"github.com/matih-ai/realtime/wasm/internal/weburl"
)

// Config configures a Client; a zero field takes its default.
type Config struct {
	// URL is the http:// or https:// address of the stream. Required.
	// A relative address is resolved by the caller (the components layer).
	URL string
	// Method is GET or POST. Default is GET.
	Method string
	// Body is sent with a POST, on every connection.
	Body []byte
	// Headers are sent with every request. The client sets Accept,
	// Cache-Control and Last-Event-ID itself, and Authorization from
	// AuthToken, so Headers may not name those.
	Headers map[string]string
	// AuthToken is sent as "Authorization: Bearer <token>".
	AuthToken string
	// TokenFunc, when set, is asked for the token before every request,
	// in place of AuthToken, so that each carries a fresh one: a stream
	// the server ends when its token expires comes back with a new one.
	// ctx ends with the request (Close, or IdleTimeout). An error ends
	// the stream with StatusError and that error (ErrToken). A 401 is
	// then not final: the client asks again and reconnects at once, once;
	// a second 401 before a stream has opened is final.
	TokenFunc func(ctx context.Context) (string, error)
	// LastEventID is the id to resume from on the first connection, as
	// after a page reload. Default is none: the stream starts fresh.
	LastEventID string

	// RetryDelay is the delay before the first reconnect; a "retry" field
	// from the server replaces it. Default is 3s.
	RetryDelay time.Duration
	// ReconnectDelayMultiplier grows the delay after each failed attempt.
	// Default is 1.5.
	ReconnectDelayMultiplier float64
	// MaxRetryDelay caps the delay, the server's "retry" included (a
	// Retry-After header is honoured in full). Default is 30s.
	MaxRetryDelay time.Duration
	// MaxReconnectAttempts is how many reconnects in a row may fail before
	// the status becomes StatusError. Default is 10, as for the WebSocket;
	// -1 means no limit, as a browser's EventSource does.
	MaxReconnectAttempts int
	// StableAfter is how long a connection must stay open to reset the
	// attempt count, if it has delivered no event before (an event resets
	// it at once). Default is 5s.
	StableAfter time.Duration
	// IdleTimeout is how long a stream may stay silent (no event, no
	// comment, no response headers yet) before it is taken for dropped
	// and reconnected. Default is 45s: three of the server's 15s
	// keep-alives. -1 disables it.
	IdleTimeout time.Duration
	// MaxEventSize bounds a line, and the data of one event; a stream
	// that goes past it fails with ErrTooLong, without retry. Default is
	// DefaultMaxEventSize (1 MiB).
	MaxEventSize int
	// CloseWhenHidden closes the stream while the page is hidden and
	// reopens it, resuming from the last event id, when it is visible
	// again. Browser only; default is off.
	CloseWhenHidden bool

	// Fetch makes the requests. It must not time out, which would cut
	// every stream: IdleTimeout detects dead ones. Default is fetch.Do
	// (the browser's fetch API; natively net/http's DefaultClient).
	Fetch fetch.Func
	// Clock tells time and runs timers. Default is the wall clock.
	Clock clock.Clock
}

// Defaults of Config.
const (
	DefaultRetryDelay               = 3 * time.Second
	DefaultReconnectDelayMultiplier = 1.5
	DefaultMaxRetryDelay            = 30 * time.Second
	DefaultMaxReconnectAttempts     = 10
	DefaultStableAfter              = 5 * time.Second
	DefaultIdleTimeout              = 45 * time.Second
)

// ErrConfig is wrapped by every configuration error.
var ErrConfig = errors.New("sse: invalid config")

func configErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(format, args...))
}

// reservedHeaders are set by the client on every request.
var reservedHeaders = []string{"Accept", "Cache-Control", "Last-Event-ID"}

// withDefaults validates c and fills its zero fields.
func (c Config) withDefaults() (Config, error) {
	if c.URL == "" {
		return c, configErr("url is required")
	}
	u, err := weburl.Parse(c.URL)
	if err != nil {
		return c, configErr("url %q: %v", c.URL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return c, configErr("url %q must start with http:// or https://", c.URL)
	}
	if u.Host == "" {
		return c, configErr("url %q has no host", c.URL)
	}
	switch c.Method = strings.ToUpper(c.Method); c.Method {
	case "":
		c.Method = "GET"
	case "GET", "POST":
	default:
		return c, configErr("method %q: use GET or POST", c.Method)
	}
	if len(c.Body) > 0 && c.Method != "POST" {
		return c, configErr("a body needs method POST, not %s", c.Method)
	}
	for name, value := range c.Headers {
		if !validHeaderName(name) {
			return c, configErr("header name %q is not a valid HTTP token", name)
		}
		if strings.ContainsAny(value, "\r\n\x00") {
			return c, configErr("header %s holds a line break or NUL", name)
		}
		for _, r := range reservedHeaders {
			if strings.EqualFold(name, r) {
				return c, configErr("header %s is set by the client (use LastEventID to resume)", name)
			}
		}
		if strings.EqualFold(name, "Authorization") && (c.AuthToken != "" || c.TokenFunc != nil) {
			return c, configErr("header Authorization and AuthToken or TokenFunc are both set")
		}
	}
	if strings.ContainsAny(c.AuthToken, "\r\n\x00") {
		return c, configErr("authToken holds a line break or NUL")
	}
	if strings.ContainsRune(c.LastEventID, 0) || strings.ContainsAny(c.LastEventID, "\r\n") {
		return c, configErr("lastEventID %q holds a line break or NUL", c.LastEventID)
	}
	b, err := backoff.Backoff{Initial: c.RetryDelay, Multiplier: c.ReconnectDelayMultiplier, Max: c.MaxRetryDelay}.Normalize(
		backoff.Backoff{Initial: DefaultRetryDelay, Multiplier: DefaultReconnectDelayMultiplier, Max: DefaultMaxRetryDelay},
		backoff.Names{Initial: "retryDelay", Multiplier: "reconnectDelayMultiplier", Max: "maxRetryDelay", Jitter: "jitter"},
	)
	if err != nil {
		return c, configErr("%v", err)
	}
	c.RetryDelay, c.ReconnectDelayMultiplier, c.MaxRetryDelay = b.Initial, b.Multiplier, b.Max
	switch {
	case c.MaxReconnectAttempts == 0:
		c.MaxReconnectAttempts = DefaultMaxReconnectAttempts
	case c.MaxReconnectAttempts < -1:
		return c, configErr("maxReconnectAttempts %d: use -1 for no limit", c.MaxReconnectAttempts)
	}
	if c.StableAfter < 0 {
		return c, configErr("stableAfter %v is negative", c.StableAfter)
	}
	if c.StableAfter == 0 {
		c.StableAfter = DefaultStableAfter
	}
	switch {
	case c.IdleTimeout == 0:
		c.IdleTimeout = DefaultIdleTimeout
	case c.IdleTimeout < -1:
		return c, configErr("idleTimeout %v is negative: use -1 to disable", c.IdleTimeout)
	}
	if c.MaxEventSize < 0 {
		return c, configErr("maxEventSize %d is negative", c.MaxEventSize)
	}
	if c.MaxEventSize == 0 {
		c.MaxEventSize = DefaultMaxEventSize
	}
	if c.Fetch == nil {
		c.Fetch = fetch.Do
	}
	if c.Clock == nil {
		c.Clock = clock.Real
	}
	return c, nil
}

// validHeaderName reports whether name is an HTTP token.
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for _, r := range name {
		if r <= ' ' || r >= 0x7f || strings.ContainsRune("()<>@,;:\\\"/[]?={}", r) {
			return false
		}
	}
	return true
}
