//go:build !wasm

// The server's side: app.wasm is built against a go-app without its
// Handler (wasm/cmd/app/go-app.patch).

package demo

import "github.com/maxence-charriere/go-app/v10/pkg/app"

// Handler returns the go-app handler that serves the demo pages. token is
// the server's development token, handed to the pages so they can connect;
// empty when the server needs none.
func Handler(token string) *app.Handler {
	env := map[string]string{}
	if token != "" {
		env[TokenEnv] = token
	}
	return &app.Handler{
		Name:        "Realtime workbench",
		ShortName:   "Realtime",
		Title:       "Realtime workbench",
		Description: "Realtime primitives in Go and WebAssembly: WebSocket, SSE, presence, notifications, live feeds, query status.",
		// Icons of our own: go-app's default ones are on another origin,
		// which the server's Content-Security-Policy refuses.
		Icon: app.Icon{
			Default: "/web/icon.png",
			Large:   "/web/icon.png",
			SVG:     "/web/icon.svg",
		},
		Styles: []string{"/web/realtime.css"},
		// The queue in front of the runtime's WebSockets: Go reads their
		// messages in batches, not one call each. A plain script, so that
		// it runs before app.js (deferred) starts the wasm.
		Scripts: []string{"/web/realtime-socket.js"},
		Env:     env,
	}
}
