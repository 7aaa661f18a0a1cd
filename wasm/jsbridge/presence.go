package jsbridge

import (
	"fmt"

	"github.com/matih-ai/realtime/wasm/presence"
	"github.com/matih-ai/realtime/wasm/protocol"
)

const (
	kindPresence = "presence"
	kindCount    = "count"
)

// presenceJoin is a presence tracker opened by JavaScript.
type presenceJoin struct {
	conn    int
	tracker *presence.Tracker
	stop    []func()
}

func (*presenceJoin) kind() string  { return kindPresence }
func (p *presenceJoin) parent() int { return p.conn }

func (p *presenceJoin) close() {
	for _, stop := range p.stop {
		stop()
	}
	p.tracker.Leave()
}

var statuses = []string{string(presence.StatusActive), string(presence.StatusIdle), string(presence.StatusAway)}

// readMeta reads the meta fields JavaScript may set; user and session
// only when joining.
func readMeta(f *fields, m *presence.Meta, joining bool) {
	if joining {
		m.User, _ = f.str("user")
		m.Session, _ = f.str("session")
	}
	if s, ok := f.str("name"); ok {
		m.Name = s
	}
	if s, ok := f.str("color"); ok {
		m.Color = s
	}
	if s, ok := f.oneOf("status", statuses...); ok {
		m.Status = presence.Status(s)
	}
	if x, ok := f.object("extra"); ok {
		m.Extra = x
	}
}

// JoinPresence makes presence tracker id: meta (JSON of a PresenceMeta)
// joins resource over connection conn. Options (JSON): activity (default
// true: follow input and visibility, leave on pagehide), idleAfter and
// throttle in milliseconds. Changes follow as KindPresence events, a
// refused join as a KindError. It returns the session id.
func (b *Bridge) JoinPresence(id, conn int, resource string, meta, options []byte) (string, error) {
	client, err := b.client(conn)
	if err != nil {
		return "", err
	}
	var m presence.Meta
	mf := readFields("meta", meta)
	readMeta(mf, &m, true)
	if err := mf.done(); err != nil {
		return "", err
	}
	if m.User == "" {
		return "", fmt.Errorf("%w: meta.user is required", ErrConfig)
	}
	of := readFields("options", options)
	activity, ok := of.boolean("activity")
	if !ok {
		activity = true
	}
	idleAfter, _ := of.millis("idleAfter", false)
	var opts presence.Options
	opts.Throttle, _ = of.millis("throttle", false)
	if err := of.done(); err != nil {
		return "", err
	}
	opts.OnError = func(err error) { b.sink.Event(KindError, id, err.Error(), Code(err)) }
	t, err := presence.Join(client, resource, m, opts)
	if err != nil {
		return "", err
	}
	p := &presenceJoin{conn: conn, tracker: t}
	if err := b.add(id, p); err != nil {
		t.Leave()
		return "", err
	}
	p.stop = append(p.stop, t.OnChange(func(st presence.State, ch presence.Changes) {
		b.sink.Event(KindPresence, id, mustJSON(st), mustJSON(changesJSON(ch)), mustJSON(peopleJSON(st.People())))
	}))
	if activity {
		p.stop = append(p.stop, presence.WatchActivity(t, idleAfter))
	}
	return t.Session(), nil
}

// UpdatePresence changes tracker id's name, color, status or extra from
// the JSON of a partial PresenceMeta.
func (b *Bridge) UpdatePresence(id int, change []byte) error {
	p, err := get[*presenceJoin](b, id)
	if err != nil {
		return err
	}
	f := readFields("meta", change)
	var m presence.Meta
	readMeta(f, &m, false)
	if err := f.done(); err != nil {
		return err
	}
	set := func(name string) bool { _, ok := f.m[name]; return ok }
	return p.tracker.Update(func(cur *presence.Meta) {
		if set("name") {
			cur.Name = m.Name
		}
		if set("color") {
			cur.Color = m.Color
		}
		if set("status") {
			cur.Status = m.Status
		}
		if set("extra") {
			cur.Extra = m.Extra
		}
	})
}

// countWatch is a head count opened by JavaScript.
type countWatch struct {
	conn int
	stop func()
}

func (*countWatch) kind() string  { return kindCount }
func (w *countWatch) parent() int { return w.conn }
func (w *countWatch) close()      { w.stop() }

// WatchPresenceCount makes head count id of resource over connection conn:
// KindCount events with the users and sessions present, the first as soon
// as the server answers.
func (b *Bridge) WatchPresenceCount(id, conn int, resource string) error {
	client, err := b.client(conn)
	if err != nil {
		return err
	}
	w := &countWatch{conn: conn, stop: func() {}}
	if err := b.add(id, w); err != nil {
		return err
	}
	stop, err := presence.WatchCount(client, resource, func(d presence.CountData) {
		b.sink.Event(KindCount, id, d.Users, d.Sessions)
	})
	if err != nil {
		b.Close(id)
		return err
	}
	w.stop = stop
	return nil
}

type changes struct {
	Joined  []string `json:"joined"`
	Left    []string `json:"left"`
	Updated []string `json:"updated"`
}

func changesJSON(c presence.Changes) changes {
	return changes{Joined: orEmpty(c.Joined), Left: orEmpty(c.Left), Updated: orEmpty(c.Updated)}
}

type person struct {
	User     string `json:"user"`
	Name     string `json:"name,omitempty"`
	Color    string `json:"color,omitempty"`
	Status   string `json:"status"`
	Sessions int    `json:"sessions"`
}

func peopleJSON(ps []presence.Person) []person {
	out := make([]person, len(ps))
	for i, p := range ps {
		out[i] = person{User: p.User, Name: p.Name, Color: p.Color, Status: string(p.Status), Sessions: p.Sessions}
	}
	return out
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// mustJSON encodes what always encodes: the bridge's own types and the
// runtime's data, which came from JSON.
func mustJSON(v any) string {
	b, err := protocol.Marshal(v)
	if err != nil {
		return "null"
	}
	return string(b)
}
