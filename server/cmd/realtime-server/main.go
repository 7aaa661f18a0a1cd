// Command realtime-server serves the realtime backend: the WebSocket
// pub/sub endpoint /ws (with presence, notifications, live feeds and query
// status), the SSE streams under /sse/, POST /notifications/demo, the live
// feeds under /live/, the simulated queries at /queries, /healthz and the
// pages.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/matih-ai/realtime/components/demo"
	"github.com/matih-ai/realtime/server"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "realtime-server:", err)
		os.Exit(1)
	}
}

// config is what the flags choose.
type config struct {
	addr    string
	token   string
	origins string
	web     string
	history string
}

func parseFlags() config {
	var c config
	flag.StringVar(&c.addr, "addr", "127.0.0.1:8080", "address to listen on")
	flag.StringVar(&c.token, "token", os.Getenv("REALTIME_TOKEN"), "token WebSocket and SSE clients must offer (default $REALTIME_TOKEN); empty disables auth")
	flag.StringVar(&c.origins, "origins", "", "comma-separated origin host patterns allowed to open a WebSocket besides the server's own host")
	flag.StringVar(&c.web, "web", "web", "directory of static files served under /web/")
	flag.StringVar(&c.history, "history", "", "directory keeping the channels' latest messages and the notifications across restarts; empty keeps them in memory")
	flag.Parse()
	return c
}

// options builds the server's Options in one place.
func options(c config, log *slog.Logger) server.Options {
	opts := server.Options{
		Logger: log,
		WebDir: c.web,
	}
	if c.token != "" {
		opts.Auth = server.StaticToken(c.token)
	}
	for o := range strings.SplitSeq(c.origins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			opts.Origins = append(opts.Origins, o)
		}
	}

	demo.Routes()
	opts.Pages = demo.Handler(c.token)

	return opts
}

func run() error {
	cfg := parseFlags()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	opts := options(cfg, log)
	if cfg.history != "" {
		h, err := server.OpenFileHistory(cfg.history, 0, 0)
		if err != nil {
			return err
		}
		defer h.Close() // after the shutdown below
		opts.History = h
	}
	srv := server.New(opts)

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("failed to listen on %s: %w", cfg.addr, err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	serveErr := make(chan error, 1)
	go func() { serveErr <- hs.Serve(ln) }()
	fmt.Printf("realtime server listening on http://%s\n", ln.Addr())

	select {
	case err := <-serveErr:
		return fmt.Errorf("failed to serve: %w", err)
	case <-ctx.Done():
	}
	stop() // a second signal kills the process

	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// http.Server.Shutdown stops accepting and waits for plain requests,
	// open SSE streams among them, but not for WebSockets; srv.Shutdown
	// closes WebSockets with 1012 and ends the SSE streams. Run after
	// hs.Shutdown returns, it would come too late: hs.Shutdown would wait
	// on the streams until its deadline.
	srvErr := make(chan error, 1)
	go func() { srvErr <- srv.Shutdown(shutdownCtx) }()
	httpErr := hs.Shutdown(shutdownCtx)
	wsErr := <-srvErr
	if err := <-serveErr; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("failed to serve: %w", err)
	}
	if err := errors.Join(httpErr, wsErr); err != nil {
		return fmt.Errorf("failed to shut down: %w", err)
	}
	return nil
}
