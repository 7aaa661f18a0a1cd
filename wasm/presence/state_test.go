package presence

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func meta(user, session string, opts ...func(*Meta)) Meta {
	m := Meta{User: user, Session: session, Name: user, Status: StatusActive}
	for _, o := range opts {
		o(&m)
	}
	return m
}

func status(s Status) func(*Meta) { return func(m *Meta) { m.Status = s } }

func state(metas ...Meta) State {
	s := State{}
	for _, m := range metas {
		s[m.User] = append(s[m.User], m)
	}
	return s
}

func checkChanges(t *testing.T, got Changes, joined, left, updated []string) {
	t.Helper()
	if !slices.Equal(got.Joined, joined) || !slices.Equal(got.Left, left) || !slices.Equal(got.Updated, updated) {
		t.Fatalf("changes joined %v left %v updated %v; want joined %v left %v updated %v",
			got.Joined, got.Left, got.Updated, joined, left, updated)
	}
}

func TestSyncState(t *testing.T) {
	t.Parallel()
	ab := state(meta("ann", "a1"), meta("bob", "b1"))
	cases := []struct {
		name                  string
		cur, next             State
		joined, left, updated []string
	}{
		{"first state: everyone joins", nil, ab, []string{"ann", "bob"}, nil, nil},
		{"same state: nothing happens", ab, state(meta("ann", "a1"), meta("bob", "b1")), nil, nil, nil},
		{"one leaves, one joins", ab, state(meta("bob", "b1"), meta("cy", "c1")), []string{"cy"}, []string{"ann"}, nil},
		{"a status change is an update", ab, state(meta("ann", "a1", status(StatusAway)), meta("bob", "b1")), nil, nil, []string{"ann"}},
		{"a second tab is an update", ab, state(meta("ann", "a1"), meta("ann", "a2"), meta("bob", "b1")), nil, nil, []string{"ann"}},
		{"an empty user is no user", ab, State{"ann": nil, "bob": ab["bob"]}, nil, []string{"ann"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := tc.cur.Clone()
			got, ch := SyncState(tc.cur, tc.next)
			checkChanges(t, ch, tc.joined, tc.left, tc.updated)
			if _, ok := got["ann"]; ok && len(got["ann"]) == 0 {
				t.Fatal("kept a user without sessions")
			}
			if len(before) != len(tc.cur) {
				t.Fatal("SyncState modified its input")
			}
		})
	}
}

func TestSyncDiffCountsPeopleNotConnections(t *testing.T) {
	t.Parallel()
	s := state(meta("ann", "a1"))

	s, ch := SyncDiff(s, Diff{Joins: state(meta("ann", "a2"))})
	checkChanges(t, ch, nil, nil, []string{"ann"})
	if len(s["ann"]) != 2 {
		t.Fatalf("ann has %d sessions, want 2", len(s["ann"]))
	}

	s, ch = SyncDiff(s, Diff{Joins: state(meta("bob", "b1"))})
	checkChanges(t, ch, []string{"bob"}, nil, nil)

	// Closing one of two tabs is not a leave.
	s, ch = SyncDiff(s, Diff{Leaves: state(meta("ann", "a1"))})
	checkChanges(t, ch, nil, nil, []string{"ann"})

	// A join of a known session replaces its meta.
	s, ch = SyncDiff(s, Diff{Joins: state(meta("ann", "a2", status(StatusIdle)))})
	checkChanges(t, ch, nil, nil, []string{"ann"})
	if len(s["ann"]) != 1 || s["ann"][0].Status != StatusIdle {
		t.Fatalf("ann's metas %+v, want one idle session", s["ann"])
	}

	// The last tab going is the leave.
	s, ch = SyncDiff(s, Diff{Leaves: state(meta("ann", "a2"))})
	checkChanges(t, ch, nil, []string{"ann"}, nil)
	if _, ok := s["ann"]; ok {
		t.Fatal("ann is still listed")
	}

	// Leaving a session nobody knows changes nothing.
	_, ch = SyncDiff(s, Diff{Leaves: state(meta("zed", "z1"))})
	checkChanges(t, ch, nil, nil, nil)
}

func TestSyncHoldsDiffsUntilTheStateComes(t *testing.T) {
	t.Parallel()
	var s Sync
	// Diffs 6 and 7 arrive before the state, which includes up to 5.
	ch, err := s.ApplyDiff(7, Diff{Leaves: state(meta("bob", "b1"))})
	if err != nil || !ch.Empty() || s.Ready() {
		t.Fatalf("a diff before the state: %v %+v ready=%v", err, ch, s.Ready())
	}
	if _, err := s.ApplyDiff(6, Diff{Joins: state(meta("cy", "c1"))}); err != nil {
		t.Fatal(err)
	}
	// Diff 5 is already in the state.
	if _, err := s.ApplyDiff(5, Diff{Joins: state(meta("old", "o1"))}); err != nil {
		t.Fatal(err)
	}
	ch, err = s.ApplyState(5, state(meta("ann", "a1"), meta("bob", "b1")))
	if err != nil {
		t.Fatal(err)
	}
	// bob was in the state and left in diff 7: never shown as joined.
	checkChanges(t, ch, []string{"ann", "cy"}, nil, nil)
	if got := s.State().Users(); !slices.Equal(got, []string{"ann", "cy"}) {
		t.Fatalf("users %v, want ann and cy", got)
	}

	// Out of order after the state: 9 waits for 8.
	ch, _ = s.ApplyDiff(9, Diff{Leaves: state(meta("cy", "c1"))})
	checkChanges(t, ch, nil, nil, nil)
	ch, _ = s.ApplyDiff(8, Diff{Joins: state(meta("dee", "d1"))})
	checkChanges(t, ch, []string{"dee"}, []string{"cy"}, nil)
	// A late duplicate is ignored.
	ch, _ = s.ApplyDiff(8, Diff{Joins: state(meta("dee", "d1"))})
	checkChanges(t, ch, nil, nil, nil)
}

func TestSyncReportsAGap(t *testing.T) {
	t.Parallel()
	var s Sync
	s.ApplyState(1, state(meta("ann", "a1")))
	var err error
	for seq := uint64(3); seq < 3+MaxHeld+1 && err == nil; seq++ {
		_, err = s.ApplyDiff(seq, Diff{Joins: state(meta("u", "s"))})
	}
	if !errors.Is(err, ErrGap) {
		t.Fatalf("diff 2 never came: %v, want ErrGap", err)
	}
}

func TestResetThenSameStateDoesNotFlicker(t *testing.T) {
	t.Parallel()
	var s Sync
	s.ApplyState(3, state(meta("ann", "a1"), meta("bob", "b1")))
	s.Reset() // reconnecting
	if len(s.State()) != 2 {
		t.Fatal("the list emptied while reconnecting")
	}
	ch, err := s.ApplyState(1, state(meta("ann", "a1"), meta("bob", "b1")))
	if err != nil || !ch.Empty() {
		t.Fatalf("a reconnect with the same people: %+v, %v; want no change", ch, err)
	}
}

func TestPeopleListsEachUserOnce(t *testing.T) {
	t.Parallel()
	s := state(
		meta("u2", "x", func(m *Meta) { m.Name = "bob"; m.Status = StatusAway }),
		meta("u1", "y", func(m *Meta) { m.Name = "Ann"; m.Status = StatusAway; m.OnlineAt = 1 }),
		meta("u1", "z", func(m *Meta) { m.Name = "Ann B."; m.Status = StatusIdle; m.OnlineAt = 2; m.Color = "#f00" }),
	)
	got := s.People()
	want := []Person{
		{User: "u1", Name: "Ann B.", Color: "#f00", Status: StatusIdle, Sessions: 2},
		{User: "u2", Name: "bob", Status: StatusAway, Sessions: 1},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("people %+v, want %+v", got, want)
	}
}

// People are sorted by name, case folded, then id, as a comparison of the
// pairs would: names that are prefixes of others, equal names, NULs.
func TestPeopleAreSortedByNameThenID(t *testing.T) {
	t.Parallel()
	names := []string{"ann", "Ann", "ann b", "annb", "ann\x00", "ann\x00b", "\x00", "", "Bob", "bob", "zoë", "ZOË", "an"}
	s := State{}
	for i, name := range names {
		for _, user := range []string{"u" + strconv.Itoa(i), "u" + strconv.Itoa(i) + "\x00", "v"} {
			if _, ok := s[user+name]; !ok {
				s[user+name] = []Meta{{Session: "s", User: user + name, Name: name}}
			}
		}
	}
	got := s.People()
	want := slices.Clone(got)
	slices.SortFunc(want, func(a, b Person) int {
		if c := strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)); c != 0 {
			return c
		}
		return strings.Compare(a.User, b.User)
	})
	if len(got) != len(s) {
		t.Fatalf("%d people for %d users", len(got), len(s))
	}
	if !slices.Equal(got, want) {
		t.Fatalf("people in the order\n%q\nwant\n%q", users(got), users(want))
	}
}

func users(people []Person) []string {
	out := make([]string, len(people))
	for i, p := range people {
		out[i] = p.User
	}
	return out
}

// A session whose Extra changed is an update; one whose Extra reads the
// same, decoded from JSON or set as a Go value, is not.
func TestExtraChangesAreUpdates(t *testing.T) {
	t.Parallel()
	type cursor struct {
		Line int    `json:"line"`
		Doc  string `json:"doc"`
	}
	extra := func(v map[string]any) func(*Meta) { return func(m *Meta) { m.Extra = v } }
	decoded := map[string]any{"cursor": map[string]any{"line": float64(3), "doc": "a"}, "tags": []any{"x", true, nil}}
	for _, tc := range []struct {
		name    string
		after   map[string]any
		updated bool
	}{
		{"the same, decoded again", map[string]any{"cursor": map[string]any{"doc": "a", "line": float64(3)}, "tags": []any{"x", true, nil}}, false},
		{"the same, as a Go value", map[string]any{"cursor": cursor{Line: 3, Doc: "a"}, "tags": []string{"x"}}, true},
		{"the same, Go values that encode alike", map[string]any{"cursor": cursor{Line: 3, Doc: "a"}, "tags": []any{"x", true, nil}}, false},
		{"a nested number moved", map[string]any{"cursor": map[string]any{"line": float64(4), "doc": "a"}, "tags": []any{"x", true, nil}}, true},
		{"a list grew", map[string]any{"cursor": map[string]any{"line": float64(3), "doc": "a"}, "tags": []any{"x", true, nil, 1.0}}, true},
		{"a key went", map[string]any{"cursor": map[string]any{"line": float64(3)}, "tags": []any{"x", true, nil}}, true},
		{"a value that has no JSON", map[string]any{"cursor": func() {}, "tags": []any{"x", true, nil}}, true},
	} {
		before := state(meta("ann", "s1", extra(decoded)))
		_, c := SyncState(before, state(meta("ann", "s1", extra(tc.after))))
		var want []string
		if tc.updated {
			want = []string{"ann"}
		}
		if !slices.Equal(c.Updated, want) {
			t.Errorf("%s: updated %v, want %v", tc.name, c.Updated, want)
		}
	}
}
