// Package server is the realtime backend: an http.Handler that serves the
// WebSocket pub/sub endpoint /ws, a health check and the application pages.
//
// # Endpoints
//
//   - /ws: the WebSocket protocol of package protocol (subscribe,
//     unsubscribe, publish, ping), one hub of channels shared by every
//     connection.
//   - GET /healthz: 200 "ok", for load balancers and scripts.
//   - /web/: the static files of [Options.WebDir] (scripts, styles, wasm).
//   - everything else: [Options.Pages] (the go-app handler).
//
// # Close codes
//
// A browser cannot read the HTTP status of a failed WebSocket handshake, so
// a client with a missing or wrong token is accepted and then closed with
// 4401; it must not reconnect. A client too slow to read its messages is
// closed with 1013, a frame over the read limit with 1009, and
// [Server.Shutdown] closes everyone with 1012: after those the client
// reconnects with backoff.
//
// # Limits
//
// The hub is in memory and single node. A channel's message ids count up
// while it has at least one subscriber and restart at 1 once it has none.
package server
