package querystatus

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/matih-ai/realtime/wasm/internal/callback"
	"github.com/matih-ai/realtime/wasm/protocol"
	"github.com/matih-ai/realtime/wasm/ws"
)

// Envelope types and error codes of query status; see the server's doc.
const (
	TypeStatus = "query.status"
	TypeCancel = "query.cancel"

	CodeUnknownQuery    = protocol.CodeUnknownQuery
	CodeAlreadyFinished = protocol.CodeAlreadyFinished
)

// Channel is the channel of one query's status.
func Channel(id string) string { return "query:" + id }

// Errors of a Tracker.
var (
	ErrAlreadyFinished = errors.New("querystatus: the query had already finished")
	ErrUnknownQuery    = errors.New("querystatus: no such query")
	ErrNotTracked      = errors.New("querystatus: query not tracked")
)

// Tracker follows many queries over a WebSocket client: the status of each,
// kept from going backwards, and cancels.
type Tracker struct {
	client    *ws.Client
	listeners callback.List[Status]

	mu      sync.Mutex
	queries map[string]*tracked
	order   []string // most recently tracked first
}

type tracked struct {
	status      Status
	err         error // why the server refused the query, if it did
	unsubscribe func()
}

// NewTracker returns a tracker over c.
func NewTracker(c *ws.Client) *Tracker {
	return &Tracker{client: c, queries: map[string]*tracked{}}
}

// Track follows query id; the server sends its current status, then every
// change. Tracking a query already tracked does nothing.
func (t *Tracker) Track(id string) error {
	channel := Channel(id)
	if err := protocol.ValidChannel(channel); err != nil {
		return fmt.Errorf("querystatus: query id %q: %w", id, err)
	}
	t.mu.Lock()
	if _, ok := t.queries[id]; ok {
		t.mu.Unlock()
		return nil
	}
	q := &tracked{status: Status{ID: id, State: Queued}}
	t.queries[id] = q
	t.order = slices.Insert(t.order, 0, id)
	t.mu.Unlock()
	unsubscribe, err := t.client.Subscribe(channel, func(e protocol.Envelope) { t.receive(id, e) })
	if err != nil {
		t.Untrack(id)
		return fmt.Errorf("querystatus: failed to track %s: %w", id, err)
	}
	t.mu.Lock()
	q.unsubscribe = unsubscribe
	t.mu.Unlock()
	return nil
}

func (t *Tracker) receive(id string, e protocol.Envelope) {
	t.mu.Lock()
	q, ok := t.queries[id]
	if !ok {
		t.mu.Unlock()
		return
	}
	changed := false
	switch e.Type {
	case TypeStatus:
		var u Status
		if err := protocol.Unmarshal(e.Data, &u); err != nil {
			q.err = fmt.Errorf("querystatus: unreadable status of %s: %w", id, err)
			changed = true
			break
		}
		applied, err := q.status.Apply(u)
		if err != nil {
			q.err = err
		}
		changed = applied || err != nil
	case protocol.TypeError:
		q.err = e.Err()
		var pe *protocol.ErrorData
		if errors.As(q.err, &pe) && pe.Code == CodeUnknownQuery {
			q.err = fmt.Errorf("%w: %s", ErrUnknownQuery, pe.Message)
		}
		changed = true
	}
	s := q.status
	t.mu.Unlock()
	if changed {
		t.listeners.Each(s, nil)
	}
}

// Get returns the status of a tracked query.
func (t *Tracker) Get(id string) (Status, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	q, ok := t.queries[id]
	if !ok {
		return Status{}, false
	}
	return q.status, true
}

// Err returns what went wrong with a tracked query's updates, if anything:
// the server does not know it (ErrUnknownQuery), or sent what could not be
// applied.
func (t *Tracker) Err(id string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if q, ok := t.queries[id]; ok {
		return q.err
	}
	return nil
}

// Queries returns the tracked queries, most recently tracked first.
func (t *Tracker) Queries() []Status {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]Status, 0, len(t.order))
	for _, id := range t.order {
		out = append(out, t.queries[id].status)
	}
	return out
}

// OnChange calls fn with a query's status after every change, on the
// WebSocket client's callback goroutine.
func (t *Tracker) OnChange(fn func(Status)) (remove func()) { return t.listeners.Add(fn) }

// Cancel asks the server to cancel query id and waits for its answer. A
// query that had already ended gives ErrAlreadyFinished, with the server's
// words.
func (t *Tracker) Cancel(ctx context.Context, id string) error {
	t.mu.Lock()
	_, ok := t.queries[id]
	t.mu.Unlock()
	if !ok {
		return fmt.Errorf("%w: %s", ErrNotTracked, id)
	}
	_, err := t.client.Request(ctx, protocol.Envelope{Type: TypeCancel, Channel: Channel(id)})
	var pe *protocol.ErrorData
	if errors.As(err, &pe) {
		switch pe.Code {
		case CodeAlreadyFinished:
			return fmt.Errorf("%w: %s", ErrAlreadyFinished, pe.Message)
		case CodeUnknownQuery:
			return fmt.Errorf("%w: %s", ErrUnknownQuery, pe.Message)
		}
	}
	if err != nil {
		return fmt.Errorf("querystatus: failed to cancel %s: %w", id, err)
	}
	return nil
}

// Untrack stops following query id.
func (t *Tracker) Untrack(id string) {
	t.mu.Lock()
	q, ok := t.queries[id]
	delete(t.queries, id)
	t.order = slices.DeleteFunc(t.order, func(x string) bool { return x == id })
	t.mu.Unlock()
	if ok && q.unsubscribe != nil {
		q.unsubscribe()
	}
}

// Close stops following every query.
func (t *Tracker) Close() {
	t.mu.Lock()
	ids := slices.Clone(t.order)
	t.mu.Unlock()
	for _, id := range ids {
		t.Untrack(id)
	}
}
