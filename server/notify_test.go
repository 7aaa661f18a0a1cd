package server

import (
	"reflect"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/matih-ai/realtime/wasm/clock"
	"github.com/matih-ai/realtime/wasm/notify"
	"github.com/matih-ai/realtime/wasm/protocol"
	"github.com/matih-ai/realtime/wasm/ws"
)

func TestNotifyFillsAndValidates(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake()
	s, _ := newTestServer(t, Options{Clock: clk})
	base := uint64(clk.Now().UnixMicro())

	n, err := s.Notify("alice", notify.Notification{Severity: notify.Info, Title: "Query q-1 started", State: notify.Read})
	if err != nil {
		t.Fatal(err)
	}
	want := notify.Notification{ID: "alice-" + strconv.FormatUint(base, 10), Seq: base, Severity: notify.Info, Title: "Query q-1 started", Time: clk.Now().UnixMilli()}
	if n != want {
		t.Fatalf("Notify = %+v, want %+v", n, want)
	}
	clk.Advance(time.Second)
	n, err = s.Notify("alice", notify.Notification{ID: "job-7", Severity: notify.Success, Title: "Export ready", Time: 42})
	if err != nil || n.ID != "job-7" || n.Time != 42 || n.Seq != base+1 {
		t.Fatalf("Notify with an id and a time = %+v, %v; want them kept, seq %d", n, err, base+1)
	}
	// Seqs start at the time, in microseconds.
	if n, err := s.Notify("bob", notify.Notification{Severity: notify.Error, Title: "Dashboard refresh failed"}); err != nil || n.Seq != uint64(clk.Now().UnixMicro()) {
		t.Fatalf("bob's first = %+v, %v; want his own numbering", n, err)
	}

	for _, tc := range []struct {
		name string
		user string
		n    notify.Notification
	}{
		{"no title", "alice", notify.Notification{Severity: notify.Info}},
		{"unknown severity", "alice", notify.Notification{Severity: "loud", Title: "x"}},
		{"no user", "", notify.Notification{Severity: notify.Info, Title: "x"}},
		{"user unfit for a channel", "al ice", notify.Notification{Severity: notify.Info, Title: "x"}},
	} {
		if _, err := s.Notify(tc.user, tc.n); err == nil {
			t.Errorf("%s: Notify succeeded", tc.name)
		}
	}
	// A refused notification takes no number.
	if n, err := s.Notify("alice", notify.Notification{Severity: notify.Info, Title: "next"}); err != nil || n.Seq != base+2 {
		t.Fatalf("after refusals: %+v, %v; want seq %d", n, err, base+2)
	}
}

// TestNotifySync drives the wire: notify.new to subscribers, and
// notify.sync answered with what follows, oldest first, and whether some
// of it is no longer kept.
func TestNotifySync(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake()
	s, hs := newTestServer(t, Options{Clock: clk, History: NewMemoryHistory(3, 0)})
	const ch = "notifications:alice"
	c := dial(t, hs, "", nil)
	c.subscribe(ch)
	sync := func(after uint64) notify.BatchData {
		t.Helper()
		c.send(protocol.Envelope{Type: notify.TypeSync, Channel: ch, Data: rawData(t, notify.SyncData{After: after}), Ref: "s"})
		b := decode[notify.BatchData](t, c.expect(notify.TypeBatch, ch, ""))
		c.expect(protocol.TypeAck, ch, "s")
		return b
	}
	if b := sync(0); b.Items == nil || len(b.Items) != 0 || b.Lost {
		t.Fatalf("nothing sent yet: %+v, want an empty list", b)
	}

	var sent []notify.Notification
	for i := range 5 {
		n, err := s.Notify("alice", notify.Notification{Severity: notify.Info, Title: "n" + strconv.Itoa(i)})
		if err != nil {
			t.Fatal(err)
		}
		if got := decode[notify.Notification](t, c.expect(notify.TypeNew, ch, "")); got != n {
			t.Fatalf("live %+v, want %+v", got, n)
		}
		sent = append(sent, n)
	}
	seq := func(i int) uint64 { return sent[i].Seq }
	for _, tc := range []struct {
		name  string
		after uint64
		want  []notify.Notification
		lost  bool
	}{
		{"from nothing, past the keep", 0, sent[2:], true},
		{"after the first", seq(0), sent[2:], true},
		{"after the last dropped", seq(1), sent[2:], false},
		{"after the oldest kept", seq(2), sent[3:], false},
		{"after the last", seq(4), []notify.Notification{}, false},
		{"ahead of the server: from another history", seq(4) + 10, sent[2:], true},
	} {
		if b := sync(tc.after); !reflect.DeepEqual(b.Items, tc.want) || b.Lost != tc.lost {
			t.Errorf("%s: %+v, want %d items, lost %v", tc.name, b, len(tc.want), tc.lost)
		}
	}

	c.refused(protocol.Envelope{Type: notify.TypeSync, Channel: ch, Ref: "1"}, protocol.CodeBadNotify)
	c.refused(protocol.Envelope{Type: notify.TypeSync, Channel: ch, Data: rawData(t, "soon"), Ref: "2"}, protocol.CodeBadNotify)
	c.refused(protocol.Envelope{Type: notify.TypeSync, Channel: "chat:alice", Data: rawData(t, notify.SyncData{}), Ref: "3"}, protocol.CodeBadChannel)
	c.roundTrip()
}

// center is a notify.Center whose new notifications are recorded.
type center struct {
	*notify.Center
	mu  sync.Mutex
	new []string // ids, in the order OnNew saw them
}

func newCenter(t *testing.T, c *ws.Client, user string) *center {
	t.Helper()
	out := &center{}
	n, err := notify.NewCenter(c, user, notify.CenterOptions{
		Storage: &notify.MemoryStorage{},
		OnNew: func(n notify.Notification) {
			out.mu.Lock()
			defer out.mu.Unlock()
			out.new = append(out.new, n.ID)
		},
		OnError: func(err error) { t.Errorf("center: %v", err) },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Close)
	out.Center = n
	return out
}

func (c *center) ids() []string {
	var out []string
	c.View(func(s *notify.Store) {
		for _, n := range s.List(notify.Filter{}) {
			out = append(out, n.ID)
		}
	})
	slices.Reverse(out) // oldest first
	return out
}

func (c *center) newIDs() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.new)
}

// centerBehindProxy is alice's center, subscribed and synced, on a client
// behind a network that can drop it.
func centerBehindProxy(t *testing.T) (*Server, *proxy, *ws.Client, *center) {
	t.Helper()
	s, hs := newTestServer(t, Options{})
	net := newProxy(t, hs)
	client := newWSClient(t, net.url())
	c := newCenter(t, client, "alice")
	barrier(t, client)
	return s, net, client, c
}

func TestNotifyLiveDelivery(t *testing.T) {
	t.Parallel()
	s, hs := newTestServer(t, Options{})
	client := newWSClient(t, wsURL(hs, ""))
	c := newCenter(t, client, "alice")
	barrier(t, client) // subscribed and synced
	n, err := s.Notify("alice", notify.Notification{Severity: notify.Warning, Title: "Query q-9 is slow", Action: &notify.Action{Label: "View plan", URL: "/q/9"}})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the notification", func() bool { return len(c.newIDs()) == 1 })
	var got notify.Notification
	c.View(func(s *notify.Store) { got, _ = s.Get(n.ID) })
	n.State = notify.Unseen
	if !reflect.DeepEqual(got, n) {
		t.Fatalf("stored %+v, want %+v", got, n)
	}
	if _, err := s.Notify("bob", notify.Notification{Severity: notify.Info, Title: "for bob"}); err != nil {
		t.Fatal(err)
	}
	barrier(t, client)
	if ids := c.ids(); !slices.Equal(ids, []string{n.ID}) {
		t.Fatalf("alice's store holds %v", ids)
	}
}

// TestNotifyMissedArriveOnceAfterReconnect: notifications sent while a
// client's network is down arrive after it comes back, each exactly once,
// and the live ones keep coming.
func TestNotifyMissedArriveOnceAfterReconnect(t *testing.T) {
	t.Parallel()
	s, net, client, c := centerBehindProxy(t)

	var want []string
	send := func(title string) {
		t.Helper()
		n, err := s.Notify("alice", notify.Notification{Severity: notify.Info, Title: title})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, n.ID)
	}
	send("before")
	waitFor(t, "the first", func() bool { return len(c.newIDs()) == 1 })

	net.cut()
	waitFor(t, "the client to see the drop", func() bool { return client.Status() != ws.StatusConnected })
	waitFor(t, "the server to see the drop", func() bool { return s.Subscribers("notifications:alice") == 0 })
	send("while down 1")
	send("while down 2")
	net.up()
	waitConnected(t, client)
	waitFor(t, "the missed ones", func() bool { return len(c.newIDs()) == 3 })
	send("after")
	waitFor(t, "the live one", func() bool { return len(c.newIDs()) == 4 })
	barrier(t, client)

	if got := c.newIDs(); !slices.Equal(got, want) {
		t.Fatalf("OnNew saw %v, want %v", got, want)
	}
	if got := c.ids(); !slices.Equal(got, want) {
		t.Fatalf("the store holds %v, want %v", got, want)
	}
}

// TestNotifyReconnectWhileSending: a notification sent around a drop may
// arrive both live and in the batch; the client keeps it once.
func TestNotifyReconnectWhileSending(t *testing.T) {
	t.Parallel()
	s, net, client, c := centerBehindProxy(t)

	var want []string
	for i := range 30 {
		if i%10 == 5 {
			net.cut()
			net.up()
		}
		n, err := s.Notify("alice", notify.Notification{Severity: notify.Info, Title: "n" + strconv.Itoa(i)})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, n.ID)
	}
	waitFor(t, "every notification", func() bool { return len(c.newIDs()) >= len(want) })
	waitConnected(t, client)
	barrier(t, client)
	got := c.newIDs()
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("OnNew saw %v, want each of %v once", got, want)
	}
}
