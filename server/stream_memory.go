package server

import (
	"errors"
	"fmt"
	"strings"
	"sync"
)

// Errors of [MemoryStream.Append].
var (
	ErrStreamClosed = errors.New("server: stream closed")
	ErrBadEventName = errors.New("server: event name contains a line break")
)

// MemoryStream is a [Stream] of appended events that keeps the latest ones
// in a ring, for feeds produced while the server runs (log tails, progress).
//
// It lives in one process: the events are gone when the server restarts
// and its ids start again at 0, and servers behind a load balancer each
// have their own. A client that resumes across either with an id the
// stream never issued is told that history was lost.
type MemoryStream struct {
	mu      sync.Mutex
	ring    []Event // ring[(first+i)%len(ring)] is the i-th oldest held
	first   int
	held    int
	next    int64         // id of the next Append
	changed chan struct{} // closed and replaced by every Append and Close
	ended   bool
}

var _ Stream = (*MemoryStream)(nil)

// NewMemoryStream returns an empty stream that holds the latest size
// events; size <= 0 means [DefaultReplayWindow].
func NewMemoryStream(size int) *MemoryStream {
	if size <= 0 {
		size = DefaultReplayWindow
	}
	return &MemoryStream{ring: make([]Event, size), changed: make(chan struct{})}
}

// Append adds an event named name with a copy of data and returns its id.
// It fails once the stream is closed, or when name has a line break.
func (m *MemoryStream) Append(name string, data []byte) (int64, error) {
	if strings.ContainsAny(name, "\r\n") {
		return 0, fmt.Errorf("failed to append %q: %w", name, ErrBadEventName)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ended {
		return 0, fmt.Errorf("failed to append %q: %w", name, ErrStreamClosed)
	}
	id := m.next
	m.next++
	e := Event{ID: id, Name: name, Data: append([]byte(nil), data...)}
	if m.held < len(m.ring) {
		m.ring[(m.first+m.held)%len(m.ring)] = e
		m.held++
	} else {
		m.ring[m.first] = e
		m.first = (m.first + 1) % len(m.ring)
	}
	close(m.changed)
	m.changed = make(chan struct{})
	return id, nil
}

// Close ends the stream: a client that has its last event is done, and
// Append fails. Closing twice does nothing.
func (m *MemoryStream) Close() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.ended {
		m.ended = true
		close(m.changed)
	}
}

// Window returns the oldest and newest ids held.
func (m *MemoryStream) Window() (oldest, newest int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.window()
}

func (m *MemoryStream) window() (oldest, newest int64) {
	return m.next - int64(m.held), m.next - 1
}

// Since returns the events after id; see [Stream].
func (m *MemoryStream) Since(id int64) ([]Event, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	oldest, newest := m.window()
	if ok, err := sinceWindow(id, oldest, newest); !ok {
		return nil, err
	}
	if id == newest && m.ended {
		return nil, ErrStreamEnded
	}
	out := make([]Event, 0, newest-id)
	for i := int(id + 1 - oldest); i < m.held; i++ {
		out = append(out, m.ring[(m.first+i)%len(m.ring)])
	}
	return out, nil
}

// Wait is ready at the next Append or Close, or at once when Since(id)
// already has something to say.
func (m *MemoryStream) Wait(id int64) (ready <-chan struct{}, stop func()) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, newest := m.window(); id != newest || m.ended {
		return closedChan, noStop
	}
	return m.changed, noStop
}
