package notify

import (
	"errors"
	"fmt"
	"slices"
	"testing"
)

func note(seq uint64, sev Severity) Notification {
	return Notification{ID: fmt.Sprintf("n%d", seq), Seq: seq, Severity: sev, Title: fmt.Sprintf("title %d", seq), Time: int64(seq) * 1000}
}

func ids(ns []Notification) []string {
	var out []string
	for _, n := range ns {
		out = append(out, n.ID)
	}
	return out
}

func TestStoreStateMachine(t *testing.T) {
	t.Parallel()
	s := NewStore(0)
	s.Add(note(1, Info))
	n, _ := s.Get("n1")
	if n.State != Unseen {
		t.Fatalf("a new notification is %s, want unseen", n.State)
	}
	steps := []struct {
		name string
		do   func() error
		want State
		err  error
	}{
		{"panel opened", func() error { s.MarkSeen(); return nil }, Seen, nil},
		{"read", func() error { return s.MarkRead("n1") }, Read, nil},
		{"read again is fine", func() error { return s.MarkRead("n1") }, Read, nil},
		{"archived", func() error { return s.Archive("n1") }, Archived, nil},
		{"archived is final", func() error { return s.MarkRead("n1") }, Archived, ErrBackwards},
		{"mark all read leaves archived", func() error { s.MarkAllRead(); return nil }, Archived, nil},
		{"unknown id", func() error { return s.MarkRead("nope") }, Archived, ErrNotFound},
	}
	for _, st := range steps {
		err := st.do()
		if !errors.Is(err, st.err) {
			t.Fatalf("%s: error %v, want %v", st.name, err, st.err)
		}
		if n, _ := s.Get("n1"); n.State != st.want {
			t.Fatalf("%s: state %s, want %s", st.name, n.State, st.want)
		}
	}
	// Unseen can jump straight to read or archived.
	s.Add(note(2, Info))
	s.Add(note(3, Info))
	if err := s.MarkRead("n2"); err != nil {
		t.Fatal(err)
	}
	if err := s.Archive("n3"); err != nil {
		t.Fatal(err)
	}
}

func TestStoreCountsUnreadBySeverity(t *testing.T) {
	t.Parallel()
	s := NewStore(0)
	for i, sev := range []Severity{Info, Info, Success, Warning, Error, Error, Error} {
		s.Add(note(uint64(i+1), sev))
	}
	s.MarkRead("n1")
	s.Archive("n5")
	c := s.Unread()
	want := map[Severity]int{Info: 1, Success: 1, Warning: 1, Error: 2}
	if c.Total != 5 || len(c.BySeverity) != len(want) {
		t.Fatalf("unread %+v, want 5 %v", c, want)
	}
	for sev, n := range want {
		if c.BySeverity[sev] != n {
			t.Fatalf("unread %s: %d, want %d", sev, c.BySeverity[sev], n)
		}
	}
	s.MarkSeen() // seen is still unread
	if s.Unread().Total != 5 {
		t.Fatal("seeing notifications changed the unread count")
	}
	s.MarkAllRead()
	if c := s.Unread(); c.Total != 0 {
		t.Fatalf("after mark all read: %+v", c)
	}
}

func TestStoreDedupesByIDAndKeepsNewestFirst(t *testing.T) {
	t.Parallel()
	s := NewStore(0)
	for _, seq := range []uint64{2, 5, 1, 4, 3} {
		if ok, err := s.Add(note(seq, Info)); !ok || err != nil {
			t.Fatalf("add %d: %v %v", seq, ok, err)
		}
	}
	s.MarkRead("n4")
	if ok, _ := s.Add(note(4, Info)); ok {
		t.Fatal("a replayed notification was added twice")
	}
	if n, _ := s.Get("n4"); n.State != Read {
		t.Fatal("a replay reset the read state")
	}
	if got := ids(s.List(Filter{})); !slices.Equal(got, []string{"n5", "n4", "n3", "n2", "n1"}) {
		t.Fatalf("order %v, want newest first", got)
	}
	if s.LastSeq() != 5 {
		t.Fatalf("last seq %d", s.LastSeq())
	}
}

func TestStoreCapDropsArchivedThenReadThenOldest(t *testing.T) {
	t.Parallel()
	s := NewStore(3)
	s.Add(note(1, Info))
	s.Add(note(2, Info))
	s.Add(note(3, Info))
	s.MarkRead("n3")
	s.Archive("n2")
	s.Add(note(4, Info)) // over the cap: the archived one goes
	if got := ids(s.List(Filter{States: []State{Unseen, Seen, Read, Archived}})); !slices.Equal(got, []string{"n4", "n3", "n1"}) {
		t.Fatalf("after the cap: %v", got)
	}
	s.Add(note(5, Info)) // then the read one
	if got := ids(s.List(Filter{})); !slices.Equal(got, []string{"n5", "n4", "n1"}) {
		t.Fatalf("after the cap: %v", got)
	}
	s.Add(note(6, Info)) // then the oldest
	if got := ids(s.List(Filter{})); !slices.Equal(got, []string{"n6", "n5", "n4"}) {
		t.Fatalf("after the cap: %v", got)
	}
	if ok, _ := s.Add(note(0, Info)); ok {
		t.Fatal("an old notification past the cap was kept")
	}
}

func TestStoreFilters(t *testing.T) {
	t.Parallel()
	s := NewStore(0)
	s.Add(note(1, Info))
	s.Add(note(2, Error))
	s.Add(note(3, Warning))
	s.Add(note(4, Error))
	s.MarkRead("n4")
	s.Archive("n1")
	cases := []struct {
		f    Filter
		want []string
	}{
		{Filter{}, []string{"n4", "n3", "n2"}},
		{Filter{Severities: []Severity{Error}}, []string{"n4", "n2"}},
		{Filter{States: []State{Unseen}}, []string{"n3", "n2"}},
		{Filter{States: []State{Archived}}, []string{"n1"}},
		{Filter{Severities: []Severity{Error}, States: []State{Read}}, []string{"n4"}},
	}
	for _, tc := range cases {
		if got := ids(s.List(tc.f)); !slices.Equal(got, tc.want) {
			t.Errorf("filter %+v: %v, want %v", tc.f, got, tc.want)
		}
	}
}

func TestStoreRejectsBadNotifications(t *testing.T) {
	t.Parallel()
	s := NewStore(0)
	for _, n := range []Notification{
		{Seq: 1, Severity: Info, Title: "no id"},
		{ID: "x", Severity: "loud", Title: "bad severity"},
		{ID: "y", Severity: Info},
	} {
		if _, err := s.Add(n); !errors.Is(err, ErrInvalidData) {
			t.Errorf("%+v: %v, want ErrInvalidData", n, err)
		}
	}
	if s.Len() != 0 {
		t.Fatal("a bad notification was kept")
	}
}

func TestStoreSurvivesAReload(t *testing.T) {
	t.Parallel()
	st := &MemoryStorage{}
	s := NewStore(0)
	s.Add(note(1, Info))
	s.Add(note(2, Warning))
	s.MarkRead("n1")
	if err := s.Save(st, "k"); err != nil {
		t.Fatal(err)
	}
	again := NewStore(0)
	if err := again.Load(st, "k"); err != nil {
		t.Fatal(err)
	}
	if n, _ := again.Get("n1"); n.State != Read {
		t.Fatalf("read state lost over a reload: %s", n.State)
	}
	if again.Unread().Total != 1 {
		t.Fatal("unread count changed over a reload")
	}
	st.Save("bad", []byte("{"))
	if err := again.Load(st, "bad"); err == nil || again.Len() != 2 {
		t.Fatalf("unreadable data: %v, and the store has %d", err, again.Len())
	}
	if err := NewStore(0).Load(st, "missing"); err != nil {
		t.Fatalf("nothing saved: %v", err)
	}
}

// TestStoreResumesPastWhatItCleared: cleared notifications must not come
// back with the next resume, after a reload too.
func TestStoreResumesPastWhatItCleared(t *testing.T) {
	t.Parallel()
	s := NewStore(0)
	for seq := uint64(1); seq <= 4; seq++ {
		s.Add(note(seq, Info))
	}
	if last := s.Clear(); last != 4 || s.LastSeq() != 4 || s.Len() != 0 {
		t.Fatalf("Clear() = %d; then last seq %d, %d held; want 4, 4, 0", last, s.LastSeq(), s.Len())
	}
	st := &MemoryStorage{}
	if err := s.Save(st, "k"); err != nil {
		t.Fatal(err)
	}
	again := NewStore(0)
	if err := again.Load(st, "k"); err != nil {
		t.Fatal(err)
	}
	if again.LastSeq() != 4 {
		t.Fatalf("last seq after a reload of a cleared store: %d, want 4", again.LastSeq())
	}
	again.Add(note(5, Info))
	if again.LastSeq() != 5 || again.Len() != 1 {
		t.Fatalf("after a new one: last seq %d, %d held", again.LastSeq(), again.Len())
	}
}
