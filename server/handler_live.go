package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// maxBurst bounds the changes of one POST /live/burst.
const maxBurst = 10000

// handleLivePoll answers GET /live/<feed> with the feed's snapshot, for
// clients that cannot hold a WebSocket and poll instead. It has the same
// auth as the SSE endpoints, and asks the Authorizer as a subscribe to
// "live:<feed>" would.
func (s *Server) handleLivePoll(w http.ResponseWriter, r *http.Request) {
	id, ok := s.requestIdentity(w, r)
	if !ok || !s.authorizeHTTP(w, r, id, ActionSubscribe, kindLive+":"+r.PathValue("feed")) {
		return
	}
	f, err := s.feeds.get(r.PathValue("feed"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	writeJSON(w, http.StatusOK, f.snapshot())
}

// handleLiveBurst makes ?n= demo changes of ?feed= as fast as its
// subscribers take them, and answers 200 {"seq":N} with the feed's seq
// after the last one. It has the same auth as the SSE endpoints.
func (s *Server) handleLiveBurst(w http.ResponseWriter, r *http.Request) {
	if !s.authorizeRequest(w, r) {
		return
	}
	q := r.URL.Query()
	name := q.Get("feed")
	if name == "" {
		http.Error(w, "missing feed", http.StatusBadRequest)
		return
	}
	n, err := strconv.Atoi(q.Get("n"))
	if err != nil || n < 1 || n > maxBurst {
		http.Error(w, fmt.Sprintf("n must be a whole number from 1 to %d", maxBurst), http.StatusBadRequest)
		return
	}
	f, err := s.feeds.get(name)
	if err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	d := s.feeds.demo(name)
	if d == nil {
		http.Error(w, fmt.Sprintf("feed %q has no demo changes to burst", name), http.StatusBadRequest)
		return
	}
	seq, err := s.burst(r.Context(), f, d, n)
	switch {
	case errors.Is(err, errDemoStopped):
		http.Error(w, "server shutting down", http.StatusServiceUnavailable)
	case err != nil:
		s.log.Info("burst ended early", "feed", name, "err", err)
		http.Error(w, err.Error(), http.StatusInternalServerError)
	default:
		writeJSON(w, http.StatusOK, struct {
			Seq uint64 `json:"seq"`
		}{seq})
	}
}

// burst makes n changes of a demo feed as fast as its subscribers take
// them. Deltas are queued without waiting, like every fan-out, so a
// client whose send buffer fills is closed as too slow; a burst is bigger
// than that buffer, so after every chunk of changes it waits until no
// subscriber has more than half of its buffer queued. A subscriber that
// stays that full for WriteTimeout is too slow indeed, and the next chunk
// closes it.
func (s *Server) burst(ctx context.Context, f *Feed, d *liveDemo, n int) (uint64, error) {
	chunk := max(s.opts.SendBuffer/4, 1)
	var seq uint64
	for i := range n {
		if i > 0 && i%chunk == 0 {
			if err := s.waitDrained(ctx, f.channel); err != nil {
				return 0, fmt.Errorf("failed to burst %q: %w", f.name, err)
			}
		}
		var err error
		if seq, err = d.change(); err != nil {
			return 0, fmt.Errorf("failed to burst %q: %w", f.name, err)
		}
	}
	return seq, nil
}

// waitDrained waits until no subscriber of channel has more than half of
// its send buffer queued, for at most WriteTimeout. It waits for sockets,
// not for simulated time, so it polls the wall clock, not Options.Clock.
func (s *Server) waitDrained(ctx context.Context, channel string) error {
	limit := s.opts.SendBuffer / 2
	if s.hub.queued(channel) <= limit {
		return nil
	}
	deadline := time.Now().Add(s.opts.WriteTimeout)
	poll := time.NewTicker(time.Millisecond)
	defer poll.Stop()
	for s.hub.queued(channel) > limit && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-poll.C:
		}
	}
	return nil
}
