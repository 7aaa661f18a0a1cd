package server

import (
	"encoding/json"
	"errors"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/matih-ai/realtime/wasm/clock"
	"github.com/matih-ai/realtime/wasm/presence"
	"github.com/matih-ai/realtime/wasm/protocol"
	"github.com/matih-ai/realtime/wasm/ws"
)

// decode returns the data of e as a T.
func decode[T any](t *testing.T, e protocol.Envelope) T {
	t.Helper()
	v, err := protocol.DecodeData[T](e)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func rawData(t *testing.T, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// subscribeState subscribes to a presence channel: the state comes, then
// the ack.
func (c *testConn) subscribeState(channel string) presence.StateData {
	c.t.Helper()
	c.send(protocol.Envelope{Type: protocol.TypeSubscribe, Channel: channel, Ref: "sub"})
	st := decode[presence.StateData](c.t, c.expect(presence.TypeState, channel, ""))
	c.expect(protocol.TypeAck, channel, "sub")
	return st
}

// request sends a presence request and expects its ack.
func (c *testConn) request(typ, channel string, data any, ref string) {
	c.t.Helper()
	c.send(protocol.Envelope{Type: typ, Channel: channel, Data: rawData(c.t, data), Ref: ref})
	c.expect(protocol.TypeAck, channel, ref)
}

// refused sends a request and expects an error with code, on channel.
func (c *testConn) refused(env protocol.Envelope, code string) {
	c.t.Helper()
	c.send(env)
	e := c.next()
	if e.Type != protocol.TypeError || e.Ref != env.Ref {
		c.t.Fatalf("%s %s: got %+v (data %s), want an error with ref %q", env.Type, env.Data, e, e.Data, env.Ref)
	}
	if d := decode[protocol.ErrorData](c.t, e); d.Code != code || d.Message == "" {
		c.t.Fatalf("%s %s: error %+v, want code %q with a message", env.Type, env.Data, d, code)
	}
}

// expectDiff reads the next diff and checks its number.
func (c *testConn) expectDiff(channel string, seq uint64) presence.DiffData {
	c.t.Helper()
	d := decode[presence.DiffData](c.t, c.expect(presence.TypeDiff, channel, ""))
	if d.Seq != seq {
		c.t.Fatalf("diff %+v, want seq %d", d, seq)
	}
	return d
}

func TestPresenceTwoClientsSeeEachOther(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake()
	_, hs := newTestServer(t, Options{Clock: clk})
	alice := track(t, newWSClient(t, wsURL(hs, "")), "doc-42", presence.Meta{User: "alice", Name: "Alice"}, presence.Options{})
	alice.waitUsers(t, "alice")
	alice.takeChanges()

	bob := track(t, newWSClient(t, wsURL(hs, "")), "doc-42", presence.Meta{User: "bob", Name: "Bob", Color: "#0a7"}, presence.Options{})
	alice.waitUsers(t, "alice", "bob")
	bob.waitUsers(t, "alice", "bob")
	if got := alice.takeChanges(); !reflect.DeepEqual(got, []presence.Changes{{Joined: []string{"bob"}}}) {
		t.Fatalf("alice saw %+v, want bob joining", got)
	}
	want := []presence.Person{
		{User: "alice", Name: "Alice", Status: presence.StatusActive, Sessions: 1},
		{User: "bob", Name: "Bob", Color: "#0a7", Status: presence.StatusActive, Sessions: 1},
	}
	if got := bob.People(); !reflect.DeepEqual(got, want) {
		t.Fatalf("bob sees %+v, want %+v", got, want)
	}
	if m := alice.State()["bob"][0]; m.OnlineAt != clk.Now().UnixMilli() || m.Session != bob.Session() {
		t.Fatalf("bob's meta %+v: want the server's time and bob's session %s", m, bob.Session())
	}

	bob.Leave()
	alice.waitUsers(t, "alice")
	if got := alice.takeChanges(); !reflect.DeepEqual(got, []presence.Changes{{Left: []string{"bob"}}}) {
		t.Fatalf("alice saw %+v, want bob leaving", got)
	}
}

func TestPresenceOneUserInTwoTabsIsOnePerson(t *testing.T) {
	t.Parallel()
	_, hs := newTestServer(t, Options{Clock: clock.NewFake()})
	carol := track(t, newWSClient(t, wsURL(hs, "")), "doc", presence.Meta{User: "carol"}, presence.Options{})
	tab1 := track(t, newWSClient(t, wsURL(hs, "")), "doc", presence.Meta{User: "alice", Name: "Alice"}, presence.Options{})
	tab2 := track(t, newWSClient(t, wsURL(hs, "")), "doc", presence.Meta{User: "alice", Name: "Alice"}, presence.Options{})
	sessions := func(user string) int {
		for _, p := range carol.people() { // as carol's listener heard: then the change is recorded
			if p.User == user {
				return p.Sessions
			}
		}
		return 0
	}
	waitFor(t, "alice's two tabs", func() bool { return sessions("alice") == 2 })
	if got := carol.users(); !slices.Equal(got, []string{"alice", "carol"}) {
		t.Fatalf("carol lists %v, want alice once", got)
	}
	carol.takeChanges()

	tab1.Leave()
	waitFor(t, "alice's first tab to go", func() bool { return sessions("alice") == 1 })
	if got := carol.takeChanges(); !reflect.DeepEqual(got, []presence.Changes{{Updated: []string{"alice"}}}) {
		t.Fatalf("after one tab of two: %+v, want alice updated, not gone", got)
	}
	tab2.Leave()
	carol.waitUsers(t, "carol")
	if got := carol.takeChanges(); !reflect.DeepEqual(got, []presence.Changes{{Left: []string{"alice"}}}) {
		t.Fatalf("after the last tab: %+v, want alice gone", got)
	}
}

// dropScene is an observer and a victim present on "doc", the victim
// behind a network that can drop it, and the server on a fake clock.
type dropScene struct {
	clk                     *clock.Fake
	s                       *Server
	net                     *proxy
	obsClient, victimClient *ws.Client
	obs, victim             *watch
}

func newDropScene(t *testing.T) *dropScene {
	t.Helper()
	d := &dropScene{clk: clock.NewFake()}
	var hs *httptest.Server
	d.s, hs = newTestServer(t, Options{Clock: d.clk})
	d.net = newProxy(t, hs)
	d.obsClient = newWSClient(t, wsURL(hs, ""))
	d.obs = track(t, d.obsClient, "doc", presence.Meta{User: "obs"}, presence.Options{})
	d.victimClient = newWSClient(t, d.net.url())
	d.victim = track(t, d.victimClient, "doc", presence.Meta{User: "victim", Name: "Vic"}, presence.Options{})
	d.obs.waitUsers(t, "obs", "victim")
	d.victim.waitUsers(t, "obs", "victim")
	// What the victim's joining sent obs has all arrived, not only the
	// first of it: a diff still on its way would count as a change later.
	barrier(t, d.victimClient)
	barrier(t, d.obsClient)
	return d
}

// drop cuts the victim's network and waits for the server to notice.
func (d *dropScene) drop(t *testing.T) {
	t.Helper()
	d.net.cut()
	waitFor(t, "the server to see the connection end", func() bool { return d.s.rooms.graceSessions() == 1 })
}

// TestPresenceKilledClientLeavesAfterGrace: a client whose TCP connection
// dies without a leave stays for the grace, then goes in one diff.
func TestPresenceKilledClientLeavesAfterGrace(t *testing.T) {
	t.Parallel()
	d := newDropScene(t)
	d.obs.takeChanges()

	d.drop(t) // and the victim never comes back
	d.clk.Advance(DefaultPresenceGrace - time.Millisecond)
	barrier(t, d.obsClient)
	if got, changes := d.obs.users(), d.obs.takeChanges(); !slices.Equal(got, []string{"obs", "victim"}) || len(changes) > 0 {
		t.Fatalf("within the grace obs sees %v, after changes %+v", got, changes)
	}
	d.clk.Advance(time.Millisecond)
	d.obs.waitUsers(t, "obs")
	if got := d.obs.takeChanges(); !reflect.DeepEqual(got, []presence.Changes{{Left: []string{"victim"}}}) {
		t.Fatalf("after the grace: %+v, want the victim gone", got)
	}
}

// TestPresenceReconnectWithinGraceDoesNotFlicker: a client that loses its
// connection and comes back within the grace is no leave and no join, on
// either side, and no diff is sent at all.
func TestPresenceReconnectWithinGraceDoesNotFlicker(t *testing.T) {
	t.Parallel()
	d := newDropScene(t)

	var mu sync.Mutex
	var diffs []string
	stop, err := d.obsClient.Subscribe(presence.Channel("doc"), func(e protocol.Envelope) {
		if e.Type == presence.TypeDiff {
			mu.Lock()
			defer mu.Unlock()
			diffs = append(diffs, string(e.Data))
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	barrier(t, d.obsClient)
	d.obs.takeChanges()
	d.victim.takeChanges()

	d.drop(t)
	d.clk.Advance(DefaultPresenceGrace / 2)
	d.net.up()
	waitFor(t, "the victim to rejoin", func() bool { return d.s.rooms.graceSessions() == 0 })
	waitConnected(t, d.victimClient)
	d.clk.Advance(DefaultPresenceGrace) // a stopped grace does nothing
	barrier(t, d.obsClient)
	barrier(t, d.victimClient)

	mu.Lock()
	defer mu.Unlock()
	if len(diffs) > 0 {
		t.Fatalf("diffs during the reconnect: %s", diffs)
	}
	if got := d.obs.takeChanges(); len(got) > 0 {
		t.Fatalf("obs saw %+v during the reconnect", got)
	}
	if got := d.victim.takeChanges(); len(got) > 0 {
		t.Fatalf("the victim saw %+v during its reconnect", got)
	}
	if got := d.victim.users(); !slices.Equal(got, []string{"obs", "victim"}) {
		t.Fatalf("after the reconnect the victim sees %v", got)
	}
}

// TestPresenceRequests drives the wire protocol: numbered diffs, acks by
// ref, the state on subscribe and on sync, and every refusal.
func TestPresenceRequests(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake()
	_, hs := newTestServer(t, Options{Clock: clk})
	const ch = "presence:doc"
	w := dial(t, hs, "", nil)
	if st := w.subscribeState(ch); st.Seq != 0 || len(st.State) != 0 {
		t.Fatalf("state of an empty resource: %+v", st)
	}

	a := dial(t, hs, "", nil)
	a1 := presence.Meta{Session: "a1", User: "alice", Name: "Alice"}
	a.request(presence.TypeJoin, ch, a1, "j1")
	a1.OnlineAt = clk.Now().UnixMilli()
	if d := w.expectDiff(ch, 1); !reflect.DeepEqual(d.Joins, presence.State{"alice": {a1}}) || d.Leaves != nil {
		t.Fatalf("join diff %+v", d)
	}
	clk.Advance(time.Second)
	idle := a1
	idle.Status, idle.OnlineAt = presence.StatusIdle, 0
	a.request(presence.TypeUpdate, ch, idle, "u1")
	idle.OnlineAt = a1.OnlineAt // the server keeps when the session came
	if d := w.expectDiff(ch, 2); !reflect.DeepEqual(d.Joins, presence.State{"alice": {idle}}) {
		t.Fatalf("update diff %+v", d)
	}
	a.request(presence.TypeUpdate, ch, idle, "u2") // no change, no diff
	a.request(presence.TypeJoin, ch, idle, "j1-again")
	a2 := presence.Meta{Session: "a2", User: "alice"}
	a.request(presence.TypeJoin, ch, a2, "j2")
	a2.OnlineAt = clk.Now().UnixMilli()
	w.expectDiff(ch, 3)
	a.request(presence.TypeLeave, ch, presence.LeaveData{Session: "a1"}, "l1")
	if d := w.expectDiff(ch, 4); !reflect.DeepEqual(d.Leaves, presence.State{"alice": {idle}}) || d.Joins != nil {
		t.Fatalf("leave diff %+v", d)
	}

	w.send(protocol.Envelope{Type: presence.TypeSync, Channel: ch, Ref: "s"})
	st := decode[presence.StateData](t, w.expect(presence.TypeState, ch, ""))
	w.expect(protocol.TypeAck, ch, "s")
	if st.Seq != 4 || !reflect.DeepEqual(st.State, presence.State{"alice": {a2}}) {
		t.Fatalf("state on sync %+v", st)
	}

	// Unsubscribing leaves the connection's sessions, in one diff.
	x := dial(t, hs, "", nil)
	x.subscribeState(ch)
	for i, session := range []string{"x1", "x2"} {
		seq := uint64(5 + i)
		x.send(protocol.Envelope{Type: presence.TypeJoin, Channel: ch, Data: rawData(t, presence.Meta{Session: session, User: "xavier"}), Ref: session})
		x.expectDiff(ch, seq) // a subscribed joiner sees its diff before the ack
		x.expect(protocol.TypeAck, ch, session)
		w.expectDiff(ch, seq)
	}
	x.send(protocol.Envelope{Type: protocol.TypeUnsubscribe, Channel: ch, Ref: "u"})
	x.expect(protocol.TypeAck, ch, "u")
	if d := w.expectDiff(ch, 7); len(d.Leaves["xavier"]) != 2 {
		t.Fatalf("unsubscribe diff %+v, want both of xavier's sessions", d)
	}

	b := dial(t, hs, "", nil)
	env := func(typ, channel string, data any, ref string) protocol.Envelope {
		e := protocol.Envelope{Type: typ, Channel: channel, Ref: ref}
		if data != nil {
			e.Data = rawData(t, data)
		}
		return e
	}
	for _, tc := range []struct {
		name string
		env  protocol.Envelope
		code string
	}{
		{"join without a user", env(presence.TypeJoin, ch, presence.Meta{Session: "b1"}, "1"), protocol.CodeBadPresence},
		{"join without a session", env(presence.TypeJoin, ch, presence.Meta{User: "bob"}, "2"), protocol.CodeBadPresence},
		{"join without data", env(presence.TypeJoin, ch, nil, "3"), protocol.CodeBadPresence},
		{"join with data of the wrong shape", env(presence.TypeJoin, ch, []int{1}, "4"), protocol.CodeBadPresence},
		{"join with a meta too big", env(presence.TypeJoin, ch, presence.Meta{Session: "b1", User: "bob", Extra: map[string]any{"x": strings.Repeat("x", maxMetaBytes)}}, "4b"), protocol.CodeBadPresence},
		{"join on another kind of channel", env(presence.TypeJoin, "chat:doc", presence.Meta{Session: "b1", User: "bob"}, "5"), protocol.CodeBadChannel},
		{"join on a malformed channel", env(presence.TypeJoin, "presence", presence.Meta{Session: "b1", User: "bob"}, "6"), protocol.CodeBadChannel},
		{"join as another user's session", env(presence.TypeJoin, ch, presence.Meta{Session: "a2", User: "bob"}, "7"), protocol.CodeBadPresence},
		{"update of a session never joined", env(presence.TypeUpdate, ch, presence.Meta{Session: "b9", User: "bob"}, "8"), protocol.CodeNotJoined},
		{"update of another connection's session", env(presence.TypeUpdate, ch, a2, "9"), protocol.CodeNotJoined},
		{"leave of another connection's session", env(presence.TypeLeave, ch, presence.LeaveData{Session: "a2"}, "10"), protocol.CodeNotJoined},
		{"leave without a session", env(presence.TypeLeave, ch, presence.LeaveData{}, "11"), protocol.CodeBadPresence},
		{"sync on another kind of channel", env(presence.TypeSync, "chat:doc", nil, "12"), protocol.CodeBadChannel},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b.t = t
			b.refused(tc.env, tc.code)
		})
	}
	b.t = t
	b.roundTrip()
	w.roundTrip() // none of that changed anything
}

// TestPresenceThrottledUpdates: a busy client's updates are spaced by its
// throttle, and the last one always arrives.
func TestPresenceThrottledUpdates(t *testing.T) {
	t.Parallel()
	_, hs := newTestServer(t, Options{Clock: clock.NewFake()})
	obsClient := newWSClient(t, wsURL(hs, ""))
	obs := track(t, obsClient, "doc", presence.Meta{User: "obs"}, presence.Options{})
	throttle := clock.NewFake()
	me := track(t, newWSClient(t, wsURL(hs, "")), "doc", presence.Meta{User: "me"}, presence.Options{Clock: throttle, Throttle: 100 * time.Millisecond})
	obs.waitUsers(t, "me", "obs")

	var mu sync.Mutex
	updates := 0
	stop, err := obsClient.Subscribe(presence.Channel("doc"), func(e protocol.Envelope) {
		if e.Type == presence.TypeDiff {
			mu.Lock()
			defer mu.Unlock()
			updates++
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	for i := 1; i <= 20; i++ {
		if err := me.Update(func(m *presence.Meta) { m.Extra = map[string]any{"cursor": i} }); err != nil {
			t.Fatal(err)
		}
	}
	cursor := func() any {
		metas := obs.State()["me"]
		if len(metas) != 1 {
			return nil
		}
		return metas[0].Extra["cursor"]
	}
	waitFor(t, "the first update", func() bool { return cursor() == 1.0 })
	throttle.Advance(100 * time.Millisecond)
	waitFor(t, "the latest update", func() bool { return cursor() == 20.0 })
	barrier(t, obsClient)
	mu.Lock()
	defer mu.Unlock()
	if updates != 2 {
		t.Fatalf("%d diffs for 20 updates in one throttle interval, want 2", updates)
	}
}

func TestPresenceRoomFull(t *testing.T) {
	t.Parallel()
	_, hs := newTestServer(t, Options{Clock: clock.NewFake(), MaxPresence: 2})
	a := track(t, newWSClient(t, wsURL(hs, "")), "doc", presence.Meta{User: "a"}, presence.Options{})
	track(t, newWSClient(t, wsURL(hs, "")), "doc", presence.Meta{User: "b"}, presence.Options{})
	a.waitUsers(t, "a", "b")

	errs := make(chan error, 1)
	cClient := newWSClient(t, wsURL(hs, ""))
	var mu sync.Mutex
	var clientErrs []error
	cClient.OnError(func(err error) {
		mu.Lock()
		defer mu.Unlock()
		clientErrs = append(clientErrs, err)
	})
	c := track(t, cClient, "doc", presence.Meta{User: "c"}, presence.Options{OnError: func(err error) { errs <- err }})
	var pe *protocol.ErrorData
	select {
	case err := <-errs:
		if !errors.As(err, &pe) || pe.Code != protocol.CodeRoomFull {
			t.Fatalf("join past the cap: %v, want room_full", err)
		}
	case <-time.After(timeout):
		t.Fatal("a join past the cap was not refused")
	}
	// The refused client still sees who is there, and its updates are
	// not sent.
	c.waitUsers(t, "a", "b")
	if err := c.Update(func(m *presence.Meta) { m.Name = "C" }); err != nil {
		t.Fatal(err)
	}
	barrier(t, cClient)
	if got := a.users(); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("after a refused join a sees %v", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(clientErrs) > 0 {
		t.Fatalf("the refused client sent what the server refused again: %v", clientErrs)
	}
}

// TestPresenceCount: a count-only subscriber gets the users and sessions
// on subscribe and after every join and leave, and nothing else.
func TestPresenceCount(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake()
	s, hs := newTestServer(t, Options{Clock: clk})
	const ch = "presence:doc"
	counter := dial(t, hs, "", nil)
	expectCount := func(users, sessions int) {
		t.Helper()
		got := decode[presence.CountData](t, counter.expect(presence.TypeCount, "presence-count:doc", ""))
		if want := (presence.CountData{Users: users, Sessions: sessions}); got != want {
			t.Fatalf("count %+v, want %+v", got, want)
		}
	}
	counter.send(protocol.Envelope{Type: protocol.TypeSubscribe, Channel: "presence-count:doc", Ref: "c"})
	expectCount(0, 0)
	counter.expect(protocol.TypeAck, "presence-count:doc", "c")

	a := dial(t, hs, "", nil)
	a.request(presence.TypeJoin, ch, presence.Meta{Session: "a1", User: "alice"}, "1")
	expectCount(1, 1)
	a.request(presence.TypeJoin, ch, presence.Meta{Session: "a2", User: "alice"}, "2")
	expectCount(1, 2)
	b := dial(t, hs, "", nil)
	b.request(presence.TypeJoin, ch, presence.Meta{Session: "b1", User: "bob"}, "3")
	expectCount(2, 3)
	a.request(presence.TypeUpdate, ch, presence.Meta{Session: "a1", User: "alice", Status: presence.StatusAway}, "4")
	a.request(presence.TypeLeave, ch, presence.LeaveData{Session: "a1"}, "5")
	expectCount(2, 2)

	b.close() // without a leave: counted until the grace ends
	waitFor(t, "the server to see b go", func() bool { return s.rooms.graceSessions() == 1 })
	counter.roundTrip()
	clk.Advance(DefaultPresenceGrace)
	expectCount(1, 1)
	counter.roundTrip()
}

// TestPresenceForgetsEmptyResources: a resource nobody is on or watches is
// forgotten, and one still watched keeps its numbering.
func TestPresenceForgetsEmptyResources(t *testing.T) {
	t.Parallel()
	s, hs := newTestServer(t, Options{Clock: clock.NewFake()})
	const ch = "presence:doc"
	resources := func() int {
		s.rooms.mu.Lock()
		defer s.rooms.mu.Unlock()
		return len(s.rooms.byName)
	}
	w := dial(t, hs, "", nil)
	w.subscribeState(ch)
	a := dial(t, hs, "", nil)
	a.request(presence.TypeJoin, ch, presence.Meta{Session: "a1", User: "alice"}, "1")
	a.request(presence.TypeLeave, ch, presence.LeaveData{Session: "a1"}, "2")
	w.expectDiff(ch, 1)
	w.expectDiff(ch, 2)
	a.request(presence.TypeJoin, ch, presence.Meta{Session: "a1", User: "alice"}, "3")
	w.expectDiff(ch, 3) // not 1: w still holds seq 2

	a.request(presence.TypeLeave, ch, presence.LeaveData{Session: "a1"}, "4")
	w.close()
	waitFor(t, "the resource to be forgotten", func() bool { return resources() == 0 })
}

// TestPresenceWatchCount: the client's count-only mode follows joins and
// leaves without receiving the list.
func TestPresenceWatchCount(t *testing.T) {
	t.Parallel()
	_, hs := newTestServer(t, Options{Clock: clock.NewFake()})
	counts := make(chan presence.CountData, 10)
	stop, err := presence.WatchCount(newWSClient(t, wsURL(hs, "")), "doc-9", func(d presence.CountData) { counts <- d })
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	next := func() presence.CountData {
		t.Helper()
		select {
		case d := <-counts:
			return d
		case <-time.After(5 * time.Second):
			t.Fatal("no count")
			return presence.CountData{}
		}
	}
	if d := next(); d != (presence.CountData{}) {
		t.Fatalf("first count %+v, want an empty room", d)
	}
	alice := track(t, newWSClient(t, wsURL(hs, "")), "doc-9", presence.Meta{User: "alice"}, presence.Options{})
	if d := next(); d != (presence.CountData{Users: 1, Sessions: 1}) {
		t.Fatalf("after alice joined: %+v", d)
	}
	alice.Leave()
	if d := next(); d != (presence.CountData{}) {
		t.Fatalf("after alice left: %+v", d)
	}
}
