package live

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// row is an item with key k and value v.
func row(k string, v float64) Item { return Item{"id": k, "v": v} }

// rows makes items with the given keys, each valued 1.
func rows(keys ...string) []Item {
	out := make([]Item, len(keys))
	for i, k := range keys {
		out[i] = row(k, 1)
	}
	return out
}

func viewKeys(v *View) []string {
	var out []string
	for _, it := range v.Items() {
		out = append(out, it.String("id"))
	}
	return out
}

// checkView verifies what every view must hold: unique keys, an index
// that agrees with the items, and no more than max items.
func checkView(v *View) error {
	if v.max > 0 && len(v.items) > v.max {
		return fmt.Errorf("%d items, max %d", len(v.items), v.max)
	}
	if len(v.pos) != len(v.items) {
		return fmt.Errorf("%d keys indexed for %d items", len(v.pos), len(v.items))
	}
	seen := map[string]bool{}
	for i, it := range v.items {
		k, ok := it[v.key].(string)
		if !ok {
			return fmt.Errorf("item %d has no string key: %v", i, it)
		}
		if seen[k] {
			return fmt.Errorf("key %q twice", k)
		}
		seen[k] = true
		if p, ok := v.pos[k]; !ok || p-v.base != i {
			return fmt.Errorf("key %q at %d, indexed at %d", k, i, p-v.base)
		}
	}
	return nil
}

func mustView(t *testing.T, s Snapshot) *View {
	t.Helper()
	v := &View{}
	if _, err := v.ApplySnapshot(s); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestApplyDelta(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		max    int
		deltas []Delta
		want   []string
		seq    uint64
		values map[string]float64 // expected v of some keys
	}{
		{"append adds at the end", 0, []Delta{{Seq: 6, Op: OpAppend, Items: rows("d", "e")}}, []string{"a", "b", "c", "d", "e"}, 6, nil},
		{"append trims the oldest beyond max", 4, []Delta{{Seq: 6, Op: OpAppend, Items: rows("d", "e")}}, []string{"b", "c", "d", "e"}, 6, nil},
		{"append more than max keeps the newest", 2, []Delta{{Seq: 6, Op: OpAppend, Items: rows("d", "e", "f")}}, []string{"e", "f"}, 6, nil},
		{"append of a present key moves it to the end", 0, []Delta{{Seq: 6, Op: OpAppend, Items: []Item{row("a", 9)}}}, []string{"b", "c", "a"}, 6, map[string]float64{"a": 9}},
		{"append of nothing moves the number on", 0, []Delta{{Seq: 6, Op: OpAppend}}, []string{"a", "b", "c"}, 6, nil},
		{"upsert replaces in place", 0, []Delta{{Seq: 6, Op: OpUpsert, Items: []Item{row("b", 7)}}}, []string{"a", "b", "c"}, 6, map[string]float64{"b": 7, "a": 1}},
		{"upsert of a new key appends", 0, []Delta{{Seq: 6, Op: OpUpsert, Items: []Item{row("z", 7), row("a", 2)}}}, []string{"a", "b", "c", "z"}, 6, map[string]float64{"z": 7, "a": 2}},
		{"upsert of a new key trims to max", 3, []Delta{{Seq: 6, Op: OpUpsert, Items: rows("z")}}, []string{"b", "c", "z"}, 6, nil},
		{"upsert of one key twice keeps the last", 0, []Delta{{Seq: 6, Op: OpUpsert, Items: []Item{row("z", 1), row("z", 2)}}}, []string{"a", "b", "c", "z"}, 6, map[string]float64{"z": 2}},
		{"remove the middle", 0, []Delta{{Seq: 6, Op: OpRemove, Keys: []string{"b"}}}, []string{"a", "c"}, 6, nil},
		{"remove the first and the last", 0, []Delta{{Seq: 6, Op: OpRemove, Keys: []string{"a", "c"}}}, []string{"b"}, 6, nil},
		{"remove ignores unknown keys", 0, []Delta{{Seq: 6, Op: OpRemove, Keys: []string{"x", "b", "b"}}}, []string{"a", "c"}, 6, nil},
		{"remove everything", 0, []Delta{{Seq: 6, Op: OpRemove, Keys: []string{"c", "b", "a"}}}, nil, 6, nil},
		{"replace", 0, []Delta{{Seq: 6, Op: OpReplace, Items: rows("x", "y")}}, []string{"x", "y"}, 6, nil},
		{"replace trims to max", 2, []Delta{{Seq: 6, Op: OpReplace, Items: rows("w", "x", "y")}}, []string{"x", "y"}, 6, nil},
		{"replace with nothing", 0, []Delta{{Seq: 6, Op: OpReplace}}, nil, 6, nil},
		{"deltas already in the snapshot are ignored", 0, []Delta{
			{Seq: 4, Op: OpAppend, Items: rows("old")},
			{Seq: 5, Op: OpRemove, Keys: []string{"a"}},
			{Seq: 6, Op: OpAppend, Items: rows("d")},
			{Seq: 6, Op: OpAppend, Items: rows("again")},
		}, []string{"a", "b", "c", "d"}, 6, nil},
		{"a run of deltas", 4, []Delta{
			{Seq: 6, Op: OpAppend, Items: rows("d", "e")},
			{Seq: 7, Op: OpUpsert, Items: []Item{row("c", 3)}},
			{Seq: 8, Op: OpRemove, Keys: []string{"d"}},
			{Seq: 9, Op: OpAppend, Items: rows("f", "g")},
		}, []string{"c", "e", "f", "g"}, 9, map[string]float64{"c": 3}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v := mustView(t, Snapshot{Seq: 5, Key: "id", Items: rows("a", "b", "c"), Max: tc.max})
			for _, d := range tc.deltas {
				if _, err := v.ApplyDelta(d); err != nil {
					t.Fatalf("delta %d: %v", d.Seq, err)
				}
				if err := checkView(v); err != nil {
					t.Fatalf("after delta %d: %v", d.Seq, err)
				}
			}
			if got := viewKeys(v); !slices.Equal(got, tc.want) {
				t.Fatalf("keys %v, want %v", got, tc.want)
			}
			if v.Seq() != tc.seq || !v.Ready() {
				t.Fatalf("seq %d ready %v, want %d ready", v.Seq(), v.Ready(), tc.seq)
			}
			for k, want := range tc.values {
				it, ok := v.Get(k)
				if got, _ := it.Float("v"); !ok || got != want {
					t.Fatalf("%s = %v (found %v), want %v", k, got, ok, want)
				}
			}
		})
	}
}

func TestApplyDeltaReportsChange(t *testing.T) {
	t.Parallel()
	v := mustView(t, Snapshot{Seq: 5, Key: "id", Items: rows("a")})
	if changed, _ := v.ApplyDelta(Delta{Seq: 5, Op: OpAppend, Items: rows("x")}); changed {
		t.Fatal("an old delta reported a change")
	}
	if changed, _ := v.ApplyDelta(Delta{Seq: 6, Op: OpAppend, Items: rows("x")}); !changed {
		t.Fatal("a new delta reported no change")
	}
}

func TestGap(t *testing.T) {
	t.Parallel()
	v := mustView(t, Snapshot{Seq: 5, Key: "id", Items: rows("a", "b")})
	changed, err := v.ApplyDelta(Delta{Seq: 7, Op: OpAppend, Items: rows("g")})
	if !errors.Is(err, ErrGap) || changed {
		t.Fatalf("delta 7 after 5: changed %v, err %v; want ErrGap", changed, err)
	}
	if !strings.Contains(err.Error(), "expected delta 6, got 7") {
		t.Fatalf("the error does not say what is missing: %v", err)
	}
	if v.Ready() {
		t.Fatal("the view is ready after a gap")
	}
	// Waiting for the snapshot: later deltas are held, quietly, and the
	// items stay on display.
	if _, err := v.ApplyDelta(Delta{Seq: 8, Op: OpRemove, Keys: []string{"a"}}); err != nil {
		t.Fatalf("a delta after the gap: %v", err)
	}
	if got := viewKeys(v); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("keys %v while waiting, want the old ones", got)
	}
	// The fresh snapshot includes delta 6; 7 and 8 follow it.
	if _, err := v.ApplySnapshot(Snapshot{Seq: 6, Key: "id", Items: rows("a", "b", "f")}); err != nil {
		t.Fatal(err)
	}
	if got := viewKeys(v); !slices.Equal(got, []string{"b", "f", "g"}) || v.Seq() != 8 || !v.Ready() {
		t.Fatalf("keys %v seq %d ready %v; want [b f g] 8 ready", got, v.Seq(), v.Ready())
	}
}

func TestSnapshotAfterHeldDeltas(t *testing.T) {
	t.Parallel()
	t.Run("a snapshot past the held deltas drops them", func(t *testing.T) {
		t.Parallel()
		v := mustView(t, Snapshot{Seq: 5, Key: "id"})
		v.ApplyDelta(Delta{Seq: 7, Op: OpAppend, Items: rows("x")})
		if _, err := v.ApplySnapshot(Snapshot{Seq: 9, Key: "id", Items: rows("s")}); err != nil {
			t.Fatal(err)
		}
		if got := viewKeys(v); !slices.Equal(got, []string{"s"}) || v.Seq() != 9 || !v.Ready() {
			t.Fatalf("keys %v seq %d ready %v", got, v.Seq(), v.Ready())
		}
	})
	t.Run("a snapshot that leaves a hole is a gap", func(t *testing.T) {
		t.Parallel()
		v := mustView(t, Snapshot{Seq: 5, Key: "id"})
		v.ApplyDelta(Delta{Seq: 9, Op: OpAppend, Items: rows("x")})
		applied, err := v.ApplySnapshot(Snapshot{Seq: 7, Key: "id", Items: rows("s")})
		if !errors.Is(err, ErrGap) || v.Ready() || !applied {
			t.Fatalf("applied %v err %v ready %v; want applied, ErrGap, not ready", applied, err, v.Ready())
		}
		if got := viewKeys(v); !slices.Equal(got, []string{"s"}) {
			t.Fatalf("keys %v: the snapshot itself should apply", got)
		}
		// Delta 8 arrives late after all: the next snapshot sorts it out.
		if _, err := v.ApplySnapshot(Snapshot{Seq: 8, Key: "id", Items: rows("s", "t")}); err != nil {
			t.Fatal(err)
		}
		if got := viewKeys(v); !slices.Equal(got, []string{"s", "t", "x"}) || v.Seq() != 9 {
			t.Fatalf("keys %v seq %d", got, v.Seq())
		}
	})
}

func TestEarlyDeltas(t *testing.T) {
	t.Parallel()
	t.Run("held until the snapshot, applied if they follow on", func(t *testing.T) {
		t.Parallel()
		var v View
		for _, d := range []Delta{
			{Seq: 3, Op: OpAppend, Items: rows("old")}, // in the snapshot
			{Seq: 6, Op: OpAppend, Items: rows("d")},
			{Seq: 7, Op: OpUpsert, Items: []Item{row("a", 5)}},
		} {
			if changed, err := v.ApplyDelta(d); err != nil || changed {
				t.Fatalf("early delta %d: changed %v err %v", d.Seq, changed, err)
			}
		}
		if v.HasData() || v.Len() != 0 {
			t.Fatal("an early delta showed before the snapshot")
		}
		if _, err := v.ApplySnapshot(Snapshot{Seq: 5, Key: "id", Items: rows("a", "b")}); err != nil {
			t.Fatal(err)
		}
		if got := viewKeys(&v); !slices.Equal(got, []string{"a", "b", "d"}) || v.Seq() != 7 {
			t.Fatalf("keys %v seq %d, want [a b d] 7", got, v.Seq())
		}
		if it, _ := v.Get("a"); it.String("v") != "5" {
			t.Fatalf("a = %v, want the upsert", it)
		}
	})
	t.Run("bounded: the oldest go first", func(t *testing.T) {
		t.Parallel()
		var v View
		for s := uint64(1); s <= MaxHeld+10; s++ {
			v.ApplyDelta(Delta{Seq: s, Op: OpAppend, Items: rows(fmt.Sprint(s))})
		}
		if len(v.held) != MaxHeld {
			t.Fatalf("%d held, want %d", len(v.held), MaxHeld)
		}
		if _, err := v.ApplySnapshot(Snapshot{Seq: 10, Key: "id", Max: 5}); err != nil {
			t.Fatalf("the snapshot includes every dropped delta, yet: %v", err)
		}
		want := []string{"1030", "1031", "1032", "1033", "1034"}
		if got := viewKeys(&v); !slices.Equal(got, want) || v.Seq() != MaxHeld+10 {
			t.Fatalf("keys %v seq %d, want %v", got, v.Seq(), want)
		}
	})
	t.Run("a reset keeps the items and holds deltas", func(t *testing.T) {
		t.Parallel()
		v := mustView(t, Snapshot{Seq: 5, Key: "id", Items: rows("a")})
		v.Reset()
		if v.Ready() || !v.HasData() || v.Len() != 1 {
			t.Fatalf("after reset: ready %v data %v len %d", v.Ready(), v.HasData(), v.Len())
		}
		v.ApplyDelta(Delta{Seq: 2, Op: OpAppend, Items: rows("b")}) // a restarted server numbers anew
		if v.Len() != 1 {
			t.Fatal("a delta applied before the snapshot")
		}
		if _, err := v.ApplySnapshot(Snapshot{Seq: 1, Key: "id", Items: rows("z")}); err != nil {
			t.Fatal(err)
		}
		if got := viewKeys(v); !slices.Equal(got, []string{"z", "b"}) || v.Seq() != 2 {
			t.Fatalf("keys %v seq %d", got, v.Seq())
		}
	})
}

func TestBadData(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		delta Delta
		msg   string
	}{
		{"missing key field", Delta{Seq: 6, Op: OpAppend, Items: []Item{row("x", 1), {"name": "no id"}}}, `item 1 has no key field "id"`},
		{"nil item", Delta{Seq: 6, Op: OpUpsert, Items: []Item{nil}}, `item 0 has no key field "id"`},
		{"number key", Delta{Seq: 6, Op: OpUpsert, Items: []Item{{"id": 7.0}}}, `key "id" = 7, not a string`},
		{"unknown op", Delta{Seq: 6, Op: "merge", Items: rows("x")}, `unknown op "merge"`},
		{"no op", Delta{Seq: 6}, `unknown op ""`},
		{"remove with items", Delta{Seq: 6, Op: OpRemove, Items: rows("a")}, "remove lists keys"},
		{"bad replace", Delta{Seq: 6, Op: OpReplace, Items: []Item{{"id": nil}}}, `key "id" = <nil>`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v := mustView(t, Snapshot{Seq: 5, Key: "id", Items: rows("a", "b")})
			changed, err := v.ApplyDelta(tc.delta)
			if !errors.Is(err, ErrBadData) || changed {
				t.Fatalf("changed %v err %v; want ErrBadData", changed, err)
			}
			if !strings.Contains(err.Error(), tc.msg) || !strings.Contains(err.Error(), "delta 6") {
				t.Fatalf("error %q does not say %q of delta 6", err, tc.msg)
			}
			if got := viewKeys(v); !slices.Equal(got, []string{"a", "b"}) || v.Seq() != 5 {
				t.Fatalf("a bad delta changed the view: %v seq %d", got, v.Seq())
			}
			if v.Ready() {
				t.Fatal("the view is ready after a bad delta")
			}
		})
	}
	t.Run("snapshots", func(t *testing.T) {
		t.Parallel()
		for _, s := range []Snapshot{
			{Seq: 1, Items: rows("a")},
			{Seq: 1, Key: "id", Max: -1},
			{Seq: 1, Key: "id", Items: []Item{{"ID": "a"}}},
		} {
			v := mustView(t, Snapshot{Seq: 5, Key: "id", Items: rows("a", "b")})
			if applied, err := v.ApplySnapshot(s); !errors.Is(err, ErrBadData) || applied {
				t.Fatalf("snapshot %+v: applied %v err %v, want ErrBadData", s, applied, err)
			}
			if got := viewKeys(v); !slices.Equal(got, []string{"a", "b"}) || v.Seq() != 5 || !v.Ready() {
				t.Fatalf("a bad snapshot changed the view: %v seq %d", got, v.Seq())
			}
		}
	})
	t.Run("a bad held delta", func(t *testing.T) {
		t.Parallel()
		var v View
		v.ApplyDelta(Delta{Seq: 2, Op: OpAppend, Items: []Item{{"x": 1.0}}})
		applied, err := v.ApplySnapshot(Snapshot{Seq: 1, Key: "id", Items: rows("a")})
		if !errors.Is(err, ErrBadData) || v.Ready() || v.Len() != 1 || !applied {
			t.Fatalf("applied %v err %v ready %v len %d; want ErrBadData, the snapshot, not ready", applied, err, v.Ready(), v.Len())
		}
	})
}

// The JSON of the contract, both ways.
func TestWireFormat(t *testing.T) {
	t.Parallel()
	var s Snapshot
	in := `{"seq":12,"key":"id","items":[{"id":"r1","region":"EMEA","orders":123,"revenue":4567.8}],"max":120}`
	if err := json.Unmarshal([]byte(in), &s); err != nil {
		t.Fatal(err)
	}
	if s.Seq != 12 || s.Key != "id" || s.Max != 120 || len(s.Items) != 1 {
		t.Fatalf("decoded %+v", s)
	}
	it := s.Items[0]
	if it.String("region") != "EMEA" || it.String("orders") != "123" || it.String("missing") != "" {
		t.Fatalf("item fields: %v", it)
	}
	if f, ok := it.Float("revenue"); !ok || f != 4567.8 {
		t.Fatalf("revenue %v %v", f, ok)
	}
	if _, ok := it.Float("region"); ok {
		t.Fatal("a string read as a number")
	}
	for _, tc := range []struct {
		d    Delta
		json string
	}{
		{Delta{Seq: 13, Op: OpAppend, Items: []Item{{"id": "1", "v": 0.5}}}, `{"seq":13,"op":"append","items":[{"id":"1","v":0.5}]}`},
		{Delta{Seq: 14, Op: OpRemove, Keys: []string{"k1", "k2"}}, `{"seq":14,"op":"remove","keys":["k1","k2"]}`},
	} {
		b, err := json.Marshal(tc.d)
		if err != nil || string(b) != tc.json {
			t.Fatalf("encoded %s (%v), want %s", b, err, tc.json)
		}
		var back Delta
		if err := json.Unmarshal(b, &back); err != nil || back.Seq != tc.d.Seq || back.Op != tc.d.Op || len(back.Keys) != len(tc.d.Keys) {
			t.Fatalf("decoded %+v (%v)", back, err)
		}
	}
	b, _ := json.Marshal(Snapshot{Seq: 1, Key: "id", Items: []Item{}})
	if string(b) != `{"seq":1,"key":"id","items":[]}` {
		t.Fatalf("encoded %s", b)
	}
}

func TestDecodeBadItems(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		`{"seq":1,"op":"append","items":[1]}`,
		`{"seq":1,"op":"append","items":[null]}`,
		`{"seq":1,"op":"append","items":[{"id":"a"},"b"]}`,
		`{"seq":1,"op":"append","items":[[]]}`,
	} {
		var d Delta
		err := json.Unmarshal([]byte(in), &d)
		if !errors.Is(err, ErrBadData) || !strings.Contains(err.Error(), "not a JSON object") {
			t.Fatalf("%s: err %v, want an item that is not an object", in, err)
		}
	}
}

// FuzzApply feeds a view random snapshots and deltas, good and bad: it
// never panics, and its keys stay unique and within max.
func FuzzApply(f *testing.F) {
	f.Add([]byte{0, 3, 1, 5, 2, 7, 3, 1, 4, 9, 5, 0, 1, 2})
	f.Add([]byte{1, 1, 1, 2, 0, 0, 2, 2, 2, 3, 3, 3, 6, 6})
	f.Add([]byte{0, 0, 1, 200, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 7, 7})
	f.Fuzz(func(t *testing.T, in []byte) {
		var v View
		var seq uint64
		next := func() byte {
			if len(in) == 0 {
				return 0
			}
			b := in[0]
			in = in[1:]
			return b
		}
		items := func() []Item {
			n := int(next() % 6)
			out := make([]Item, n)
			for i := range out {
				switch b := next(); b % 16 {
				case 14:
					out[i] = Item{"other": "x"}
				case 15:
					out[i] = nil
				default:
					out[i] = Item{"id": string(rune('a' + b%14)), "v": float64(b)}
				}
			}
			return out
		}
		for len(in) > 0 {
			op := next()
			// Mostly the next number, sometimes old, sometimes a gap.
			switch j := next() % 8; j {
			case 0:
				seq += 3
			case 1:
				seq = max(seq, 2) - 2
			default:
				seq++
			}
			switch op % 8 {
			case 0:
				v.ApplySnapshot(Snapshot{Seq: seq, Key: "id", Items: items(), Max: int(next() % 6)})
			case 1:
				v.ApplyDelta(Delta{Seq: seq, Op: OpAppend, Items: items()})
			case 2:
				v.ApplyDelta(Delta{Seq: seq, Op: OpUpsert, Items: items()})
			case 3:
				var keys []string
				for range next() % 4 {
					keys = append(keys, string(rune('a'+next()%14)))
				}
				v.ApplyDelta(Delta{Seq: seq, Op: OpRemove, Keys: keys})
			case 4:
				v.ApplyDelta(Delta{Seq: seq, Op: OpReplace, Items: items()})
			case 5:
				v.Reset()
			case 6:
				v.ApplyDelta(Delta{Seq: seq, Op: Op(fmt.Sprint(next())), Items: items()})
			case 7:
				v.ApplyDelta(Delta{Seq: seq, Op: OpRemove, Items: items()})
			}
			if err := checkView(&v); err != nil {
				t.Fatal(err)
			}
			for _, it := range v.Items() {
				if got, ok := v.Get(it.String("id")); !ok || got.String("v") != it.String("v") {
					t.Fatalf("Get(%s) = %v, %v", it.String("id"), got, ok)
				}
			}
		}
	})
}
