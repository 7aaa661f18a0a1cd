package live

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/matih-ai/realtime/wasm/clock"
	"github.com/matih-ai/realtime/wasm/internal/callback"
	"github.com/matih-ai/realtime/wasm/protocol"
	"github.com/matih-ai/realtime/wasm/ws"
)

// Envelope types of live feeds; see the package doc.
const (
	TypeSnapshot = "live.snapshot" // server: the whole feed (Snapshot)
	TypeDelta    = "live.delta"    // server: one numbered change (Delta)
	TypeResync   = "live.resync"   // client: send me a fresh snapshot
)

// ErrUnknownFeed reports a feed the server does not have.
var ErrUnknownFeed = errors.New("live: unknown feed")

// Channel is the channel of a feed.
func Channel(feed string) string { return "live:" + feed }

// resyncEvery spaces the requests for a fresh snapshot, so that a server
// sending bad data cannot start a loop of snapshots.
const resyncEvery = time.Second

// Feed is one live feed over a WebSocket client: it keeps a View up to date
// from snapshots and deltas, asks for a fresh snapshot when one is
// missing, marks its data stale while the connection is down, and polls
// over HTTP when the WebSocket cannot connect at all. It is safe for
// concurrent use.
type Feed struct {
	client  *ws.Client
	name    string
	channel string
	opts    Options
	clock   clock.Clock
	render  *Coalescer
	events  *callback.Queue // runs the error listeners
	stop    []func()
	polls   sync.WaitGroup

	changeListeners callback.List[State]
	errorListeners  callback.List[error]

	mu            sync.Mutex
	view          View
	wsStatus      ws.Status
	everConnected bool // since the feed started
	started       time.Time
	awaiting      bool // a snapshot is on its way: after a (re)subscribe or a resync
	lastResync    time.Time
	timers        [2]clock.Timer // indexed by timer*
	poll          *poller        // nil when not polling
	paused        bool           // by Pause
	hidden        bool           // the page is hidden, with PauseWhenHidden
	frozen        *State         // on display since the pause
	updated       time.Time
	staleSince    time.Time
	err           error
	closed        bool
	stats         Stats
}

const (
	timerPollAfter = iota
	timerResync
)

// Subscribe starts feed over c, now or as soon as c connects (call
// c.Connect as usual). Close the feed when done.
func Subscribe(c *ws.Client, feed string, opts Options) (*Feed, error) {
	channel := Channel(feed)
	if err := protocol.ValidChannel(channel); err != nil {
		return nil, fmt.Errorf("live: feed %q: %w", feed, err)
	}
	opts, err := opts.withDefaults(c.Config().AuthToken)
	if err != nil {
		return nil, err
	}
	f := &Feed{client: c, name: feed, channel: channel, opts: opts, clock: opts.Clock, awaiting: true}
	f.render = NewCoalescer(f.renderNow, CoalesceOptions{Interval: opts.Frame, Clock: opts.Clock, AnimationFrame: opts.AnimationFrame})
	f.events = callback.NewQueue()

	// The feed's lock is held until it is set up: envelopes and status
	// changes wait for it.
	f.mu.Lock()
	// A second feed on a channel gets no snapshot from the subscription,
	// which the server already has: it asks for one.
	shared := slices.Contains(c.Channels(), channel)
	unsubscribe, err := c.Subscribe(channel, f.receive)
	if err != nil {
		f.mu.Unlock()
		f.events.StopAfterQueued()
		return nil, fmt.Errorf("live: failed to subscribe to %s: %w", channel, err)
	}
	f.stop = append(f.stop, unsubscribe, c.OnStatus(f.onStatus), c.OnError(f.onClientError))
	f.started = f.clock.Now()
	f.wsStatus = c.Status()
	f.everConnected = f.wsStatus == ws.StatusConnected
	if shared && f.everConnected {
		f.sendResyncLocked()
	}
	if opts.PollURL != "" && !f.everConnected {
		f.timers[timerPollAfter] = f.clock.AfterFunc(opts.PollAfter, func() {
			f.mu.Lock()
			defer f.mu.Unlock()
			if f.maybePollLocked() {
				f.changedLocked()
			}
		})
	}
	f.mu.Unlock()

	if opts.PauseWhenHidden {
		stop := watchHidden(f)
		f.mu.Lock()
		f.stop = append(f.stop, stop)
		f.mu.Unlock()
	}
	return f, nil
}

// Name is the feed's name.
func (f *Feed) Name() string { return f.name }

// OnChange calls fn with the state after changes, at most once per frame,
// on a goroutine of the feed, and not while the feed is paused (once to
// show the pause, and with the latest state on Resume). It does not call fn
// with the current state: read State for that. It returns fn's remover.
func (f *Feed) OnChange(fn func(State)) (remove func()) {
	return f.changeListeners.Add(fn)
}

// RenderCost is for an OnChange listener that returns once the page has
// drawn the state, and spent part of that time waiting for the page's
// turn: it says what drawing cost, which paces the feed's renders (see
// Coalescer.RenderCost).
func (f *Feed) RenderCost(d time.Duration) { f.render.RenderCost(d) }

// OnError calls fn with every problem: an unknown feed, bad data, a failed
// poll, on a goroutine of the feed, one call at a time. The last one shows
// in State.Err too. It returns fn's remover.
func (f *Feed) OnError(fn func(error)) (remove func()) {
	return f.errorListeners.Add(fn)
}

// State returns the feed as it should be displayed: while paused, as it was
// when the pause began.
func (f *Feed) State() State {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.stateLocked()
}

// Stats returns the feed's counts so far.
func (f *Feed) Stats() Stats {
	f.mu.Lock()
	s := f.stats
	f.mu.Unlock()
	s.Render = f.render.Stats()
	return s
}

func (f *Feed) stateLocked() State {
	if f.frozen != nil {
		s := *f.frozen
		s.Status = StatusPaused
		return s
	}
	return State{
		Feed:       f.name,
		Status:     f.statusLocked(),
		Items:      f.view.Items(),
		Key:        f.view.Key(),
		Max:        f.view.Max(),
		Seq:        f.view.Seq(),
		Updated:    f.updated,
		StaleSince: f.staleSince,
		Err:        f.err,
	}
}

func (f *Feed) statusLocked() Status {
	switch {
	case f.paused || f.hidden:
		return StatusPaused
	case f.poll != nil:
		return StatusPolling
	case f.currentLocked():
		return StatusLive
	case !f.view.HasData():
		return StatusLoading
	default:
		return StatusStale
	}
}

// currentLocked reports whether the data is known to be current.
func (f *Feed) currentLocked() bool {
	if f.poll != nil {
		return f.poll.ok
	}
	return f.wsStatus == ws.StatusConnected && f.view.Ready()
}

// changedLocked notes a change of data or status: it keeps StaleSince and
// schedules a render, unless paused.
func (f *Feed) changedLocked() {
	switch {
	case f.currentLocked():
		f.staleSince = time.Time{}
	case f.view.HasData() && f.staleSince.IsZero():
		f.staleSince = f.clock.Now()
	}
	if f.frozen == nil && !f.closed {
		f.render.Notify()
	}
}

func (f *Feed) renderNow() {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return
	}
	s := f.stateLocked()
	f.mu.Unlock()
	f.changeListeners.Each(s, nil)
}

// reportLocked keeps err for State and passes it to the error listeners.
func (f *Feed) reportLocked(err error) {
	f.err = err
	f.events.Push(func() { f.errorListeners.Each(err, nil) })
}

// receive handles the feed's envelopes, on the WebSocket client's
// callback goroutine.
func (f *Feed) receive(e protocol.Envelope) {
	switch e.Type {
	case TypeSnapshot:
		var s Snapshot
		err := protocol.UnmarshalData(e, &s)
		f.mu.Lock()
		defer f.mu.Unlock()
		if !f.closed {
			f.applySnapshotLocked(s, badData(err))
		}
	case TypeDelta:
		d, err := decodeDelta(e)
		f.mu.Lock()
		defer f.mu.Unlock()
		if !f.closed {
			f.applyDeltaLocked(d, badData(err))
		}
	}
}

// badData makes every decoding error an ErrBadData.
func badData(err error) error {
	if err == nil || errors.Is(err, ErrBadData) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrBadData, err)
}

// applySnapshotLocked applies a snapshot from the WebSocket, or reports
// why it could not be decoded.
func (f *Feed) applySnapshotLocked(s Snapshot, err error) {
	f.stats.Snapshots++
	f.awaiting = false
	if err == nil {
		var applied bool
		applied, err = f.view.ApplySnapshot(s)
		if applied {
			f.updated = f.clock.Now()
		}
	}
	switch {
	case err == nil:
		f.err = nil
	case errors.Is(err, ErrGap):
		f.stats.Gaps++
	default:
		f.reportLocked(fmt.Errorf("live: feed %q: %w", f.name, err))
	}
	f.resyncIfNeededLocked()
	f.changedLocked()
}

func (f *Feed) applyDeltaLocked(d Delta, err error) {
	f.stats.Deltas++
	changed := false
	if err == nil {
		changed, err = f.view.ApplyDelta(d)
	} else {
		f.view.Reset() // a delta is lost: wait for a fresh snapshot
	}
	switch {
	case err == nil:
	case errors.Is(err, ErrGap):
		f.stats.Gaps++
	default:
		f.reportLocked(fmt.Errorf("live: feed %q: %w", f.name, err))
	}
	if changed {
		f.updated = f.clock.Now()
	}
	f.resyncIfNeededLocked()
	if changed || err != nil {
		f.changedLocked()
	}
}

// resyncIfNeededLocked asks for a fresh snapshot when the view has lost
// track and none is on its way.
func (f *Feed) resyncIfNeededLocked() {
	if f.view.HasData() && !f.view.Ready() && !f.awaiting && f.poll == nil {
		f.resyncLocked()
	}
}

// Resync asks the server for a fresh snapshot, as after any doubt about
// the data. Requests are spaced by a second, and none is sent while
// disconnected: the reconnect brings a fresh snapshot anyway.
func (f *Feed) Resync() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.closed {
		f.resyncLocked()
	}
}

// resyncLocked sends a live.resync, at most once per resyncEvery; while
// disconnected it sends nothing: the reconnect brings a fresh snapshot.
func (f *Feed) resyncLocked() {
	if f.wsStatus != ws.StatusConnected || f.timers[timerResync] != nil {
		return
	}
	if wait := resyncEvery - f.clock.Now().Sub(f.lastResync); !f.lastResync.IsZero() && wait > 0 {
		f.timers[timerResync] = f.clock.AfterFunc(wait, func() {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.timers[timerResync] = nil
			if !f.closed {
				f.resyncIfNeededLocked()
			}
		})
		return
	}
	f.sendResyncLocked()
}

func (f *Feed) sendResyncLocked() {
	f.lastResync = f.clock.Now()
	f.awaiting = true
	f.stats.Resyncs++
	if err := f.client.Send(protocol.Envelope{Type: TypeResync, Channel: f.channel}); err != nil {
		f.awaiting = false
		f.reportLocked(fmt.Errorf("live: failed to ask for a snapshot of %q: %w", f.name, err))
	}
}

// onStatus follows the WebSocket client: a connection restores the
// subscription and brings a fresh snapshot; until it comes, and while
// disconnected, the data is stale.
func (f *Feed) onStatus(s ws.Status) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return
	}
	was := f.wsStatus
	if s == was {
		return // the client's first report after Subscribe read its status
	}
	f.wsStatus = s
	switch {
	case s == ws.StatusConnected:
		f.everConnected = true
		f.stopPollingLocked()
		f.view.Reset()
		f.awaiting = true
	case was == ws.StatusConnected:
		f.view.Reset()
	}
	f.maybePollLocked()
	f.changedLocked()
}

// onClientError picks the server's refusals of this feed out of the
// WebSocket client's errors: they carry no ref, so they reach the client's
// error listeners, which name the channel.
func (f *Feed) onClientError(err error) {
	var refused *protocol.ErrorData
	if !errors.As(err, &refused) || !strings.Contains(err.Error(), strconv.Quote(f.channel)) {
		return
	}
	if refused.Code == protocol.CodeUnknownFeed {
		err = fmt.Errorf("%w %q: %w", ErrUnknownFeed, f.name, err)
	} else {
		err = fmt.Errorf("live: feed %q: %w", f.name, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.closed {
		f.reportLocked(err)
		f.changedLocked()
	}
}

// Pause stops rendering: OnChange is called once to show the pause, then
// not until Resume. The data keeps up, so Resume shows the latest.
func (f *Feed) Pause() { f.setPause(func() { f.paused = true }) }

// Resume renders the latest state and goes on rendering.
func (f *Feed) Resume() { f.setPause(func() { f.paused = false }) }

func (f *Feed) setHidden(hidden bool) { f.setPause(func() { f.hidden = hidden }) }

// Paused reports whether Pause was called without a Resume since.
func (f *Feed) Paused() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.paused
}

func (f *Feed) setPause(change func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return
	}
	was := f.paused || f.hidden
	change()
	now := f.paused || f.hidden
	switch {
	case now && !was:
		s := f.stateLocked()
		f.frozen = &s
	case !now && was:
		f.frozen = nil
	default:
		return
	}
	f.render.Notify()
}

// Close stops the feed: it unsubscribes, stops polling and rendering. It
// waits for a poll under way to end.
func (f *Feed) Close() {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return
	}
	f.closed = true
	for i, t := range f.timers {
		if t != nil {
			t.Stop()
			f.timers[i] = nil
		}
	}
	f.stopPollingLocked()
	stops := f.stop
	f.mu.Unlock()
	for _, stop := range stops {
		stop()
	}
	f.render.Stop()
	f.polls.Wait()
	f.events.StopAfterQueued()
}
