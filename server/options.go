package server

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/matih-ai/realtime/wasm/clock"
)

// Options configures a [Server]. The zero value is usable: no auth, same
// origin only, no pages.
type Options struct {
	// Auth checks the token of every WebSocket client and HTTP endpoint
	// but the pages, /web/ and /healthz. Nil accepts everyone.
	Auth Authenticator

	// Authorizer decides who may subscribe, publish, be present or cancel
	// a query on which channel. Nil is [DefaultAuthorizer].
	Authorizer Authorizer

	// Origins lists the host patterns (path.Match, as in
	// websocket.AcceptOptions.OriginPatterns) of pages on other origins that
	// may open a WebSocket. The request's own host is always allowed.
	Origins []string

	// Pages serves every path the server does not handle itself; the go-app
	// handler goes here. Nil answers 404 but for "/".
	Pages http.Handler

	// WebDir is the directory served under /web/, ahead of Pages. Empty
	// serves nothing there.
	WebDir string

	// Logger receives connection events. Defaults to discarding them.
	Logger *slog.Logger

	// Clock stamps messages, paces the SSE streams (ticks, answer tokens
	// and keep-alives), the demo feeds and the simulated queries, and runs
	// the presence grace and idle timeouts. Defaults to clock.Real.
	Clock clock.Clock

	// SendBuffer is how many envelopes may wait for a slow client before it
	// is closed with 1013. Defaults to 256.
	SendBuffer int

	// ReadLimit is the largest frame a client may send; a bigger one closes
	// the connection with 1009. Defaults to 64 KiB.
	ReadLimit int64

	// MaxSubscriptions caps the channels one connection may join (and the
	// echo channels it may use); a subscribe past it is refused with
	// too_many_channels. Defaults to 1000.
	MaxSubscriptions int

	// RateLimit is how many requests (envelopes) a second one connection
	// may send, on average; one past it is refused with rate_limited, and
	// a connection that goes on sending at five times the rate for a
	// second is closed with 4008. Defaults to 100; -1 means no limit.
	RateLimit int

	// RateBurst is how many requests a connection may send at once, above
	// RateLimit. Defaults to twice RateLimit.
	RateBurst int

	// ContentSecurityPolicy is sent with the pages and the files of /web/.
	// Defaults to DefaultContentSecurityPolicy.
	ContentSecurityPolicy string

	// WriteTimeout bounds one frame write, or one SSE event; a client that
	// takes longer is dropped (WebSockets without a close handshake).
	// Defaults to 10 s.
	WriteTimeout time.Duration

	// TickInterval is the time between two ticks of /sse/ticker. Defaults
	// to 1 s.
	TickInterval time.Duration

	// TickEpoch is when tick 0 of /sse/ticker happened. Servers that share
	// it send the same ticks, so a client resumes across a restart or to
	// another node. Defaults to DefaultTickEpoch.
	TickEpoch time.Time

	// AnswerTokenDelay is the time between two tokens of /sse/answer.
	// Defaults to 40 ms.
	AnswerTokenDelay time.Duration

	// KeepAlive is how long an SSE stream may stay silent before a comment
	// is sent, so that proxies and clients do not take it for dead.
	// Defaults to 15 s.
	KeepAlive time.Duration

	// SSERetry is the reconnection delay an SSE stream asks its clients
	// for, in its first line. Defaults to 3 s.
	SSERetry time.Duration

	// ReplayWindow is how many of the latest events the ticker holds for
	// clients that resume; one further behind is told history was lost.
	// Defaults to 256.
	ReplayWindow int

	// IdleTimeout closes, with 1001, a WebSocket that sent no frame for
	// that long: a closed laptop never says goodbye. Clients ping every
	// 30 s. Defaults to 75 s.
	IdleTimeout time.Duration

	// PresenceGrace is how long the presence sessions of a connection that
	// ended without leaving stay, so that a reconnect within it is no
	// leave and join. Defaults to 10 s.
	PresenceGrace time.Duration

	// MaxPresence caps the presence sessions of one resource; a join past
	// it is refused with room_full. Defaults to 500.
	MaxPresence int

	// History keeps the latest messages of every channel, for subscribers
	// that resume, and a user's latest notifications, for clients that
	// reconnect; it also tells repeated publishes. Use a [FileHistory] for
	// them to outlive the server. Defaults to a [MemoryHistory] of
	// [DefaultHistorySize] messages for each of [DefaultHistoryChannels]
	// channels.
	History History

	// LiveInterval is the time between two changes of each demo feed
	// ("metrics" and "orders"). Defaults to 250 ms.
	LiveInterval time.Duration

	// QuerySpeed scales the time simulated queries take: 2 runs them
	// twice as fast. Their steps stay the same, so a faster query goes
	// through the same states and progress. Defaults to 1.
	QuerySpeed float64

	// MaxQueries caps the simulated queries running at once; POST /queries
	// past it is answered 429. Defaults to 100.
	MaxQueries int
}

// Defaults of [Options].
const (
	DefaultSendBuffer       = 256
	DefaultReadLimit        = 64 << 10
	DefaultMaxSubscriptions = 1000
	DefaultRateLimit        = 100
	DefaultWriteTimeout     = 10 * time.Second
	DefaultTickInterval     = time.Second
	DefaultAnswerTokenDelay = 40 * time.Millisecond
	DefaultKeepAlive        = 15 * time.Second
	DefaultSSERetry         = 3 * time.Second
	DefaultReplayWindow     = 256
	DefaultIdleTimeout      = 75 * time.Second
	DefaultPresenceGrace    = 10 * time.Second
	DefaultMaxPresence      = 500
	DefaultLiveInterval     = 250 * time.Millisecond
	DefaultQuerySpeed       = 1.0
	DefaultMaxQueries       = 100
)

// DefaultTickEpoch is the default [Options.TickEpoch].
var DefaultTickEpoch = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Clock == nil {
		o.Clock = clock.Real
	}
	if o.TickEpoch.IsZero() {
		o.TickEpoch = DefaultTickEpoch
	}
	orDefault(&o.SendBuffer, DefaultSendBuffer)
	orDefault(&o.ReadLimit, DefaultReadLimit)
	orDefault(&o.MaxSubscriptions, DefaultMaxSubscriptions)
	switch {
	case o.RateLimit == 0:
		o.RateLimit = DefaultRateLimit
	case o.RateLimit < 0:
		o.RateLimit = 0 // no limit
	}
	orDefault(&o.RateBurst, 2*o.RateLimit)
	if o.Authorizer == nil {
		o.Authorizer = DefaultAuthorizer
	}
	if o.ContentSecurityPolicy == "" {
		o.ContentSecurityPolicy = DefaultContentSecurityPolicy
	}
	orDefault(&o.WriteTimeout, DefaultWriteTimeout)
	orDefault(&o.TickInterval, DefaultTickInterval)
	orDefault(&o.AnswerTokenDelay, DefaultAnswerTokenDelay)
	orDefault(&o.KeepAlive, DefaultKeepAlive)
	orDefault(&o.SSERetry, DefaultSSERetry)
	orDefault(&o.ReplayWindow, DefaultReplayWindow)
	orDefault(&o.IdleTimeout, DefaultIdleTimeout)
	orDefault(&o.PresenceGrace, DefaultPresenceGrace)
	orDefault(&o.MaxPresence, DefaultMaxPresence)
	if o.History == nil {
		o.History = NewMemoryHistory(DefaultHistorySize, DefaultHistoryChannels)
	}
	orDefault(&o.LiveInterval, DefaultLiveInterval)
	if !(o.QuerySpeed > 0) { // NaN too
		o.QuerySpeed = DefaultQuerySpeed
	}
	orDefault(&o.MaxQueries, DefaultMaxQueries)
	return o
}

// orDefault sets a size or duration that is not positive to def.
func orDefault[T int | int64 | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}
