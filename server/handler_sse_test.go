package server

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/matih-ai/realtime/wasm/clock"
)

// sseBlock is what a stream sent up to a blank line. It is a small reader
// for tests, not a client: wasm/sse is the one that follows the spec.
type sseBlock struct {
	event, id, data, retry string
	hasID, hasData         bool
	comments               []string
}

// sseStream reads an SSE response block by block. Reads fail once the
// request's deadline passes.
type sseStream struct {
	t    *testing.T
	resp *http.Response
	r    *bufio.Reader
}

// sseRequest sends a request to an SSE endpoint of hs; body, when not
// empty, makes it a POST. header holds extra headers, as "Name: value".
func sseRequest(t *testing.T, hs *httptest.Server, path, body string, header ...string) *http.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	method, reader := http.MethodGet, io.Reader(nil)
	if body != "" {
		method, reader = http.MethodPost, strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, hs.URL+path, reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range header {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Set(k, v)
	}
	resp, err := hs.Client().Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		resp.Body.Close()
	})
	return resp
}

// openSSE opens a stream and checks that it starts with the retry field.
func openSSE(t *testing.T, hs *httptest.Server, path, body string, header ...string) *sseStream {
	t.Helper()
	resp := sseRequest(t, hs, path, body, header...)
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("%s: %s %q, want 200", path, resp.Status, b)
	}
	s := &sseStream{t: t, resp: resp, r: bufio.NewReader(resp.Body)}
	if b, err := s.block(); err != nil || b.retry == "" {
		t.Fatalf("first block %+v, %v; want the retry field", b, err)
	}
	return s
}

// block reads up to the next blank line.
func (s *sseStream) block() (sseBlock, error) {
	var b sseBlock
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			return b, err
		}
		line = strings.TrimSuffix(line, "\n")
		if line == "" {
			return b, nil
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "":
			b.comments = append(b.comments, value)
		case "event":
			b.event = value
		case "id":
			b.id, b.hasID = value, true
		case "retry":
			b.retry = value
		case "data":
			if b.hasData {
				b.data += "\n"
			}
			b.data, b.hasData = b.data+value, true
		default:
			s.t.Fatalf("unexpected line %q", line)
		}
	}
}

// next returns the next event, skipping comments.
func (s *sseStream) next() sseBlock {
	s.t.Helper()
	for {
		b, err := s.block()
		if err != nil {
			s.t.Fatalf("failed to read an event: %v", err)
		}
		if b.hasData {
			return b
		}
		if b.event != "" || b.hasID || b.retry != "" {
			s.t.Fatalf("block %+v without data", b)
		}
	}
}

// expect reads the next event and checks its name and id ("" for none).
func (s *sseStream) expect(event, id string) sseBlock {
	s.t.Helper()
	b := s.next()
	if b.event != event || b.id != id || b.hasID != (id != "") {
		s.t.Fatalf("got event %q id %q (data %s), want event %q id %q", b.event, b.id, b.data, event, id)
	}
	return b
}

// expectTicks reads the ticks from, from+1, ... to.
func (s *sseStream) expectTicks(from, to int64) {
	s.t.Helper()
	for n := from; n <= to; n++ {
		b := s.expect("tick", strconv.FormatInt(n, 10))
		var d tickData
		if err := json.Unmarshal([]byte(b.data), &d); err != nil || d.N != n {
			s.t.Fatalf("tick %d data %s: %v", n, b.data, err)
		}
	}
}

// expectLost reads a history-lost event and checks what it says: the id
// sent, and the oldest id held, one of oldest.
func (s *sseStream) expectLost(sent string, oldest ...string) {
	s.t.Helper()
	b := s.expect("history-lost", "")
	var d historyLostData
	if err := json.Unmarshal([]byte(b.data), &d); err != nil || d.LastEventID != sent || !slices.Contains(oldest, d.Oldest) {
		s.t.Fatalf("history-lost %s (%v), want lastEventId %q oldest one of %q", b.data, err, sent, oldest)
	}
}

// expectEnd reads until the response ends and fails if that takes until
// the deadline.
func (s *sseStream) expectEnd() {
	s.t.Helper()
	for {
		_, err := s.block()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			s.t.Fatalf("the stream did not end: %v", err)
		}
	}
}

// tickerOptions runs the ticker on a fake clock, so that a test makes each
// tick happen. Tick 0 is at the fake clock's start.
func tickerOptions(c *clock.Fake) Options {
	return Options{Clock: c, TickEpoch: c.Now(), TickInterval: time.Second, ReplayWindow: 8, KeepAlive: time.Hour}
}

func TestSSETicker(t *testing.T) {
	t.Parallel()
	c := clock.NewFake()
	_, hs := newTestServer(t, tickerOptions(c))
	s := openSSE(t, hs, "/sse/ticker", "")
	for name, want := range map[string]string{
		"Content-Type":      "text/event-stream; charset=utf-8",
		"Cache-Control":     "no-cache, no-transform",
		"X-Accel-Buffering": "no",
		"Connection":        "keep-alive",
	} {
		if got := s.resp.Header.Get(name); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	for n := int64(1); n <= 3; n++ {
		c.Advance(time.Second)
		b := s.expect("tick", strconv.FormatInt(n, 10))
		want := `{"n":` + strconv.FormatInt(n, 10) + `,"at":` + strconv.FormatInt(c.Now().UnixMilli(), 10) + `}`
		if b.data != want {
			t.Fatalf("tick data %s, want %s", b.data, want)
		}
	}
}

func TestSSERetryField(t *testing.T) {
	t.Parallel()
	_, hs := newTestServer(t, Options{SSERetry: 1500 * time.Millisecond, TickInterval: time.Hour})
	resp := sseRequest(t, hs, "/sse/ticker", "")
	if first, err := bufio.NewReader(resp.Body).ReadString('\n'); err != nil || first != "retry: 1500\n" {
		t.Fatalf("first line %q, %v; want the retry field", first, err)
	}
}

// TestSSETickerResume drops the stream and resumes it, on the same server
// and on a restarted one: every tick arrives once.
func TestSSETickerResume(t *testing.T) {
	t.Parallel()
	c := clock.NewFake()
	opts := tickerOptions(c)
	_, hs := newTestServer(t, opts)
	s := openSSE(t, hs, "/sse/ticker", "")
	c.Advance(3 * time.Second)
	s.expectTicks(1, 3)
	s.resp.Body.Close()

	c.Advance(4 * time.Second)
	s = openSSE(t, hs, "/sse/ticker", "", "Last-Event-ID: 3")
	s.expectTicks(4, 7)
	c.Advance(time.Second)
	s.expectTicks(8, 8)

	s = openSSE(t, hs, "/sse/ticker?lastEventId=6", "")
	s.expectTicks(7, 8)

	_, restarted := newTestServer(t, opts)
	c.Advance(time.Second)
	s = openSSE(t, restarted, "/sse/ticker", "", "Last-Event-ID: 8")
	s.expectTicks(9, 9)
	c.Advance(time.Second)
	s.expectTicks(10, 10)
}

func TestSSEHistoryLost(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, lastID string
	}{
		{"too old", "1"},
		{"ahead of the stream", "500"},
		{"not a number", "abc"},
		{"negative", "-1"},
		{"fraction", "1.5"},
		{"sign", "+5"},
		{"overflow", "99999999999999999999"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := clock.NewFake()
			_, hs := newTestServer(t, tickerOptions(c))
			c.Advance(20 * time.Second) // holds 13..20
			s := openSSE(t, hs, "/sse/ticker", "", "Last-Event-ID: "+tt.lastID)
			s.expectLost(tt.lastID, "13")
			if tt.name == "too old" {
				s.expectTicks(13, 20)
			}
			c.Advance(time.Second)
			s.expectTicks(21, 21)
		})
	}
}

// readAnswer reads an answer to its end and returns its token texts.
func readAnswer(t *testing.T, s *sseStream, from int) []string {
	t.Helper()
	var tokens []string
	for i := from; ; i++ {
		b := s.next()
		if b.id != strconv.Itoa(i) {
			t.Fatalf("event %q id %q, want id %d", b.event, b.id, i)
		}
		if b.event == "done" {
			if b.data != `{"tokens":`+strconv.Itoa(i)+`}` {
				t.Fatalf("done data %s, want %d tokens", b.data, i)
			}
			s.expectEnd()
			return tokens
		}
		var d tokenData
		if err := json.Unmarshal([]byte(b.data), &d); b.event != "token" || err != nil || d.Index != int64(i) {
			t.Fatalf("event %q data %s (%v), want token %d", b.event, b.data, err, i)
		}
		tokens = append(tokens, d.Text)
	}
}

func TestSSEAnswer(t *testing.T) {
	t.Parallel()
	_, hs := newTestServer(t, Options{AnswerTokenDelay: time.Millisecond})
	want := answerTokens("why is the sky blue?")
	n := strconv.Itoa(len(want))

	get := readAnswer(t, openSSE(t, hs, "/sse/answer?prompt=why+is+the+sky+blue%3F", ""), 0)
	post := readAnswer(t, openSSE(t, hs, "/sse/answer", `{"prompt":"why is the sky blue?"}`), 0)
	if !slices.Equal(get, want) || !slices.Equal(post, want) {
		t.Fatalf("GET gave %q\nPOST gave %q\nwant %q", get, post, want)
	}

	resumed := readAnswer(t, openSSE(t, hs, "/sse/answer", `{"prompt":"why is the sky blue?"}`, "Last-Event-ID: 4"), 5)
	if !slices.Equal(resumed, want[5:]) {
		t.Fatalf("resumed after 4: %q, want %q", resumed, want[5:])
	}

	if resp := sseRequest(t, hs, "/sse/answer?prompt=why+is+the+sky+blue%3F&lastEventId="+n, ""); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("resumed after done: %s, want 204", resp.Status)
	}

	// Tokens come every millisecond: the first may exist by the time the
	// stream reads its window, or not yet.
	s := openSSE(t, hs, "/sse/answer?prompt=why+is+the+sky+blue%3F", "", "Last-Event-ID: 1"+n)
	s.expectLost("1"+n, "", "0")
	if again := readAnswer(t, s, 0); !slices.Equal(again, want) {
		t.Fatalf("after an unknown id: %q, want the whole answer", again)
	}
}

func TestSSEAnswerBadRequest(t *testing.T) {
	t.Parallel()
	_, hs := newTestServer(t, Options{})
	tests := []struct {
		name, path, body string
		code             int
		reason           string
	}{
		{"GET without prompt", "/sse/answer", "", 400, "missing prompt"},
		{"blank prompt", "/sse/answer?prompt=+", "", 400, "missing prompt"},
		{"POST malformed JSON", "/sse/answer", `{"prompt":`, 400, "failed to read the request body"},
		{"POST without prompt", "/sse/answer", `{}`, 400, "missing prompt"},
		{"POST not an object", "/sse/answer", `["q"]`, 400, "failed to read the request body"},
		{"POST too big", "/sse/answer", `{"prompt":"` + strings.Repeat("x", maxPromptBody) + `"}`, 400, "failed to read the request body"},
		{"prompt too long", "/sse/answer", `{"prompt":"` + strings.Repeat("x", maxPromptBytes+1) + `"}`, 400, "prompt longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp := sseRequest(t, hs, tt.path, tt.body)
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.code || !strings.Contains(string(b), tt.reason) || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
				t.Fatalf("%s %q (%s), want %d with %q", resp.Status, b, resp.Header.Get("Content-Type"), tt.code, tt.reason)
			}
		})
	}
	req, _ := http.NewRequest(http.MethodPut, hs.URL+"/sse/ticker", nil)
	resp, err := hs.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("PUT /sse/ticker: %s, want 405", resp.Status)
	}
}

func TestSSEKeepAlive(t *testing.T) {
	t.Parallel()
	_, hs := newTestServer(t, Options{KeepAlive: 10 * time.Millisecond, TickInterval: time.Hour})
	s := openSSE(t, hs, "/sse/ticker", "")
	for range 2 {
		if b, err := s.block(); err != nil || !slices.Equal(b.comments, []string{"keep-alive"}) || b.hasData {
			t.Fatalf("block %+v, %v; want a keep-alive comment", b, err)
		}
	}
}

func TestSSEAuth(t *testing.T) {
	t.Parallel()
	_, hs := newTestServer(t, Options{Auth: StaticToken("s3cret"), TickInterval: time.Hour})
	tests := []struct {
		name, query, header string
		code                int
		reason              string
	}{
		{"no token", "", "", 401, "unauthorized: missing token"},
		{"wrong header", "", "Authorization: Bearer nope", 401, "unauthorized: invalid token"},
		{"wrong query", "token=nope", "", 401, "unauthorized: invalid token"},
		{"not bearer", "", "Authorization: Basic s3cret", 401, "unauthorized: missing token"},
		{"header", "", "Authorization: Bearer s3cret", 200, ""},
		{"query", "token=s3cret", "", 200, ""},
	}
	paths := []string{"/sse/ticker?", "/sse/answer?prompt=q&"}
	for _, tt := range tests {
		for _, path := range paths {
			t.Run(tt.name+" "+path, func(t *testing.T) {
				t.Parallel()
				var header []string
				if tt.header != "" {
					header = append(header, tt.header)
				}
				resp := sseRequest(t, hs, path+tt.query, "", header...)
				if resp.StatusCode != tt.code {
					t.Fatalf("%s, want %d", resp.Status, tt.code)
				}
				if tt.code == 200 {
					return
				}
				b, _ := io.ReadAll(resp.Body)
				if strings.TrimSpace(string(b)) != tt.reason || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
					t.Fatalf("401 body %q (%s), want %q in plain text", b, resp.Header.Get("Content-Type"), tt.reason)
				}
			})
		}
	}
	t.Run("drop", func(t *testing.T) {
		t.Parallel()
		if resp := sseRequest(t, hs, "/sse/drop", "{}"); resp.StatusCode != 401 {
			t.Fatalf("drop without a token: %s, want 401", resp.Status)
		}
		if resp := sseRequest(t, hs, "/sse/drop?token=s3cret", "{}"); resp.StatusCode != 204 {
			t.Fatalf("drop with a token: %s, want 204", resp.Status)
		}
	})
}

// TestSSEDropStreams cuts open streams mid-stream and resumes them.
func TestSSEDropStreams(t *testing.T) {
	t.Parallel()
	c := clock.NewFake()
	opts := tickerOptions(c)
	opts.AnswerTokenDelay = time.Second
	s, hs := newTestServer(t, opts)
	tick := openSSE(t, hs, "/sse/ticker", "")
	answer := openSSE(t, hs, "/sse/answer?prompt=q", "")
	c.Advance(time.Second)
	tick.expectTicks(1, 1)
	answer.expect("token", "0")

	if resp := sseRequest(t, hs, "/sse/drop", "{}"); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("POST /sse/drop: %s, want 204", resp.Status)
	}
	tick.expectEnd()
	answer.expectEnd()

	c.Advance(time.Second)
	tick = openSSE(t, hs, "/sse/ticker", "", "Last-Event-ID: 1")
	tick.expectTicks(2, 2)
	s.DropStreams()
	tick.expectEnd()
	waitFor(t, "the streams to end", func() bool { return s.openStreams() == 0 })
}

func TestSSEShutdownEndsStreams(t *testing.T) {
	t.Parallel()
	s, hs := newTestServer(t, Options{TickInterval: time.Hour})
	stream := openSSE(t, hs, "/sse/ticker", "")

	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	stream.expectEnd()
	if n := s.openStreams(); n != 0 {
		t.Fatalf("%d streams open after Shutdown", n)
	}
	// A stream opened afterwards gets the retry field and ends, so that its
	// client reconnects to the next instance.
	openSSE(t, hs, "/sse/ticker", "").expectEnd()
}

// TestSSEServerShutdownIsPrompt checks the order cmd/realtime-server uses:
// http.Server.Shutdown alongside Server.Shutdown returns as soon as the
// streams end.
func TestSSEServerShutdownIsPrompt(t *testing.T) {
	t.Parallel()
	s := New(Options{TickInterval: time.Hour})
	hs := httptest.NewServer(s)
	defer hs.Close()
	stream := openSSE(t, hs, "/sse/ticker", "")

	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	srvErr := make(chan error, 1)
	go func() { srvErr <- s.Shutdown(ctx) }()
	if err := hs.Config.Shutdown(ctx); err != nil {
		t.Fatalf("http.Server.Shutdown: %v", err)
	}
	if err := <-srvErr; err != nil {
		t.Fatalf("Server.Shutdown: %v", err)
	}
	stream.expectEnd()
}

func TestSSEHead(t *testing.T) {
	t.Parallel()
	_, hs := newTestServer(t, Options{TickInterval: time.Hour})
	resp, err := hs.Client().Head(hs.URL + "/sse/ticker")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream; charset=utf-8" {
		t.Fatalf("HEAD /sse/ticker: %s %q, want 200 text/event-stream", resp.Status, resp.Header.Get("Content-Type"))
	}
}

func TestSSEClientLeaving(t *testing.T) {
	t.Parallel()
	s, hs := newTestServer(t, Options{TickInterval: time.Hour})
	stream := openSSE(t, hs, "/sse/ticker", "")
	if n := s.openStreams(); n != 1 {
		t.Fatalf("%d streams open, want 1", n)
	}
	stream.resp.Body.Close()
	waitFor(t, "the handler to end", func() bool { return s.openStreams() == 0 })
}

// TestStreamHandler serves a MemoryStream: multi-line data, resume, and
// the end of a closed stream.
func TestStreamHandler(t *testing.T) {
	t.Parallel()
	s := New(Options{})
	m := NewMemoryStream(4)
	hs := httptest.NewServer(s.StreamHandler(m))
	t.Cleanup(func() {
		s.Shutdown(context.Background())
		hs.Close()
	})

	stream := openSSE(t, hs, "/", "")
	m.Append("log", []byte("first\nsecond\r\nthird"))
	m.Append("", nil)
	if b := stream.expect("log", "0"); b.data != "first\nsecond\nthird" {
		t.Fatalf("data %q, want three lines", b.data)
	}
	if b := stream.expect("", "1"); b.data != "" {
		t.Fatalf("data %q, want none", b.data)
	}
	m.Append("log", []byte("last"))
	m.Close()
	stream.expect("log", "2")
	stream.expectEnd()

	stream = openSSE(t, hs, "/", "", "Last-Event-ID: 0")
	stream.expect("", "1")
	stream.expect("log", "2")
	stream.expectEnd()
	if resp := sseRequest(t, hs, "/", "", "Last-Event-ID: 2"); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("resumed after the last event: %s, want 204", resp.Status)
	}
}
