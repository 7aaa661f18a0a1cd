package notify

import (
	"slices"
	"sync"
	"time"

	"github.com/matih-ai/realtime/wasm/clock"
)

// Toast defaults.
const (
	DefaultToastLife    = 4 * time.Second
	DefaultToastVisible = 3
)

// Toaster decides which notifications show as toasts: at most MaxVisible
// at once, the rest queued in order; each leaves after its life unless it
// is an error (errors stay until dismissed); the countdowns pause while any
// pause reason holds (the pointer is over a toast, the page is hidden).
type Toaster struct {
	clock      clock.Clock
	life       time.Duration
	maxVisible int
	onChange   func()

	mu      sync.Mutex
	visible []*toast
	queue   []Notification
	pauses  map[string]bool
}

type toast struct {
	n         Notification
	remaining time.Duration // of its life, when paused or not started
	since     time.Time     // when its countdown last resumed
	timer     clock.Timer
}

// NewToaster returns a toaster; life <= 0 and maxVisible <= 0 take the
// defaults. onChange, if set, runs after every change (on the goroutine
// that made it, a timer's included).
func NewToaster(c clock.Clock, life time.Duration, maxVisible int, onChange func()) *Toaster {
	if life <= 0 {
		life = DefaultToastLife
	}
	if maxVisible <= 0 {
		maxVisible = DefaultToastVisible
	}
	if onChange == nil {
		onChange = func() {}
	}
	return &Toaster{clock: c, life: life, maxVisible: maxVisible, onChange: onChange, pauses: map[string]bool{}}
}

// Show adds a toast for n, or queues it.
func (t *Toaster) Show(n Notification) {
	t.mu.Lock()
	if len(t.visible) < t.maxVisible {
		t.startLocked(n)
	} else {
		t.queue = append(t.queue, n)
	}
	t.mu.Unlock()
	t.onChange()
}

func (t *Toaster) startLocked(n Notification) {
	ts := &toast{n: n, remaining: t.life}
	t.visible = append(t.visible, ts)
	if len(t.pauses) == 0 {
		t.runLocked(ts)
	}
}

// runLocked starts or resumes a toast's countdown; errors have none.
func (t *Toaster) runLocked(ts *toast) {
	if ts.n.Severity == Error {
		return
	}
	ts.since = t.clock.Now()
	id := ts.n.ID
	ts.timer = t.clock.AfterFunc(ts.remaining, func() { t.Dismiss(id) })
}

// Dismiss removes the toast (or queued toast) of id; the next queued one
// takes its place.
func (t *Toaster) Dismiss(id string) {
	t.mu.Lock()
	changed := false
	if i := slices.IndexFunc(t.visible, func(ts *toast) bool { return ts.n.ID == id }); i >= 0 {
		if ts := t.visible[i]; ts.timer != nil {
			ts.timer.Stop()
		}
		t.visible = slices.Delete(t.visible, i, i+1)
		changed = true
	} else if i := slices.IndexFunc(t.queue, func(n Notification) bool { return n.ID == id }); i >= 0 {
		t.queue = slices.Delete(t.queue, i, i+1)
		changed = true
	}
	for len(t.visible) < t.maxVisible && len(t.queue) > 0 {
		n := t.queue[0]
		t.queue = t.queue[1:]
		t.startLocked(n)
	}
	t.mu.Unlock()
	if changed {
		t.onChange()
	}
}

// Pause stops every countdown while reason holds ("hover", "hidden").
func (t *Toaster) Pause(reason string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.pauses) == 0 {
		now := t.clock.Now()
		for _, ts := range t.visible {
			if ts.timer != nil {
				ts.timer.Stop()
				ts.timer = nil
				ts.remaining -= now.Sub(ts.since)
			}
		}
	}
	t.pauses[reason] = true
}

// Resume lifts reason; countdowns go on, from where they stopped, once no
// reason holds.
func (t *Toaster) Resume(reason string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.pauses[reason] {
		return
	}
	delete(t.pauses, reason)
	if len(t.pauses) == 0 {
		for _, ts := range t.visible {
			t.runLocked(ts)
		}
	}
}

// Visible returns the notifications shown as toasts, oldest first.
func (t *Toaster) Visible() []Notification {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]Notification, len(t.visible))
	for i, ts := range t.visible {
		out[i] = ts.n
	}
	return out
}

// Queued counts the toasts waiting for room.
func (t *Toaster) Queued() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.queue)
}

// Stop cancels every countdown (the component went away).
func (t *Toaster) Stop() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, ts := range t.visible {
		if ts.timer != nil {
			ts.timer.Stop()
			ts.timer = nil
		}
	}
	t.pauses["stopped"] = true
}
