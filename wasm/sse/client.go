package sse

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/matih-ai/realtime/wasm/backoff"
	"github.com/matih-ai/realtime/wasm/clock"
	"github.com/matih-ai/realtime/wasm/fetch"
	"github.com/matih-ai/realtime/wasm/internal/callback"
)

// Errors of a Client, found in State.Err and given to OnError listeners.
var (
	// ErrNoContent: the server answered 204, which means "no more": the
	// client stops for good.
	ErrNoContent = errors.New("sse: server answered 204 No Content: the stream is over")
	// ErrStreamEnded: the server ended the response; the client resumes.
	ErrStreamEnded = errors.New("sse: the server ended the stream")
	// ErrIdleTimeout: nothing arrived for IdleTimeout; the client resumes.
	ErrIdleTimeout = errors.New("sse: the stream went silent past the idle timeout")
	// ErrGaveUp wraps the last failure once MaxReconnectAttempts are spent.
	ErrGaveUp = errors.New("sse: gave up reconnecting")
	// ErrToken wraps what Config.TokenFunc failed with; the client stops.
	ErrToken = errors.New("sse: failed to get a token")
)

// errEnded cancels a connection that the client itself ended.
var errEnded = errors.New("sse: connection ended by the client")

// Client is a Server-Sent Events stream that resumes after drops. It is
// safe for concurrent use.
type Client struct {
	cfg       Config
	callbacks *callback.Queue

	all            callback.List[Event]
	stateListeners callback.List[State]
	errorListeners callback.List[error]
	stopBrowser    func()

	mu          sync.Mutex
	handlers    map[string]*callback.List[Event]
	status      Status
	attempts    int // consecutive reconnect attempts since a connection last worked
	nextDelay   time.Duration
	retry       time.Duration
	lastEventID string
	lastErr     error
	closed      bool // Close was called: for good
	hidden      bool // the page is hidden
	suspended   bool // CloseWhenHidden closed the stream; visibility reopens it
	gen         int  // bumped whenever a connection or a wait ends; stale work compares it
	cancel      context.CancelCauseFunc
	lastRead    time.Time      // when the current connection last received bytes
	timers      [3]clock.Timer // indexed by timer*
	refreshed   bool           // reconnected with a fresh token after a 401, and no stream opened since
}

const (
	timerRetry = iota
	timerIdle
	timerStable
)

// New validates cfg and returns a closed client; call Open.
func New(cfg Config) (*Client, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	c := &Client{
		cfg:         cfg,
		callbacks:   callback.NewQueue(),
		handlers:    map[string]*callback.List[Event]{},
		status:      StatusClosed,
		retry:       cfg.RetryDelay,
		lastEventID: cfg.LastEventID,
	}
	c.stopBrowser = watchBrowser(c)
	return c, nil
}

// Config returns the configuration in use, defaults filled in.
func (c *Client) Config() Config { return c.cfg }

// Status returns the current status.
func (c *Client) Status() Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.status
}

// State returns a snapshot of the client.
func (c *Client) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stateLocked()
}

func (c *Client) stateLocked() State {
	s := State{Status: c.status, Retry: c.retry, LastEventID: c.lastEventID, Err: c.lastErr}
	if c.status == StatusConnecting {
		s.Attempt, s.NextDelay = c.attempts, c.nextDelay
	}
	return s
}

// LastEventID returns the id the next connection resumes from.
func (c *Client) LastEventID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastEventID
}

// On calls fn with every event of type eventType ("" is "message", as in
// the stream) until the returned function is called. A nil fn is ignored.
func (c *Client) On(eventType string, fn func(Event)) (remove func()) {
	if eventType == "" {
		eventType = "message"
	}
	c.mu.Lock()
	r := c.handlers[eventType]
	if r == nil {
		r = &callback.List[Event]{}
		c.handlers[eventType] = r
	}
	c.mu.Unlock()
	return r.Add(fn)
}

// OnMessage calls fn with every event, whatever its type, after the
// handlers registered with On for that type. (A browser's onmessage sees
// only type "message": that is On("message", fn).)
func (c *Client) OnMessage(fn func(Event)) (remove func()) {
	return c.all.Add(fn)
}

// OnState calls fn with a snapshot after every change of status, attempt
// or delay (not after each new event id: read State for that).
func (c *Client) OnState(fn func(State)) (remove func()) {
	return c.stateListeners.Add(fn)
}

// OnStatus calls fn after every change of status.
func (c *Client) OnStatus(fn func(Status)) (remove func()) {
	last := Status("")
	return c.OnState(func(s State) {
		if s.Status != last {
			last = s.Status
			fn(s.Status)
		}
	})
}

// OnError calls fn with every failure, as a browser's onerror fires: each
// lost connection or refused request, whether it is retried or not. It is
// not called for the server's 204 or for Close.
func (c *Client) OnError(fn func(error)) (remove func()) {
	return c.errorListeners.Add(fn)
}

func (c *Client) notifyLocked() {
	s := c.stateLocked()
	c.callbacks.Push(func() { c.stateListeners.Each(s, nil) })
}

func (c *Client) setStatusLocked(s Status) {
	c.status = s
	c.notifyLocked()
}

// deliver runs on the callbacks goroutine. It skips handlers once the
// client is closed, so none runs after Close returned.
func (c *Client) deliver(ev Event) {
	live := func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return !c.closed
	}
	c.mu.Lock()
	r := c.handlers[ev.Type]
	c.mu.Unlock()
	if r != nil {
		r.Each(ev, live)
	}
	c.all.Each(ev, live)
}

// Open starts streaming and returns at once. It does nothing while the
// client is connecting or open, or after Close; from StatusClosed or
// StatusError it starts again with a fresh attempt count. With
// CloseWhenHidden on a hidden page, the stream opens when the page shows.
func (c *Client) Open() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || c.status == StatusConnecting || c.status == StatusOpen || c.suspended {
		return
	}
	c.attempts = 0
	c.lastErr = nil
	c.refreshed = false
	if c.hidden && c.cfg.CloseWhenHidden {
		c.suspended = true // stays closed until the page shows
		return
	}
	c.startLocked()
}

// Reconnect drops the connection, if any, and connects again at once with a
// fresh attempt count, resuming from the last event id.
func (c *Client) Reconnect() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	c.endLocked()
	c.suspended = false
	c.attempts = 0
	c.lastErr = nil
	c.refreshed = false
	c.startLocked()
}

// Close ends the stream for good and releases everything the client holds.
// No handler starts after it returns; state listeners see StatusClosed last.
func (c *Client) Close() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.endLocked()
	c.suspended = false
	c.lastErr = nil
	c.setStatusLocked(StatusClosed)
	c.closed = true
	c.mu.Unlock()
	c.stopBrowser()
	c.callbacks.StopAfterQueued()
}

// Online reconnects at once if the client waits to retry, or if it gave up
// after MaxReconnectAttempts, as when the browser reports the network is
// back. The browser hook calls it on the window's "online" event.
func (c *Client) Online() {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.closed:
	case c.status == StatusConnecting && c.timers[timerRetry] != nil:
		c.endLocked()
		c.startLocked()
	case c.status == StatusError && errors.Is(c.lastErr, ErrGaveUp):
		c.attempts = 0
		c.startLocked()
	}
}

// SetVisible reports whether the page is visible; the browser hook calls
// it on "visibilitychange". With CloseWhenHidden, hiding closes the stream
// and showing reopens it where it left off.
func (c *Client) SetVisible(visible bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	c.hidden = !visible
	if !c.cfg.CloseWhenHidden {
		return
	}
	switch {
	case c.hidden && (c.status == StatusConnecting || c.status == StatusOpen):
		c.endLocked()
		c.suspended = true
		c.lastErr = nil
		c.setStatusLocked(StatusClosed)
	case !c.hidden && c.suspended:
		c.suspended = false
		c.attempts = 0
		c.startLocked()
	}
}

// endLocked ends the current connection or wait and its timers.
func (c *Client) endLocked() {
	c.gen++
	for i, t := range c.timers {
		if t != nil {
			t.Stop()
			c.timers[i] = nil
		}
	}
	if c.cancel != nil {
		c.cancel(errEnded)
		c.cancel = nil
	}
	c.nextDelay = 0
}

// startLocked opens a connection.
func (c *Client) startLocked() {
	c.gen++
	gen := c.gen
	ctx, cancel := context.WithCancelCause(context.Background())
	c.cancel = cancel
	c.nextDelay = 0
	c.lastRead = c.cfg.Clock.Now()
	if c.cfg.IdleTimeout > 0 {
		c.scheduleIdleLocked(gen, c.cfg.IdleTimeout)
	}
	c.setStatusLocked(StatusConnecting)
	go c.run(ctx, cancel, gen, c.requestLocked(), c.lastEventID)
}

func (c *Client) requestLocked() *fetch.Request {
	h := make(map[string]string, len(c.cfg.Headers)+4)
	for k, v := range c.cfg.Headers { // New refused the names set below
		h[k] = v
	}
	h["Accept"] = "text/event-stream"
	h["Cache-Control"] = "no-cache"
	if c.cfg.AuthToken != "" {
		h["Authorization"] = "Bearer " + c.cfg.AuthToken
	}
	if c.lastEventID != "" {
		h["Last-Event-ID"] = c.lastEventID
	}
	req := &fetch.Request{Method: c.cfg.Method, URL: c.cfg.URL, Header: h}
	if c.cfg.Method == "POST" {
		req.Body = c.cfg.Body
	}
	return req
}

// scheduleIdleLocked takes the connection for dropped once nothing has
// arrived for IdleTimeout. The reader then reports the end, with the
// last event id and retry it saw.
func (c *Client) scheduleIdleLocked(gen int, d time.Duration) {
	c.timers[timerIdle] = c.cfg.Clock.AfterFunc(d, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if gen != c.gen {
			return
		}
		c.timers[timerIdle] = nil
		if quiet := c.cfg.Clock.Now().Sub(c.lastRead); quiet < c.cfg.IdleTimeout {
			c.scheduleIdleLocked(gen, c.cfg.IdleTimeout-quiet)
			return
		}
		c.cancel(ErrIdleTimeout)
	})
}

// run makes one connection and reads it to its end.
// Cancelling ctx aborts the request, and a body being read.
func (c *Client) run(ctx context.Context, cancel context.CancelCauseFunc, gen int, req *fetch.Request, lastID string) {
	defer cancel(errEnded)
	if c.cfg.TokenFunc != nil {
		token, err := c.cfg.TokenFunc(ctx)
		if err == nil && strings.ContainsAny(token, "\r\n\x00") {
			err = errors.New("the token holds a line break or NUL")
		}
		if err != nil {
			c.ended(gen, ctx, fmt.Errorf("%w: %w", ErrToken, err))
			return
		}
		req.Header["Authorization"] = "Bearer " + token // this request's own map
	}
	resp, err := c.cfg.Fetch(ctx, req)
	if err != nil {
		c.ended(gen, ctx, fmt.Errorf("sse: failed to connect to %s: %w", c.cfg.URL, err))
		return
	}
	defer resp.Body.Close()
	if err := c.check(resp); err != nil {
		c.ended(gen, ctx, err)
		return
	}
	if !c.opened(gen) {
		return
	}
	p := NewParser(&activityReader{r: resp.Body, c: c, gen: gen})
	p.SetMaxEventSize(c.cfg.MaxEventSize)
	p.SetLastEventID(lastID)
	for {
		ev, err := p.Next()
		c.mu.Lock()
		if gen != c.gen {
			c.mu.Unlock()
			return
		}
		c.lastEventID = p.LastEventID()
		if d, ok := p.Retry(); ok {
			c.retry = d
		}
		if err != nil {
			c.mu.Unlock()
			if err == io.EOF {
				err = ErrStreamEnded
			} else if !errors.Is(err, ErrTooLong) {
				err = fmt.Errorf("sse: failed to read the stream: %w", err)
			}
			c.ended(gen, ctx, err)
			return
		}
		c.attempts = 0 // the connection works
		c.callbacks.Push(func() { c.deliver(ev) })
		c.mu.Unlock()
	}
}

// opened marks the connection open; it reports false if it is stale.
func (c *Client) opened(gen int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return false
	}
	c.lastErr = nil
	c.refreshed = false
	c.lastRead = c.cfg.Clock.Now() // the headers count as traffic
	c.timers[timerStable] = c.cfg.Clock.AfterFunc(c.cfg.StableAfter, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if gen == c.gen {
			c.timers[timerStable] = nil
			c.attempts = 0
		}
	})
	c.setStatusLocked(StatusOpen)
	return true
}

// ended handles the end of connection gen: it resumes, or settles.
func (c *Client) ended(gen int, ctx context.Context, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if cause := context.Cause(ctx); cause == ErrIdleTimeout {
		err = ErrIdleTimeout
	}
	var re *ResponseError
	switch {
	case errors.Is(err, ErrNoContent):
		c.endLocked()
		c.lastErr = err
		c.setStatusLocked(StatusClosed)
	case errors.As(err, &re) && re.StatusCode == 401 && c.cfg.TokenFunc != nil && !c.refreshed:
		// A fresh token may do, once.
		c.endLocked()
		c.lastErr = err
		c.refreshed = true
		c.startLocked()
	case errors.As(err, &re):
		c.failLocked(err, re.RetryAfter, !re.Temporary())
	default:
		c.failLocked(err, 0, errors.Is(err, ErrTooLong) || errors.Is(err, ErrToken))
	}
}

// failLocked ends the connection after err and schedules a reconnect, or
// gives up when final is set or the attempts are spent.
func (c *Client) failLocked(err error, retryAfter time.Duration, final bool) {
	c.endLocked()
	if limit := c.cfg.MaxReconnectAttempts; !final && limit >= 0 && c.attempts >= limit {
		err = fmt.Errorf("%w after %d attempts: %w", ErrGaveUp, c.attempts, err)
		final = true
	}
	c.lastErr = err
	c.callbacks.Push(func() { c.errorListeners.Each(err, nil) })
	if final {
		c.setStatusLocked(StatusError)
		return
	}
	c.attempts++
	b := backoff.Backoff{Initial: c.retry, Multiplier: c.cfg.ReconnectDelayMultiplier, Max: c.cfg.MaxRetryDelay}
	c.nextDelay = max(b.Delay(c.attempts, nil), retryAfter)
	gen := c.gen
	c.timers[timerRetry] = c.cfg.Clock.AfterFunc(c.nextDelay, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if gen == c.gen {
			c.timers[timerRetry] = nil
			c.startLocked()
		}
	})
	c.setStatusLocked(StatusConnecting)
}

// activityReader notes when bytes arrive, for the idle timeout.
type activityReader struct {
	r   io.Reader
	c   *Client
	gen int
}

func (a *activityReader) Read(b []byte) (int, error) {
	n, err := a.r.Read(b)
	if n > 0 {
		a.c.mu.Lock()
		if a.gen == a.c.gen {
			a.c.lastRead = a.c.cfg.Clock.Now()
		}
		a.c.mu.Unlock()
	}
	return n, err
}
