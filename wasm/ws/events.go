package ws

import "sync"

// events runs callbacks one at a time, in order, on a goroutine of its own,
// so that a slow subscriber never stalls the reader of the connection.
// Its queue is unbounded: a slow handler costs memory, never messages.
type events struct {
	mu     sync.Mutex
	items  []func()
	signal chan struct{}
	done   chan struct{}
	once   sync.Once
}

func newEvents() *events {
	e := &events{signal: make(chan struct{}, 1), done: make(chan struct{})}
	go e.run()
	return e
}

func (e *events) push(f func()) {
	e.mu.Lock()
	e.items = append(e.items, f)
	e.mu.Unlock()
	select {
	case e.signal <- struct{}{}:
	default:
	}
}

func (e *events) run() {
	for {
		e.mu.Lock()
		items := e.items
		e.items = nil
		e.mu.Unlock()
		for _, f := range items {
			select {
			case <-e.done:
				return
			default:
			}
			f()
		}
		if len(items) > 0 {
			continue
		}
		select {
		case <-e.signal:
		case <-e.done:
			return
		}
	}
}

// stop ends the goroutine after the callback under way; the rest are dropped.
func (e *events) stop() { e.once.Do(func() { close(e.done) }) }

// listeners is a set of callbacks; add returns the remover.
type listeners[T any] struct {
	mu   sync.Mutex
	next int
	fns  map[int]func(T)
}

func (l *listeners[T]) add(fn func(T)) (remove func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fns == nil {
		l.fns = map[int]func(T){}
	}
	id := l.next
	l.next++
	l.fns[id] = fn
	return func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		delete(l.fns, id)
	}
}

func (l *listeners[T]) each(v T) {
	l.mu.Lock()
	fns := make([]func(T), 0, len(l.fns))
	for id := 0; id < l.next; id++ {
		if fn, ok := l.fns[id]; ok {
			fns = append(fns, fn)
		}
	}
	l.mu.Unlock()
	for _, fn := range fns {
		fn(v)
	}
}
