package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Limits of an /sse/answer request.
const (
	maxPromptBytes = 4 << 10  // the prompt itself
	maxPromptBody  = 64 << 10 // a POST body
)

var (
	errMissingPrompt = errors.New("server: missing prompt")
	errLongPrompt    = fmt.Errorf("server: prompt longer than %d bytes", maxPromptBytes)

	// errStreamCut ends a stream that DropStreams or Shutdown cut.
	errStreamCut = errors.New("server: stream cut")
	// errStreamFailed wraps what a Stream answered that breaks its contract.
	errStreamFailed = errors.New("server: stream failed")
)

// openFunc opens the stream a request asks for; resume is the valid
// Last-Event-ID the client sent, or -1. An error is the client's fault and
// is answered with 400.
type openFunc func(r *http.Request, resume int64) (Stream, error)

// StreamHandler serves st as server-sent events like the /sse endpoints,
// with the server's Auth, keep-alives, resume from Last-Event-ID,
// [Server.DropStreams] and [Server.Shutdown]; see the package doc.
func (s *Server) StreamHandler(st Stream) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.serveStream(w, r, func(*http.Request, int64) (Stream, error) { return st, nil })
	})
}

func (s *Server) handleTicker(w http.ResponseWriter, r *http.Request) {
	s.serveStream(w, r, func(*http.Request, int64) (Stream, error) { return s.ticker, nil })
}

func (s *Server) handleAnswer(w http.ResponseWriter, r *http.Request) {
	s.serveStream(w, r, func(r *http.Request, resume int64) (Stream, error) {
		prompt, err := requestPrompt(r)
		if err != nil {
			return nil, err
		}
		return newAnswer(s.opts.Clock, s.opts.AnswerTokenDelay, prompt, resume), nil
	})
}

// handleDrop cuts every open SSE stream, so a demo can show its clients
// resume.
func (s *Server) handleDrop(w http.ResponseWriter, r *http.Request) {
	if !s.authorizeRequest(w, r) {
		return
	}
	s.DropStreams()
	w.WriteHeader(http.StatusNoContent)
}

// requestPrompt reads the prompt of an answer: ?prompt= on GET, a JSON
// body {"prompt": "..."} on POST.
func requestPrompt(r *http.Request) (string, error) {
	prompt := r.URL.Query().Get("prompt")
	if r.Method == http.MethodPost {
		var body struct {
			Prompt string `json:"prompt"`
		}
		if err := json.NewDecoder(http.MaxBytesReader(nil, r.Body, maxPromptBody)).Decode(&body); err != nil {
			return "", fmt.Errorf("failed to read the request body: %w", err)
		}
		prompt = body.Prompt
	}
	switch {
	case strings.TrimSpace(prompt) == "":
		return "", errMissingPrompt
	case len(prompt) > maxPromptBytes:
		return "", errLongPrompt
	}
	return prompt, nil
}

// serveStream serves the stream open gives as server-sent events: retry
// first, then the events the client missed (or a history-lost event), then
// every new event as it happens, until the stream ends, the client leaves
// or the stream is cut.
func (s *Server) serveStream(w http.ResponseWriter, r *http.Request, open openFunc) {
	id, ok := s.requestIdentity(w, r)
	if !ok {
		return
	}
	raw, cursor, valid := lastEventID(r)
	st, err := open(r, cursor)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var notice []Event
	if !valid {
		oldest, newest := st.Window()
		cursor = newest
		if raw != "" {
			notice = append(notice, historyLost(raw, oldest, newest))
		}
	}
	events, err := st.Since(cursor)
	var lost *HistoryLostError
	switch {
	case errors.Is(err, ErrStreamEnded):
		// The client has the last event; 204 stops every EventSource.
		w.WriteHeader(http.StatusNoContent)
		return
	case err != nil && !errors.As(err, &lost):
		s.log.Error("failed to open sse stream", "path", r.URL.Path, "err", err)
		http.Error(w, "stream unavailable", http.StatusInternalServerError)
		return
	}

	cut, done := s.openStream()
	defer done()
	// The stream ends when its token expires; the client's next request,
	// with the same token, is refused.
	var expired <-chan struct{}
	if !id.Expires.IsZero() {
		var stop func()
		expired, stop = after(s.opts.Clock, id.Expires.Sub(s.opts.Clock.Now()))
		defer stop()
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache, no-transform")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer
	h.Set("Connection", "keep-alive")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}

	c := &sseConn{
		w:       w,
		rc:      http.NewResponseController(w),
		ctx:     r.Context(),
		cut:     cut,
		expired: expired,
		opts:    s.opts,
	}
	// A deadline left on the connection would fail its next response.
	defer c.rc.SetWriteDeadline(time.Time{})
	err = c.stream(st, cursor, append(notice, events...), err)
	if errors.Is(err, errStreamFailed) {
		s.log.Error("sse stream failed", "path", r.URL.Path, "err", err)
	} else {
		s.log.Debug("sse stream ended", "remote", r.RemoteAddr, "path", r.URL.Path, "err", err)
	}
}

// sseConn is the response side of one SSE stream.
type sseConn struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	ctx     context.Context // the request's: done when the client leaves
	cut     <-chan struct{} // closed by DropStreams and Shutdown
	expired <-chan struct{} // closed when the token expires; nil if it never does
	opts    Options         // Clock, KeepAlive, SSERetry, WriteTimeout
	buf     []byte
}

// stream sends retry, then events and what err says, then everything st
// has after cursor until the stream ends or is cut. It returns why it
// stopped: ErrStreamEnded when the stream is complete.
func (c *sseConn) stream(st Stream, cursor int64, events []Event, err error) error {
	if err := c.write(appendRetry(c.buf[:0], c.opts.SSERetry)); err != nil {
		return err
	}
	for {
		var lost *HistoryLostError
		switch {
		case err == nil:
		case errors.Is(err, ErrStreamEnded):
			return err
		case errors.As(err, &lost) && lost.Resume != cursor:
			oldest, newest := st.Window()
			events = append([]Event{historyLost(strconv.FormatInt(lost.ID, 10), oldest, newest)}, events...)
			cursor = lost.Resume
		default:
			return fmt.Errorf("%w: after event %d: %w", errStreamFailed, cursor, err)
		}
		for _, e := range events {
			if err := c.send(e); err != nil {
				return err
			}
			if e.ID >= 0 {
				cursor = e.ID
			}
		}
		if err == nil && len(events) == 0 {
			if err := c.await(st, cursor); err != nil {
				return err
			}
		}
		events, err = st.Since(cursor)
	}
}

// send writes one event and flushes it, unless the stream was cut or the
// client left, which a long backlog must not delay.
func (c *sseConn) send(e Event) error {
	if err := c.ended(); err != nil {
		return err
	}
	b, err := appendEvent(c.buf[:0], e)
	c.buf = b
	if err != nil {
		return fmt.Errorf("%w: %w", errStreamFailed, err)
	}
	return c.write(b)
}

// ended returns why the stream must end now, or nil.
func (c *sseConn) ended() error {
	select {
	case <-c.cut:
		return errStreamCut
	case <-c.expired:
		return ErrTokenExpired
	case <-c.ctx.Done():
		return c.ctx.Err()
	default:
		return nil
	}
}

// write sends b and flushes it, within WriteTimeout so that a client that
// stopped reading cannot hold the stream (nor Shutdown) forever.
func (c *sseConn) write(b []byte) error {
	// Unsupported deadlines (a wrapped writer) only lose the bound.
	_ = c.rc.SetWriteDeadline(time.Now().Add(c.opts.WriteTimeout))
	if _, err := c.w.Write(b); err != nil {
		return fmt.Errorf("failed to write sse stream: %w", err)
	}
	if err := c.rc.Flush(); err != nil {
		return fmt.Errorf("failed to flush sse stream: %w", err)
	}
	return nil
}

// await waits until st has something after cursor, sending a keep-alive
// comment whenever the stream stays silent for KeepAlive. It returns an
// error when the stream must end instead.
func (c *sseConn) await(st Stream, cursor int64) error {
	ready, stop := st.Wait(cursor)
	defer stop()
	for {
		idle, stopIdle := after(c.opts.Clock, c.opts.KeepAlive)
		select {
		case <-ready:
			stopIdle()
			return nil
		case <-c.cut:
			stopIdle()
			return errStreamCut
		case <-c.expired:
			stopIdle()
			return ErrTokenExpired
		case <-c.ctx.Done():
			stopIdle()
			return c.ctx.Err()
		case <-idle:
			if err := c.write([]byte(keepAlive)); err != nil {
				return err
			}
		}
	}
}
