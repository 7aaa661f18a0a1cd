package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/matih-ai/realtime/wasm/clock"
	"github.com/matih-ai/realtime/wasm/notify"
	"github.com/matih-ai/realtime/wasm/protocol"
)

// kindNotifications is the channel kind of a user's notifications.
var kindNotifications = protocol.ChannelKind(notify.Channel("_"))

// Notify numbers n as the user's next notification, keeps it in
// [Options.History] for clients that reconnect and sends it as notify.new
// to the subscribers of "notifications:<user>". It fills Seq, ID
// ("<user>-<seq>") when empty and Time (now, Unix ms) when zero, drops
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

// errNotifyChannel refuses [Server.Publish] on a notifications channel.
var errNotifyChannel = errors.New("server: notifications are sent with Notify")

// inboxes keeps the latest notifications of every user in the hub's
// history, on the user's channel: their seqs are the history's ids, so
// they keep growing across restarts and a client that kept notifications
// from an earlier instance neither takes new ones for repeats nor resumes
// past them.
type inboxes struct {
	hub   *hub
	clock clock.Clock
}

func newInboxes(h *hub, opts Options) *inboxes {
	return &inboxes{hub: h, clock: opts.Clock}
}

func (b *inboxes) add(user string, n notify.Notification) (notify.Notification, error) {
	channel := notify.Channel(user)
	l := b.hub.lock(channel)
	l.Lock()
	defer l.Unlock()
	last, _, err := b.hub.history.Head(channel, "")
	if err != nil {
		return notify.Notification{}, err
	}
	now := b.clock.Now()
	n.Seq = nextID(last, now)
	if n.ID == "" {
		n.ID = user + "-" + strconv.FormatUint(n.Seq, 10)
	}
	if n.Time == 0 {
		n.Time = now.UnixMilli()
	}
	n.State = ""
	if err := n.Validate(); err != nil {
		return notify.Notification{}, err
	}
	data, err := json.Marshal(n)
	if err != nil {
		return notify.Notification{}, fmt.Errorf("failed to encode the notification: %w", err)
	}
	frame, err := protocol.Encode(protocol.Envelope{Type: notify.TypeNew, Channel: channel, Data: data, Timestamp: now.UnixMilli()})
	if err != nil {
		return notify.Notification{}, err
	}
	if err := b.hub.history.Append(channel, HistoryMessage{ID: n.Seq, Timestamp: now.UnixMilli(), Data: data}); err != nil {
		return notify.Notification{}, err
	}
	b.hub.broadcast(channel, frame)
	return n, nil
}

// since returns the user's kept notifications after seq, oldest first,
// and whether some after it are no longer kept, or seq was not issued
// here: it may come from a history that a restart lost.
func (b *inboxes) since(user string, after uint64) (notify.BatchData, error) {
	msgs, err := b.hub.history.Since(notify.Channel(user), after)
	if err != nil && !errors.Is(err, ErrHistoryLost) {
		return notify.BatchData{}, err
	}
	d := notify.BatchData{Items: make([]notify.Notification, 0, len(msgs)), Lost: err != nil}
	for _, m := range msgs {
		var n notify.Notification
		if json.Unmarshal(m.Data, &n) == nil {
			d.Items = append(d.Items, n)
		}
	}
	return d, nil
}

// notifyUser returns the user of a "notifications:<user>" channel.
func notifyUser(channel string) string {
	return strings.TrimPrefix(channel, kindNotifications+":")
}
