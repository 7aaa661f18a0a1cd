package presence

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"testing"
)

// FuzzPresenceSync feeds a Sync random states and diffs with numbers in
// order, late, early, repeated and far off, and resets between them. It
// never panics; after a state with nothing held to follow it, the view is
// that state; nobody is listed twice or without a session; the changes
// reported are exactly who appeared, who went and who stayed; and the
// merges never modify what they were given.
func FuzzPresenceSync(f *testing.F) {
	f.Add([]byte{0, 2, 3, 0, 0, 1, 1, 2, 2, 1, 3, 1, 1, 4, 0})
	f.Add([]byte{1, 5, 1, 3, 0, 0, 0, 1, 1, 0, 2, 2, 0, 3, 4, 9})
	f.Add([]byte{0, 250, 2, 1, 1, 1, 255, 1, 1, 2, 0, 1, 0})
	f.Fuzz(fuzzSync)
}

func fuzzSync(t *testing.T, in []byte) {
	// A few hundred steps reach every case, a gap past MaxHeld too;
	// longer inputs only make the fuzzer slow to minimize what it finds.
	in = in[:min(len(in), 1024)]
	next := func() byte {
		if len(in) == 0 {
			return 0
		}
		b := in[0]
		in = in[1:]
		return b
	}
	metas := func() State {
		st := State{}
		for range next() % 6 {
			b := next()
			m := Meta{
				User:    string(rune('a' + b%5)),
				Session: fmt.Sprint("s", b/5%4),
				Status:  []Status{StatusActive, StatusIdle, StatusAway, "?"}[b>>6],
			}
			if b&1 == 0 {
				m.Name = "N" + m.User
			}
			if v := next(); v%3 == 0 {
				m.Extra = map[string]any{"cursor": float64(v)}
			}
			// A user may be listed with no session at all.
			if b%7 == 0 {
				st[m.User] = nil
				continue
			}
			st[m.User] = append(st[m.User], m)
		}
		return st
	}

	var s Sync
	var seq uint64
	for len(in) > 0 {
		op := next()
		// Mostly the next number; sometimes old, repeated, ahead or huge.
		switch j := next(); j % 8 {
		case 0:
			seq += uint64(j%5) + 2
		case 1:
			seq = max(seq, 3) - 3
		case 2:
		case 3:
			if j > 200 {
				seq = ^uint64(0) - uint64(j%3)
			}
		default:
			seq++
		}
		before := s.State().Clone()
		var (
			ch  Changes
			err error
		)
		switch op % 5 {
		case 0, 1:
			st := metas()
			given := deepClone(st)
			_, pending := s.held[seq+1]
			ch, err = s.ApplyState(seq, st)
			if !reflect.DeepEqual(st, given) {
				t.Fatalf("ApplyState modified the state it was given: %v, was %v", st, given)
			}
			if !pending && !sameState(s.State(), nonEmpty(st)) {
				t.Fatalf("after ApplyState(%d, %v) the view is %v", seq, st, s.State())
			}
			if !s.Ready() {
				t.Fatal("not ready after a state")
			}
		case 2, 3:
			d := Diff{Joins: metas(), Leaves: metas()}
			given := Diff{Joins: deepClone(d.Joins), Leaves: deepClone(d.Leaves)}
			ch, err = s.ApplyDiff(seq, d)
			if !reflect.DeepEqual(d, given) {
				t.Fatalf("ApplyDiff modified the diff it was given: %v, was %v", d, given)
			}
		case 4:
			s.Reset()
			if s.Ready() {
				t.Fatal("ready after a reset")
			}
			if !sameState(s.State(), before) {
				t.Fatal("a reset changed the view")
			}
		}
		if err != nil && err != ErrGap {
			t.Fatalf("unexpected error %v", err)
		}
		checkView(t, s.State())
		checkChangesBetween(t, before, s.State(), ch)
	}
}

// checkView checks that every user listed has a session and is listed once.
func checkView(t *testing.T, st State) {
	t.Helper()
	for u, ms := range st {
		if len(ms) == 0 {
			t.Fatalf("user %q is listed without a session: %v", u, st)
		}
	}
	people := st.People()
	if len(people) != len(st) {
		t.Fatalf("%d people listed for %d users: %+v", len(people), len(st), people)
	}
	seen := map[string]bool{}
	for _, p := range people {
		if seen[p.User] {
			t.Fatalf("user %q listed twice: %+v", p.User, people)
		}
		seen[p.User] = true
		if p.Sessions != len(st[p.User]) {
			t.Fatalf("user %q listed with %d sessions, has %d", p.User, p.Sessions, len(st[p.User]))
		}
	}
}

// checkChangesBetween checks that ch names exactly the users who appeared
// and went between before and after, and only users present in both as
// updated; each list sorted, no user in two.
func checkChangesBetween(t *testing.T, before, after State, ch Changes) {
	t.Helper()
	var joined, left []string
	for u := range after {
		if _, ok := before[u]; !ok {
			joined = append(joined, u)
		}
	}
	for u := range before {
		if _, ok := after[u]; !ok {
			left = append(left, u)
		}
	}
	slices.Sort(joined)
	slices.Sort(left)
	if !slices.Equal(ch.Joined, joined) || !slices.Equal(ch.Left, left) {
		t.Fatalf("from %v to %v: changes %+v, want joined %v left %v", before, after, ch, joined, left)
	}
	if !slices.IsSorted(ch.Updated) {
		t.Fatalf("updated %v is not sorted", ch.Updated)
	}
	for _, u := range ch.Updated {
		_, was := before[u]
		_, is := after[u]
		if !was || !is {
			t.Fatalf("from %v to %v: %q reported updated", before, after, u)
		}
	}
}

// sameState compares states, nil and empty alike.
func sameState(a, b State) bool {
	return len(a) == 0 && len(b) == 0 || reflect.DeepEqual(a, b)
}

// nonEmpty returns st without its users that have no session.
func nonEmpty(st State) State {
	out := st.Clone()
	maps.DeleteFunc(out, func(_ string, ms []Meta) bool { return len(ms) == 0 })
	return out
}

// deepClone copies st, Extra maps included.
func deepClone(st State) State {
	out := st.Clone()
	for _, ms := range out {
		for i := range ms {
			ms[i].Extra = maps.Clone(ms[i].Extra)
		}
	}
	return out
}
