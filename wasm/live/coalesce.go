package live

import (
	"sync"
	"time"

	"github.com/matih-ai/realtime/wasm/clock"
)

// DefaultFrame is how often a Coalescer renders at most: one frame at 60 Hz.
const DefaultFrame = 16 * time.Millisecond

// CoalesceOptions tune a Coalescer.
type CoalesceOptions struct {
	// Interval is the least time between two renders. Default is
	// DefaultFrame.
	Interval time.Duration
	// Clock runs the timers. Default is the wall clock.
	Clock clock.Clock
	// AnimationFrame renders on the browser's animation frames
	// (requestAnimationFrame) instead of the clock: one render per painted
	// frame, none while the tab is hidden. Outside a browser it is ignored.
	// Default is off.
	AnimationFrame bool
}

// Coalescer turns a stream of updates into renders of the latest state, at
// most one per interval: Notify marks the state changed and schedules a
// render unless one is already due; the render reads whatever is latest
// when it runs. The first update after a quiet spell renders at once.
//
// A render that takes longer than half the interval (render returns once
// the view is drawn; see RenderCost for one that waited part of that time)
// keeps the next one apart by as long as it took: a view slower to draw
// than its updates come leaves the page half of its time, to paint and to
// answer input, instead of none.
//
// render runs on a goroutine of the coalescer, never two at a time, and
// never inside Notify. It is safe for concurrent use.
type Coalescer struct {
	render   func()
	clock    clock.Clock
	interval time.Duration
	frame    func(f func()) (cancel func()) // animation frames; nil: the clock
	renderMu sync.Mutex

	mu      sync.Mutex
	dirty   bool      // updated since the last render began
	cancel  func()    // cancels the render that is due; nil when none is
	gen     uint64    // numbers the scheduled render
	last    time.Time // when the last render was due
	took    time.Duration
	cost    time.Duration // RenderCost's, for the render under way; -1: none
	stopped bool
	stats   CoalesceStats
}

// CoalesceStats count a Coalescer's work, for figures.
type CoalesceStats struct {
	// Updates counts calls to Notify.
	Updates uint64
	// Renders counts calls to render.
	Renders uint64
	// Coalesced counts the updates that did not get a render of their
	// own: a later one in the same frame carried them.
	Coalesced uint64
}

// NewCoalescer returns a coalescer that calls render.
func NewCoalescer(render func(), opts CoalesceOptions) *Coalescer {
	if opts.Interval <= 0 {
		opts.Interval = DefaultFrame
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real
	}
	c := &Coalescer{render: render, clock: opts.Clock, interval: opts.Interval}
	if opts.AnimationFrame {
		c.frame = animationFrames()
	}
	return c
}

// Notify tells the coalescer the state changed.
func (c *Coalescer) Notify() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return
	}
	c.stats.Updates++
	c.dirty = true
	if c.cancel != nil {
		return // a render is due; it will see this update
	}
	c.gen++
	gen := c.gen
	due := func() { c.due(gen) }
	if c.frame != nil {
		c.cancel = c.frame(due)
		return
	}
	delay := max(0, max(c.interval, 2*c.took)-c.clock.Now().Sub(c.last))
	t := c.clock.AfterFunc(delay, due)
	c.cancel = func() { t.Stop() }
}

// due runs the render scheduled as gen, unless it was cancelled: a timer
// may fire while Flush or Stop cancels it.
func (c *Coalescer) due(gen uint64) {
	c.mu.Lock()
	if gen != c.gen {
		c.mu.Unlock()
		return
	}
	c.flushLocked()
}

// Flush renders now, on the caller's goroutine, if anything changed since
// the last render, and cancels the render that was due.
func (c *Coalescer) Flush() {
	c.mu.Lock()
	c.cancelLocked()
	c.flushLocked()
}

func (c *Coalescer) cancelLocked() {
	c.gen++
	if c.cancel != nil {
		c.cancel()
		c.cancel = nil
	}
}

// flushLocked renders if anything changed since the last render began. It
// is called with mu held and releases it.
func (c *Coalescer) flushLocked() {
	c.cancel = nil
	c.last = c.clock.Now()
	if c.stopped || !c.dirty {
		c.mu.Unlock()
		return
	}
	c.dirty = false
	c.stats.Renders++
	start := c.last
	c.mu.Unlock()
	// Two renders may meet here (Flush); each reads the latest state, so
	// their order does not matter.
	c.renderMu.Lock()
	defer c.renderMu.Unlock()
	c.mu.Lock()
	c.cost = -1
	c.mu.Unlock()
	c.render()
	took := c.clock.Now().Sub(start)
	c.mu.Lock()
	if c.cost >= 0 {
		took = min(took, c.cost)
	}
	c.took = took
	c.mu.Unlock()
}

// RenderCost tells the coalescer what the render under way costs when not
// all of its run is work: a render that waits for the page to draw what
// it handed over (go-app draws on a frame of its own, some 8 ms after)
// would count the wait, and a view quick to draw would be paced as a slow
// one, at half the frame rate. Call it from render; the largest of its
// calls counts, for that render only.
func (c *Coalescer) RenderCost(d time.Duration) {
	c.mu.Lock()
	c.cost = max(c.cost, d)
	c.mu.Unlock()
}

// Stats returns the counts so far.
func (c *Coalescer) Stats() CoalesceStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stats
	s.Coalesced = s.Updates - s.Renders
	return s
}

// Stop cancels the render that was due; later updates are ignored. It does
// not wait for a render under way, so render may call it.
func (c *Coalescer) Stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopped = true
	c.cancelLocked()
}
