package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// History keeps the latest messages of every channel, so that a subscriber
// that comes back gets exactly what it missed, and the publishes it
// accepted, so that a publish sent twice is delivered once. A store that
// outlives the server ([FileHistory]) carries both across a restart.
//
// The server calls it under a lock of the channel: calls for one channel
// never overlap, and a Head followed by an Append is one step. Calls for
// different channels may run at once.
type History interface {
	// Head returns the id of channel's latest message, 0 when the store
	// knows none, and publisher's mark on channel: the highest Seq of its
	// messages the store accepted, 0 when none (or publisher is empty).
	Head(channel, publisher string) (last, mark uint64, err error)

	// Append keeps m as channel's latest message; m.ID is above the last
	// one. The oldest messages past the store's bound are dropped. A
	// message with a Publisher raises that publisher's mark to m.Seq.
	Append(channel string, m HistoryMessage) error

	// Since returns the messages of channel after id that are kept, oldest
	// first; none when id is the latest, and every one kept when id is 0.
	// When some after id are no longer kept (after 0: some were dropped),
	// or id is above the latest (issued by an earlier store, or never), it
	// returns every message kept and an error wrapping [ErrHistoryLost].
	// Callers must not modify the messages' Data.
	Since(channel string, id uint64) ([]HistoryMessage, error)
}

// HistoryMessage is one message of a channel as a [History] keeps it.
type HistoryMessage struct {
	ID        uint64          `json:"id"`
	Publisher string          `json:"pub,omitempty"` // from the publish's id "<publisher>:<seq>"
	Seq       uint64          `json:"seq,omitempty"`
	Timestamp int64           `json:"ts"` // Unix ms
	Data      json.RawMessage `json:"data,omitempty"`
}

// ErrHistoryLost is wrapped by [History.Since] when messages after the
// asked id are no longer kept.
var ErrHistoryLost = errors.New("server: history lost")

// Defaults of [NewMemoryHistory].
const (
	DefaultHistorySize     = 100
	DefaultHistoryChannels = 10000
	// maxPublishers bounds the publishers whose marks one channel keeps;
	// past it the one that published least recently is forgotten, and a
	// repeat of its publishes would be delivered again.
	maxPublishers = 1000
)

// MemoryHistory is a [History] in memory, for one server process: a
// restart loses it. It keeps the latest size messages of each of the
// latest channels published on.
type MemoryHistory struct {
	mu       sync.Mutex
	size     int
	channels int
	logs     map[string]*channelLog
	clock    uint64 // counts appends: what "least recently" means below
}

var _ History = (*MemoryHistory)(nil)

// NewMemoryHistory keeps the latest size messages of a channel (0 means
// [DefaultHistorySize]) for at most channels channels (0 means
// [DefaultHistoryChannels]); past it, the channel published on least
// recently is forgotten, its ids included.
func NewMemoryHistory(size, channels int) *MemoryHistory {
	if size <= 0 {
		size = DefaultHistorySize
	}
	if channels <= 0 {
		channels = DefaultHistoryChannels
	}
	return &MemoryHistory{size: size, channels: channels, logs: make(map[string]*channelLog)}
}

// Head implements [History].
func (h *MemoryHistory) Head(channel, publisher string) (last, mark uint64, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	l := h.logs[channel]
	if l == nil {
		return 0, 0, nil
	}
	return l.last, l.marks[publisher].seq, nil
}

// Append implements [History].
func (h *MemoryHistory) Append(channel string, m HistoryMessage) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	l := h.logs[channel]
	if l == nil {
		if len(h.logs) >= h.channels {
			h.evictLocked()
		}
		l = newChannelLog(h.size)
		h.logs[channel] = l
	}
	if err := l.append(m); err != nil {
		return fmt.Errorf("failed to keep a message of %q: %w", channel, err)
	}
	h.clock++
	l.used = h.clock
	return nil
}

// Since implements [History].
func (h *MemoryHistory) Since(channel string, id uint64) ([]HistoryMessage, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.logs[channel].since(channel, id)
}

// evictLocked forgets the channel published on least recently.
func (h *MemoryHistory) evictLocked() {
	delete(h.logs, leastRecent(h.logs, func(l *channelLog) uint64 { return l.used }))
}

// leastRecent returns the key of m whose value has the lowest age.
func leastRecent[V any](m map[string]V, age func(V) uint64) string {
	var (
		victim string
		oldest uint64
		found  bool
	)
	for k, v := range m {
		if a := age(v); !found || a < oldest {
			victim, oldest, found = k, a, true
		}
	}
	return victim
}

// channelLog is what a history holds of one channel: a ring of its latest
// messages, the id of the last one and the publishers' marks.
type channelLog struct {
	start uint64 // id of the first message ever kept
	last  uint64
	size  int              // the most messages held
	ring  []HistoryMessage // ring[(first+i)%len(ring)] is the i-th oldest held; grows up to size
	first int
	held  int
	marks map[string]mark
	used  uint64 // MemoryHistory.clock at the last append
}

// mark is the highest seq a publisher had accepted on a channel, and the
// id of that message, which tells the least recent publisher.
type mark struct {
	seq uint64
	id  uint64
}

func newChannelLog(size int) *channelLog {
	return &channelLog{size: size, marks: make(map[string]mark)}
}

// errIDOrder refuses an Append whose id is not above the last one.
var errIDOrder = errors.New("server: message id not above the last one")

func (l *channelLog) append(m HistoryMessage) error {
	if m.ID <= l.last {
		return fmt.Errorf("%w: %d after %d", errIDOrder, m.ID, l.last)
	}
	l.last = m.ID
	if l.start == 0 {
		l.start = m.ID
	}
	if m.Publisher != "" {
		l.setMark(m.Publisher, mark{seq: m.Seq, id: m.ID})
	}
	if l.held < l.size {
		// The ring fills before it wraps: first is 0 until then.
		l.ring = append(l.ring, m)
		l.held++
		return nil
	}
	l.ring[l.first] = m
	l.first = (l.first + 1) % len(l.ring)
	return nil
}

func (l *channelLog) setMark(publisher string, m mark) {
	if _, ok := l.marks[publisher]; !ok && len(l.marks) >= maxPublishers {
		delete(l.marks, leastRecent(l.marks, func(k mark) uint64 { return k.id }))
	}
	l.marks[publisher] = m
}

// since applies [History.Since] to a log, nil for a channel the store
// does not know.
func (l *channelLog) since(channel string, id uint64) ([]HistoryMessage, error) {
	var last uint64
	if l != nil {
		last = l.last
	}
	if id == last {
		return nil, nil
	}
	var out []HistoryMessage
	oldest := last + 1 // when none is held
	if l != nil && l.held > 0 {
		oldest = l.ring[l.first].ID
		for i := range l.held {
			m := l.ring[(l.first+i)%len(l.ring)]
			if id > last || m.ID > id {
				out = append(out, m)
			}
		}
	}
	switch {
	case id > last:
		return out, fmt.Errorf("%w on %q: message %d was never issued here, the latest is %d", ErrHistoryLost, channel, id, last)
	case id == 0 && oldest > l.start:
		return out, fmt.Errorf("%w on %q: the oldest messages are gone, the oldest kept is %d", ErrHistoryLost, channel, oldest)
	case id == 0:
	case id+1 < oldest:
		return out, fmt.Errorf("%w on %q: the messages after %d are gone, the oldest kept is %d", ErrHistoryLost, channel, id, oldest)
	}
	return out, nil
}

// errBadPublishID refuses a publish whose id is not "<publisher>:<seq>".
var errBadPublishID = errors.New(`server: a publish id must be "<publisher>:<seq>", seq a whole number above 0`)

// parsePublishID splits a publish's id "<publisher>:<seq>"; an empty id
// has no publisher.
func parsePublishID(id string) (publisher string, seq uint64, err error) {
	if id == "" {
		return "", 0, nil
	}
	i := strings.LastIndexByte(id, ':')
	if i <= 0 {
		return "", 0, errBadPublishID
	}
	seq, err = strconv.ParseUint(id[i+1:], 10, 64)
	if err != nil || seq == 0 {
		return "", 0, errBadPublishID
	}
	return id[:i], seq, nil
}
