//go:build !js

// The client tests serve with net/http/httptest and plug its client in
// with fetch.Client, which exists natively only.

package sse_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/matih-ai/realtime/wasm/sse"
)

// A ticker server that breaks the connection in the middle of an event,
// then ends the response cleanly in the middle of another: the client
// resumes from the last whole event each time, and sees every event once.
func TestResumesAfterDropsWithoutLossOrRepeat(t *testing.T) {
	t.Parallel()
	const total = 12
	h := newHarness(t, sse.Config{}, func(w http.ResponseWriter, r *http.Request, n int) {
		from, _ := strconv.Atoi(r.Header.Get("Last-Event-ID"))
		send := stream(w)
		for i := from + 1; i <= min(from+4, total); i++ {
			send(fmt.Sprintf("event: tick\nid: %d\ndata: {\"n\":%d}\n\n", i, i))
		}
		switch n {
		case 0:
			send(fmt.Sprintf("event: tick\nid: %d\ndata: {\"n\"", from+5))
			panic(http.ErrAbortHandler) // the connection breaks
		case 1:
			send(fmt.Sprintf("event: tick\nid: %d\ndata: {\"n\":%d}\n", from+5, from+5))
			// the response ends before the event does
		default:
			hold(r)
		}
	})
	h.client.Open()
	var got []int
	for len(got) < total {
		e := h.nextEvent()
		n, _ := strconv.Atoi(e.ID)
		if e.Type != "tick" || e.Data != fmt.Sprintf(`{"n":%d}`, n) {
			t.Fatalf("event %+v", e)
		}
		got = append(got, n)
		if n == 4 || n == 8 {
			h.retryAfter(1, 3*time.Second)
		}
	}
	for i, n := range got {
		if n != i+1 {
			t.Fatalf("events %v, want 1 to %d once each in order", got, total)
		}
	}
	var ids []string
	for range 3 {
		ids = append(ids, h.srv.next(t).Header.Get("Last-Event-ID"))
	}
	if want := []string{"", "4", "8"}; !slices.Equal(ids, want) {
		t.Fatalf("the server saw Last-Event-ID %q, want %q", ids, want)
	}
	if err := h.nextErr(); !strings.Contains(err.Error(), "unexpected EOF") {
		t.Errorf("first drop reported as %v, want an unexpected EOF", err)
	}
	if err := h.nextErr(); !errors.Is(err, sse.ErrStreamEnded) {
		t.Errorf("second drop reported as %v, want ErrStreamEnded", err)
	}
	if s := h.client.State(); s.Status != sse.StatusOpen || s.LastEventID != "12" || s.Err != nil {
		t.Errorf("state %+v, want open at id 12 without error", s)
	}
}

func TestNoContentStopsForGood(t *testing.T) {
	t.Parallel()
	h := newHarness(t, sse.Config{}, func(w http.ResponseWriter, r *http.Request, n int) {
		w.WriteHeader(http.StatusNoContent)
	})
	h.client.Open()
	s := h.waitState("closed", func(s sse.State) bool { return s.Status != sse.StatusConnecting })
	if s.Status != sse.StatusClosed || !errors.Is(s.Err, sse.ErrNoContent) {
		t.Fatalf("after a 204: %+v, want closed with ErrNoContent", s)
	}
	h.noTimers()
	select {
	case err := <-h.errs:
		t.Fatalf("a 204 reported an error: %v", err)
	default:
	}
	if n := h.srv.count(); n != 1 {
		t.Fatalf("%d requests, want 1", n)
	}
}

// A response that is not an event stream is an error, with what the
// server said, and is not retried.
func TestResponsesThatAreNotStreamsFailWithoutRetry(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, contentType string
		code              int
		body              string
		want              []string
	}{
		{"html page", "text/html; charset=utf-8", 200, "<html>login first</html>", []string{"200", `"text/html; charset=utf-8"`, "not text/event-stream", "login first"}},
		{"json", "application/json", 200, `{"error":"no stream"}`, []string{"application/json", "no stream"}},
		{"no content type", "", 200, "", []string{`content type ""`}},
		{"unauthorized", "text/plain", 401, "bad token\n", []string{"401 Unauthorized", `"bad token"`}},
		{"not found", "text/plain", 404, strings.Repeat("x", 2000), []string{"404 Not Found", strings.Repeat("x", 512) + `"`}},
		{"a stream with a 403", "text/event-stream", 403, "data: x\n\n", []string{"403 Forbidden"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, sse.Config{}, func(w http.ResponseWriter, r *http.Request, n int) {
				w.Header()["Content-Type"] = []string{tc.contentType}
				w.WriteHeader(tc.code)
				w.Write([]byte(tc.body))
			})
			h.client.Open()
			s := h.waitState("error", func(s sse.State) bool { return s.Status != sse.StatusConnecting })
			var re *sse.ResponseError
			if s.Status != sse.StatusError || !errors.As(s.Err, &re) || re.StatusCode != tc.code || re.Temporary() {
				t.Fatalf("state %+v, want error with a ResponseError for %d", s, tc.code)
			}
			for _, w := range tc.want {
				if !strings.Contains(s.Err.Error(), w) {
					t.Errorf("error %q does not say %q", s.Err, w)
				}
			}
			if err := h.nextErr(); err != s.Err {
				t.Errorf("OnError got %v, want the state's error", err)
			}
			h.noTimers()
			if n := h.srv.count(); n != 1 {
				t.Fatalf("%d requests, want 1", n)
			}
		})
	}
}

func TestServerErrorsRetryWithBackoffThenTheStreamOpens(t *testing.T) {
	t.Parallel()
	h := newHarness(t, sse.Config{}, func(w http.ResponseWriter, r *http.Request, n int) {
		if n < 3 {
			http.Error(w, "database down", http.StatusInternalServerError)
			return
		}
		stream(w)("id: 1\ndata: back\n\n")
		hold(r)
	})
	h.client.Open()
	for i, d := range []time.Duration{3000, 4500, 6750} {
		h.retryAfter(i+1, d*time.Millisecond)
		var re *sse.ResponseError
		if err := h.nextErr(); !errors.As(err, &re) || re.StatusCode != 500 || !strings.Contains(err.Error(), "database down") {
			t.Fatalf("attempt %d: reported %v, want the 500", i+1, err)
		}
	}
	if e := h.nextEvent(); e.Data != "back" {
		t.Fatalf("event %+v", e)
	}
	if s := h.client.State(); s.Status != sse.StatusOpen || s.Err != nil || s.Attempt != 0 {
		t.Fatalf("state %+v, want open, no error, no attempt", s)
	}
	if n := h.srv.count(); n != 4 {
		t.Fatalf("%d requests, want 4", n)
	}
}

// Retry-After is honoured when it asks for longer than the backoff, in
// seconds or as a date.
func TestRetryAfterIsHonoured(t *testing.T) {
	t.Parallel()
	var h *harness
	h = newHarness(t, sse.Config{}, func(w http.ResponseWriter, r *http.Request, n int) {
		switch n {
		case 0:
			w.Header().Set("Retry-After", h.clock.Now().Add(time.Minute).Format(http.TimeFormat))
			http.Error(w, "maintenance", http.StatusServiceUnavailable)
		case 1:
			w.Header().Set("Retry-After", "20")
			http.Error(w, "slow down", http.StatusTooManyRequests)
		case 2:
			w.Header().Set("Retry-After", "1")
			http.Error(w, "busy", http.StatusServiceUnavailable)
		default:
			stream(w)("data: ok\n\n")
			hold(r)
		}
	})
	h.client.Open()
	h.retryAfter(1, time.Minute)
	h.retryAfter(2, 20*time.Second)
	h.retryAfter(3, 6750*time.Millisecond) // the backoff is longer than 1s
	if e := h.nextEvent(); e.Data != "ok" {
		t.Fatalf("event %+v", e)
	}
}

// The server's retry replaces the delay, across connections, within the cap.
func TestServerRetrySetsTheDelay(t *testing.T) {
	t.Parallel()
	h := newHarness(t, sse.Config{}, func(w http.ResponseWriter, r *http.Request, n int) {
		switch n {
		case 0:
			stream(w)("retry: 500\n\ndata: a\n\n")
		case 1:
			stream(w)("data: b\n\n")
		case 2:
			stream(w)("retry: 100000\n")
		default:
			hold(r)
		}
	})
	h.client.Open()
	h.nextEvent()
	h.retryAfter(1, 500*time.Millisecond)
	h.nextEvent()
	h.retryAfter(1, 500*time.Millisecond) // the retry holds for later connections
	s := h.waitRetry()                    // no event: attempt 2, at 100s*1.5 capped to 30s
	if s.Attempt != 2 || s.NextDelay != 30*time.Second || s.Retry != 100*time.Second {
		t.Fatalf("state %+v, want attempt 2 in the 30s cap, retry 100s", s)
	}
}

func TestGivesUpAfterMaxReconnectAttemptsAndOnlineStartsAgain(t *testing.T) {
	t.Parallel()
	h := newHarness(t, sse.Config{MaxReconnectAttempts: 2}, func(w http.ResponseWriter, r *http.Request, n int) {
		http.Error(w, "bad gateway", http.StatusBadGateway)
	})
	h.client.Open()
	h.retryAfter(1, 3*time.Second)
	h.retryAfter(2, 4500*time.Millisecond)
	s := h.waitStatus(sse.StatusError)
	var re *sse.ResponseError
	if !errors.Is(s.Err, sse.ErrGaveUp) || !errors.As(s.Err, &re) || re.StatusCode != 502 {
		t.Fatalf("gave up with %v, want ErrGaveUp wrapping the 502", s.Err)
	}
	h.noTimers()
	if n := h.srv.count(); n != 3 {
		t.Fatalf("%d requests, want the first and 2 reconnects", n)
	}
	h.client.Online()
	h.retryAfter(1, 3*time.Second)
	if s := h.waitRetry(); s.Attempt != 2 {
		t.Fatalf("attempt %d after Online and one retry, want 2", s.Attempt)
	}
	if n := h.srv.count(); n != 5 {
		t.Fatalf("%d requests, want 2 more after Online", n)
	}
}

func TestUnlimitedAttempts(t *testing.T) {
	t.Parallel()
	h := newHarness(t, sse.Config{MaxReconnectAttempts: -1, RetryDelay: time.Second, MaxRetryDelay: 2 * time.Second}, func(w http.ResponseWriter, r *http.Request, n int) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	})
	h.client.Open()
	h.retryAfter(1, time.Second)
	h.retryAfter(2, 1500*time.Millisecond)
	for i := 3; i <= 20; i++ {
		h.retryAfter(i, 2*time.Second)
	}
}

func TestOnlineSkipsTheWait(t *testing.T) {
	t.Parallel()
	h := newHarness(t, sse.Config{}, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 0 {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		stream(w)("data: x\n\n")
		hold(r)
	})
	h.client.Open()
	h.waitRetry()
	h.client.Online()
	h.waitStatus(sse.StatusOpen)
	if e := h.nextEvent(); e.Data != "x" {
		t.Fatalf("event %+v", e)
	}
}

// A stream that stays silent past IdleTimeout, counted from the last bytes
// received, is dropped and resumed.
func TestASilentStreamIsDroppedAndResumed(t *testing.T) {
	t.Parallel()
	more := make(chan string)
	h := newHarness(t, sse.Config{}, func(w http.ResponseWriter, r *http.Request, n int) {
		if n > 0 {
			stream(w)("data: resumed\n\n")
			hold(r)
			return
		}
		send := stream(w)
		send("id: 1\ndata: a\n\n")
		for {
			select {
			case s := <-more:
				send(s)
			case <-r.Context().Done():
				return
			}
		}
	})
	h.client.Open()
	h.nextEvent()
	h.clock.Advance(30 * time.Second)
	more <- ": keep-alive\n\nid: 2\ndata: b\n\n"
	h.nextEvent()
	h.clock.Advance(30 * time.Second) // 60s since the start, 30s since the last bytes
	h.clock.Advance(14 * time.Second)
	if s := h.client.Status(); s != sse.StatusOpen {
		t.Fatalf("%s 44s after the last bytes, want open", s)
	}
	h.clock.Advance(time.Second)
	h.retryAfter(1, 3*time.Second)
	if err := h.nextErr(); !errors.Is(err, sse.ErrIdleTimeout) {
		t.Fatalf("reported %v, want ErrIdleTimeout", err)
	}
	h.srv.next(t)
	if id := h.srv.next(t).Header.Get("Last-Event-ID"); id != "2" {
		t.Fatalf("resumed with Last-Event-ID %q, want 2", id)
	}
	if e := h.nextEvent(); e.Data != "resumed" {
		t.Fatalf("event %+v", e)
	}
}

// A server that accepts the request and never answers is dropped too.
func TestAServerThatNeverAnswersIsDropped(t *testing.T) {
	t.Parallel()
	h := newHarness(t, sse.Config{IdleTimeout: 10 * time.Second}, func(w http.ResponseWriter, r *http.Request, n int) {
		hold(r)
	})
	h.client.Open()
	h.srv.next(t)
	h.clock.Advance(10 * time.Second)
	h.waitRetry()
	if err := h.nextErr(); !errors.Is(err, sse.ErrIdleTimeout) {
		t.Fatalf("reported %v, want ErrIdleTimeout", err)
	}
}

// The attempt count starts again once a connection has delivered an event
// or stayed open StableAfter; a connection that only opens does not count.
func TestAttemptCountResetsAfterAnEventOrAStableConnection(t *testing.T) {
	t.Parallel()
	end := make(chan struct{})
	h := newHarness(t, sse.Config{}, func(w http.ResponseWriter, r *http.Request, n int) {
		send := stream(w)
		switch n {
		case 2:
			send("data: x\n\n")
		case 3:
			select {
			case <-end:
			case <-r.Context().Done():
			}
		case 4:
			hold(r)
		}
	})
	h.client.Open()
	h.retryAfter(1, 3*time.Second)
	h.retryAfter(2, 4500*time.Millisecond)
	h.nextEvent()
	h.retryAfter(1, 3*time.Second) // an event reset the count
	h.waitStatus(sse.StatusOpen)
	h.clock.Advance(5 * time.Second)
	close(end)
	h.retryAfter(1, 3*time.Second) // so did 5s open
}

func TestPostSendsItsBodyHeadersAndTokenOnEveryConnection(t *testing.T) {
	t.Parallel()
	cfg := sse.Config{
		Method:      "post",
		Body:        []byte(`{"prompt":"hi"}`),
		Headers:     map[string]string{"Content-Type": "application/json", "X-Trace": "t1"},
		AuthToken:   "tok-1",
		LastEventID: "41",
	}
	h := newHarness(t, cfg, func(w http.ResponseWriter, r *http.Request, n int) {
		send := stream(w)
		if n == 0 {
			send("id: 42\ndata: x\n\n")
			return
		}
		hold(r)
	})
	h.client.Open()
	h.nextEvent()
	h.retryAfter(1, 3*time.Second)
	for i, lastID := range []string{"41", "42"} {
		r := h.srv.next(t)
		want := map[string]string{
			"Accept":        "text/event-stream",
			"Cache-Control": "no-cache",
			"Authorization": "Bearer tok-1",
			"Last-Event-Id": lastID,
			"Content-Type":  "application/json",
			"X-Trace":       "t1",
		}
		for k, v := range want {
			if got := r.Header.Get(k); got != v {
				t.Errorf("request %d: %s %q, want %q", i, k, got, v)
			}
		}
		if r.Method != http.MethodPost || r.Body != `{"prompt":"hi"}` {
			t.Errorf("request %d: %s with body %q, want the POST and its body", i, r.Method, r.Body)
		}
	}
}

func TestGetSendsNoLastEventIDUntilOneIsKnown(t *testing.T) {
	t.Parallel()
	h := newHarness(t, sse.Config{}, func(w http.ResponseWriter, r *http.Request, n int) {
		stream(w)("data: no id\n\n")
	})
	h.client.Open()
	h.retryAfter(1, 3*time.Second)
	for range 2 {
		r := h.srv.next(t)
		if _, ok := r.Header["Last-Event-Id"]; ok || r.Method != http.MethodGet || r.Body != "" {
			t.Fatalf("%s with body %q and headers %v, want a GET without Last-Event-ID", r.Method, r.Body, r.Header)
		}
	}
}

// Named handlers get their type, in the order added, then the catch-all
// gets every event; a removed handler gets nothing more.
func TestNamedHandlersAndTheCatchAll(t *testing.T) {
	t.Parallel()
	next := make(chan struct{})
	h := newHarness(t, sse.Config{}, func(w http.ResponseWriter, r *http.Request, n int) {
		send := stream(w)
		send("event: tick\ndata: 1\n\ndata: m\n\nevent: token\ndata: t\n\n")
		select {
		case <-next:
		case <-r.Context().Done():
			return
		}
		send("event: tick\ndata: 2\n\ndata: m2\n\n")
		hold(r)
	})
	var mu sync.Mutex
	var calls []string
	seen := make(chan struct{}, 10)
	record := func(name string) func(sse.Event) {
		return func(e sse.Event) {
			mu.Lock()
			defer mu.Unlock()
			calls = append(calls, name+":"+e.Data)
			if name == "all" {
				seen <- struct{}{}
			}
		}
	}
	removeTick := h.client.On("tick", record("tick"))
	h.client.On("message", record("message"))
	removeEmpty := h.client.On("", record("empty-is-message"))
	h.client.On("never", record("never"))
	h.client.OnMessage(record("all"))
	h.client.On("tick", nil)() // ignored, and its remover is harmless

	h.client.Open()
	for range 3 {
		<-seen
	}
	removeTick()
	removeTick() // twice is harmless
	removeEmpty()
	next <- struct{}{}
	for range 2 {
		<-seen
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{
		"tick:1", "all:1",
		"message:m", "empty-is-message:m", "all:m",
		"all:t",
		"all:2",
		"message:m2", "all:m2",
	}
	if !slices.Equal(calls, want) {
		t.Fatalf("calls\n %q\nwant\n %q", calls, want)
	}
}

// A handler that blocks holds up other callbacks, never the reading of
// the stream.
func TestHandlersRunOffTheReader(t *testing.T) {
	t.Parallel()
	h := newHarness(t, sse.Config{}, func(w http.ResponseWriter, r *http.Request, n int) {
		stream(w)("event: slow\nid: 1\ndata: s\n\nid: 2\ndata: a\n\nid: 3\ndata: b\n\n")
		hold(r)
	})
	release := make(chan struct{})
	h.client.On("slow", func(sse.Event) { <-release })
	h.client.Open()
	defer close(release)
	waitFor(t, "the stream to be read while a handler blocks", func() bool { return h.client.LastEventID() == "3" })
	release <- struct{}{}
	for _, want := range []string{"s", "a", "b"} {
		if e := h.nextEvent(); e.Data != want {
			t.Fatalf("event %+v, want data %q", e, want)
		}
	}
}

func TestReconnectResumesAtOnce(t *testing.T) {
	t.Parallel()
	left := make(chan int, 2)
	h := newHarness(t, sse.Config{}, func(w http.ResponseWriter, r *http.Request, n int) {
		stream(w)(fmt.Sprintf("id: %d\ndata: x\n\n", 7+n))
		hold(r)
		left <- n
	})
	h.client.Open()
	h.nextEvent()
	h.client.Reconnect()
	if n := <-left; n != 0 {
		t.Fatalf("connection %d ended, want the first", n)
	}
	h.srv.next(t)
	if id := h.srv.next(t).Header.Get("Last-Event-ID"); id != "7" {
		t.Fatalf("reconnected with Last-Event-ID %q, want 7", id)
	}
	if e := h.nextEvent(); e.ID != "8" {
		t.Fatalf("event %+v", e)
	}
}

// Close ends the request, stops every timer and handler; the goroutine
// check in TestMain sees nothing left behind.
func TestCloseStopsEverything(t *testing.T) {
	t.Parallel()
	left := make(chan struct{})
	h := newHarness(t, sse.Config{}, func(w http.ResponseWriter, r *http.Request, n int) {
		stream(w)("event: slow\nid: 1\ndata: 1\n\nid: 2\ndata: 2\n\nid: 3\ndata: 3\n\n")
		hold(r)
		close(left)
	})
	entered, release := make(chan struct{}), make(chan struct{})
	h.client.On("slow", func(sse.Event) {
		close(entered)
		<-release
	})
	var mu sync.Mutex
	var after []string
	h.client.On("message", func(e sse.Event) {
		mu.Lock()
		defer mu.Unlock()
		after = append(after, e.Data)
	})
	h.client.Open()
	<-entered
	// Events 2 and 3 are read and wait behind the blocked handler.
	waitFor(t, "event 3 to be read", func() bool { return h.client.LastEventID() == "3" })
	h.client.Close()
	close(release)
	<-left
	h.waitStatus(sse.StatusClosed)
	h.noTimers()
	h.client.Open()
	h.client.Reconnect()
	h.client.Online()
	h.clock.Advance(time.Hour)
	if s := h.client.Status(); s != sse.StatusClosed {
		t.Fatalf("status %s after Close, want closed", s)
	}
	if n := h.srv.count(); n != 1 {
		t.Fatalf("%d requests, want 1: nothing after Close", n)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(after) != 0 {
		t.Fatalf("handlers ran after Close returned: %q", after)
	}
}

func TestCloseWhenHiddenClosesAndResumesWhenVisible(t *testing.T) {
	t.Parallel()
	left := make(chan int, 2)
	h := newHarness(t, sse.Config{CloseWhenHidden: true}, func(w http.ResponseWriter, r *http.Request, n int) {
		stream(w)(fmt.Sprintf("id: %d\ndata: x\n\n", n+1))
		hold(r)
		left <- n
	})
	h.client.Open()
	h.nextEvent()
	h.client.SetVisible(false)
	h.waitStatus(sse.StatusClosed)
	<-left
	h.noTimers()
	h.client.Open() // still hidden: waits for the page to show
	h.client.SetVisible(true)
	h.srv.next(t)
	if id := h.srv.next(t).Header.Get("Last-Event-ID"); id != "1" {
		t.Fatalf("reopened with Last-Event-ID %q, want 1", id)
	}
	if e := h.nextEvent(); e.ID != "2" {
		t.Fatalf("event %+v", e)
	}
	if n := h.srv.count(); n != 2 {
		t.Fatalf("%d requests, want 2", n)
	}
}

func TestHiddenPageKeepsTheStreamByDefault(t *testing.T) {
	t.Parallel()
	h := newHarness(t, sse.Config{}, func(w http.ResponseWriter, r *http.Request, n int) {
		stream(w)("data: x\n\n")
		hold(r)
	})
	h.client.Open()
	h.nextEvent()
	h.client.SetVisible(false)
	h.client.SetVisible(true)
	if s := h.client.Status(); s != sse.StatusOpen || h.srv.count() != 1 {
		t.Fatalf("status %s after %d requests, want open on the first", s, h.srv.count())
	}
}

func TestAnEventOverTheLimitIsAnErrorWithoutRetry(t *testing.T) {
	t.Parallel()
	h := newHarness(t, sse.Config{MaxEventSize: 64}, func(w http.ResponseWriter, r *http.Request, n int) {
		stream(w)("data: ok\n\ndata: " + strings.Repeat("x", 100) + "\n\n")
		hold(r)
	})
	h.client.Open()
	h.nextEvent()
	s := h.waitStatus(sse.StatusError)
	if !errors.Is(s.Err, sse.ErrTooLong) {
		t.Fatalf("error %v, want ErrTooLong", s.Err)
	}
	h.noTimers()
}

func TestListenersRemoved(t *testing.T) {
	t.Parallel()
	h := newHarness(t, sse.Config{}, func(w http.ResponseWriter, r *http.Request, n int) {
		http.Error(w, "gone", http.StatusGone)
	})
	var mu sync.Mutex
	var got []string
	note := func(s string) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, s)
	}
	sawError := make(chan struct{})
	removeState := h.client.OnState(func(sse.State) { note("state") })
	removeStatus := h.client.OnStatus(func(s sse.Status) {
		note(string(s))
		if s == sse.StatusError {
			close(sawError)
		}
	})
	removeErr := h.client.OnError(func(error) { note("error") })
	removeState()
	removeErr()
	h.client.Open()
	<-sawError
	removeStatus()
	h.client.Open()
	h.waitStatus(sse.StatusError)
	h.waitStatus(sse.StatusError)
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"connecting", "error"}; !slices.Equal(got, want) {
		t.Fatalf("listeners saw %q, want %q", got, want)
	}
}

func TestIdleTimeoutCanBeDisabled(t *testing.T) {
	t.Parallel()
	h := newHarness(t, sse.Config{IdleTimeout: -1}, func(w http.ResponseWriter, r *http.Request, n int) {
		stream(w)("data: x\n\n")
		hold(r)
	})
	h.client.Open()
	h.nextEvent()
	h.clock.Advance(time.Hour)
	h.noTimers()
	if s := h.client.Status(); s != sse.StatusOpen || h.srv.count() != 1 {
		t.Fatalf("status %s after %d requests, want still open on the first", s, h.srv.count())
	}
}

// TokenFunc is asked before every request: a stream the server ended
// (its token expired) resumes with a fresh token, and a 401 is retried
// at once with another, once.
func TestTokenFuncIsAskedForEveryRequestAndOnceMoreAfterA401(t *testing.T) {
	t.Parallel()
	var asked atomic.Int32
	cfg := sse.Config{TokenFunc: func(context.Context) (string, error) {
		return fmt.Sprintf("tok-%d", asked.Add(1)), nil
	}}
	h := newHarness(t, cfg, func(w http.ResponseWriter, r *http.Request, n int) {
		switch n {
		case 0: // the token's stream, which ends when it expires
			stream(w)("id: 1\ndata: x\n\n")
		case 1: // refused
			w.WriteHeader(http.StatusUnauthorized)
		default:
			stream(w)("id: 2\ndata: y\n\n")
			hold(r)
		}
	})
	h.client.Open()
	h.nextEvent()
	h.retryAfter(1, 3*time.Second) // the stream ended: the usual wait
	if e := h.nextEvent(); e.ID != "2" {
		t.Fatalf("event %+v, want id 2 after the 401", e)
	}
	for i := range 3 {
		if got, want := h.srv.next(t).Header.Get("Authorization"), fmt.Sprintf("Bearer tok-%d", i+1); got != want {
			t.Errorf("request %d: Authorization %q, want %q", i, got, want)
		}
	}
	if s := h.client.State(); s.Status != sse.StatusOpen {
		t.Errorf("state %+v, want open", s)
	}
}

// A second 401 in a row is final, as one without a TokenFunc is; a
// TokenFunc that fails stops the client before any request.
func TestTokenFuncFailuresAreFinal(t *testing.T) {
	t.Parallel()
	t.Run("401 twice", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, sse.Config{TokenFunc: func(context.Context) (string, error) { return "stale", nil }},
			func(w http.ResponseWriter, _ *http.Request, _ int) { w.WriteHeader(http.StatusUnauthorized) })
		h.client.Open()
		s := h.waitStatus(sse.StatusError)
		var re *sse.ResponseError
		if !errors.As(s.Err, &re) || re.StatusCode != 401 {
			t.Fatalf("error %v, want the 401", s.Err)
		}
		if n := h.srv.count(); n != 2 {
			t.Fatalf("%d requests, want 2: the first and one with a fresh token", n)
		}
		h.noTimers()
	})
	t.Run("TokenFunc fails", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, sse.Config{TokenFunc: func(context.Context) (string, error) { return "", errors.New("signed out") }},
			func(w http.ResponseWriter, _ *http.Request, _ int) { stream(w) })
		h.client.Open()
		s := h.waitStatus(sse.StatusError)
		if !errors.Is(s.Err, sse.ErrToken) || !strings.Contains(s.Err.Error(), "signed out") {
			t.Fatalf("error %v, want ErrToken with the reason", s.Err)
		}
		if n := h.srv.count(); n != 0 {
			t.Fatalf("%d requests without a token", n)
		}
		h.noTimers()
	})
}
