package server

import (
	"net/http"

	"github.com/coder/websocket"

	"github.com/matih-ai/realtime/wasm/protocol"
)

// handleWebSocket upgrades /ws and starts serving the connection.
// A refused token still completes the upgrade and is closed with 4401,
// because a browser cannot see the HTTP status of a failed handshake.
func (s *Server) handleWebSocket(w http.ResponseWriter, r *http.Request) {
	subprotocol := bearerSubprotocol(r)
	token := requestToken(r, subprotocol)
	id, authErr := s.authenticate(r, token)

	opts := &websocket.AcceptOptions{OriginPatterns: s.opts.Origins}
	if subprotocol != "" {
		opts.Subprotocols = []string{subprotocol}
	}
	conn, err := websocket.Accept(smallBuffers{w}, r, opts)
	if err != nil {
		// Accept has written the HTTP error response.
		s.log.Info("failed to accept websocket", "remote", r.RemoteAddr, "err", err)
		return
	}
	conn.SetReadLimit(s.opts.ReadLimit)

	c := newClient(conn, s, id)
	c.binaryOK = r.URL.Query().Get(protocol.FramesParam) == protocol.FramesBinary
	if !s.track(c) {
		c.cancel()
		conn.Close(protocol.CloseServiceRestart, "server restarting")
		return
	}
	if authErr != nil {
		s.log.Info("websocket unauthorized", "remote", r.RemoteAddr, "err", authErr)
		c.closeWith(protocol.CloseUnauthorized, unauthorizedReason(authErr))
	} else {
		s.log.Debug("websocket connected", "remote", r.RemoteAddr, "user", id.User)
	}
	// The connection is served on a goroutine of its own, so that the
	// handler returns and net/http lets go of its state for the request
	// (its connection, buffers, request and response): several KiB of an
	// idle connection. track has counted it for Shutdown.
	go func() {
		defer s.untrack(c)
		c.serve()
	}()
}
