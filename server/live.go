package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"

	"github.com/matih-ai/realtime/wasm/clock"
	"github.com/matih-ai/realtime/wasm/protocol"
)

// Envelope types of live feeds.
const (
	typeLiveSnapshot = "live.snapshot"
	typeLiveDelta    = "live.delta"
	typeLiveResync   = "live.resync"
)

// kindLive is the channel kind of live feeds, "live:<feed>".
const kindLive = "live"

// Ops of a live.delta.
const (
	opAppend  = "append"
	opUpsert  = "upsert"
	opRemove  = "remove"
	opReplace = "replace"
)

// Refusals of feed changes and lookups.
var (
	errUnknownFeed = errors.New("server: unknown feed")
	errFeedExists  = errors.New("server: feed exists")
	errBadItem     = errors.New("server: bad feed item")
)

// liveSnapshot is the data of live.snapshot and the body of GET
// /live/<feed>: the whole feed after delta seq.
type liveSnapshot struct {
	Seq   uint64            `json:"seq"`
	Key   string            `json:"key"`
	Items []json.RawMessage `json:"items"`
	Max   int               `json:"max,omitempty"`
}

// liveDelta is the data of live.delta: one change, numbered one by one
// per feed. Items is set for append, upsert and replace, Keys for remove.
type liveDelta struct {
	Seq   uint64            `json:"seq"`
	Op    string            `json:"op"`
	Items []json.RawMessage `json:"items,omitempty"`
	Keys  []string          `json:"keys,omitempty"`
}

// Feed is a live data feed, served on channel "live:<name>": an ordered
// list of JSON objects, each identified by the string in its key field.
// A subscriber gets a snapshot, then every change as a numbered delta.
// Its methods are safe from any goroutine and never block on a slow
// subscriber; each returns the number of the delta it sent, or of the
// last one when nothing changed. A feed is in memory and single node.
type Feed struct {
	name    string
	channel string
	key     string
	max     int
	hub     *hub
	clock   clock.Clock
	log     *slog.Logger

	// mu makes a change, its number and its fan-out one step, and a
	// subscription and its snapshot another, so a subscriber gets every
	// delta after its snapshot, in order. Lock order: Feed.mu, then hub.mu.
	mu    sync.Mutex
	seq   uint64
	items []feedItem
	index map[string]int // key -> position in items
}

// feedItem is an item as sent, with its key.
type feedItem struct {
	key string
	raw json.RawMessage
}

// NewFeed creates the feed name, served on "live:<name>", whose items are
// identified by their field key; keep > 0 keeps only the latest keep items
// after an append. Feeds live as long as the server.
func (s *Server) NewFeed(name, key string, keep int) (*Feed, error) {
	return s.feeds.add(name, key, keep)
}

// Name returns the name of the feed.
func (f *Feed) Name() string { return f.name }

// Append adds items at the end, then drops the oldest beyond the feed's
// max. An item whose key the feed holds already is refused: use Upsert.
func (f *Feed) Append(items ...any) (uint64, error) {
	add, err := f.encode(items)
	if err != nil {
		return 0, fmt.Errorf("failed to append to feed %q: %w", f.name, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, it := range add {
		if _, ok := f.index[it.key]; ok {
			return 0, fmt.Errorf("failed to append to feed %q: %w: key %q is in the feed already", f.name, errBadItem, it.key)
		}
	}
	if len(add) == 0 {
		return f.seq, nil
	}
	f.items = append(f.items, add...)
	if f.max > 0 && len(f.items) > f.max {
		f.items = slices.Delete(f.items, 0, len(f.items)-f.max)
	}
	f.reindexLocked()
	return f.sendLocked(opAppend, add, nil), nil
}

// Upsert replaces each item that has the key of one the feed holds, in
// place, and appends the others, in order. Only an append trims the feed
// to its max, so an upsert that would take it past its max is refused.
func (f *Feed) Upsert(items ...any) (uint64, error) {
	put, err := f.encode(items)
	if err != nil {
		return 0, fmt.Errorf("failed to upsert into feed %q: %w", f.name, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(put) == 0 {
		return f.seq, nil
	}
	if f.max > 0 {
		added := make(map[string]bool)
		for _, it := range put {
			if _, ok := f.index[it.key]; !ok {
				added[it.key] = true
			}
		}
		if len(f.items)+len(added) > f.max {
			return 0, fmt.Errorf("failed to upsert into feed %q: %w: %d new items would take it past its max of %d", f.name, errBadItem, len(added), f.max)
		}
	}
	for _, it := range put {
		if i, ok := f.index[it.key]; ok {
			f.items[i] = it
			continue
		}
		f.index[it.key] = len(f.items)
		f.items = append(f.items, it)
	}
	return f.sendLocked(opUpsert, put, nil), nil
}

// Remove removes the items of keys; keys the feed does not hold are
// ignored, and when none is held nothing is sent.
func (f *Feed) Remove(keys ...string) uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	drop := make(map[string]bool, len(keys))
	var removed []string
	for _, k := range keys {
		if _, ok := f.index[k]; ok && !drop[k] {
			drop[k] = true
			removed = append(removed, k)
		}
	}
	if len(removed) == 0 {
		return f.seq
	}
	f.items = slices.DeleteFunc(f.items, func(it feedItem) bool { return drop[it.key] })
	f.reindexLocked()
	return f.sendLocked(opRemove, nil, removed)
}

// Replace makes items the whole feed. Two items with one key are refused.
func (f *Feed) Replace(items ...any) (uint64, error) {
	all, err := f.encode(items)
	if err != nil {
		return 0, fmt.Errorf("failed to replace feed %q: %w", f.name, err)
	}
	seen := make(map[string]bool, len(all))
	for _, it := range all {
		if seen[it.key] {
			return 0, fmt.Errorf("failed to replace feed %q: %w: key %q twice", f.name, errBadItem, it.key)
		}
		seen[it.key] = true
	}
	if f.max > 0 && len(all) > f.max {
		return 0, fmt.Errorf("failed to replace feed %q: %w: %d items, the most is %d", f.name, errBadItem, len(all), f.max)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.items = all
	f.reindexLocked()
	return f.sendLocked(opReplace, all, nil), nil
}

// Seq returns the number of the feed's last delta.
func (f *Feed) Seq() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.seq
}

// snapshot returns the feed as it is after its last delta.
func (f *Feed) snapshot() liveSnapshot {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.snapshotLocked()
}

func (f *Feed) snapshotLocked() liveSnapshot {
	items := make([]json.RawMessage, len(f.items))
	for i, it := range f.items {
		items[i] = it.raw
	}
	return liveSnapshot{Seq: f.seq, Key: f.key, Items: items, Max: f.max}
}

// subscribe subscribes c to the feed and queues its snapshot, in one step,
// so every delta after the snapshot follows it. The snapshot is queued
// without waiting, like the deltas: a client whose buffer is full is too
// slow and is closed, rather than the feed waiting for it.
func (f *Feed) subscribe(c *client) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.hub.subscribe(c, f.channel); err != nil {
		return err
	}
	f.sendSnapshotLocked(c)
	return nil
}

// resync queues a fresh snapshot for c, ahead of every later delta.
func (f *Feed) resync(c *client) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sendSnapshotLocked(c)
}

func (f *Feed) sendSnapshotLocked(c *client) {
	frame, err := encodeEnvelope(typeLiveSnapshot, f.channel, f.snapshotLocked(), f.clock.Now())
	if err != nil {
		f.log.Error("failed to encode a feed snapshot", "feed", f.name, "err", err)
		return
	}
	c.enqueue(frame)
}

// sendLocked numbers a change and sends it to the subscribers.
func (f *Feed) sendLocked(op string, items []feedItem, keys []string) uint64 {
	f.seq++
	d := liveDelta{Seq: f.seq, Op: op, Keys: keys}
	if items != nil {
		d.Items = make([]json.RawMessage, len(items))
		for i, it := range items {
			d.Items[i] = it.raw
		}
	}
	frame, err := encodeEnvelope(typeLiveDelta, f.channel, d, f.clock.Now())
	if err != nil {
		// Items are JSON already: only a bug gets here. Subscribers see a
		// gap and resync.
		f.log.Error("failed to encode a feed delta", "feed", f.name, "err", err)
		return f.seq
	}
	f.hub.broadcast(f.channel, frame)
	return f.seq
}

func (f *Feed) reindexLocked() {
	clear(f.index)
	for i, it := range f.items {
		f.index[it.key] = i
	}
}

// encode turns items into JSON objects and finds their keys.
func (f *Feed) encode(items []any) ([]feedItem, error) {
	out := make([]feedItem, 0, len(items))
	for i, v := range items {
		raw, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("%w: item %d: %w", errBadItem, i, err)
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
			return nil, fmt.Errorf("%w: item %d is not a JSON object", errBadItem, i)
		}
		var key string
		if err := json.Unmarshal(fields[f.key], &key); err != nil || key == "" {
			return nil, fmt.Errorf("%w: item %d has no string %q", errBadItem, i, f.key)
		}
		out = append(out, feedItem{key: key, raw: raw})
	}
	return out, nil
}

// feeds is the registry of the server's feeds, and of the demo drivers
// that change some of them, each started when its feed is first asked
// for and stopped by close.
type feeds struct {
	hub   *hub
	clock clock.Clock
	log   *slog.Logger

	mu     sync.Mutex
	closed bool
	byName map[string]*Feed
	demos  map[string]*liveDemo
}

func newFeeds(h *hub, opts Options) *feeds {
	return &feeds{
		hub:    h,
		clock:  opts.Clock,
		log:    opts.Logger,
		byName: make(map[string]*Feed),
		demos:  make(map[string]*liveDemo),
	}
}

func (r *feeds) add(name, key string, keep int) (*Feed, error) {
	channel := kindLive + ":" + name
	if err := protocol.ValidChannel(channel); err != nil || strings.Contains(name, ":") {
		return nil, fmt.Errorf("failed to create feed %q: the name must be letters, digits and _-.@", name)
	}
	if key == "" {
		return nil, fmt.Errorf("failed to create feed %q: %w: no key field", name, errBadItem)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.byName[name]; ok {
		return nil, fmt.Errorf("failed to create feed %q: %w", name, errFeedExists)
	}
	f := &Feed{
		name:    name,
		channel: channel,
		key:     key,
		max:     max(keep, 0),
		hub:     r.hub,
		clock:   r.clock,
		log:     r.log,
		items:   []feedItem{},
		index:   make(map[string]int),
	}
	r.byName[name] = f
	return f, nil
}

// get returns the feed of name, starting its demo driver if it has one,
// or errUnknownFeed.
func (r *feeds) get(name string) (*Feed, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f := r.byName[name]
	if f == nil {
		return nil, fmt.Errorf("%w: %q", errUnknownFeed, name)
	}
	if d := r.demos[name]; d != nil && !r.closed {
		d.start()
	}
	return f, nil
}

// demo returns the demo driver of a feed, or nil.
func (r *feeds) demo(name string) *liveDemo {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.demos[name]
}

// close stops every demo driver; the server is going away.
func (r *feeds) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	for _, d := range r.demos {
		d.stop()
	}
}

// liveName returns the feed of a "live:<feed>" channel.
func liveName(channel string) string {
	return strings.TrimPrefix(channel, kindLive+":")
}
