package live

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/matih-ai/realtime/wasm/clock"
	"github.com/matih-ai/realtime/wasm/fetch"
	"github.com/matih-ai/realtime/wasm/protocol"
	"github.com/matih-ai/realtime/wasm/ws"
)

// pollTimeout bounds one poll.
const pollTimeout = 10 * time.Second

// maxPollBody bounds the snapshot a poll reads.
const maxPollBody = 16 << 20

// poller is one spell of polling, from the moment the WebSocket is found
// unable to connect to the moment it connects.
type poller struct {
	ctx    context.Context // ends with the spell, and with it the poll under way
	cancel context.CancelFunc
	timer  clock.Timer // the next poll
	ok     bool        // the last poll brought data
}

// maybePollLocked starts polling when the WebSocket has not connected once
// since the feed started, PollAfter ago, and is still trying or gave up.
// It reports whether it started.
func (f *Feed) maybePollLocked() bool {
	if f.opts.PollURL == "" || f.poll != nil || f.everConnected || f.closed {
		return false
	}
	switch f.wsStatus {
	case ws.StatusConnecting, ws.StatusReconnecting, ws.StatusError:
	default:
		return false // not trying: the application keeps it offline
	}
	if f.clock.Now().Sub(f.started) < f.opts.PollAfter {
		return false
	}
	ctx, cancel := context.WithCancel(context.Background())
	f.poll = &poller{ctx: ctx, cancel: cancel}
	f.startPollLocked(f.poll)
	return true
}

func (f *Feed) stopPollingLocked() {
	if p := f.poll; p != nil {
		p.cancel()
		if p.timer != nil {
			p.timer.Stop()
		}
		f.poll = nil
	}
}

func (f *Feed) startPollLocked(p *poller) {
	f.polls.Add(1)
	go f.pollOnce(p)
}

// pollOnce fetches the snapshot, replaces the view with it and schedules
// the next poll.
func (f *Feed) pollOnce(p *poller) {
	defer f.polls.Done()
	s, err := f.fetch(p.ctx)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.poll != p {
		return // the WebSocket connected, or the feed closed, meanwhile
	}
	f.stats.Polls++
	if err == nil {
		f.stats.Snapshots++
		var applied bool
		if applied, err = f.view.ApplySnapshot(s); applied {
			f.updated = f.clock.Now()
		}
	}
	p.ok = err == nil
	if err != nil {
		f.reportLocked(fmt.Errorf("live: failed to poll feed %q: %w", f.name, err))
	} else {
		f.err = nil
	}
	f.changedLocked()
	p.timer = f.clock.AfterFunc(f.opts.PollInterval, func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.poll == p {
			f.startPollLocked(p)
		}
	})
}

// fetch gets the feed's snapshot from PollURL.
func (f *Feed) fetch(ctx context.Context) (Snapshot, error) {
	ctx, cancel := context.WithTimeout(ctx, pollTimeout)
	defer cancel()
	req := &fetch.Request{Method: "GET", URL: f.opts.PollURL, Header: map[string]string{"Accept": "application/json"}}
	if f.opts.AuthToken != "" {
		req.Header["Authorization"] = "Bearer " + f.opts.AuthToken
	}
	resp, err := f.opts.Fetch(ctx, req)
	if err != nil {
		return Snapshot{}, err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == 404:
		return Snapshot{}, fmt.Errorf("%w: GET %s: %s", ErrUnknownFeed, f.opts.PollURL, resp.Status)
	case resp.StatusCode != 200:
		return Snapshot{}, fmt.Errorf("GET %s: %s", f.opts.PollURL, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxPollBody))
	if err != nil {
		return Snapshot{}, fmt.Errorf("GET %s: %w", f.opts.PollURL, err)
	}
	var s Snapshot
	if err := protocol.Unmarshal(body, &s); err != nil {
		return Snapshot{}, badData(fmt.Errorf("GET %s: %w", f.opts.PollURL, err))
	}
	return s, nil
}
