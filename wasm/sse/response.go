package sse

import (
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ResponseError is a response that is not an event stream: a status other
// than 200 and 204, or a 200 of another content type.
type ResponseError struct {
	StatusCode  int
	Status      string // as the server gave it, e.g. "401 Unauthorized"
	ContentType string
	// Body is the start of the response body (up to 512 bytes), to say
	// what went wrong.
	Body string
	// RetryAfter is the server's Retry-After, when it gave one.
	RetryAfter time.Duration
}

func (e *ResponseError) Error() string {
	var b strings.Builder
	if e.StatusCode != http.StatusOK {
		fmt.Fprintf(&b, "sse: server answered %s", e.Status)
	} else {
		fmt.Fprintf(&b, "sse: server answered %s with content type %q, not text/event-stream", e.Status, e.ContentType)
	}
	if e.Body != "" {
		fmt.Fprintf(&b, ": %q", e.Body)
	}
	return b.String()
}

// Temporary reports whether the client retries after it: a 5xx or 429.
func (e *ResponseError) Temporary() bool {
	return e.StatusCode >= 500 && e.StatusCode <= 599 || e.StatusCode == http.StatusTooManyRequests
}

// snippetSize bounds the body kept in a ResponseError.
const snippetSize = 512

// check accepts a 200 text/event-stream response; otherwise it returns
// ErrNoContent or a *ResponseError.
func (c *Client) check(resp *http.Response) error {
	if resp.StatusCode == http.StatusNoContent {
		return ErrNoContent
	}
	ct := resp.Header.Get("Content-Type")
	if resp.StatusCode == http.StatusOK {
		if mt, _, err := mime.ParseMediaType(ct); err == nil && mt == "text/event-stream" {
			return nil
		}
	}
	e := &ResponseError{StatusCode: resp.StatusCode, Status: resp.Status, ContentType: ct}
	if e.Status == "" { // the browser's fetch may give no reason phrase
		e.Status = strconv.Itoa(resp.StatusCode)
	}
	// The idle timeout bounds this read, should the body drip.
	b, _ := io.ReadAll(io.LimitReader(resp.Body, snippetSize))
	e.Body = strings.TrimSpace(strings.ToValidUTF8(string(b), "\uFFFD"))
	if e.Temporary() {
		e.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), c.cfg.Clock.Now())
	}
	return e
}

// retryAfter reads a Retry-After header: delay-seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseUint(v, 10, 32); err == nil {
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
