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
	// Auth checks the token of every WebSocket client. Nil accepts everyone.
	Auth Authenticator

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

	// Clock stamps messages. Defaults to clock.Real.
	Clock clock.Clock

	// SendBuffer is how many envelopes may wait for a slow client before it
	// is closed with 1013. Defaults to 256.
	SendBuffer int

	// ReadLimit is the largest frame a client may send; a bigger one closes
	// the connection with 1009. Defaults to 64 KiB.
	ReadLimit int64

	// MaxSubscriptions caps the channels one connection may join (and the
	// echo channels it may use). Defaults to 1000.
	MaxSubscriptions int

	// WriteTimeout bounds one frame write; a client that takes longer is
	// dropped without a close handshake. Defaults to 10 s.
	WriteTimeout time.Duration
}

// Defaults of [Options].
const (
	DefaultSendBuffer       = 256
	DefaultReadLimit        = 64 << 10
	DefaultMaxSubscriptions = 1000
	DefaultWriteTimeout     = 10 * time.Second
)

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Clock == nil {
		o.Clock = clock.Real
	}
	if o.SendBuffer <= 0 {
		o.SendBuffer = DefaultSendBuffer
	}
	if o.ReadLimit <= 0 {
		o.ReadLimit = DefaultReadLimit
	}
	if o.MaxSubscriptions <= 0 {
		o.MaxSubscriptions = DefaultMaxSubscriptions
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = DefaultWriteTimeout
	}
	return o
}
