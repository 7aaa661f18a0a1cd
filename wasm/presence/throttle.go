package presence

import (
	"sync"
	"time"

	"github.com/matih-ai/realtime/wasm/clock"
)

// Throttle passes values on at most once per interval: the first at once,
// then the latest of each interval at its end. A busy client's metadata
// updates (a cursor moving) become a steady trickle.
type Throttle[T any] struct {
	clock    clock.Clock
	interval time.Duration
	send     func(T)

	mu      sync.Mutex
	last    time.Time // when a value was last sent
	pending *T
	timer   clock.Timer
}

// NewThrottle returns a throttle that calls send.
func NewThrottle[T any](c clock.Clock, interval time.Duration, send func(T)) *Throttle[T] {
	return &Throttle[T]{clock: c, interval: interval, send: send}
}

// Push offers v; it is sent now or at the end of the interval, unless a
// later value replaces it.
func (t *Throttle[T]) Push(v T) {
	t.mu.Lock()
	now := t.clock.Now()
	if t.timer == nil && (t.last.IsZero() || now.Sub(t.last) >= t.interval) {
		t.last = now
		t.mu.Unlock()
		t.send(v)
		return
	}
	t.pending = &v
	if t.timer == nil {
		t.timer = t.clock.AfterFunc(t.interval-now.Sub(t.last), t.flush)
	}
	t.mu.Unlock()
}

func (t *Throttle[T]) flush() {
	t.mu.Lock()
	v := t.pending
	t.pending, t.timer = nil, nil
	if v != nil {
		t.last = t.clock.Now()
	}
	t.mu.Unlock()
	if v != nil {
		t.send(*v)
	}
}

// Flush sends a waiting value now (before a leave, say).
func (t *Throttle[T]) Flush() {
	t.mu.Lock()
	if t.timer != nil {
		t.timer.Stop()
	}
	t.mu.Unlock()
	t.flush()
}

// Stop drops a waiting value.
func (t *Throttle[T]) Stop() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.timer != nil {
		t.timer.Stop()
		t.timer = nil
	}
	t.pending = nil
}
