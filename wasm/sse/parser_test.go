package sse_test

import (
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/matih-ai/realtime/wasm/sse"
)

// parsed is everything a parser made of a stream.
type parsed struct {
	Events   []sse.Event
	LastID   string
	Retry    time.Duration
	HasRetry bool
	Err      error // what ended it: io.EOF for a stream read to its end
}

func parseAll(r io.Reader, maxSize int) parsed {
	p := sse.NewParser(r)
	p.SetMaxEventSize(maxSize)
	var out parsed
	for {
		ev, err := p.Next()
		if err != nil {
			out.Err = err
			break
		}
		out.Events = append(out.Events, ev)
	}
	out.LastID = p.LastEventID()
	out.Retry, out.HasRetry = p.Retry()
	return out
}

func msg(data, id string) sse.Event { return sse.Event{Type: "message", Data: data, ID: id} }

const noRetry = -1

var parserCases = []struct {
	name   string
	in     string
	want   []sse.Event
	lastID string
	retry  time.Duration // noRetry when the stream sets none
}{
	{"one data line", "data: hello\n\n", []sse.Event{msg("hello", "")}, "", noRetry},
	{"data lines join with LF", "data: a\ndata: b\ndata: c\n\n", []sse.Event{msg("a\nb\nc", "")}, "", noRetry},
	{"an empty data line keeps its LF", "data: a\ndata:\n\n", []sse.Event{msg("a\n", "")}, "", noRetry},
	{"empty data dispatches an empty event", "data\n\ndata:\n\n", []sse.Event{msg("", ""), msg("", "")}, "", noRetry},
	{"named event", "event: tick\ndata: 1\n\n", []sse.Event{{Type: "tick", Data: "1"}}, "", noRetry},
	{"the type resets after each event", "event: tick\ndata: 1\n\ndata: 2\n\n", []sse.Event{{Type: "tick", Data: "1"}, msg("2", "")}, "", noRetry},
	{"an empty event field means message", "event:\ndata: 1\n\nevent\ndata: 2\n\n", []sse.Event{msg("1", ""), msg("2", "")}, "", noRetry},
	{"the last event field wins", "event: a\nevent: b\ndata: 1\n\n", []sse.Event{{Type: "b", Data: "1"}}, "", noRetry},
	{"id", "id: 7\ndata: x\n\n", []sse.Event{msg("x", "7")}, "7", noRetry},
	{"the id persists across events", "id: 7\ndata: x\n\ndata: y\n\nid: 8\ndata: z\n\n",
		[]sse.Event{msg("x", "7"), msg("y", "7"), msg("z", "8")}, "8", noRetry},
	{"an empty id resets it", "id: 7\ndata: x\n\nid:\ndata: y\n\n", []sse.Event{msg("x", "7"), msg("y", "")}, "", noRetry},
	{"an id field without a colon resets it", "id: 7\ndata: x\n\nid\ndata: y\n\n", []sse.Event{msg("x", "7"), msg("y", "")}, "", noRetry},
	{"an id holding NUL is ignored", "id: 7\ndata: x\n\nid: 8\x009\ndata: y\n\n", []sse.Event{msg("x", "7"), msg("y", "7")}, "7", noRetry},
	{"an id-only block updates the id without an event", "id: 5\n\ndata: x\n\n", []sse.Event{msg("x", "5")}, "5", noRetry},
	{"an id-only block at the end still counts", "data: x\n\nid: 9\n\n", []sse.Event{msg("x", "")}, "9", noRetry},
	{"the id applies to the whole event whatever the order", "data: x\nid: 3\n\n", []sse.Event{msg("x", "3")}, "3", noRetry},
	{"retry", "retry: 5000\n\n", nil, "", 5000 * time.Millisecond},
	{"retry zero", "retry: 0\n", nil, "", 0},
	{"the last valid retry wins", "retry: 100\nretry: 2x\nretry: 300\nretry: -1\n", nil, "", 300 * time.Millisecond},
	{"retry with other than digits is ignored", "retry: 1.5\nretry: 1e3\nretry:  200\nretry: 200 \nretry: +2\nretry:\nretry\n", nil, "", noRetry},
	{"retry with non-ASCII digits is ignored", "retry: \u0661\u0662\n", nil, "", noRetry},
	{"a huge retry saturates", "retry: 99999999999999999999999999\n", nil, "", time.Duration(math.MaxInt64/int64(time.Millisecond)) * time.Millisecond},
	{"retry does not make an event", "retry: 10\ndata: x\n\n", []sse.Event{msg("x", "")}, "", 10 * time.Millisecond},
	{"comments are ignored", ": hello\n:\ndata: x\n: between\ndata: y\n\n", []sse.Event{msg("x\ny", "")}, "", noRetry},
	{"a comment-only stream makes nothing", ": keep-alive\n\n: keep-alive\n\n", nil, "", noRetry},
	{"a leading BOM is stripped", "\uFEFFdata: x\n\n", []sse.Event{msg("x", "")}, "", noRetry},
	{"only one BOM is stripped", "\uFEFF\uFEFFdata: x\n\ndata: y\n\n", []sse.Event{msg("y", "")}, "", noRetry},
	{"a BOM later is part of the line", "data: x\n\n\uFEFFdata: y\n\n", []sse.Event{msg("x", "")}, "", noRetry},
	{"a BOM inside data is kept", "data: \uFEFFx\n\n", []sse.Event{msg("\uFEFFx", "")}, "", noRetry},
	{"CR line ends", "data: a\rdata: b\r\r", []sse.Event{msg("a\nb", "")}, "", noRetry},
	{"CRLF line ends", "data: a\r\ndata: b\r\n\r\n", []sse.Event{msg("a\nb", "")}, "", noRetry},
	{"mixed line ends", "data: a\ndata: b\r\ndata: c\r\r\nid: 1\n\r", []sse.Event{msg("a\nb\nc", "")}, "1", noRetry},
	{"LF CR is two line ends", "data: a\n\rdata: b\n\n", []sse.Event{msg("a", ""), msg("b", "")}, "", noRetry},
	{"CR CR LF is two line ends", "data: a\r\r\ndata: b\n\n", []sse.Event{msg("a", ""), msg("b", "")}, "", noRetry},
	{"a field without a colon has an empty value", "data\ndata\n\n", []sse.Event{msg("\n", "")}, "", noRetry},
	{"one space after the colon is removed", "data:x\ndata: x\ndata:  x\ndata:\tx\n\n", []sse.Event{msg("x\nx\n x\n\tx", "")}, "", noRetry},
	{"the value keeps later colons", "data: a: b:c\n\n", []sse.Event{msg("a: b:c", "")}, "", noRetry},
	{"unknown fields are ignored", "foo: bar\ndata: x\nDATA: y\n data: z\nevent : e\n\n", []sse.Event{msg("x", "")}, "", noRetry},
	{"an event with no data is not dispatched", "event: tick\n\ndata: x\n\n", []sse.Event{msg("x", "")}, "", noRetry},
	{"the final event without a blank line is discarded", "data: x\n\ndata: y\n", []sse.Event{msg("x", "")}, "", noRetry},
	{"a final line without its end is discarded", "data: x\n\nid: 4\n\ndata: y", []sse.Event{msg("x", "")}, "4", noRetry},
	{"an id in a discarded event does not count", "data: x\n\nid: 4\ndata: y\n", []sse.Event{msg("x", "")}, "", noRetry},
	{"invalid UTF-8 becomes U+FFFD per maximal subpart", "data: a\xffb\xe2\x82c\xf0\x9f\x98\n\n",
		[]sse.Event{msg("a\uFFFDb\uFFFDc\uFFFD", "")}, "", noRetry},
	{"surrogates and overlongs are invalid", "data: \xed\xa0\x80|\xc0\xaf\n\n",
		[]sse.Event{msg("\uFFFD\uFFFD\uFFFD|\uFFFD\uFFFD", "")}, "", noRetry},
	{"empty stream", "", nil, "", noRetry},
	{"blank lines alone", "\n\n\r\n\r", nil, "", noRetry},
}

func TestParserFollowsTheStandard(t *testing.T) {
	t.Parallel()
	for _, tc := range parserCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := parseAll(strings.NewReader(tc.in), 0)
			want := parsed{Events: tc.want, LastID: tc.lastID, Err: io.EOF}
			if tc.retry != noRetry {
				want.Retry, want.HasRetry = tc.retry, true
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("parse %q:\n got %+v\nwant %+v", tc.in, got, want)
			}
		})
	}
}

// Every rule must hold however the reader splits the stream: byte by byte,
// and at every single split point.
func TestParserGivesTheSameEventsWhateverTheChunks(t *testing.T) {
	t.Parallel()
	for _, tc := range parserCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			whole := parseAll(strings.NewReader(tc.in), 0)
			if got := parseAll(iotest.OneByteReader(strings.NewReader(tc.in)), 0); !reflect.DeepEqual(got, whole) {
				t.Errorf("byte by byte:\n got %+v\nwant %+v", got, whole)
			}
			if got := parseAll(iotest.DataErrReader(strings.NewReader(tc.in)), 0); !reflect.DeepEqual(got, whole) {
				t.Errorf("with EOF on the last data:\n got %+v\nwant %+v", got, whole)
			}
			for i := 1; i < len(tc.in); i++ {
				r := &chunks{parts: []string{tc.in[:i], tc.in[i:]}}
				if got := parseAll(r, 0); !reflect.DeepEqual(got, whole) {
					t.Fatalf("split at %d (%q | %q):\n got %+v\nwant %+v", i, tc.in[:i], tc.in[i:], got, whole)
				}
			}
		})
	}
}

// A CR that ends one chunk and an LF that starts the next are one line end,
// not a blank line: the event is not cut in two.
func TestParserCRAtAChunkEndThenLFIsOneLineEnd(t *testing.T) {
	t.Parallel()
	r := &chunks{parts: []string{"data: a\r", "\ndata: b\r", "\n\r", "\n"}}
	got := parseAll(r, 0)
	if want := []sse.Event{msg("a\nb", "")}; !reflect.DeepEqual(got.Events, want) {
		t.Fatalf("events %+v, want %+v", got.Events, want)
	}
}

// chunks is a reader returning its parts one Read at a time.
type chunks struct{ parts []string }

func (c *chunks) Read(b []byte) (int, error) {
	if len(c.parts) == 0 {
		return 0, io.EOF
	}
	n := copy(b, c.parts[0])
	if c.parts[0] = c.parts[0][n:]; c.parts[0] == "" {
		c.parts = c.parts[1:]
	}
	return n, nil
}

func TestParserBoundsLinesAndEvents(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 20)
	cases := []struct {
		name    string
		in      string
		want    []sse.Event
		tooLong bool
	}{
		{"a line at the limit", "data:" + long[:11] + "\n\n", []sse.Event{msg(long[:11], "")}, false},
		{"a line over the limit", "data: x\n\ndata:" + long[:12] + "\n\ndata: y\n\n", []sse.Event{msg("x", "")}, true},
		{"a line over the limit that never ends", "data: x\n\n" + long + long, []sse.Event{msg("x", "")}, true},
		{"a comment over the limit", ":" + long + "\n", nil, true},
		{"data at the limit over several lines", "data:12345678\ndata:1234567\n\n", []sse.Event{msg("12345678\n1234567", "")}, false},
		{"data over the limit over several lines", "data:12345678\ndata:12345678\n\n", nil, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, r := range []io.Reader{strings.NewReader(tc.in), iotest.OneByteReader(strings.NewReader(tc.in))} {
				got := parseAll(r, 16)
				if !reflect.DeepEqual(got.Events, tc.want) {
					t.Errorf("events %+v, want %+v", got.Events, tc.want)
				}
				if errors.Is(got.Err, sse.ErrTooLong) != tc.tooLong {
					t.Errorf("ended with %v, want ErrTooLong: %v", got.Err, tc.tooLong)
				}
			}
		})
	}
}

func TestParserDefaultLimitIsOneMiB(t *testing.T) {
	t.Parallel()
	ok := "data:" + strings.Repeat("x", sse.DefaultMaxEventSize-5) + "\n\n"
	if got := parseAll(strings.NewReader(ok), 0); len(got.Events) != 1 || got.Err != io.EOF {
		t.Fatalf("a 1 MiB line: %d events, %v", len(got.Events), got.Err)
	}
	over := strings.Repeat("x", sse.DefaultMaxEventSize+1)
	if got := parseAll(strings.NewReader(over), 0); !errors.Is(got.Err, sse.ErrTooLong) {
		t.Fatalf("a line over 1 MiB: %v, want ErrTooLong", got.Err)
	}
}

func TestParserStopsAtAReadErrorAndKeepsIt(t *testing.T) {
	t.Parallel()
	boom := errors.New("connection reset")
	r := io.MultiReader(strings.NewReader("data: x\n\ndata: y\n"), iotest.ErrReader(boom))
	p := sse.NewParser(r)
	if ev, err := p.Next(); err != nil || ev.Data != "x" {
		t.Fatalf("first Next: %+v, %v", ev, err)
	}
	for range 2 {
		if _, err := p.Next(); !errors.Is(err, boom) {
			t.Fatalf("Next after the failure: %v, want the read error", err)
		}
	}
}

func TestParserSeededWithALastEventID(t *testing.T) {
	t.Parallel()
	p := sse.NewParser(strings.NewReader("data: x\n\nid: 9\ndata: y\n\n"))
	p.SetLastEventID("41")
	if p.LastEventID() != "41" {
		t.Fatalf("LastEventID %q before reading, want the seed", p.LastEventID())
	}
	for _, want := range []sse.Event{msg("x", "41"), msg("y", "9")} {
		if ev, err := p.Next(); err != nil || ev != want {
			t.Fatalf("Next: %+v, %v; want %+v", ev, err, want)
		}
	}
}

// A reader that keeps returning nothing is an error, not a hang.
func TestParserRefusesAReaderThatMakesNoProgress(t *testing.T) {
	t.Parallel()
	p := sse.NewParser(readerFunc(func([]byte) (int, error) { return 0, nil }))
	if _, err := p.Next(); !errors.Is(err, io.ErrNoProgress) {
		t.Fatalf("Next: %v, want io.ErrNoProgress", err)
	}
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(b []byte) (int, error) { return f(b) }

func FuzzParser(f *testing.F) {
	for _, tc := range parserCases {
		f.Add([]byte(tc.in), uint64(len(tc.in)))
	}
	f.Add([]byte("\uFEFFretry: 10\r\nid: 1\r\nevent: e\r\ndata: a\r\rdata: b\r\n\n"), uint64(7))
	f.Add([]byte(": c\rdata\nid\x00\n\n\xef\xbb"), uint64(1))
	f.Add([]byte("data: "+strings.Repeat("y", 80)+"\n\n"), uint64(3))
	f.Fuzz(func(t *testing.T, in []byte, seed uint64) {
		maxSize := 0
		if seed%4 == 0 {
			maxSize = 1 + int(seed>>2)%64 // reach the limit too
		}
		whole := parseAll(strings.NewReader(string(in)), maxSize)
		if whole.Err != io.EOF && !errors.Is(whole.Err, sse.ErrTooLong) {
			t.Fatalf("parse %q ended with %v", in, whole.Err)
		}
		for _, ev := range whole.Events {
			if ev.Type == "" {
				t.Fatalf("parse %q: an event without a type: %+v", in, ev)
			}
			if !utf8Valid(ev.Type, ev.Data, ev.ID) {
				t.Fatalf("parse %q: an event with invalid UTF-8: %+q", in, ev)
			}
			if strings.ContainsRune(ev.ID, 0) {
				t.Fatalf("parse %q: an id holding NUL: %+q", in, ev)
			}
		}
		rng := rand.New(rand.NewPCG(seed, seed>>32))
		var parts []string
		for rest := string(in); rest != ""; {
			n := 1 + rng.IntN(min(len(rest), 9))
			parts = append(parts, rest[:n])
			rest = rest[n:]
		}
		got := parseAll(&chunks{parts: parts}, maxSize)
		// Errors compare by what they wrap; the rest exactly.
		if errors.Is(got.Err, sse.ErrTooLong) && errors.Is(whole.Err, sse.ErrTooLong) {
			got.Err = whole.Err
		}
		if !reflect.DeepEqual(got, whole) {
			t.Fatalf("parse %q in chunks %q:\n got %+v\nwant %+v", in, parts, got, whole)
		}
	})
}

func utf8Valid(ss ...string) bool {
	for _, s := range ss {
		if strings.ToValidUTF8(s, "") != s {
			return false
		}
	}
	return true
}
