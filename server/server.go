package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"

	"github.com/matih-ai/realtime/wasm/protocol"
)

// ErrEchoChannel is returned by [Server.Publish] on an "echo:*" channel,
// whose messages go back to the connection that sent them and so need one.
var ErrEchoChannel = errors.New("server: echo channels only answer a connection's own publish")

// Server is the realtime backend; see the package doc for what it serves.
type Server struct {
	opts Options
	log  *slog.Logger
	hub  *hub
	mux  *http.ServeMux

	mu       sync.Mutex
	shutdown bool
	clients  map[*client]struct{}
	wg       sync.WaitGroup // one per tracked client, done when serve returns
}

// New returns a Server configured by opts; see [Options] for the defaults.
func New(opts Options) *Server {
	opts = opts.withDefaults()
	s := &Server{
		opts:    opts,
		log:     opts.Logger,
		hub:     newHub(opts.Clock, opts.MaxSubscriptions),
		mux:     http.NewServeMux(),
		clients: make(map[*client]struct{}),
	}
	s.mux.HandleFunc("/ws", s.handleWebSocket)
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok")
	})
	// Static files are served here, not by the pages handler: go-app's
	// handler does not compress, and the wasm files are large.
	if opts.WebDir != "" {
		s.mux.Handle("/web/", http.StripPrefix("/web/", http.FileServer(http.Dir(opts.WebDir))))
	}
	if opts.Pages != nil {
		s.mux.Handle("/", opts.Pages)
	} else {
		s.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			io.WriteString(w, "realtime server: WebSocket at /ws, health at /healthz\n")
		})
	}
	return s
}

// ServeHTTP routes a request; see the package doc.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

// Subscribers counts the connections subscribed to channel now.
func (s *Server) Subscribers(channel string) int { return s.hub.subscribers(channel) }

// Publish sends data, encoded as JSON, to every subscriber of channel. It
// never blocks on a slow subscriber, so server-side feeds can call it from
// any goroutine.
func (s *Server) Publish(channel string, data any) error {
	if err := protocol.ValidChannel(channel); err != nil {
		return fmt.Errorf("failed to publish: %w", err)
	}
	if protocol.ChannelKind(channel) == kindEcho {
		return fmt.Errorf("failed to publish to %q: %w", channel, ErrEchoChannel)
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("failed to encode data for %q: %w", channel, err)
	}
	return s.hub.publish(channel, raw)
}

// Shutdown closes every WebSocket client with 1012, so that it reconnects
// to the next instance, and waits for their goroutines. When ctx ends first
// the remaining connections are dropped without a close handshake. New
// connections are refused from then on. Call it after http.Server.Shutdown,
// which does not wait for WebSockets.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.shutdown = true
	clients := make([]*client, 0, len(s.clients))
	for c := range s.clients {
		clients = append(clients, c)
	}
	s.mu.Unlock()

	for _, c := range clients {
		c.closeWith(protocol.CloseServiceRestart, "server restarting")
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.wg.Wait()
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	for _, c := range clients {
		c.forceClose()
	}
	<-done
	return fmt.Errorf("failed to close websocket clients gracefully: %w", ctx.Err())
}

// track registers a client for Shutdown; it reports false once shutting
// down. Adding to wg under mu, before Shutdown sets the flag, keeps Add
// ahead of Wait.
func (s *Server) track(c *client) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shutdown {
		return false
	}
	s.clients[c] = struct{}{}
	s.wg.Add(1)
	return true
}

func (s *Server) untrack(c *client) {
	s.mu.Lock()
	delete(s.clients, c)
	s.mu.Unlock()
	s.wg.Done()
}

// connections counts the WebSocket clients still being served.
func (s *Server) connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.clients)
}
