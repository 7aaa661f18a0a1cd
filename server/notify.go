package server

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"

	"github.com/matih-ai/realtime/wasm/clock"
	"github.com/matih-ai/realtime/wasm/notify"
	"github.com/matih-ai/realtime/wasm/protocol"
)

// kindNotifications is the channel kind of a user's notifications.
var kindNotifications = protocol.ChannelKind(notify.Channel("_"))

// Notify numbers n as the user's next notification, keeps it for clients
// that reconnect ([Options.NotifyKeep] per user) and sends it as
// notify.new to the subscribers of "notifications:<user>". It fills Seq,
// ID ("<user>-<seq>") when empty and Time (now, Unix ms) when zero, drops
// State (read state is the client's), and returns what was sent. An ID
// the user already had is dropped by the client as a repeat. Safe from any
// goroutine; it never blocks on a slow subscriber.
func (s *Server) Notify(user string, n notify.Notification) (notify.Notification, error) {
	if err := protocol.ValidChannel(notify.Channel(user)); err != nil {
		return notify.Notification{}, fmt.Errorf("failed to notify %q: %w", user, err)
	}
	n, err := s.inboxes.add(user, n)
	if err != nil {
		return notify.Notification{}, fmt.Errorf("failed to notify %q: %w", user, err)
	}
	return n, nil
}

// inboxes keeps the latest notifications of every user, in memory and
// single node; a user's inbox lives as long as the server.
//
// Seqs count up by one per user. An instance starts counting after the
// time it started, in microseconds, so that seqs and the ids made of them
// keep growing across restarts: a client that kept notifications from an
// earlier instance neither takes new ones for repeats nor resumes past
// them.
//
// Lock order: inboxes.mu, then hub.mu.
type inboxes struct {
	hub   *hub
	clock clock.Clock
	log   *slog.Logger
	keep  int
	base  uint64

	mu    sync.Mutex
	users map[string]*inbox
}

// inbox is a ring of a user's latest notifications.
type inbox struct {
	last  uint64 // seq of the newest
	items []notify.Notification
	start int // index of the oldest once the ring is full
}

func newInboxes(h *hub, opts Options) *inboxes {
	return &inboxes{
		hub:   h,
		clock: opts.Clock,
		log:   opts.Logger,
		keep:  opts.NotifyKeep,
		base:  uint64(opts.Clock.Now().UnixMicro()),
		users: make(map[string]*inbox),
	}
}

func (b *inboxes) add(user string, n notify.Notification) (notify.Notification, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	in := b.users[user]
	last := b.base
	if in != nil {
		last = in.last
	}
	n.Seq = last + 1
	if n.ID == "" {
		n.ID = user + "-" + strconv.FormatUint(n.Seq, 10)
	}
	if n.Time == 0 {
		n.Time = b.clock.Now().UnixMilli()
	}
	n.State = ""
	if err := n.Validate(); err != nil {
		return notify.Notification{}, err
	}
	channel := notify.Channel(user)
	frame, err := encodeEnvelope(notify.TypeNew, channel, n, b.clock.Now())
	if err != nil {
		return notify.Notification{}, err
	}
	if in == nil {
		in = &inbox{items: make([]notify.Notification, 0, min(b.keep, 16))}
		b.users[user] = in
	}
	in.push(n, b.keep)
	b.hub.broadcast(channel, frame)
	return n, nil
}

// since returns the user's kept notifications after seq, oldest first,
// and whether some after it are no longer kept. Only what this instance
// dropped counts as lost: an earlier instance's are unknown to it.
func (b *inboxes) since(user string, after uint64) notify.BatchData {
	b.mu.Lock()
	defer b.mu.Unlock()
	d := notify.BatchData{Items: []notify.Notification{}}
	in := b.users[user]
	if in == nil {
		return d
	}
	for i := range in.items {
		n := in.items[(in.start+i)%len(in.items)]
		if n.Seq > after {
			d.Items = append(d.Items, n)
		}
	}
	oldest := in.items[in.start].Seq
	d.Lost = oldest-1 > max(after, b.base)
	return d
}

func (in *inbox) push(n notify.Notification, keep int) {
	in.last = n.Seq
	if len(in.items) < keep {
		in.items = append(in.items, n)
		return
	}
	in.items[in.start] = n
	in.start = (in.start + 1) % keep
}

// notifyUser returns the user of a "notifications:<user>" channel.
func notifyUser(channel string) string {
	return strings.TrimPrefix(channel, kindNotifications+":")
}
