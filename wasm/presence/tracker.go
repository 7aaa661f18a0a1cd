package presence

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/matih-ai/realtime/wasm/clock"
	"github.com/matih-ai/realtime/wasm/protocol"
	"github.com/matih-ai/realtime/wasm/ws"
)

// Envelope types of presence; see the package doc of wasm/protocol.
const (
	TypeState  = "presence.state"
	TypeDiff   = "presence.diff"
	TypeJoin   = "presence.join"
	TypeUpdate = "presence.update"
	TypeLeave  = "presence.leave"
	TypeSync   = "presence.sync"
	TypeCount  = "presence.count"
)

// Channel is the channel of a resource's presence.
func Channel(resource string) string { return "presence:" + resource }

// CountChannel is the channel of a resource's head count only.
func CountChannel(resource string) string { return "presence-count:" + resource }

// StateData is the data of a presence.state envelope.
type StateData struct {
	Seq   uint64 `json:"seq"`
	State State  `json:"state"`
}

// DiffData is the data of a presence.diff envelope.
type DiffData struct {
	Seq uint64 `json:"seq"`
	Diff
}

// LeaveData is the data of a presence.leave envelope.
type LeaveData struct {
	Session string `json:"session"`
}

// CountData is the data of a presence.count envelope.
type CountData struct {
	Users    int `json:"users"`
	Sessions int `json:"sessions"`
}

// Options tune a Tracker.
type Options struct {
	// Throttle spaces metadata updates. Default is 100ms.
	Throttle time.Duration
	// Clock is for the throttle. Default is the wall clock.
	Clock clock.Clock
	// OnError runs when the server refuses a join (room_full: the resource
	// has as many sessions as it allows; bad_presence), with an error
	// holding the *protocol.ErrorData, on a goroutine of the tracker. A
	// refused tracker sends no updates; it tries again after the next
	// reconnect. Default ignores it.
	OnError func(error)
}

// DefaultThrottle spaces a busy client's updates.
const DefaultThrottle = 100 * time.Millisecond

// Tracker is this client's presence on one resource over a WebSocket
// client: it joins, keeps its metadata up to date, rejoins after every
// reconnect, and keeps the resource's state for display.
type Tracker struct {
	client   *ws.Client
	channel  string
	throttle *Throttle[Meta]
	onError  func(error)
	stop     []func()
	ctx      context.Context // ends with Leave, and with it the joins waiting for an answer
	cancel   context.CancelFunc

	mu        sync.Mutex
	meta      Meta
	sync      Sync
	left      bool
	refused   bool // the server refused the last join
	listeners map[int]func(State, Changes)
	next      int
}

// joinTimeout bounds the wait for the answer to a join, which a dropped
// connection may never bring.
const joinTimeout = time.Minute

// ErrLeft is returned by a Tracker after Leave.
var ErrLeft = errors.New("presence: tracker has left")

// Join makes meta present on resource through c, now or as soon as c
// connects, and after every reconnect. meta.User is required; an empty
// meta.Session gets a random one that stays for the tracker's life.
func Join(c *ws.Client, resource string, meta Meta, opts Options) (*Tracker, error) {
	if meta.User == "" {
		return nil, errors.New("presence: join needs a user")
	}
	if meta.Session == "" {
		meta.Session = NewSession()
	}
	if meta.Status == "" {
		meta.Status = StatusActive
	}
	if opts.Throttle <= 0 {
		opts.Throttle = DefaultThrottle
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real
	}
	if opts.OnError == nil {
		opts.OnError = func(error) {}
	}
	t := &Tracker{client: c, channel: Channel(resource), meta: meta, onError: opts.OnError, listeners: map[int]func(State, Changes){}}
	if err := protocol.ValidChannel(t.channel); err != nil {
		return nil, fmt.Errorf("presence: resource %q: %w", resource, err)
	}
	t.throttle = NewThrottle(opts.Clock, opts.Throttle, t.sendUpdate)
	unsubscribe, err := c.Subscribe(t.channel, t.receive)
	if err != nil {
		return nil, fmt.Errorf("presence: failed to subscribe to %s: %w", t.channel, err)
	}
	t.ctx, t.cancel = context.WithCancel(context.Background())
	t.stop = append(t.stop, unsubscribe, c.OnStatus(t.onStatus))
	if c.Status() == ws.StatusConnected {
		t.join(meta)
	}
	return t, nil
}

// NewSession returns a random session id. It tells a tab's sessions apart
// and the server ties it to its user, so it need not be a secret:
// math/rand/v2 serves, where crypto/rand would add its DRBG, some 170 KB,
// to the wasm files.
func NewSession() string {
	return "s-" + strconv.FormatUint(rand.Uint64(), 36)
}

// Session is this tracker's session id.
func (t *Tracker) Session() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.meta.Session
}

func (t *Tracker) onStatus(s ws.Status) {
	switch s {
	case ws.StatusConnected:
		// The subscription is restored first; the server then sends a
		// fresh state, and the rejoin within its grace is no leave.
		t.mu.Lock()
		meta, left := t.meta, t.left
		t.mu.Unlock()
		if !left {
			t.join(meta)
		}
	case ws.StatusReconnecting, ws.StatusDisconnected, ws.StatusError:
		t.mu.Lock()
		t.sync.Reset() // keep showing who was there until the new state
		t.mu.Unlock()
	}
}

// join sends a join and waits, on a goroutine of its own, for the answer,
// to report a refusal; while it waits, the server has the join in hand,
// so updates may follow it.
func (t *Tracker) join(meta Meta) {
	if t.client.Status() != ws.StatusConnected {
		return
	}
	raw, err := protocol.Marshal(meta)
	if err != nil {
		return // Meta always encodes
	}
	t.mu.Lock()
	t.refused = false
	t.mu.Unlock()
	env := protocol.Envelope{Type: TypeJoin, Channel: t.channel, Data: raw}
	go func() {
		ctx, cancel := context.WithTimeout(t.ctx, joinTimeout)
		defer cancel()
		_, err := t.client.Request(ctx, env)
		var refused *protocol.ErrorData
		if !errors.As(err, &refused) {
			return // joined, or no answer: the next reconnect joins again
		}
		t.mu.Lock()
		t.refused = true
		left := t.left
		t.mu.Unlock()
		if !left {
			t.onError(fmt.Errorf("presence: failed to join %s: %w", t.channel, err))
		}
	}()
}

// sendUpdate sends the throttle's latest meta, unless the join was refused.
func (t *Tracker) sendUpdate(m Meta) {
	t.mu.Lock()
	refused := t.refused
	t.mu.Unlock()
	if !refused {
		t.send(TypeUpdate, m)
	}
}

// send sends now when connected: while offline the rejoin after the
// reconnect carries the latest metadata, so nothing is queued.
func (t *Tracker) send(typ string, data any) {
	if t.client.Status() != ws.StatusConnected {
		return
	}
	raw, err := protocol.Marshal(data)
	if err != nil {
		return // Meta always encodes
	}
	t.client.Send(protocol.Envelope{Type: typ, Channel: t.channel, Data: raw})
}

func (t *Tracker) receive(e protocol.Envelope) {
	var (
		ch  Changes
		err error
	)
	t.mu.Lock()
	switch e.Type {
	case TypeState:
		var d StateData
		if err = protocol.Unmarshal(e.Data, &d); err == nil {
			ch, err = t.sync.ApplyState(d.Seq, d.State)
		}
	case TypeDiff:
		var d DiffData
		if err = protocol.Unmarshal(e.Data, &d); err == nil {
			ch, err = t.sync.ApplyDiff(d.Seq, d.Diff)
		}
	default:
		t.mu.Unlock()
		return
	}
	st := t.sync.State()
	fns := t.listenersLocked()
	t.mu.Unlock()
	if errors.Is(err, ErrGap) {
		t.client.Send(protocol.Envelope{Type: TypeSync, Channel: t.channel})
	}
	if ch.Empty() {
		return
	}
	for _, fn := range fns {
		fn(st, ch)
	}
}

func (t *Tracker) listenersLocked() []func(State, Changes) {
	fns := make([]func(State, Changes), 0, len(t.listeners))
	for i := 0; i < t.next; i++ {
		if fn, ok := t.listeners[i]; ok {
			fns = append(fns, fn)
		}
	}
	return fns
}

// OnChange calls fn with the state and what changed, after every change,
// on the WebSocket client's callback goroutine.
func (t *Tracker) OnChange(fn func(State, Changes)) (remove func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	id := t.next
	t.next++
	t.listeners[id] = fn
	return func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		delete(t.listeners, id)
	}
}

// State returns the resource's presence as last known.
func (t *Tracker) State() State {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.sync.State().Clone()
}

// People lists the users present, each once.
func (t *Tracker) People() []Person { return t.State().People() }

// Update changes this session's metadata; updates are throttled.
func (t *Tracker) Update(change func(*Meta)) error {
	t.mu.Lock()
	if t.left {
		t.mu.Unlock()
		return ErrLeft
	}
	session, user := t.meta.Session, t.meta.User
	change(&t.meta)
	t.meta.Session, t.meta.User = session, user // the identity stays
	m := t.meta
	t.mu.Unlock()
	t.throttle.Push(m)
	return nil
}

// SetStatus sets this session's status, if it changed.
func (t *Tracker) SetStatus(s Status) error {
	t.mu.Lock()
	same := t.meta.Status == s
	t.mu.Unlock()
	if same {
		return nil
	}
	return t.Update(func(m *Meta) { m.Status = s })
}

// Leave leaves the resource and stops the tracker.
func (t *Tracker) Leave() {
	t.mu.Lock()
	if t.left {
		t.mu.Unlock()
		return
	}
	t.left = true
	session := t.meta.Session
	t.mu.Unlock()
	t.throttle.Stop()
	t.send(TypeLeave, LeaveData{Session: session})
	t.cancel()
	for _, stop := range t.stop {
		stop()
	}
}
