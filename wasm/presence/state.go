// Package presence tracks who is active on which resource (a document, a
// dashboard, a query). The server keeps each resource's state and sends a
// joiner the full state, then diffs; merging them here is pure code, tested
// without a network, in the manner of Phoenix's Presence.syncState and
// syncDiff.
//
// A user with several tabs or devices is one person with several sessions:
// State maps a user to one Meta per session, and a user joins when their
// first session arrives and leaves when their last one goes.
package presence

import (
	"maps"
	"slices"
	"strings"

	"github.com/matih-ai/realtime/wasm/protocol"
)

// Status is how present a session is.
type Status string

// Statuses, derived from activity and page visibility.
const (
	StatusActive Status = "active" // input within the idle delay
	StatusIdle   Status = "idle"   // visible, no input for a while
	StatusAway   Status = "away"   // page hidden
)

// Meta is one session of a user on a resource.
type Meta struct {
	// Session identifies the tab or device; it stays the same across
	// reconnects, so a reconnect is not a leave and a join.
	Session string `json:"session"`
	User    string `json:"user"`
	Name    string `json:"name,omitempty"`
	Color   string `json:"color,omitempty"`
	Status  Status `json:"status,omitempty"`
	// Extra is whatever the application adds (cursor, selection, ...).
	// Values are encoded by protocol.Marshal: in a browser program that
	// does not use the components, a []byte or a TextMarshaler among
	// them needs protocol.UseEncodingJSON.
	Extra map[string]any `json:"extra,omitempty"`
	// OnlineAt is when the session joined, in Unix milliseconds (server time).
	OnlineAt int64 `json:"onlineAt,omitempty"`
}

// State maps a user id to the metas of their sessions.
type State map[string][]Meta

// Diff is a change to a State: metas that joined (or changed: a join
// replaces the meta of the same session) and metas that left.
type Diff struct {
	Joins  State `json:"joins,omitempty"`
	Leaves State `json:"leaves,omitempty"`
}

// Changes says who a merge made appear, disappear or change, by user id,
// each list sorted.
type Changes struct {
	Joined  []string // users who had no session and now have one
	Left    []string // users whose last session went
	Updated []string // users still present whose metas changed
}

// Empty reports whether nothing changed.
func (c Changes) Empty() bool { return len(c.Joined)+len(c.Left)+len(c.Updated) == 0 }

// Users returns the user ids of s, sorted.
func (s State) Users() []string { return slices.Sorted(maps.Keys(s)) }

// Clone returns a deep copy of s (Extra maps are shared: treat them as
// read-only).
func (s State) Clone() State {
	out := make(State, len(s))
	for u, metas := range s {
		out[u] = slices.Clone(metas)
	}
	return out
}

// SyncState replaces cur by next, the full state the server sent, and says
// who joined, left or changed. cur is not modified.
func SyncState(cur, next State) (State, Changes) {
	out := next.Clone()
	for u, metas := range out {
		if len(metas) == 0 {
			delete(out, u)
		}
	}
	return out, compare(cur, out)
}

// SyncDiff applies d to cur and says who joined, left or changed. cur is not
// modified. Leaves remove metas by session; joins add them, or replace the
// meta of the same session.
func SyncDiff(cur State, d Diff) (State, Changes) {
	out := cur.Clone()
	for u, metas := range d.Leaves {
		for _, m := range metas {
			out[u] = slices.DeleteFunc(out[u], func(x Meta) bool { return x.Session == m.Session })
		}
		if len(out[u]) == 0 {
			delete(out, u)
		}
	}
	for u, metas := range d.Joins {
		for _, m := range metas {
			i := slices.IndexFunc(out[u], func(x Meta) bool { return x.Session == m.Session })
			if i >= 0 {
				out[u][i] = m
			} else {
				out[u] = append(out[u], m)
			}
		}
	}
	return out, compare(cur, out)
}

func compare(before, after State) Changes {
	var c Changes
	for u, metas := range after {
		old, ok := before[u]
		switch {
		case !ok:
			c.Joined = append(c.Joined, u)
		case !sameMetas(old, metas):
			c.Updated = append(c.Updated, u)
		}
	}
	for u := range before {
		if _, ok := after[u]; !ok {
			c.Left = append(c.Left, u)
		}
	}
	slices.Sort(c.Joined)
	slices.Sort(c.Left)
	slices.Sort(c.Updated)
	return c
}

// sameMetas compares metas by session, status and what a person sees.
func sameMetas(a, b []Meta) bool {
	if len(a) != len(b) {
		return false
	}
	for _, m := range a {
		i := slices.IndexFunc(b, func(x Meta) bool { return x.Session == m.Session })
		if i < 0 || !sameMeta(m, b[i]) {
			return false
		}
	}
	return true
}

func sameMeta(a, b Meta) bool {
	if a.User != b.User || a.Name != b.Name || a.Color != b.Color || a.Status != b.Status || a.OnlineAt != b.OnlineAt || len(a.Extra) != len(b.Extra) {
		return false
	}
	for k, v := range a.Extra {
		w, ok := b.Extra[k]
		if !ok || !sameJSON(v, w) {
			return false
		}
	}
	return true
}

// sameJSON reports whether v and w, values of Meta.Extra, are the same
// JSON: what every other session sees of them. Values as encoding/json
// decodes them are compared as they are; any other (a Go value the
// application set) is encoded and decoded first, so that a struct and a
// map with the same fields are the same. (reflect.DeepEqual would tell
// those apart, and cost realtime.wasm some 2 KB brotli for this one use.)
func sameJSON(v, w any) bool {
	if same, known := sameDecoded(v, w); known {
		return same
	}
	v, okV := redecode(v)
	w, okW := redecode(w)
	same, _ := sameDecoded(v, w)
	return okV && okW && same
}

// sameDecoded compares v and w as values encoding/json decodes; known is
// false when either holds any other.
func sameDecoded(v, w any) (same, known bool) {
	switch v := v.(type) {
	case nil:
		return w == nil, decoded(w)
	case string:
		x, ok := w.(string)
		return ok && v == x, decoded(w)
	case float64:
		x, ok := w.(float64)
		return ok && v == x, decoded(w)
	case bool:
		x, ok := w.(bool)
		return ok && v == x, decoded(w)
	case []any:
		x, ok := w.([]any)
		if !ok || len(v) != len(x) {
			return false, decoded(w)
		}
		for i := range v {
			if same, known := sameDecoded(v[i], x[i]); !same || !known {
				return false, known
			}
		}
		return true, true
	case map[string]any:
		x, ok := w.(map[string]any)
		if !ok || len(v) != len(x) {
			return false, decoded(w)
		}
		for k, e := range v {
			f, ok := x[k]
			if !ok {
				return false, true
			}
			if same, known := sameDecoded(e, f); !same || !known {
				return false, known
			}
		}
		return true, true
	}
	return false, false
}

// decoded reports whether v is of a type encoding/json decodes into any.
func decoded(v any) bool {
	switch v.(type) {
	case nil, string, float64, bool, []any, map[string]any:
		return true
	}
	return false
}

// redecode returns v as encoding/json would decode its encoding.
func redecode(v any) (any, bool) {
	b, err := protocol.Marshal(v)
	if err != nil {
		return nil, false
	}
	var out any
	err = protocol.Unmarshal(b, &out)
	return out, err == nil
}

// Person is a user as a list shows them: once, however many sessions.
type Person struct {
	User     string
	Name     string
	Color    string
	Status   Status // the most present of their sessions
	Sessions int
}

// People lists the users of s, each once, sorted by name then id. A
// user's name and colour are those of their most recent session.
func (s State) People() []Person {
	out := make([]Person, 0, len(s))
	for u, metas := range s {
		if len(metas) == 0 {
			continue
		}
		p := Person{User: u, Sessions: len(metas), Status: StatusAway}
		latest := metas[0]
		for _, m := range metas {
			if m.OnlineAt >= latest.OnlineAt {
				latest = m
			}
			if rank(m.Status) < rank(p.Status) {
				p.Status = m.Status
			}
		}
		p.Name, p.Color = latest.Name, latest.Color
		if p.Name == "" {
			p.Name = u
		}
		out = append(out, p)
	}
	sortPeople(out)
	return out
}

// sortPeople sorts people by name, case folded, then id. It sorts strings
// that order as the pairs do, with slices.Sort, whose string version the
// module has anyway: slices.SortFunc on Person cost realtime.wasm 5.8 KB
// of brotli. A key is the folded name and the id, each with its NULs
// written as NUL 1 and ended by two NULs, then the person's index.
func sortPeople(people []Person) {
	keys := make([]string, len(people))
	var b []byte
	for i, p := range people {
		b = appendSortPart(appendSortPart(b[:0], strings.ToLower(p.Name)), p.User)
		keys[i] = string(append(b, byte(i>>24), byte(i>>16), byte(i>>8), byte(i)))
	}
	slices.Sort(keys)
	sorted := make([]Person, len(people))
	for i, k := range keys {
		k = k[len(k)-4:]
		sorted[i] = people[int(k[0])<<24|int(k[1])<<16|int(k[2])<<8|int(k[3])]
	}
	copy(people, sorted)
}

func appendSortPart(b []byte, s string) []byte {
	for i := range len(s) {
		b = append(b, s[i])
		if s[i] == 0 {
			b = append(b, 1)
		}
	}
	return append(b, 0, 0)
}

// rank orders statuses from most to least present; unknown counts as active.
func rank(s Status) int {
	switch s {
	case StatusIdle:
		return 1
	case StatusAway:
		return 2
	default:
		return 0
	}
}
