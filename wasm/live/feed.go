package live

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/matih-ai/realtime/wasm/protocol"
)

// Errors of the feed model.
var (
	// ErrGap reports deltas missing from a feed's numbering: the view can
	// no longer be trusted and needs a fresh snapshot.
	ErrGap = errors.New("live: deltas are missing; a fresh snapshot is needed")
	// ErrBadData is wrapped by every error about a snapshot, delta or item
	// that does not follow the contract.
	ErrBadData = errors.New("live: bad feed data")
)

// Op is what a delta does to a feed.
type Op string

// Delta operations.
const (
	OpAppend  Op = "append"  // add items at the end, then trim to Max from the front
	OpUpsert  Op = "upsert"  // replace the item with the same key in place, or append it
	OpRemove  Op = "remove"  // remove the items whose keys are listed; unknown keys are ignored
	OpReplace Op = "replace" // the whole list becomes the delta's items
)

// Snapshot is the data of a live.snapshot envelope, and the body of the
// polling endpoint: the whole feed after delta number Seq.
type Snapshot struct {
	Seq uint64 `json:"seq"`
	// Key names the field that identifies an item ("id" for the demo feeds).
	Key   string `json:"key"`
	Items []Item `json:"items"`
	// Max is how many items the feed keeps at most, oldest dropped first;
	// 0 means no bound.
	Max int `json:"max,omitempty"`
}

// Delta is the data of a live.delta envelope: change number Seq of a feed.
type Delta struct {
	Seq   uint64   `json:"seq"`
	Op    Op       `json:"op"`
	Items []Item   `json:"items,omitempty"` // append, upsert, replace
	Keys  []string `json:"keys,omitempty"`  // remove
}

// Item is one element of a feed, a JSON object decoded once on arrival, so
// that rendering a table row or a series point costs no decoding. JSON
// numbers are float64.
//
// A view and the states it hands out share items: never modify one. An
// upsert replaces the item rather than changing it.
type Item map[string]any

// UnmarshalJSON refuses anything but an object, so that a feed of numbers
// or nulls fails with a clear error rather than as items without keys.
func (it *Item) UnmarshalJSON(b []byte) error {
	if len(b) == 0 || b[0] != '{' {
		return fmt.Errorf("%w: an item is not a JSON object: %.40s", ErrBadData, b)
	}
	if m, ok := protocol.DecodeObject(b); ok {
		*it = m // without encoding/json's reflection: the usual item
		return nil
	}
	var m map[string]any
	if err := protocol.Unmarshal(b, &m); err != nil {
		return err
	}
	*it = m
	return nil
}

// String returns a field as text: strings as they are, numbers and booleans
// formatted, "" when the field is missing or null.
func (it Item) String(field string) string {
	switch v := it[field].(type) {
	case nil:
		return ""
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	default:
		b, _ := protocol.Marshal(v)
		return string(b)
	}
}

// Float returns a numeric field; ok is false when it is missing or not a
// number.
func (it Item) Float(field string) (v float64, ok bool) {
	switch n := it[field].(type) {
	case float64:
		return n, true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

// MaxHeld bounds the deltas a view holds while it waits for a snapshot;
// past it the oldest go first, as the snapshot most likely includes them.
const MaxHeld = 1024

// View is one client's copy of a feed: a snapshot, then the deltas
// numbered after it. A delta already in the view is ignored; a missing
// number is a gap, after which the view holds deltas until a fresh
// snapshot comes, keeping its items on display. Deltas that arrive before
// the first snapshot are held too, and applied after it if they follow on.
//
// A View is not safe for concurrent use. Its zero value is ready for a
// snapshot.
type View struct {
	key   string // "" until the first snapshot
	max   int
	seq   uint64
	ready bool // a snapshot came since the last Reset or gap
	items []Item
	// pos maps a key to its item's index plus base, so that trimming the
	// front only moves base.
	pos  map[string]int
	base int
	held map[uint64]Delta
}

// Seq is the number of the last delta in the view.
func (v *View) Seq() uint64 { return v.seq }

// Key is the name of the key field, "" before the first snapshot.
func (v *View) Key() string { return v.key }

// Max is the feed's bound on items, 0 for none.
func (v *View) Max() int { return v.max }

// Len is the number of items.
func (v *View) Len() int { return len(v.items) }

// HasData reports whether a snapshot ever arrived.
func (v *View) HasData() bool { return v.key != "" }

// Ready reports whether the view follows the feed: a snapshot arrived since
// the last Reset, and no delta is missing since.
func (v *View) Ready() bool { return v.ready }

// Get returns the item with key.
func (v *View) Get(key string) (Item, bool) {
	i, ok := v.pos[key]
	if !ok {
		return nil, false
	}
	return v.items[i-v.base], true
}

// Items returns the items in order, in a slice of their own (the items
// themselves are shared: do not modify them).
func (v *View) Items() []Item {
	return append([]Item(nil), v.items...)
}

// Snapshot returns the view as a snapshot, items in a slice of their own.
func (v *View) Snapshot() Snapshot {
	return Snapshot{Seq: v.seq, Key: v.key, Items: v.Items(), Max: v.max}
}

// Reset forgets the numbering and keeps the items on display until the
// next snapshot replaces them, as after a reconnect. Deltas are held
// until then.
func (v *View) Reset() {
	v.ready = false
	v.held = nil
}

// ApplySnapshot replaces the view with s, then applies the held deltas
// that follow on; applied reports whether s replaced the view. A bad
// snapshot is not applied. An error with applied true is about the held
// deltas: ErrGap when some are still missing, ErrBadData when one is bad;
// either way the view is not Ready and wants another snapshot.
func (v *View) ApplySnapshot(s Snapshot) (applied bool, err error) {
	if s.Key == "" {
		return false, fmt.Errorf("%w: snapshot %d names no key field", ErrBadData, s.Seq)
	}
	if s.Max < 0 {
		return false, fmt.Errorf("%w: snapshot %d has max %d", ErrBadData, s.Seq, s.Max)
	}
	keys, err := itemKeys(s.Key, s.Items)
	if err != nil {
		return false, fmt.Errorf("snapshot %d: %w", s.Seq, err)
	}
	v.key, v.max, v.seq, v.ready = s.Key, s.Max, s.Seq, true
	v.replace(s.Items, keys)
	return true, v.drain()
}

// ApplyDelta applies d and reports whether the items changed. A delta
// already in the view is ignored. A delta while the view is not Ready is
// held. A delta past the next number returns ErrGap; a bad one returns
// ErrBadData and leaves the items as they were. After either error the
// view is not Ready: ask for a fresh snapshot.
func (v *View) ApplyDelta(d Delta) (changed bool, err error) {
	if !v.ready {
		v.hold(d)
		return false, nil
	}
	switch {
	case d.Seq <= v.seq:
		return false, nil
	case d.Seq > v.seq+1:
		v.ready = false
		v.hold(d)
		return false, fmt.Errorf("%w: expected delta %d, got %d", ErrGap, v.seq+1, d.Seq)
	}
	if err := v.apply(d); err != nil {
		v.ready = false
		return false, err
	}
	return true, nil
}

func (v *View) hold(d Delta) {
	if v.held == nil {
		v.held = map[uint64]Delta{}
	}
	v.held[d.Seq] = d
	if len(v.held) > MaxHeld {
		oldest := d.Seq
		for s := range v.held {
			oldest = min(oldest, s)
		}
		delete(v.held, oldest)
	}
}

// drain applies the held deltas in order while they follow on.
func (v *View) drain() error {
	for s := range v.held {
		if s <= v.seq {
			delete(v.held, s)
		}
	}
	for {
		d, ok := v.held[v.seq+1]
		if !ok {
			break
		}
		delete(v.held, d.Seq)
		if err := v.apply(d); err != nil {
			v.ready = false
			return err
		}
	}
	if n := len(v.held); n > 0 {
		v.ready = false
		return fmt.Errorf("%w: %d deltas are held after %d, but not %d", ErrGap, n, v.seq, v.seq+1)
	}
	return nil
}

// apply checks d in full, then applies it: a bad delta changes nothing.
func (v *View) apply(d Delta) error {
	var keys []string
	var err error
	switch d.Op {
	case OpAppend, OpUpsert, OpReplace:
		keys, err = itemKeys(v.key, d.Items)
	case OpRemove:
		if len(d.Items) > 0 {
			err = fmt.Errorf("%w: remove lists keys, not items", ErrBadData)
		}
	default:
		err = fmt.Errorf("%w: unknown op %q", ErrBadData, d.Op)
	}
	if err != nil {
		return fmt.Errorf("delta %d (%s): %w", d.Seq, d.Op, err)
	}
	switch d.Op {
	case OpAppend:
		for i, it := range d.Items {
			v.remove(keys[i])
			v.push(keys[i], it)
		}
	case OpUpsert:
		for i, it := range d.Items {
			if p, ok := v.pos[keys[i]]; ok {
				v.items[p-v.base] = it
			} else {
				v.push(keys[i], it)
			}
		}
	case OpRemove:
		for _, k := range d.Keys {
			v.remove(k)
		}
	case OpReplace:
		v.replace(d.Items, keys)
	}
	v.trim()
	v.seq = d.Seq
	return nil
}

// itemKeys returns the key of every item, or an error naming the first
// item without one.
func itemKeys(field string, items []Item) ([]string, error) {
	keys := make([]string, len(items))
	for i, it := range items {
		raw, ok := it[field]
		if !ok {
			return nil, fmt.Errorf("%w: item %d has no key field %q", ErrBadData, i, field)
		}
		k, ok := raw.(string)
		if !ok {
			return nil, fmt.Errorf("%w: item %d has the key %q = %v, not a string", ErrBadData, i, field, raw)
		}
		keys[i] = k
	}
	return keys, nil
}

// replace makes items the whole list; a key listed twice keeps its last item,
// at the end.
func (v *View) replace(items []Item, keys []string) {
	clear(v.items)
	v.items, v.base = make([]Item, 0, len(items)), 0
	v.pos = make(map[string]int, len(items))
	for i, it := range items {
		v.remove(keys[i])
		v.push(keys[i], it)
	}
	v.trim()
}

func (v *View) push(key string, it Item) {
	if v.pos == nil {
		v.pos = map[string]int{}
	}
	v.pos[key] = v.base + len(v.items)
	v.items = append(v.items, it)
}

// remove removes the item with key, if any, moving the ones after it.
func (v *View) remove(key string) {
	p, ok := v.pos[key]
	if !ok {
		return
	}
	delete(v.pos, key)
	i := p - v.base
	if i == 0 {
		v.dropFront(1)
		return
	}
	copy(v.items[i:], v.items[i+1:])
	v.items[len(v.items)-1] = nil
	v.items = v.items[:len(v.items)-1]
	for _, it := range v.items[i:] {
		v.pos[it[v.key].(string)]--
	}
}

// trim drops the oldest items beyond max.
func (v *View) trim() {
	if v.max > 0 && len(v.items) > v.max {
		n := len(v.items) - v.max
		for _, it := range v.items[:n] {
			delete(v.pos, it[v.key].(string))
		}
		v.dropFront(n)
	}
}

func (v *View) dropFront(n int) {
	clear(v.items[:n])
	v.items = v.items[n:]
	v.base += n
}
