package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/matih-ai/realtime/wasm/clock"
	"github.com/matih-ai/realtime/wasm/protocol"
)

// errTooManyChannels refuses a subscription over Options.MaxSubscriptions.
var errTooManyChannels = errors.New("server: too many channels")

// hub routes published messages to the subscribers of each channel. It is
// in memory and single node. Publishing never blocks: a subscriber whose
// send buffer is full is closed instead (see client.enqueue).
type hub struct {
	clock   clock.Clock
	maxSubs int

	// mu guards channels, every channel's subscriber set and every client's
	// subs. Publishers share it; subscription changes take it alone.
	mu       sync.RWMutex
	channels map[string]*channel
}

// channel is the state of one channel with at least one subscriber.
type channel struct {
	subs map[*client]struct{}

	// mu makes numbering and fan-out one step, so concurrent publishers on
	// one channel deliver in id order to everyone.
	mu  sync.Mutex
	seq uint64
}

func newHub(clk clock.Clock, maxSubs int) *hub {
	return &hub{clock: clk, maxSubs: maxSubs, channels: make(map[string]*channel)}
}

// subscribe adds c to a channel; joining twice is not an error.
func (h *hub) subscribe(c *client, name string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if c.isClosing() {
		// removeClient may already have run; adding now would leak c.
		return nil
	}
	if _, ok := c.subs[name]; ok {
		return nil
	}
	if len(c.subs) >= h.maxSubs {
		return errTooManyChannels
	}
	ch := h.channels[name]
	if ch == nil {
		ch = &channel{subs: make(map[*client]struct{})}
		h.channels[name] = ch
	}
	ch.subs[c] = struct{}{}
	c.subs[name] = struct{}{}
	return nil
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

// publish sends data as the next message of a channel to every subscriber.
func (h *hub) publish(name string, data json.RawMessage) error {
	h.mu.RLock()
	defer h.mu.RUnlock()
	ch := h.channels[name]
	if ch == nil {
		return nil
	}
	ch.mu.Lock()
	defer ch.mu.Unlock()
	ch.seq++
	frame, err := encodeMessage(name, data, ch.seq, h.clock.Now())
	if err != nil {
		return err
	}
	for c := range ch.subs {
		c.enqueue(frame)
	}
	return nil
}

// broadcast sends an encoded envelope to every subscriber of a channel.
// The bytes are shared and must never be modified.
func (h *hub) broadcast(name string, frame []byte) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	ch := h.channels[name]
	if ch == nil {
		return
	}
	for c := range ch.subs {
		c.enqueue(frame)
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
				n = max(n, len(c.send))
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
func encodeMessage(name string, data json.RawMessage, seq uint64, now time.Time) ([]byte, error) {
	frame, err := protocol.Encode(protocol.Envelope{
		Type:      protocol.TypeMessage,
		Channel:   name,
		Data:      data,
		ID:        strconv.FormatUint(seq, 10),
		Timestamp: now.UnixMilli(),
	})
	if err != nil {
		return nil, fmt.Errorf("failed to encode message on %q: %w", name, err)
	}
	return frame, nil
}
