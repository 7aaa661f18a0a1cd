package server

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/matih-ai/realtime/wasm/clock"
)

// streamBackend opens a Stream for the contract tests. next makes exactly
// one more event happen. window is how many events the stream holds, 0
// for all of them.
type streamBackend struct {
	name   string
	window int
	open   func(t *testing.T) (st Stream, next func())
}

var streamBackends = []streamBackend{
	{"memory", 4, func(t *testing.T) (Stream, func()) {
		m := NewMemoryStream(4)
		return m, func() {
			if _, err := m.Append("log", []byte("line")); err != nil {
				t.Fatal(err)
			}
		}
	}},
	{"ticker", 4, func(*testing.T) (Stream, func()) {
		c := clock.NewFake()
		return &ticker{clock: c, epoch: c.Now(), interval: time.Second, window: 4}, func() { c.Advance(time.Second) }
	}},
	{"answer", 0, func(*testing.T) (Stream, func()) {
		c := clock.NewFake()
		return newAnswer(c, 40*time.Millisecond, "a prompt long enough for a dozen tokens", -1), func() { c.Advance(40 * time.Millisecond) }
	}},
}

func ids(events []Event) []int64 {
	out := make([]int64, len(events))
	for i, e := range events {
		out[i] = e.ID
	}
	return out
}

func isReady(ready <-chan struct{}) bool {
	select {
	case <-ready:
		return true
	default:
		return false
	}
}

func expectLost(t *testing.T, st Stream, id, resume int64) {
	t.Helper()
	events, err := st.Since(id)
	var lost *HistoryLostError
	if !errors.As(err, &lost) || lost.ID != id || lost.Resume != resume || events != nil {
		t.Fatalf("Since(%d) = %v, %v; want history lost resuming after %d", id, ids(events), err, resume)
	}
	ready, stop := st.Wait(id)
	defer stop()
	if !isReady(ready) {
		t.Fatalf("Wait(%d) is not ready, but Since has lost history to report", id)
	}
}

// TestStreamContract runs the rules of Stream against every implementation.
func TestStreamContract(t *testing.T) {
	t.Parallel()
	for _, b := range streamBackends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			st, next := b.open(t)
			for range 6 {
				next()
			}
			oldest, newest := st.Window()
			if b.window > 0 && newest-oldest+1 != int64(b.window) {
				t.Fatalf("window %d..%d, want %d events", oldest, newest, b.window)
			}

			if events, err := st.Since(newest); err != nil || len(events) != 0 {
				t.Fatalf("Since(newest) = %v, %v; want nothing", ids(events), err)
			}
			ready, stop := st.Wait(newest)
			if isReady(ready) {
				t.Fatal("Wait(newest) is ready before the next event")
			}
			next()
			if !isReady(ready) {
				t.Fatal("Wait(newest) is not ready after the next event")
			}
			stop()
			events, err := st.Since(newest)
			if err != nil || !slices.Equal(ids(events), []int64{newest + 1}) {
				t.Fatalf("Since(%d) = %v, %v; want exactly the next event", newest, ids(events), err)
			}
			if e := events[0]; e.Name == "" || len(e.Data) == 0 {
				t.Fatalf("event %+v: want a name and data", e)
			}

			oldest, newest = st.Window()
			events, err = st.Since(oldest - 1)
			want := make([]int64, 0)
			for id := oldest; id <= newest; id++ {
				want = append(want, id)
			}
			if err != nil || !slices.Equal(ids(events), want) {
				t.Fatalf("Since(oldest-1) = %v, %v; want the window %v", ids(events), err, want)
			}
			if b.window > 0 {
				expectLost(t, st, oldest-2, oldest-1)
			}
			expectLost(t, st, newest+1, newest)
			expectLost(t, st, newest+1000, newest)
		})
	}
}

func TestMemoryStreamClose(t *testing.T) {
	t.Parallel()
	m := NewMemoryStream(0)
	id, err := m.Append("log", []byte("first"))
	if err != nil || id != 0 {
		t.Fatalf("Append = %d, %v; want id 0", id, err)
	}
	ready, stop := m.Wait(0)
	defer stop()
	m.Close()
	m.Close()
	if !isReady(ready) {
		t.Fatal("Close did not wake a waiter")
	}
	if _, err := m.Since(0); !errors.Is(err, ErrStreamEnded) {
		t.Fatalf("Since(last) after Close = %v, want ErrStreamEnded", err)
	}
	if events, err := m.Since(-1); err != nil || len(events) != 1 {
		t.Fatalf("Since(-1) after Close = %v, %v; want the last event", ids(events), err)
	}
	if _, err := m.Append("log", nil); !errors.Is(err, ErrStreamClosed) {
		t.Fatalf("Append after Close = %v, want ErrStreamClosed", err)
	}
	if _, err := NewMemoryStream(1).Append("a\nb", nil); !errors.Is(err, ErrBadEventName) {
		t.Fatalf("Append with a line break in the name = %v, want ErrBadEventName", err)
	}
}

func TestMemoryStreamCopiesData(t *testing.T) {
	t.Parallel()
	m := NewMemoryStream(2)
	data := []byte("abc")
	m.Append("log", data)
	data[0] = 'x'
	if events, _ := m.Since(-1); string(events[0].Data) != "abc" {
		t.Fatalf("the stream holds %q, want the data as appended", events[0].Data)
	}
}

func TestTickerBeforeEpoch(t *testing.T) {
	t.Parallel()
	c := clock.NewFake()
	tk := &ticker{clock: c, epoch: c.Now().Add(time.Hour), interval: time.Second, window: 4}
	if oldest, newest := tk.Window(); oldest <= newest || newest != -1 {
		t.Fatalf("window before the epoch %d..%d, want empty", oldest, newest)
	}
	ready, stop := tk.Wait(-1)
	defer stop()
	c.Advance(time.Hour)
	if events, err := tk.Since(-1); !isReady(ready) || err != nil || !slices.Equal(ids(events), []int64{0}) {
		t.Fatalf("at the epoch: ready %v, Since(-1) = %v, %v; want tick 0", isReady(ready), ids(events), err)
	}
}

func TestTickerSinceIsBounded(t *testing.T) {
	t.Parallel()
	c := clock.NewFake()
	tk := &ticker{clock: c, epoch: c.Now(), interval: time.Nanosecond, window: 1 << 62}
	c.Advance(time.Hour)
	events, err := tk.Since(0)
	if err != nil || len(events) != sinceBatch || events[0].ID != 1 {
		t.Fatalf("Since(0) an hour of nanosecond ticks later: %d events, %v; want ticks 1..%d", len(events), err, sinceBatch)
	}
}

func TestAnswerTokens(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, prompt, intro string
	}{
		{"plain", "hello world", `You asked: "hello world".`},
		{"spaces collapse", "  hello \n\t world ", `You asked: "hello world".`},
		{"long prompt is cut", strings.Repeat("ab ", 40), `You asked: "` + strings.Repeat("ab ", 20)[:60] + `…".`},
		{"invalid utf-8", "bad \xff byte", `You asked: "bad ` + "\uFFFD" + ` byte".`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tokens := answerTokens(tt.prompt)
			if !slices.Equal(tokens, answerTokens(tt.prompt)) {
				t.Fatal("the same prompt gave other tokens")
			}
			text := strings.Join(tokens, "")
			if !strings.HasPrefix(text, tt.intro) || len(tokens) < 20 {
				t.Fatalf("answer %q (%d tokens), want it to start %q", text, len(tokens), tt.intro)
			}
			for i, tok := range tokens {
				if strings.TrimSpace(tok) == "" || (i > 0) != strings.HasPrefix(tok, " ") {
					t.Fatalf("token %d %q: want a word, with a leading space after the first", i, tok)
				}
			}
		})
	}
	if slices.Equal(answerTokens("one question"), answerTokens("another question")) {
		t.Fatal("two prompts gave the same answer")
	}
}

func TestAnswerResume(t *testing.T) {
	t.Parallel()
	const delay = 40 * time.Millisecond
	c := clock.NewFake()
	n := int64(len(answerTokens("q")))

	a := newAnswer(c, delay, "q", 2)
	if _, newest := a.Window(); newest != 2 {
		t.Fatalf("resumed after 2, newest %d", newest)
	}
	c.Advance(delay)
	if events, err := a.Since(2); err != nil || !slices.Equal(ids(events), []int64{3}) {
		t.Fatalf("one delay after resuming after 2: %v, %v; want token 3", ids(events), err)
	}
	c.Advance(time.Duration(n) * delay)
	events, err := a.Since(3)
	if err != nil || len(events) != int(n-3) || events[len(events)-1].Name != "done" || events[len(events)-1].ID != n {
		t.Fatalf("the rest of the answer: %v, %v; want tokens 4.. and done %d", ids(events), err, n)
	}
	if _, err := a.Since(n); !errors.Is(err, ErrStreamEnded) {
		t.Fatalf("Since(done) = %v, want ErrStreamEnded", err)
	}

	if _, err := newAnswer(c, delay, "q", n).Since(n); !errors.Is(err, ErrStreamEnded) {
		t.Fatalf("resumed after done: %v, want ErrStreamEnded", err)
	}
	expectLost(t, newAnswer(c, delay, "q", n+1), n+1, -1)
}
