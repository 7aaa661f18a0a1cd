package ws

import (
	"context"
	"errors"
	"fmt"
)

// Conn is one open WebSocket connection, as the Client needs it. It lets
// tests replace the network with an in-memory peer.
type Conn interface {
	// Read returns the next text frame. A binary frame gives ErrBinaryFrame,
	// after which reading may go on; the end of the connection gives a
	// *CloseError when the peer said why.
	Read(ctx context.Context) ([]byte, error)
	// Write sends one text frame.
	Write(ctx context.Context, frame []byte) error
	// Close closes with a code and reason, without waiting for the peer.
	Close(code int, reason string) error
}

// BufferedConn is a Conn whose Write only hands the frame to the
// platform's buffer: it never waits, calls nothing back and keeps nothing
// of frame once it returns, so the Client writes on the sender's
// goroutine, holding its lock, when nothing waits before, from a buffer
// it reuses. The browser's WebSocket is one (it copies the frame into
// JavaScript).
type BufferedConn interface {
	Conn
	WritesWithoutWaiting()
}

// takeFrom says where a frame offered to Client.takeFrame comes from.
type takeFrom int

const (
	// fromCallback: the js.Func callback; the frame is the taker's, and
	// Go runs its other goroutines after the call.
	fromCallback takeFrom = iota
	// fromExport: a wasm export (realtime.js's); the frame is the conn's
	// buffer, for the call only, and Go runs no other goroutine until
	// the page resumes it, which it does when the export tells it a
	// goroutine is ready (jsbridge.ReceiveNow): only relays are called
	// at once (see SubscribeRelay), and a frame for other subscribers
	// goes to the callback goroutine.
	fromExport
	// fromResumedExport: a wasm export after which the page resumes Go
	// (go-app's pages, see UseDirect): at once when a handler woke a
	// goroutine, within a frame (16 ms) for the timers it set. Inline
	// handlers may be called. The frame is the taker's: the export copies
	// the batch once, into a frame of its own, as the handlers need one.
	fromResumedExport
)

// directConn is a Conn that can offer each frame, as it arrives, to a
// function that takes it at once on the arriving goroutine; a frame it
// declines goes to Read. The browser's WebSocket is one: its frames reach
// Go in a js.Func callback or through a wasm export, which costs no
// js.Func event, and after which Go runs no other goroutine until its
// next event.
type directConn interface {
	Conn
	// offerFrames sets the functions; take is offered a frame only when
	// Read waits and holds nothing, so that the order is kept. From the
	// export, the frame is the conn's buffer, for the call only, and its
	// text is JavaScript's to read if take relays it; otherwise it is
	// take's. take returns what Client.takeFrame does: below 0 when it
	// declined. relay is offered the runs of a batch JavaScript parsed
	// itself (see RelayNow), on the same terms, and returns what
	// Client.relayRuns does: 1 when it took them.
	offerFrames(take func(frame []byte, from takeFrom) int, relay func(runs []RelayRun) int)
}

// socketConn is a Conn that a caller outside Go can write on directly:
// the browser's WebSocket, which realtime-socket.js knows by this number
// (see Client.NumberNow).
type socketConn interface {
	Conn
	socketID() int
}

// DialOptions are what a Dialer needs besides the URL.
type DialOptions struct {
	Subprotocols []string
	// Headers apply only where the platform can set them (not in browsers).
	Headers map[string]string
}

// Dialer opens a connection. It must give up when ctx is done.
type Dialer func(ctx context.Context, url string, opts DialOptions) (Conn, error)

// ErrBinaryFrame reports a binary frame, which the protocol does not use.
var ErrBinaryFrame = errors.New("ws: binary frame received")

// CloseError is the end of a connection closed by the peer with a code.
type CloseError struct {
	Code   int
	Reason string
}

func (e *CloseError) Error() string {
	if e.Reason == "" {
		return fmt.Sprintf("ws: connection closed with code %d", e.Code)
	}
	return fmt.Sprintf("ws: connection closed with code %d: %s", e.Code, e.Reason)
}

// DialWebSocket is the default Dialer: coder/websocket natively, the
// browser's own WebSocket in the browser (coder/websocket's wasm Conn
// reports every close as net.ErrClosed, losing the code that says whether
// to reconnect).
func DialWebSocket(ctx context.Context, url string, opts DialOptions) (Conn, error) {
	c, err := dialPlatform(ctx, url, opts)
	if err != nil {
		return nil, fmt.Errorf("failed to dial %s: %w", url, err)
	}
	return c, nil
}
