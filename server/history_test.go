package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
)

// historyBackends makes each History under test, keeping size messages a
// channel; reopen returns the history a restarted server would get: the
// same one in memory, the one read from the directory for files.
var historyBackends = []struct {
	name string
	open func(t *testing.T, size, channels int) (h History, reopen func() History)
}{
	{"memory", func(t *testing.T, size, channels int) (History, func() History) {
		h := NewMemoryHistory(size, channels)
		return h, func() History { return h }
	}},
	{"file", func(t *testing.T, size, channels int) (History, func() History) {
		dir := t.TempDir()
		open := func() *FileHistory {
			h, err := OpenFileHistory(dir, size, channels)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { h.Close() })
			return h
		}
		h := open()
		return h, func() History {
			if err := h.Close(); err != nil {
				t.Fatal(err)
			}
			h = open()
			return h
		}
	}},
}

func appendN(t *testing.T, h History, channel string, from uint64, n int) {
	t.Helper()
	for i := range uint64(n) {
		m := HistoryMessage{ID: from + i, Timestamp: 1, Data: json.RawMessage(strconv.FormatUint(from+i, 10))}
		if err := h.Append(channel, m); err != nil {
			t.Fatal(err)
		}
	}
}

func messageIDs(msgs []HistoryMessage) []uint64 {
	out := []uint64{}
	for _, m := range msgs {
		out = append(out, m.ID)
	}
	return out
}

func span(from, to uint64) []uint64 {
	out := []uint64{}
	for id := from; id <= to; id++ {
		out = append(out, id)
	}
	return out
}

func TestHistorySince(t *testing.T) {
	t.Parallel()
	for _, b := range historyBackends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			h, _ := b.open(t, 5, 0)
			if last, mark, err := h.Head("c:x", "p"); last != 0 || mark != 0 || err != nil {
				t.Fatalf("Head of an unknown channel = %d, %d, %v", last, mark, err)
			}
			if msgs, err := h.Since("c:x", 0); len(msgs) != 0 || err != nil {
				t.Fatalf("Since(0) of an unknown channel = %v, %v", msgs, err)
			}
			appendN(t, h, "c:x", 100, 3) // 100..102, nothing dropped yet
			if msgs, err := h.Since("c:x", 0); !slices.Equal(messageIDs(msgs), span(100, 102)) || err != nil {
				t.Fatalf("Since(0) before a drop = %v, %v; want every message, nothing lost", messageIDs(msgs), err)
			}
			appendN(t, h, "c:x", 103, 4) // 100..106, 102..106 kept
			for _, tc := range []struct {
				name string
				id   uint64
				want []uint64
				lost bool
			}{
				{"the latest", 106, []uint64{}, false},
				{"the oldest kept", 102, span(103, 106), false},
				{"the last dropped", 101, span(102, 106), false},
				{"a dropped one", 100, span(102, 106), true},
				{"from the start, after drops", 0, span(102, 106), true},
				{"one never issued", 107, span(102, 106), true},
			} {
				msgs, err := h.Since("c:x", tc.id)
				if !slices.Equal(messageIDs(msgs), tc.want) || errors.Is(err, ErrHistoryLost) != tc.lost || (err != nil) != tc.lost {
					t.Errorf("%s: Since(%d) = %v, %v; want %v, lost %v", tc.name, tc.id, messageIDs(msgs), err, tc.want, tc.lost)
				}
			}
			if err := h.Append("c:x", HistoryMessage{ID: 106}); err == nil {
				t.Error("Append of an id not above the last succeeded")
			}
			if last, _, _ := h.Head("c:x", ""); last != 106 {
				t.Errorf("last %d after a refused Append, want 106", last)
			}
			if msgs, err := h.Since("c:other", 5); len(msgs) != 0 || !errors.Is(err, ErrHistoryLost) {
				t.Errorf("Since on another channel = %v, %v; want lost", msgs, err)
			}
		})
	}
}

func TestHistoryMarksAndRestart(t *testing.T) {
	t.Parallel()
	for _, b := range historyBackends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			h, reopen := b.open(t, 3, 0)
			for i, p := range []string{"a", "b", "a", "a", "a"} {
				if err := h.Append("c:x", HistoryMessage{ID: uint64(10 + i), Publisher: p, Seq: uint64(i + 1), Data: json.RawMessage(`{}`)}); err != nil {
					t.Fatal(err)
				}
			}
			// b's only message is gone from the ring, not its mark.
			check := func(h History, when string) {
				t.Helper()
				for p, want := range map[string]uint64{"a": 5, "b": 2, "c": 0, "": 0} {
					if last, mark, err := h.Head("c:x", p); last != 14 || mark != want || err != nil {
						t.Errorf("%s: Head(%q) = %d, %d, %v; want 14, %d", when, p, last, mark, err, want)
					}
				}
				msgs, err := h.Since("c:x", 11)
				if !slices.Equal(messageIDs(msgs), span(12, 14)) || err != nil || msgs[2].Publisher != "a" || msgs[2].Seq != 5 || string(msgs[2].Data) != `{}` || msgs[2].Timestamp != 0 {
					t.Errorf("%s: Since(11) = %+v, %v", when, msgs, err)
				}
			}
			check(h, "before")
			check(reopen(), "reopened")
		})
	}
}

func TestMemoryHistoryForgetsTheLeastRecentChannel(t *testing.T) {
	t.Parallel()
	h := NewMemoryHistory(2, 2)
	appendN(t, h, "c:a", 1, 1)
	appendN(t, h, "c:b", 1, 1)
	appendN(t, h, "c:a", 2, 1)
	appendN(t, h, "c:c", 1, 1) // b goes
	for ch, want := range map[string]uint64{"c:a": 2, "c:b": 0, "c:c": 1} {
		if last, _, _ := h.Head(ch, ""); last != want {
			t.Errorf("%s: last %d, want %d", ch, last, want)
		}
	}
}

func TestHistoryForgetsTheLeastRecentPublisher(t *testing.T) {
	t.Parallel()
	h := NewMemoryHistory(1, 0)
	for i := range maxPublishers + 1 {
		if err := h.Append("c:x", HistoryMessage{ID: uint64(i + 1), Publisher: "p" + strconv.Itoa(i), Seq: 1}); err != nil {
			t.Fatal(err)
		}
	}
	if _, mark, _ := h.Head("c:x", "p0"); mark != 0 {
		t.Errorf("the first publisher's mark %d, want it forgotten", mark)
	}
	if _, mark, _ := h.Head("c:x", "p1"); mark != 1 {
		t.Errorf("the second publisher's mark %d, want it kept", mark)
	}
}

// A file holds at most twice the messages kept, and a line cut short by a
// crash is dropped rather than spoiling the next one.
func TestFileHistoryRewritesAndRecoversFromACutLine(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	h, err := OpenFileHistory(dir, 4, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { h.Close() }()
	appendN(t, h, "chat:room", 1, 20)
	appendN(t, h, "chat:other", 1, 1) // room's file closes: one channel open
	path := filepath.Join(dir, "chat~room.jsonl")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if lines := bytes.Count(b, []byte("\n")); lines > 2*4+1 {
		t.Errorf("the file has %d lines for 4 messages kept", lines)
	}
	// A crash in the middle of a line.
	if err := os.WriteFile(path, append(b, `{"id":21,"ts":1,"da`...), 0o644); err != nil {
		t.Fatal(err)
	}
	appendN(t, h, "chat:room", 21, 1)
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := h.Head("chat:room", ""); !errors.Is(err, ErrHistoryClosed) {
		t.Fatalf("Head after Close: %v, want ErrHistoryClosed", err)
	}
	h, err = OpenFileHistory(dir, 4, 1)
	if err != nil {
		t.Fatal(err)
	}
	if msgs, err := h.Since("chat:room", 17); !slices.Equal(messageIDs(msgs), span(18, 21)) || err != nil {
		t.Fatalf("after the cut line: %v, %v", messageIDs(msgs), err)
	}
}

func TestParsePublishID(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		id   string
		pub  string
		seq  uint64
		fail bool
	}{
		{"", "", 0, false},
		{"client-7:12", "client-7", 12, false},
		{"a:b:3", "a:b", 3, false},
		{"12", "", 0, true},
		{":12", "", 0, true},
		{"p:0", "", 0, true},
		{"p:x", "", 0, true},
		{"p:-1", "", 0, true},
	} {
		pub, seq, err := parsePublishID(tc.id)
		if pub != tc.pub || seq != tc.seq || (err != nil) != tc.fail {
			t.Errorf("parsePublishID(%q) = %q, %d, %v", tc.id, pub, seq, err)
		}
	}
}
