package ws

import (
	"context"
	"errors"
	"fmt"

	"github.com/coder/websocket"
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

// readLimit bounds one incoming frame. The server batches envelopes, so a
// frame may be much larger than one message.
const readLimit = 8 << 20

// DialWebSocket dials with coder/websocket; it is the default Dialer.
func DialWebSocket(ctx context.Context, url string, opts DialOptions) (Conn, error) {
	c, _, err := websocket.Dial(ctx, url, platformDialOptions(opts))
	if err != nil {
		return nil, fmt.Errorf("failed to dial %s: %w", url, err)
	}
	c.SetReadLimit(readLimit)
	return &wsConn{c: c}, nil
}

type wsConn struct{ c *websocket.Conn }

func (w *wsConn) Read(ctx context.Context) ([]byte, error) {
	typ, b, err := w.c.Read(ctx)
	if err != nil {
		var ce websocket.CloseError
		if errors.As(err, &ce) {
			return nil, &CloseError{Code: int(ce.Code), Reason: ce.Reason}
		}
		return nil, fmt.Errorf("failed to read: %w", err)
	}
	if typ != websocket.MessageText {
		return nil, ErrBinaryFrame
	}
	return b, nil
}

func (w *wsConn) Write(ctx context.Context, frame []byte) error {
	if err := w.c.Write(ctx, websocket.MessageText, frame); err != nil {
		return fmt.Errorf("failed to write: %w", err)
	}
	return nil
}

func (w *wsConn) Close(code int, reason string) error {
	// Close waits for the peer's answer, which a dead peer never sends.
	go w.c.Close(websocket.StatusCode(code), reason)
	return nil
}
