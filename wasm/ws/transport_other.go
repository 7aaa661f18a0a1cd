//go:build !js

package ws

import (
	"net/http"

	"github.com/coder/websocket"
)

func platformDialOptions(opts DialOptions) *websocket.DialOptions {
	h := http.Header{}
	for k, v := range opts.Headers {
		h.Set(k, v)
	}
	return &websocket.DialOptions{Subprotocols: opts.Subprotocols, HTTPHeader: h}
}
