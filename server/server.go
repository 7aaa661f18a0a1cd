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
	opts    Options
	log     *slog.Logger
	hub     *hub
	rooms   *rooms
	inboxes *inboxes
	feeds   *feeds
	queries *queries
	mux     *http.ServeMux
	handler http.Handler // mux behind the security headers
	ticker  *ticker
	demo    demoNotes

	mu       sync.Mutex
	shutdown bool
	clients  map[*client]struct{}
	wg       sync.WaitGroup // one per tracked client, done when serve returns

	// SSE streams, guarded by mu. cut is closed to end every open stream:
	// DropStreams replaces it, Shutdown leaves it closed. streamsIdle is
	// made by Shutdown and closed once no stream is open.
	cut         chan struct{}
	streams     int
	streamsIdle chan struct{}
}

// New returns a Server configured by opts; see [Options] for the defaults.
func New(opts Options) *Server {
	opts = opts.withDefaults()
	if opts.Pages != nil {
		opts.Pages = noStore(opts.Pages)
	}
	h := newHub(opts.Clock, opts.MaxSubscriptions, opts.History)
	s := &Server{
		opts:    opts,
		log:     opts.Logger,
		hub:     h,
		rooms:   newRooms(h, opts),
		inboxes: newInboxes(h, opts),
		feeds:   newFeeds(h, opts),
		queries: newQueries(h, opts),
		mux:     http.NewServeMux(),
		clients: make(map[*client]struct{}),
		ticker: &ticker{
			clock:    opts.Clock,
			epoch:    opts.TickEpoch,
			interval: opts.TickInterval,
			window:   int64(opts.ReplayWindow),
		},
		cut: make(chan struct{}),
	}
	s.handler = secureHeaders(opts.ContentSecurityPolicy, s.mux)
	s.feeds.addDemos(opts.LiveInterval)
	s.mux.HandleFunc("/ws", s.handleWebSocket)
	s.mux.HandleFunc("GET /sse/ticker", s.handleTicker)
	s.mux.HandleFunc("GET /sse/answer", s.handleAnswer)
	s.mux.HandleFunc("POST /sse/answer", s.handleAnswer)
	s.mux.HandleFunc("POST /sse/drop", s.handleDrop)
	s.mux.HandleFunc("POST /notifications/demo", s.handleNotifyDemo)
	s.mux.HandleFunc("GET /live/{feed}", s.handleLivePoll)
	s.mux.HandleFunc("POST /live/burst", s.handleLiveBurst)
	s.mux.HandleFunc("POST /queries", s.handleQueryStart)
	s.mux.HandleFunc("GET /queries", s.handleQueryList)
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok")
	})
	// Static files are served here, not by the pages handler: go-app's
	// handler does not compress, and the wasm files are large.
	if opts.WebDir != "" {
		s.routeStatic(opts.WebDir)
	}
	if opts.Pages != nil {
		s.mux.Handle("/", opts.Pages)
	} else {
		s.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			io.WriteString(w, "realtime server: WebSocket at /ws, SSE at /sse/ticker and /sse/answer, demo notifications at POST /notifications/demo, live feeds at /live/<feed>, simulated queries at /queries, health at /healthz\n")
		})
	}
	return s
}

// ServeHTTP routes a request; see the package doc.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}

// Subscribers counts the connections subscribed to channel now.
func (s *Server) Subscribers(channel string) int { return s.hub.subscribers(channel) }

// Publish sends data, encoded as JSON, to every subscriber of channel, as
// the channel's next message, kept in [Options.History]. It never blocks
// on a slow subscriber, so server-side feeds can call it from any
// goroutine.
func (s *Server) Publish(channel string, data any) error {
	if err := publishable(channel); err != nil {
		return err
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("failed to encode data for %q: %w", channel, err)
	}
	if _, err := s.hub.publish(channel, raw, "", 0); err != nil {
		return fmt.Errorf("failed to publish to %q: %w", channel, err)
	}
	return nil
}

// PublishAll publishes each of data on channel, in order, as Publish
// does, as one burst: no other publish on the channel comes between
// them, and each subscriber's writer gets them all at once, so that they
// go out in frames as full as the socket takes (a backfill, a burst). A
// subscriber whose send buffer ([Options.SendBuffer]) has no room for
// them all is closed with 1013, as one that falls behind is: a burst
// longer than the buffer closes every subscriber. Nothing is published
// when one of data cannot be encoded.
func (s *Server) PublishAll(channel string, data ...any) error {
	if err := publishable(channel); err != nil {
		return err
	}
	raw := make([]json.RawMessage, len(data))
	for i, d := range data {
		var err error
		if raw[i], err = json.Marshal(d); err != nil {
			return fmt.Errorf("failed to encode data %d for %q: %w", i, channel, err)
		}
	}
	if err := s.hub.publishAll(channel, raw); err != nil {
		return fmt.Errorf("failed to publish to %q: %w", channel, err)
	}
	return nil
}

// publishable reports why the server may not publish on channel: a
// malformed name, an echo channel or a notifications one.
func publishable(channel string) error {
	if err := protocol.ValidChannel(channel); err != nil {
		return fmt.Errorf("failed to publish: %w", err)
	}
	switch protocol.ChannelKind(channel) {
	case kindEcho:
		return fmt.Errorf("failed to publish to %q: %w", channel, ErrEchoChannel)
	case kindNotifications:
		return fmt.Errorf("failed to publish to %q: %w", channel, errNotifyChannel)
	}
	return nil
}

// Shutdown stops the demo feeds and the simulated queries where they
// are, closes every WebSocket client with 1012 and ends every SSE stream,
// so that their clients reconnect to the next instance, and waits for
// them. When ctx ends first the remaining WebSockets are dropped
// without a close handshake, and SSE streams stuck writing to a client end
// within WriteTimeout. New WebSockets are closed at once from then on, and
// new SSE streams end after their retry field.
//
// Run it alongside http.Server.Shutdown, not after: that one waits for
// plain requests, open SSE streams among them, but not for WebSockets.
func (s *Server) Shutdown(ctx context.Context) error {
	s.feeds.close()
	s.queries.close()
	s.mu.Lock()
	if !s.shutdown {
		s.shutdown = true
		close(s.cut)
		s.streamsIdle = make(chan struct{})
		if s.streams == 0 {
			close(s.streamsIdle)
		}
	}
	streamsIdle := s.streamsIdle
	clients := make([]*client, 0, len(s.clients))
	for c := range s.clients {
		clients = append(clients, c)
	}
	s.mu.Unlock()

	for _, c := range clients {
		c.closeWith(protocol.CloseServiceRestart, "server restarting")
	}
	wsErr := s.waitClients(ctx, clients)
	s.rooms.close() // after every client has started its sessions' grace
	select {
	case <-streamsIdle:
		return wsErr
	case <-ctx.Done():
	}
	select {
	case <-streamsIdle: // ended as ctx did
		return wsErr
	default:
		return errors.Join(wsErr, fmt.Errorf("failed to end sse streams: %w", ctx.Err()))
	}
}

// waitClients waits for the WebSocket clients to close, dropping them when
// ctx ends first.
func (s *Server) waitClients(ctx context.Context, clients []*client) error {
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

// DropStreams ends every open SSE stream at once, mid-stream; their
// clients see the response end, reconnect and resume from the last event
// they got. Streams opened afterwards are served as usual.
func (s *Server) DropStreams() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shutdown {
		return // cut stays closed
	}
	close(s.cut)
	s.cut = make(chan struct{})
}

// openStream registers an SSE stream. cut is closed when the stream must
// end; done unregisters it. Once shutting down, cut is closed already.
func (s *Server) openStream() (cut <-chan struct{}, done func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shutdown {
		return s.cut, noStop
	}
	s.streams++
	return s.cut, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.streams--
		if s.streams == 0 && s.streamsIdle != nil {
			close(s.streamsIdle)
		}
	}
}

// openStreams counts the SSE streams being served.
func (s *Server) openStreams() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.streams
}

// connections counts the WebSocket clients still being served.
func (s *Server) connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.clients)
}

// writeJSON answers status with v as JSON. Answers change all the time,
// so none is cached.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
