// Package callback runs the callbacks of the realtime clients: one at a
// time, in order, on a goroutine owned by the client, never on the one
// reading the network.
package callback

import "sync"

// Queue runs functions one at a time, in order, on a goroutine of its own,
// so that a slow handler never stalls the reader of a connection. It is
// unbounded: a slow handler costs memory, never messages.
type Queue struct {
	mu      sync.Mutex
	queue   []func()
	running bool // a batch taken from queue is under way
	stopped bool
	wake    chan struct{}
	done    chan struct{}
}

// NewQueue starts a queue; StopAfterQueued ends it.
func NewQueue() *Queue {
	q := &Queue{wake: make(chan struct{}, 1), done: make(chan struct{})}
	go q.run()
	return q
}

// Push queues f; after StopAfterQueued it is dropped.
func (q *Queue) Push(f func()) {
	q.mu.Lock()
	if !q.stopped {
		q.queue = append(q.queue, f)
	}
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// Idle reports whether every function pushed so far has run: a caller
// may then do at once what it would have pushed, and keep the order.
func (q *Queue) Idle() bool {
	q.mu.Lock()
	idle := !q.running && len(q.queue) == 0
	q.mu.Unlock()
	return idle
}

// StopAfterQueued ends the goroutine once what is queued now has run.
func (q *Queue) StopAfterQueued() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.stopped {
		q.queue = append(q.queue, func() { close(q.done) })
		q.stopped = true
	}
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *Queue) run() {
	for {
		q.mu.Lock()
		batch := q.queue
		q.queue = nil
		q.running = len(batch) > 0
		q.mu.Unlock()
		for _, f := range batch {
			f()
		}
		q.mu.Lock()
		q.running = false
		q.mu.Unlock()
		select {
		case <-q.done:
			return
		case <-q.wake:
		}
	}
}

// List is a set of listeners in the order they were added. A listener
// removed is never called after its remover returned, even for a value
// already being delivered.
type List[T any] struct {
	mu      sync.Mutex
	entries []*entry[T]
}

type entry[T any] struct{ fn func(T) }

// Add adds fn and returns its remover.
func (r *List[T]) Add(fn func(T)) (remove func()) {
	if fn == nil {
		return func() {}
	}
	e := &entry[T]{fn: fn}
	r.mu.Lock()
	r.entries = append(r.entries, e)
	r.mu.Unlock()
	return func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		for i, x := range r.entries {
			if x == e {
				r.entries = append(r.entries[:i:i], r.entries[i+1:]...)
				break
			}
		}
		e.fn = nil
	}
}

// Each calls every listener with v while live (if not nil) reports true.
func (r *List[T]) Each(v T, live func() bool) {
	r.mu.Lock()
	entries := r.entries
	r.mu.Unlock()
	for _, e := range entries {
		r.mu.Lock()
		fn := e.fn
		r.mu.Unlock()
		if fn != nil && (live == nil || live()) {
			fn(v)
		}
	}
}
