//go:build js && wasm

package ws

import "github.com/coder/websocket"

// Browsers cannot set WebSocket headers, so Headers are not sent.
func platformDialOptions(opts DialOptions) *websocket.DialOptions {
	return &websocket.DialOptions{Subprotocols: opts.Subprotocols}
}
