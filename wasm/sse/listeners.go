package sse

import "sync"

// callbacks runs functions one at a time, in order, on a goroutine of its
// own, so that a slow handler never stalls the reader of the stream. Its
// queue is unbounded: a slow handler costs memory, never events.
type callbacks struct {
	mu      sync.Mutex
	queue   []func()
	stopped bool
	wake    chan struct{}
	done    chan struct{}
}

func newCallbacks() *callbacks {
	q := &callbacks{wake: make(chan struct{}, 1), done: make(chan struct{})}
	go q.run()
	return q
}

// push queues f; after stop it is dropped.
func (q *callbacks) push(f func()) {
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

// stopAfterQueued ends the goroutine once what is queued now has run.
func (q *callbacks) stopAfterQueued() {
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

func (q *callbacks) run() {
	for {
		q.mu.Lock()
		batch := q.queue
		q.queue = nil
		q.mu.Unlock()
		for _, f := range batch {
			f()
		}
		select {
		case <-q.done:
			return
		case <-q.wake:
		}
	}
}

// registry is a set of listeners in the order they were added. A listener
// removed is never called after its remover returned, even for a value
// already being delivered.
type registry[T any] struct {
	mu      sync.Mutex
	entries []*entry[T]
}

type entry[T any] struct{ fn func(T) }

func (r *registry[T]) add(fn func(T)) (remove func()) {
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

// each calls every listener with v while live reports true.
func (r *registry[T]) each(v T, live func() bool) {
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
