package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/matih-ai/realtime/wasm/clock"
	"github.com/matih-ai/realtime/wasm/protocol"
)

// errTooManyChannels refuses a subscription over Options.MaxSubscriptions.
var errTooManyChannels = errors.New("server: too many channels")

// hub routes published messages to the subscribers of each channel, in
// memory on one node. Publishing never blocks: a subscriber whose send
// buffer is full is closed instead (see client.enqueue), and comes back
// for what it missed from the history.
//
// Lock order: a channel's lock (see lock), then mu.
type hub struct {
	clock   clock.Clock
	maxSubs int
	history History

	// locks make numbering, keeping and fan-out of a channel's message one
	// step, and a subscriber's replay and joining another: a channel's
	// subscribers get its messages in id order, the replay followed by
	// exactly the live ones after it. Channels share them by hash.
	locks [64]sync.Mutex

	// mu guards channels, every channel's subscriber set and every client's
	// subs. Publishers share it; subscription changes take it alone.
	mu       sync.RWMutex
	channels map[string]*channel

	// Counts, for tests and diagnostics.
	repeats  atomic.Int64 // publishes dropped as repeats
	replayed atomic.Int64 // messages sent again to subscribers that resumed
}

// channel is the subscribers of one channel with at least one.
type channel struct {
	subs map[*client]struct{}
}

func newHub(clk clock.Clock, maxSubs int, history History) *hub {
	return &hub{clock: clk, maxSubs: maxSubs, history: history, channels: make(map[string]*channel)}
}

// lock returns the lock of a channel.
func (h *hub) lock(name string) *sync.Mutex {
	x := uint32(2166136261) // FNV-1a
	for i := range len(name) {
		x = (x ^ uint32(name[i])) * 16777619
	}
	return &h.locks[x%uint32(len(h.locks))]
}

// subscribe adds c to a channel without a history; joining twice is not
// an error.
func (h *hub) subscribe(c *client, name string) error {
	_, err := h.add(c, name)
	return err
}

// add adds c to a channel's subscribers and reports whether it joined now.
func (h *hub) add(c *client, name string) (joined bool, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if c.isClosing() {
		// removeClient may already have run; adding now would leak c.
		return false, nil
	}
	if _, ok := c.subs[name]; ok {
		return false, nil
	}
	if len(c.subs) >= h.maxSubs {
		return false, errTooManyChannels
	}
	ch := h.channels[name]
	if ch == nil {
		ch = &channel{subs: make(map[*client]struct{})}
		h.channels[name] = ch
	}
	ch.subs[c] = struct{}{}
	c.subs[name] = struct{}{}
	return true, nil
}

// unsubscribe removes c from a channel and reports whether it was there.
func (h *hub) unsubscribe(c *client, name string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := c.subs[name]; !ok {
		return false
	}
	h.leaveLocked(c, name)
	return true
}

// removeClient drops every subscription of a closing client and returns
// the channels it was subscribed to.
func (h *hub) removeClient(c *client) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	names := make([]string, 0, len(c.subs))
	for name := range c.subs {
		names = append(names, name)
		h.leaveLocked(c, name)
	}
	return names
}

func (h *hub) leaveLocked(c *client, name string) {
	delete(c.subs, name)
	ch := h.channels[name]
	if ch == nil {
		return
	}
	delete(ch.subs, c)
	if len(ch.subs) == 0 {
		delete(h.channels, name)
	}
}

// publish numbers data as the next message of a channel, keeps it in the
// history and sends it to every subscriber. A publish with a publisher
// whose mark on the channel is at or past seq was accepted before: it is
// dropped, and publish reports dup.
func (h *hub) publish(name string, data json.RawMessage, publisher string, seq uint64) (dup bool, err error) {
	l := h.lock(name)
	l.Lock()
	defer l.Unlock()
	last, mark, err := h.history.Head(name, publisher)
	if err != nil {
		return false, err
	}
	if publisher != "" && seq <= mark {
		h.repeats.Add(1)
		return true, nil
	}
	frame, _, err := h.keepLocked(name, last, publisher, seq, data)
	if err != nil {
		return false, err
	}
	h.broadcast(name, frame)
	return false, nil
}

// publishAll publishes each of data on a channel, in order, as one step:
// no other publish on the channel comes between them, and each subscriber
// gets them queued together, so that its writer sends them in frames as
// full as it can rather than as they come. A subscriber whose queue
// cannot hold them all is closed, as one that falls behind is.
func (h *hub) publishAll(name string, data []json.RawMessage) error {
	l := h.lock(name)
	l.Lock()
	defer l.Unlock()
	last, _, err := h.history.Head(name, "")
	if err != nil {
		return err
	}
	frames := make([][]byte, len(data))
	for i, d := range data {
		if frames[i], last, err = h.keepLocked(name, last, "", 0, d); err != nil {
			// The history kept those before: the subscribers get them too,
			// rather than only on a replay.
			if i > 0 {
				h.broadcast(name, frames[:i]...)
			}
			return err
		}
	}
	h.broadcast(name, frames...)
	return nil
}

// keepLocked numbers data as the message of a channel after last, keeps
// it in the history, and returns its frame and its id. The caller holds
// the channel's lock.
func (h *hub) keepLocked(name string, last uint64, publisher string, seq uint64, data json.RawMessage) (frame []byte, id uint64, err error) {
	now := h.clock.Now()
	m := HistoryMessage{ID: nextID(last, now), Publisher: publisher, Seq: seq, Timestamp: now.UnixMilli(), Data: data}
	if frame, err = encodeMessage(name, m); err != nil {
		return nil, 0, err
	}
	if err := h.history.Append(name, m); err != nil {
		return nil, 0, err
	}
	return frame, m.ID, nil
}

// nextID numbers the message after last. A channel the history does not
// know starts at the time in microseconds, so that its ids go on growing
// across a restart that lost the history: a client that kept an id from
// before is told of the loss instead of taking new messages for old ones.
func nextID(last uint64, now time.Time) uint64 {
	if last == 0 {
		return max(uint64(now.UnixMicro()), 1)
	}
	return last + 1
}

// join subscribes c to a channel with a history, sends it first the
// messages after since, when given, and returns the id of the channel's
// latest message. When messages after since are lost, c gets a
// history_lost error naming the channel, then every message kept. Joining
// twice is not an error, and replays nothing.
func (h *hub) join(c *client, name string, since *uint64) (last uint64, err error) {
	l := h.lock(name)
	l.Lock()
	defer l.Unlock()
	last, _, err = h.history.Head(name, "")
	if err != nil {
		return 0, err
	}
	var (
		replay []HistoryMessage
		lost   error
	)
	if since != nil {
		replay, lost = h.history.Since(name, *since)
		if lost != nil && !errors.Is(lost, ErrHistoryLost) {
			return 0, lost
		}
	}
	joined, err := h.add(c, name)
	if err != nil || !joined {
		return last, err
	}
	if lost != nil {
		e := protocol.NewError("", protocol.CodeHistoryLost, strings.TrimPrefix(lost.Error(), "server: "))
		e.Channel = name
		if frame, err := protocol.Encode(e); err == nil {
			c.enqueue(frame)
		}
	}
	h.replay(c, name, replay)
	h.replayed.Add(int64(len(replay)))
	return last, nil
}

// replay queues messages to c joined into frames of up to maxBatchBytes,
// so that a long replay takes a few places of the send buffer.
func (h *hub) replay(c *client, name string, msgs []HistoryMessage) {
	var buf []byte
	for _, m := range msgs {
		frame, err := encodeMessage(name, m)
		if err != nil {
			continue // kept by publish, which encoded it: cannot happen
		}
		if len(buf) > 0 && len(buf)+1+len(frame) > maxBatchBytes {
			c.enqueue(buf)
			buf = nil
		}
		if len(buf) > 0 {
			buf = append(buf, '\n')
		}
		buf = append(buf, frame...)
	}
	if len(buf) > 0 {
		c.enqueue(buf)
	}
}

// broadcast sends encoded envelopes to every subscriber of a channel,
// queued together. The bytes are shared and must never be modified.
func (h *hub) broadcast(name string, frames ...[]byte) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	ch := h.channels[name]
	if ch == nil {
		return
	}
	for c := range ch.subs {
		c.enqueue(frames...)
	}
}

// queued returns the most envelopes waiting to be written to one
// subscriber of a channel, leaving out subscribers being closed.
func (h *hub) queued(name string) int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	n := 0
	if ch := h.channels[name]; ch != nil {
		for c := range ch.subs {
			if !c.isClosing() {
				n = max(n, c.queued())
			}
		}
	}
	return n
}

// subscribers counts the subscribers of a channel.
func (h *hub) subscribers(name string) int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if ch := h.channels[name]; ch != nil {
		return len(ch.subs)
	}
	return 0
}

// encodeEnvelope encodes an envelope of typ whose data is v, once for
// every recipient: the bytes must never be modified.
func encodeEnvelope(typ, channel string, v any, now time.Time) ([]byte, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("failed to encode %s data on %q: %w", typ, channel, err)
	}
	frame, err := protocol.Encode(protocol.Envelope{Type: typ, Channel: channel, Data: data, Timestamp: now.UnixMilli()})
	if err != nil {
		return nil, fmt.Errorf("failed to encode %s on %q: %w", typ, channel, err)
	}
	return frame, nil
}

// encodeMessage encodes a "message" envelope once; every recipient shares
// the bytes, so they must never be modified.
func encodeMessage(name string, m HistoryMessage) ([]byte, error) {
	frame, err := protocol.Encode(protocol.Envelope{
		Type:      protocol.TypeMessage,
		Channel:   name,
		Data:      m.Data,
		ID:        strconv.FormatUint(m.ID, 10),
		Timestamp: m.Timestamp,
	})
	if err != nil {
		return nil, fmt.Errorf("failed to encode message on %q: %w", name, err)
	}
	return frame, nil
}
