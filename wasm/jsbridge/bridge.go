package jsbridge

import (
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/matih-ai/realtime/wasm/protocol"
)

// Sink receives what the runtime tells JavaScript. It is called from the
// runtime's goroutines, sometimes with their locks held: it must queue and
// return, never block, and never call back into the Bridge.
type Sink interface {
	// Message delivers an envelope of a channel that JavaScript subscribed
	// to on connection conn.
	Message(conn int, e protocol.Envelope)
	// Event tells JavaScript object id about something else; kind says
	// what and which args follow (strings, ints, float64s and bools).
	Event(kind Kind, id int, args ...any)
}

// Kind says what an event is about, and so what its arguments are.
type Kind int

// Kinds of events, with their arguments.
const (
	// KindMessage names a single Sink.Message; JavaScript gets them in
	// batches, as KindMessages.
	KindMessage Kind = iota + 1
	// KindState: a connection's status, attempt, nextDelay (ms), queued,
	// error message and code.
	KindState
	// KindError: a problem that does not end the object: message, code.
	KindError
	// KindStreamState: an SSE stream's status, attempt, nextDelay (ms),
	// retry (ms), lastEventId, error message and code.
	KindStreamState
	// KindStreamEvent: an SSE event's type, data and id.
	KindStreamEvent
	// KindPresence: presence changed: state, changes and people, as JSON.
	KindPresence
	// KindCount: a head count: users, sessions.
	KindCount
	// KindNotifications: the notification store changed.
	KindNotifications
	// KindNotification: a notification arrived: it, as JSON.
	KindNotification
	// KindToasts: the toasts changed.
	KindToasts
	// KindQuery: a query's status changed: status JSON, tracking error
	// message and code.
	KindQuery
	// KindReply settles the request id: result (JSON, "" for none), error
	// message and code.
	KindReply
	// KindLive: a live feed rendered: its state as JSON, error message and
	// code.
	KindLive
	// KindMessages is the Sink.Message calls of a batch, for one call into
	// JavaScript instead of one each: the byte length of their text, which
	// is UTF-8 in the sink's mailbox (a Uint8Array of realtime.js), lines
	// separated by "\n": a connection's id, then the JSON envelopes of its
	// messages, one a line, as they came from the server (Envelope.Raw).
	// JavaScript parses each, as a plain WebSocket client would; nothing
	// decoded in Go is encoded again. The object id is 0.
	KindMessages
	// KindToken asks a connection's or a stream's getToken for a token:
	// the number of the ask, for Bridge.Token.
	KindToken
)

// Kinds names the kinds for JavaScript, so that realtime.js does not
// repeat the numbers.
var Kinds = map[string]Kind{
	"message":       KindMessage,
	"state":         KindState,
	"error":         KindError,
	"streamState":   KindStreamState,
	"streamEvent":   KindStreamEvent,
	"presence":      KindPresence,
	"count":         KindCount,
	"notifications": KindNotifications,
	"notification":  KindNotification,
	"toasts":        KindToasts,
	"query":         KindQuery,
	"reply":         KindReply,
	"live":          KindLive,
	"messages":      KindMessages,
	"token":         KindToken,
}

// object is something JavaScript opened.
type object interface {
	// kind names it in errors and Stats ("connection", ...).
	kind() string
	// close releases what it holds. The bridge has forgotten it already.
	close()
}

// child is an object that works over a connection and closes with it.
type child interface {
	object
	parent() int
}

// Bridge holds the objects JavaScript opened, by the ids it gave them.
// It is safe for concurrent use.
type Bridge struct {
	sink Sink

	mu       sync.Mutex
	objects  map[int]object
	children map[int]map[int]bool // connection id -> ids of its children
	shutdown bool
	// lastSocket is the connection connOfSocket found last: a page has
	// one or a few, and each of its batches asks.
	lastSocket int
}

// New returns a bridge that tells JavaScript through sink.
func New(sink Sink) *Bridge {
	return &Bridge{sink: sink, objects: map[int]object{}, children: map[int]map[int]bool{}}
}

// add registers o under id, which must be new.
func (b *Bridge) add(id int, o object) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.shutdown:
		return ErrShutdown
	case id <= 0:
		return fmt.Errorf("%w: id %d", ErrArgument, id)
	case b.objects[id] != nil:
		return fmt.Errorf("%w: id %d is taken", ErrArgument, id)
	}
	if c, ok := o.(child); ok {
		if b.children[c.parent()] == nil {
			return fmt.Errorf("%w: connection %d", ErrClosed, c.parent())
		}
		b.children[c.parent()][id] = true
	}
	if o.kind() == kindConnection {
		b.children[id] = map[int]bool{}
	}
	b.objects[id] = o
	return nil
}

// get returns object id, of type T.
func get[T object](b *Bridge, id int) (T, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	o, ok := b.objects[id].(T)
	if !ok {
		if b.shutdown {
			return o, ErrShutdown
		}
		return o, fmt.Errorf("%w: %s %d", ErrClosed, o.kind(), id)
	}
	return o, nil
}

// Close closes object id and, for a connection, everything opened over
// it, children first. Closing what is closed does nothing.
func (b *Bridge) Close(id int) {
	b.mu.Lock()
	victims := b.forgetLocked(id)
	b.mu.Unlock()
	for _, o := range victims {
		o.close()
	}
}

// forgetLocked removes id, and its children, and returns them in the
// order to close them.
func (b *Bridge) forgetLocked(id int) []object {
	o, ok := b.objects[id]
	if !ok {
		return nil
	}
	delete(b.objects, id)
	var victims []object
	for _, k := range slices.Sorted(maps.Keys(b.children[id])) {
		if c, ok := b.objects[k]; ok {
			delete(b.objects, k)
			victims = append(victims, c)
		}
	}
	delete(b.children, id)
	if c, ok := o.(child); ok {
		delete(b.children[c.parent()], id)
	}
	return append(victims, o)
}

// Shutdown closes everything and refuses new objects.
func (b *Bridge) Shutdown() {
	b.mu.Lock()
	b.shutdown = true
	var victims []object
	for _, id := range slices.Sorted(maps.Keys(b.objects)) {
		victims = append(victims, b.forgetLocked(id)...)
	}
	b.mu.Unlock()
	for _, o := range victims {
		o.close()
	}
}

// Stats counts the open objects by kind, and the channels JavaScript
// subscribed to: what a leak would show.
func (b *Bridge) Stats() map[string]int {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := map[string]int{}
	for _, o := range b.objects {
		s[o.kind()]++
		if c, ok := o.(*conn); ok && c.channels() > 0 {
			s["channels"] += c.channels()
		}
	}
	return s
}

// millis is d in milliseconds, for JavaScript.
func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
