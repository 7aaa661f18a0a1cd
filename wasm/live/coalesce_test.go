package live

import (
	"sync"
	"testing"
	"time"

	"github.com/matih-ai/realtime/wasm/clock"
)

// renders records what each render saw and when.
type renders struct {
	mu    sync.Mutex
	clock *clock.Fake
	state *int // the "latest state" a render reads
	seen  []int
	at    []time.Time
}

func (r *renders) render() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen = append(r.seen, *r.state)
	r.at = append(r.at, r.clock.Now())
}

func (r *renders) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.seen)
}

func (r *renders) last() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.seen) == 0 {
		return -1
	}
	return r.seen[len(r.seen)-1]
}

func newRenders(interval time.Duration) (*Coalescer, *renders, *int) {
	state := new(int)
	r := &renders{clock: clock.NewFake(), state: state}
	c := NewCoalescer(r.render, CoalesceOptions{Clock: r.clock, Interval: interval})
	return c, r, state
}

func TestCoalesceBurst(t *testing.T) {
	t.Parallel()
	for _, interval := range []time.Duration{0, 50 * time.Millisecond} {
		c, r, state := newRenders(interval)
		frame := interval
		if frame == 0 {
			frame = DefaultFrame
		}
		// 500 updates in 100ms.
		for i := 1; i <= 500; i++ {
			*state = i
			c.Notify()
			r.clock.Advance(200 * time.Microsecond)
		}
		r.clock.Advance(frame)
		bound := int((100*time.Millisecond+frame-1)/frame) + 1
		if n := r.count(); n > bound || n < 2 {
			t.Fatalf("interval %v: %d renders for 500 updates in 100ms, want 2..%d", frame, n, bound)
		}
		if r.last() != 500 {
			t.Fatalf("interval %v: the last render saw update %d, want 500", frame, r.last())
		}
		for i := 1; i < len(r.at); i++ {
			if gap := r.at[i].Sub(r.at[i-1]); gap < frame {
				t.Fatalf("interval %v: renders %d and %d only %v apart", frame, i-1, i, gap)
			}
		}
		s := c.Stats()
		if s.Updates != 500 || s.Renders != uint64(r.count()) || s.Coalesced != 500-s.Renders {
			t.Fatalf("stats %+v, renders %d", s, r.count())
		}
		t.Logf("interval %v: 500 updates in 100ms gave %d renders (bound %d)", frame, s.Renders, bound)
	}
}

func TestCoalesceQuiet(t *testing.T) {
	t.Parallel()
	c, r, state := newRenders(0)
	r.clock.Advance(time.Second)
	if r.count() != 0 {
		t.Fatal("rendered without an update")
	}
	// After a quiet spell an update renders at once.
	*state = 1
	c.Notify()
	if p := r.clock.Pending(); len(p) != 1 || p[0] != 0 {
		t.Fatalf("pending %v, want one render now", p)
	}
	r.clock.Advance(0)
	if r.count() != 1 || r.last() != 1 {
		t.Fatalf("%d renders, last saw %d", r.count(), r.last())
	}
	// The next one waits for the rest of the frame.
	r.clock.Advance(10 * time.Millisecond)
	*state = 2
	c.Notify()
	if p := r.clock.Pending(); len(p) != 1 || p[0] != 6*time.Millisecond {
		t.Fatalf("pending %v, want one render in 6ms", p)
	}
	r.clock.Advance(6 * time.Millisecond)
	if r.count() != 2 || r.last() != 2 {
		t.Fatalf("%d renders, last saw %d", r.count(), r.last())
	}
	r.clock.Advance(time.Second)
	if r.count() != 2 {
		t.Fatal("rendered again without an update")
	}
}

func TestCoalesceFlush(t *testing.T) {
	t.Parallel()
	c, r, state := newRenders(0)
	c.Flush()
	if r.count() != 0 {
		t.Fatal("Flush rendered without an update")
	}
	*state = 7
	c.Notify()
	c.Flush()
	if r.count() != 1 || r.last() != 7 {
		t.Fatalf("Flush: %d renders, last saw %d", r.count(), r.last())
	}
	if p := r.clock.Pending(); len(p) != 0 {
		t.Fatalf("a render is still due after Flush: %v", p)
	}
	r.clock.Advance(time.Second)
	if r.count() != 1 {
		t.Fatal("rendered twice for one update")
	}
}

func TestCoalesceStop(t *testing.T) {
	t.Parallel()
	c, r, _ := newRenders(0)
	c.Notify()
	c.Stop()
	c.Notify()
	r.clock.Advance(time.Second)
	c.Flush()
	if r.count() != 0 {
		t.Fatalf("%d renders after Stop", r.count())
	}

	// A render may stop its own coalescer.
	var c2 *Coalescer
	n := 0
	fake := clock.NewFake()
	c2 = NewCoalescer(func() { n++; c2.Stop() }, CoalesceOptions{Clock: fake})
	c2.Notify()
	fake.Advance(0)
	c2.Notify()
	fake.Advance(time.Second)
	if n != 1 {
		t.Fatalf("%d renders, want 1", n)
	}
}

// Updates from many goroutines, with the real clock: renders never overlap
// and the last one sees the last update.
func TestCoalesceConcurrent(t *testing.T) {
	t.Parallel()
	var (
		mu       sync.Mutex
		latest   int
		seen     int
		inRender bool
		overlap  bool
		done     = make(chan struct{}, 1000)
	)
	c := NewCoalescer(func() {
		mu.Lock()
		if inRender {
			overlap = true
		}
		inRender = true
		seen = latest
		mu.Unlock()
		time.Sleep(time.Millisecond) // a slow render
		mu.Lock()
		inRender = false
		mu.Unlock()
		done <- struct{}{}
	}, CoalesceOptions{Interval: time.Millisecond})
	defer c.Stop()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 100 {
				mu.Lock()
				latest = max(latest, g*1000+i)
				mu.Unlock()
				c.Notify()
			}
		})
	}
	wg.Wait()
	mu.Lock()
	want := latest
	mu.Unlock()
	deadline := time.After(5 * time.Second)
	for {
		mu.Lock()
		got, over := seen, overlap
		mu.Unlock()
		if over {
			t.Fatal("two renders ran at once")
		}
		if got == want {
			return
		}
		select {
		case <-done:
		case <-deadline:
			t.Fatalf("the last render saw %d, want %d", got, want)
		}
	}
}

// A render slower than half the interval keeps the next one apart by as
// long as it took, so that the page is not kept busy drawing; a quick one
// changes nothing.
func TestCoalesceSpacesSlowRenders(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake()
	state, took := 0, 30*time.Millisecond
	var starts []time.Time
	c := NewCoalescer(func() {
		starts = append(starts, clk.Now())
		clk.Advance(took) // drawing
	}, CoalesceOptions{Clock: clk})
	// Updates every 5ms for 300ms.
	for i := 1; i <= 60; i++ {
		state = i
		c.Notify()
		clk.Advance(5 * time.Millisecond)
	}
	clk.Advance(time.Second)
	if len(starts) < 3 {
		t.Fatalf("%d renders", len(starts))
	}
	for i := 1; i < len(starts); i++ {
		if gap := starts[i].Sub(starts[i-1]); gap < 2*took {
			t.Fatalf("renders %d and %d %v apart, want at least %v (each took %v)", i-1, i, gap, 2*took, took)
		}
	}
	// Drawing quickly again, renders come a frame apart.
	took = time.Millisecond
	c.Notify() // renders at once (a quiet spell) and takes 1ms
	clk.Advance(time.Second)
	n := len(starts)
	c.Notify()
	clk.Advance(2 * time.Millisecond)
	c.Notify()
	clk.Advance(time.Second)
	if len(starts) != n+2 {
		t.Fatalf("%d renders for two updates", len(starts)-n)
	}
	if gap := starts[n+1].Sub(starts[n]); gap != DefaultFrame {
		t.Fatalf("quick renders %v apart, want %v", gap, DefaultFrame)
	}
	_ = state
}

// A render that waits for the page's turn before it is drawn (go-app draws
// on a frame of its own) says what drawing cost: renders are paced by that,
// not by the wait, and a view quick to draw renders every frame.
func TestCoalescePacesByRenderCost(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake()
	var c *Coalescer
	var starts []time.Time
	wait, draw := 9*time.Millisecond, 5*time.Millisecond
	report := true
	c = NewCoalescer(func() {
		starts = append(starts, clk.Now())
		clk.Advance(wait + draw)
		if report {
			c.RenderCost(time.Millisecond) // the largest counts
			c.RenderCost(draw)
		}
	}, CoalesceOptions{Clock: clk})
	gaps := func() []time.Duration {
		starts = nil
		for range 60 { // an update a millisecond
			c.Notify()
			clk.Advance(time.Millisecond)
		}
		clk.Advance(time.Second)
		var g []time.Duration
		for i := 1; i < len(starts); i++ {
			g = append(g, starts[i].Sub(starts[i-1]))
		}
		return g
	}
	for i, g := range gaps() {
		if g != DefaultFrame {
			t.Fatalf("renders %d and %d %v apart, want a frame (%v): each drew in %v", i, i+1, g, DefaultFrame, draw)
		}
	}
	// Without the report the wait counts, as it did: half the frame rate.
	report = false
	clk.Advance(time.Second)
	for i, g := range gaps() {
		if g < 2*(wait+draw) {
			t.Fatalf("renders %d and %d %v apart, want at least %v", i, i+1, g, 2*(wait+draw))
		}
	}
}
