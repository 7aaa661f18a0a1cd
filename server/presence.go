package server

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/matih-ai/realtime/wasm/clock"
	"github.com/matih-ai/realtime/wasm/presence"
	"github.com/matih-ai/realtime/wasm/protocol"
)

// Channel kinds of presence, as the client names them.
var (
	kindPresence      = protocol.ChannelKind(presence.Channel("_"))
	kindPresenceCount = protocol.ChannelKind(presence.CountChannel("_"))
)

// Refusals of presence requests; see presenceCode for their wire codes.
var (
	errBadPresence = errors.New("server: bad presence")
	errRoomFull    = errors.New("server: room full")
	errNotJoined   = errors.New("server: session not joined")
)

// rooms keeps the presence of every resource: its sessions, each tied to
// the connection that joined it, and the number of its last change. It is
// in memory and single node. One lock serves every resource: what runs
// under it is building one envelope and queueing it to the subscribers,
// which never blocks.
//
// Lock order: rooms.mu, then hub.mu.
type rooms struct {
	hub   *hub
	clock clock.Clock
	log   *slog.Logger
	grace time.Duration
	max   int

	mu     sync.Mutex
	closed bool
	// byName holds a resource while it has sessions or subscribers to its
	// presence channel, so that its numbering never restarts under a
	// subscriber's feet.
	byName map[string]*room
	owned  map[*client]map[sessionKey]struct{} // the sessions each connection holds
}

type room struct {
	seq      uint64 // number of the last change
	sessions map[string]*session
}

type session struct {
	meta  presence.Meta
	conn  *client     // nil during the grace
	grace clock.Timer // running while conn is nil
	epoch int         // bumped at every disconnect, so a stale grace timer does nothing
}

type sessionKey struct{ resource, session string }

func newRooms(h *hub, opts Options) *rooms {
	return &rooms{
		hub:    h,
		clock:  opts.Clock,
		log:    opts.Logger,
		grace:  opts.PresenceGrace,
		max:    opts.MaxPresence,
		byName: make(map[string]*room),
		owned:  make(map[*client]map[sessionKey]struct{}),
	}
}

// presenceResource returns the resource of a "presence:" or
// "presence-count:" channel.
func presenceResource(channel string) string {
	_, resource, _ := strings.Cut(channel, ":")
	return resource
}

// subscribe subscribes c to a presence or count channel and sends it the
// resource's state or count. The subscription and the snapshot are one
// step under the lock, so every change after the snapshot reaches c. A
// state carries its number, so it may be queued after the lock, behind a
// later diff, which the client holds until the state comes; a count
// carries none and is queued under the lock, in order.
func (r *rooms) subscribe(c *client, channel string) error {
	resource := presenceResource(channel)
	r.mu.Lock()
	if err := r.hub.subscribe(c, channel); err != nil {
		r.mu.Unlock()
		return err
	}
	if protocol.ChannelKind(channel) == kindPresenceCount {
		if frame := r.countFrameLocked(resource); frame != nil {
			c.enqueue(frame)
		}
		r.mu.Unlock()
		return nil
	}
	frame := r.stateFrameLocked(resource)
	r.mu.Unlock()
	if frame != nil {
		c.enqueueReply(frame)
	}
	return nil
}

// stateFrame encodes the resource's state, for a client that asks for it
// again (presence.sync).
func (r *rooms) stateFrame(resource string) []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stateFrameLocked(resource)
}

// join makes meta present on resource through c: a new session joins, a
// known one (a reconnect within the grace) moves to c and changes only if
// its meta did.
func (r *rooms) join(c *client, resource string, meta presence.Meta) error {
	if err := validMeta(meta); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed || c.isClosing() {
		// disconnect may have run already: a session tied to c now would
		// never start its grace. The client rejoins when it reconnects.
		return nil
	}
	rm := r.byName[resource]
	if rm == nil {
		rm = &room{sessions: make(map[string]*session)}
		r.byName[resource] = rm
	}
	if s := rm.sessions[meta.Session]; s != nil {
		if s.meta.User != meta.User {
			return fmt.Errorf("%w: session %q belongs to another user", errBadPresence, meta.Session)
		}
		r.attachLocked(c, resource, s)
		meta.OnlineAt = s.meta.OnlineAt
		if reflect.DeepEqual(s.meta, meta) {
			return nil // a reconnect: nobody sees anything
		}
		s.meta = meta
		r.changedLocked(resource, rm, presence.Diff{Joins: presence.State{meta.User: {meta}}}, false)
		return nil
	}
	if len(rm.sessions) >= r.max {
		r.collectLocked(resource, rm)
		return fmt.Errorf("%w: %q has %d sessions, the most allowed", errRoomFull, resource, r.max)
	}
	meta.OnlineAt = r.clock.Now().UnixMilli()
	s := &session{meta: meta}
	rm.sessions[meta.Session] = s
	r.attachLocked(c, resource, s)
	r.changedLocked(resource, rm, presence.Diff{Joins: presence.State{meta.User: {meta}}}, true)
	return nil
}

// update replaces the meta of a session c holds.
func (r *rooms) update(c *client, resource string, meta presence.Meta) error {
	if err := validMeta(meta); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	rm, s, err := r.heldLocked(c, resource, meta.Session)
	if err != nil {
		return err
	}
	if s.meta.User != meta.User {
		return fmt.Errorf("%w: session %q belongs to another user", errBadPresence, meta.Session)
	}
	meta.OnlineAt = s.meta.OnlineAt
	if reflect.DeepEqual(s.meta, meta) {
		return nil
	}
	s.meta = meta
	r.changedLocked(resource, rm, presence.Diff{Joins: presence.State{meta.User: {meta}}}, false)
	return nil
}

// leave removes a session c holds.
func (r *rooms) leave(c *client, resource, id string) error {
	if id == "" {
		return fmt.Errorf("%w: leave needs a session", errBadPresence)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	rm, s, err := r.heldLocked(c, resource, id)
	if err != nil {
		return err
	}
	r.removeLocked(resource, rm, s)
	r.changedLocked(resource, rm, presence.Diff{Leaves: presence.State{s.meta.User: {s.meta}}}, true)
	r.collectLocked(resource, rm)
	return nil
}

// unsubscribed leaves, in one diff, the sessions c holds on a resource
// whose presence channel it left.
func (r *rooms) unsubscribed(c *client, resource string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rm := r.byName[resource]
	if rm == nil {
		return
	}
	leaves := presence.State{}
	for key := range r.owned[c] {
		if key.resource != resource {
			continue
		}
		s := rm.sessions[key.session]
		r.removeLocked(resource, rm, s)
		leaves[s.meta.User] = append(leaves[s.meta.User], s.meta)
	}
	if len(leaves) > 0 {
		r.changedLocked(resource, rm, presence.Diff{Leaves: leaves}, true)
	}
	r.collectLocked(resource, rm)
}

// disconnect starts the grace of every session c holds, and forgets the
// resources whose presence channel c was the last to follow. channels are
// those c was subscribed to.
func (r *rooms) disconnect(c *client, channels []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	for key := range r.owned[c] {
		s := r.byName[key.resource].sessions[key.session]
		s.conn = nil
		s.epoch++
		epoch := s.epoch
		s.grace = r.clock.AfterFunc(r.grace, func() { r.expire(key, epoch) })
	}
	delete(r.owned, c)
	for _, ch := range channels {
		if protocol.ChannelKind(ch) != kindPresence {
			continue
		}
		resource := presenceResource(ch)
		if rm := r.byName[resource]; rm != nil {
			r.collectLocked(resource, rm)
		}
	}
}

// expire ends a session whose connection did not come back in time.
func (r *rooms) expire(key sessionKey, epoch int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	rm := r.byName[key.resource]
	if rm == nil {
		return
	}
	s := rm.sessions[key.session]
	if s == nil || s.conn != nil || s.epoch != epoch {
		return // rejoined, or left, since this timer started
	}
	r.removeLocked(key.resource, rm, s)
	r.changedLocked(key.resource, rm, presence.Diff{Leaves: presence.State{s.meta.User: {s.meta}}}, true)
	r.collectLocked(key.resource, rm)
}

// close stops every grace timer; the server is going away.
func (r *rooms) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	for _, rm := range r.byName {
		for _, s := range rm.sessions {
			if s.grace != nil {
				s.grace.Stop()
			}
		}
	}
}

// graceSessions counts the sessions waiting for their connection.
func (r *rooms) graceSessions() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, rm := range r.byName {
		for _, s := range rm.sessions {
			if s.conn == nil {
				n++
			}
		}
	}
	return n
}

func validMeta(m presence.Meta) error {
	switch {
	case m.Session == "":
		return fmt.Errorf("%w: meta needs a session", errBadPresence)
	case m.User == "":
		return fmt.Errorf("%w: meta needs a user", errBadPresence)
	}
	return nil
}

// heldLocked finds a session c holds on resource.
func (r *rooms) heldLocked(c *client, resource, id string) (*room, *session, error) {
	if rm := r.byName[resource]; rm != nil {
		if s := rm.sessions[id]; s != nil && s.conn == c {
			return rm, s, nil
		}
	}
	return nil, nil, fmt.Errorf("%w: this connection holds no session %q on %q", errNotJoined, id, resource)
}

// attachLocked ties s to c, ending its grace or taking it from another
// connection (the same tab, reconnected before the old one was seen dead).
func (r *rooms) attachLocked(c *client, resource string, s *session) {
	if s.conn == c {
		return
	}
	key := sessionKey{resource, s.meta.Session}
	if s.conn != nil {
		delete(r.owned[s.conn], key)
	}
	if s.grace != nil {
		s.grace.Stop()
		s.grace = nil
	}
	s.conn = c
	if r.owned[c] == nil {
		r.owned[c] = make(map[sessionKey]struct{})
	}
	r.owned[c][key] = struct{}{}
}

func (r *rooms) removeLocked(resource string, rm *room, s *session) {
	if s.conn != nil {
		delete(r.owned[s.conn], sessionKey{resource, s.meta.Session})
	}
	if s.grace != nil {
		s.grace.Stop()
	}
	delete(rm.sessions, s.meta.Session)
}

// collectLocked forgets a resource nobody is on or watches.
func (r *rooms) collectLocked(resource string, rm *room) {
	if len(rm.sessions) == 0 && r.hub.subscribers(presence.Channel(resource)) == 0 {
		delete(r.byName, resource)
	}
}

// changedLocked numbers a change and sends it to the presence channel's
// subscribers, and the new counts to the count channel's when sessions
// came or went.
func (r *rooms) changedLocked(resource string, rm *room, d presence.Diff, counts bool) {
	rm.seq++
	channel := presence.Channel(resource)
	if frame := r.encode(presence.TypeDiff, channel, presence.DiffData{Seq: rm.seq, Diff: d}); frame != nil {
		r.hub.broadcast(channel, frame)
	}
	if counts {
		if frame := r.countFrameLocked(resource); frame != nil {
			r.hub.broadcast(presence.CountChannel(resource), frame)
		}
	}
}

func (r *rooms) stateFrameLocked(resource string) []byte {
	d := presence.StateData{State: presence.State{}}
	if rm := r.byName[resource]; rm != nil {
		d.Seq = rm.seq
		for _, s := range rm.sessions {
			d.State[s.meta.User] = append(d.State[s.meta.User], s.meta)
		}
		for _, metas := range d.State {
			slices.SortFunc(metas, func(a, b presence.Meta) int {
				return cmp.Or(cmp.Compare(a.OnlineAt, b.OnlineAt), strings.Compare(a.Session, b.Session))
			})
		}
	}
	return r.encode(presence.TypeState, presence.Channel(resource), d)
}

func (r *rooms) countFrameLocked(resource string) []byte {
	var d presence.CountData
	if rm := r.byName[resource]; rm != nil {
		users := make(map[string]struct{})
		for _, s := range rm.sessions {
			users[s.meta.User] = struct{}{}
		}
		d = presence.CountData{Users: len(users), Sessions: len(rm.sessions)}
	}
	return r.encode(presence.TypeCount, presence.CountChannel(resource), d)
}

// encode builds an envelope; metas come from JSON, so it cannot fail but
// for a bug, which is logged.
func (r *rooms) encode(typ, channel string, data any) []byte {
	frame, err := encodeEnvelope(typ, channel, data, r.clock.Now())
	if err != nil {
		r.log.Error("failed to encode presence", "type", typ, "channel", channel, "err", err)
		return nil
	}
	return frame
}
