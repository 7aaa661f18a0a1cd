package sse

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/matih-ai/realtime/wasm/fetch"
)

// ResponseError is a response that is not an event stream: a status other
// than 200 and 204, or a 200 of another content type.
type ResponseError struct {
	StatusCode  int
	Status      string // "401 Unauthorized", or "401" with no reason phrase (HTTP/2 in a browser)
	ContentType string
	// Body is the start of the response body (up to 512 bytes), to say
	// what went wrong.
	Body string
	// RetryAfter is the server's Retry-After, when it gave one.
	RetryAfter time.Duration
}

func (e *ResponseError) Error() string {
	var b strings.Builder
	if e.StatusCode != 200 {
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
	return e.StatusCode >= 500 && e.StatusCode <= 599 || e.StatusCode == 429 // Too Many Requests
}

// snippetSize bounds the body kept in a ResponseError.
const snippetSize = 512

// check accepts a 200 text/event-stream response; otherwise it returns
// ErrNoContent or a *ResponseError.
func (c *Client) check(resp *fetch.Response) error {
	if resp.StatusCode == 204 {
		return ErrNoContent
	}
	ct := resp.Header.Get("Content-Type")
	if resp.StatusCode == 200 && isEventStream(ct) {
		return nil
	}
	e := &ResponseError{StatusCode: resp.StatusCode, Status: resp.Status, ContentType: ct}
	// The idle timeout bounds this read, should the body drip.
	b, _ := io.ReadAll(io.LimitReader(resp.Body, snippetSize))
	e.Body = strings.TrimSpace(strings.ToValidUTF8(string(b), "\uFFFD"))
	if e.Temporary() {
		e.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), c.cfg.Clock.Now())
	}
	return e
}

// isEventStream reports whether the media type of a Content-Type value is
// text/event-stream, whatever its parameters.
func isEventStream(contentType string) bool {
	mt, _, _ := strings.Cut(contentType, ";")
	return strings.EqualFold(strings.TrimSpace(mt), "text/event-stream")
}

// httpDates are the formats of an HTTP date (RFC 9110, 5.6.7): the one
// servers send, and two obsolete ones recipients must accept.
var httpDates = []string{
	"Mon, 02 Jan 2006 15:04:05 GMT",
	"Monday, 02-Jan-06 15:04:05 GMT",
	"Mon Jan _2 15:04:05 2006",
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
	for _, layout := range httpDates {
		if t, err := time.Parse(layout, v); err == nil {
			if t.After(now) {
				return t.Sub(now)
			}
			return 0
		}
	}
	return 0
}
