//go:build !js

package ws

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/coder/websocket"
)

// readLimit bounds one incoming frame. The server batches envelopes, so a
// frame may be much larger than one message.
const readLimit = 8 << 20

func dialPlatform(ctx context.Context, url string, opts DialOptions) (Conn, error) {
	h := http.Header{}
	for k, v := range opts.Headers {
		h.Set(k, v)
	}
	c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: opts.Subprotocols, HTTPHeader: h})
	if err != nil {
		return nil, err
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
		return nil, err
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
	// Close waits for the peer's answer, which a dead peer never sends; it
	// gives up after 5s on its own, so this goroutine ends.
	go w.c.Close(websocket.StatusCode(code), reason)
	return nil
}
