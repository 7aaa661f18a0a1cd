// Package ws is the WebSocket client of the realtime runtime: it connects,
// reconnects with exponential backoff, queues messages while offline, keeps
// the connection alive with heartbeats and routes channel messages to
// subscribers. It runs natively and in the browser (GOOS=js GOARCH=wasm).
//
// Nothing is lost or repeated across a reconnect: each channel is resumed
// after the latest message received (a repeat is dropped), and a publish
// whose ack a drop lost is sent again with its id, which the server
// recognises; see Request and the Resume section of package protocol.
//
// All callbacks (subscribers, status and error listeners) run one at a time
// on a goroutine owned by the client, never on the one reading the socket.
package ws

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/matih-ai/realtime/wasm/backoff"
	"github.com/matih-ai/realtime/wasm/clock"
	"github.com/matih-ai/realtime/wasm/internal/callback"
	"github.com/matih-ai/realtime/wasm/internal/weburl"
	"github.com/matih-ai/realtime/wasm/protocol"
)

// Errors returned by a Client.
var (
	ErrQueueFull        = errors.New("ws: queue full")
	ErrClosed           = errors.New("ws: client closed")
	ErrHeartbeatTimeout = errors.New("ws: no answer to ping: connection is dead")
	ErrGaveUp           = errors.New("ws: gave up reconnecting")
	ErrUnknownType      = errors.New("ws: unknown envelope type")
	ErrMessageTooBig    = errors.New("ws: message too big")
	ErrToken            = errors.New("ws: failed to get a token")
)

// Handler receives the envelopes of a channel: "message", the namespaced
// types of other capabilities ("presence.diff", ...), and the errors the
// server reports about the channel without a waiting request.
type Handler func(msg protocol.Envelope)

// Client is a WebSocket connection that survives drops. It is safe for
// concurrent use.
type Client struct {
	cfg     Config
	backoff backoff.Backoff
	events  *callback.Queue
	taken   []protocol.Envelope // takeFrame's array, kept for the next frame
	heads   []protocol.Head     // relayFrame's, the same way
	runs    []relayRun          // relayFrame's, the same way

	statusListeners callback.List[State]
	errorListeners  callback.List[error]
	stopBrowser     func()

	mu         sync.Mutex
	status     Status
	attempts   int  // consecutive reconnect attempts since the last stable connection
	refreshed  bool // redialed with a fresh token after a 4401, and not stable since
	nextDelay  time.Duration
	lastErr    error
	stopped    bool // Disconnect was called: no reconnect until Connect
	closed     bool
	gen        int // bumped whenever a connection or attempt ends; stale events compare it
	conn       Conn
	cancelConn context.CancelFunc
	writeErr   error         // why a write failed on the current connection
	wake       chan struct{} // wakes the current writer
	pending    []*outgoing
	writing    *outgoing   // the frame being written on the current connection
	inflight   []*outgoing // retried requests written on the current connection, awaiting their answer
	subs       map[string][]*subscription
	lastIDs    map[string]*lastID // per subscribed channel, the id of the latest message seen
	// outFrame is publishAtOnce's buffer, empty between calls, kept up
	// to maxOutFrame.
	outFrame []byte
	// lastSeen is the entry of lastIDs newestLocked used last, tried
	// before the map (a burst is one channel's); nil after a delete.
	lastSeen   *lastID
	waiters    map[string]chan protocol.Envelope
	refs       int
	publisher  string         // this client's part of its publishes' ids
	published  uint64         // publishes numbered so far
	frames     uint64         // frames read on the current connection
	shownQueue int            // Queued in the latest snapshot the listeners got
	timers     [4]clock.Timer // indexed by timer*
	// subsGen counts changes of subs (under mu), so that deliverAll sees
	// a handler added while it runs.
	subsGen atomic.Uint64
	// routed is what routing knows of the channel it asked of last (see
	// channelLocked).
	routed channelInfo
	// relays counts the subscriptions of SubscribeRelay (under mu), so
	// that a client without any, as a go-app page's, does not scan a
	// frame's heads for nothing before decoding it.
	relays atomic.Int64
}

const (
	timerRetry = iota
	timerPing
	timerPong
	timerStable
)

type outgoing struct {
	frame   []byte
	control bool   // subscriptions and pings: rebuilt after a reconnect, never queued
	ref     string // of a Request
	retry   bool   // a Request sent again on every new connection until answered
}

type subscription struct {
	channel string
	handler Handler
	inline  bool        // see SubscribeInline
	relay   bool        // see SubscribeRelay
	removed atomic.Bool // set, under Client.mu, when it leaves the channel's list
}

// New validates cfg and returns a disconnected client; call Connect.
func New(cfg Config) (*Client, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	c := &Client{
		cfg: cfg,
		backoff: backoff.Backoff{
			Initial:    cfg.ReconnectDelay,
			Multiplier: cfg.ReconnectDelayMultiplier,
			Max:        cfg.MaxReconnectDelay,
			Jitter:     cfg.ReconnectJitter,
		},
		events:    callback.NewQueue(),
		status:    StatusDisconnected,
		stopped:   true,
		subs:      map[string][]*subscription{},
		lastIDs:   map[string]*lastID{},
		waiters:   map[string]chan protocol.Envelope{},
		publisher: strconv.FormatUint(rand.Uint64(), 36),
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
	s := State{Status: c.status, Queued: c.queuedLocked(), Err: c.lastErr}
	if c.status == StatusReconnecting {
		s.Attempt, s.NextDelay = c.attempts, c.nextDelay
	}
	return s
}

func (c *Client) queuedLocked() int {
	n := 0
	for _, o := range c.pending {
		if !o.control {
			n++
		}
	}
	return n
}

// OnState calls fn with a snapshot after every change of status, attempt or
// offline queue. It returns the function that removes fn.
func (c *Client) OnState(fn func(State)) (remove func()) {
	return c.statusListeners.Add(fn)
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

// OnError calls fn with every problem that does not end the connection:
// malformed or unknown frames, errors the server reports without a waiting
// request, subscriptions it refuses.
func (c *Client) OnError(fn func(error)) (remove func()) {
	return c.errorListeners.Add(fn)
}

// notifyLocked queues a state snapshot for the listeners.
func (c *Client) notifyLocked() {
	s := c.stateLocked()
	c.shownQueue = s.Queued
	c.events.Push(func() { c.statusListeners.Each(s, nil) })
}

func (c *Client) setStatusLocked(s Status) {
	c.status = s
	c.notifyLocked()
}

func (c *Client) reportError(err error) {
	c.events.Push(func() { c.errorListeners.Each(err, nil) })
}

// Connect starts connecting; it returns at once. It does nothing if the
// client is already connected or trying to.
func (c *Client) Connect() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || !c.stopped && c.status != StatusError {
		return
	}
	c.stopped = false
	c.attempts = 0
	c.refreshed = false
	c.lastErr = nil
	c.startDialLocked(StatusConnecting)
}

// Disconnect closes the connection and stops reconnecting. Messages sent
// afterwards are queued until the next Connect.
func (c *Client) Disconnect() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	c.stopped = true
	c.endConnLocked(protocol.CloseNormal, "disconnect")
	c.lastErr = nil
	c.setStatusLocked(StatusDisconnected)
}

// Reconnect drops the connection, if any, and dials again at once with a
// fresh attempt count.
func (c *Client) Reconnect() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	c.stopped = false
	c.attempts = 0
	c.refreshed = false
	c.endConnLocked(protocol.CloseNormal, "reconnect")
	c.startDialLocked(StatusReconnecting)
}

// Close disconnects for good and releases everything the client holds.
func (c *Client) Close() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.stopped = true
	c.endConnLocked(protocol.CloseNormal, "closed")
	c.setStatusLocked(StatusDisconnected)
	c.closed = true
	for ref, ch := range c.waiters {
		close(ch)
		delete(c.waiters, ref)
	}
	c.mu.Unlock()
	c.stopBrowser()
	// Let the listeners see the final status before stopping.
	c.events.StopAfterQueued()
}

// endConnLocked ends the current connection or attempt and its timers.
func (c *Client) endConnLocked(code int, reason string) {
	c.gen++
	for i, t := range c.timers {
		if t != nil {
			t.Stop()
			c.timers[i] = nil
		}
	}
	if c.conn != nil {
		c.conn.Close(code, reason)
		c.conn = nil
		c.cancelConn()
	}
	// Control frames are rebuilt for the next connection; requests written
	// but not answered go again, ahead of what was never written.
	kept := c.inflight
	for _, o := range c.pending {
		if !o.control {
			kept = append(kept, o)
		}
	}
	c.pending, c.inflight = kept, nil
	c.writing = nil
	c.nextDelay = 0
}

func (c *Client) startDialLocked(s Status) {
	c.gen++
	gen := c.gen
	c.setStatusLocked(s)
	go c.dial(gen)
}

func (c *Client) dial(gen int) {
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.DialTimeout)
	defer cancel()
	token, err := c.token(ctx)
	if err != nil {
		c.mu.Lock()
		defer c.mu.Unlock()
		if gen == c.gen {
			c.tokenFailedLocked(err)
		}
		return
	}
	conn, err := c.cfg.Dialer(ctx, dialURL(c.cfg.URL, token), DialOptions{Subprotocols: c.subprotocols(token), Headers: c.cfg.Headers})
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		if conn != nil {
			conn.Close(protocol.CloseNormal, "superseded")
		}
		return
	}
	if err != nil {
		c.lostLocked(err)
		return
	}
	c.connectedLocked(conn)
}

// token returns the token of the next connection: TokenFunc's, or the
// static AuthToken.
func (c *Client) token(ctx context.Context) (string, error) {
	if c.cfg.TokenFunc == nil {
		return c.cfg.AuthToken, nil
	}
	tok, err := c.cfg.TokenFunc(ctx)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrToken, err)
	}
	return tok, nil
}

// tokenFailedLocked settles on StatusError when the app gave no token:
// dialing without one would only be refused.
func (c *Client) tokenFailedLocked(err error) {
	c.endConnLocked(protocol.CloseNormal, "")
	c.lastErr = err
	if c.stopped {
		c.setStatusLocked(StatusDisconnected)
		return
	}
	c.setStatusLocked(StatusError)
}

// tokenSafe reports whether a token can travel as a subprotocol, which
// allows only HTTP token characters.
func tokenSafe(tok string) bool {
	for _, r := range tok {
		if r <= ' ' || r >= 0x7f || strings.ContainsRune("()<>@,;:\\\"/[]?={}", r) {
			return false
		}
	}
	return true
}

func (c *Client) subprotocols(token string) []string {
	p := append([]string(nil), c.cfg.Protocols...)
	if token != "" && tokenSafe(token) {
		p = append(p, protocol.BearerPrefix+token)
	}
	return p
}

// dialURL carries token as the query parameter "token" when it cannot
// travel as a subprotocol.
func dialURL(raw, token string) string {
	if token == "" || tokenSafe(token) {
		return raw
	}
	u, _ := weburl.Parse(raw) // validated by New
	u.Query, u.HasQuery = weburl.SetQuery(u.Query, "token", token), true
	return u.String()
}

func (c *Client) connectedLocked(conn Conn) {
	ctx, cancel := context.WithCancel(context.Background())
	c.conn, c.cancelConn = conn, cancel
	c.wake = make(chan struct{}, 1)
	c.frames = 0
	c.writeErr = nil
	c.lastErr = nil

	// Restore subscriptions ahead of the queued messages, each from the
	// latest message seen.
	var restore []*outgoing
	for _, ch := range sortedKeys(c.subs) {
		restore = append(restore, c.subscribeFrameLocked(ch))
	}
	c.pending = append(restore, c.pending...)

	gen := c.gen
	c.timers[timerStable] = c.cfg.Clock.AfterFunc(c.cfg.StableAfter, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if gen == c.gen {
			c.attempts = 0
			c.refreshed = false
		}
	})
	c.schedulePingLocked()
	c.setStatusLocked(StatusConnected)
	if d, ok := conn.(directConn); ok {
		d.offerFrames(
			func(frame []byte, from takeFrom) int { return c.takeFrame(gen, frame, from) },
			func(runs []RelayRun) int { return c.relayRuns(gen, runs) })
	}
	go c.read(ctx, gen, conn)
	go c.write(ctx, gen, conn, c.wake)
}

// lostLocked handles the end of a connection or a failed dial: reconnect
// with backoff, or settle on a final status.
func (c *Client) lostLocked(err error) {
	var ce *CloseError
	closed := errors.As(err, &ce)
	// A 4401 asks for a fresh token, which an app with a TokenFunc can
	// give; once: a fresh token refused too will not do better.
	refresh := closed && ce.Code == protocol.CloseUnauthorized && c.cfg.TokenFunc != nil &&
		!c.refreshed && !c.cfg.DisableReconnect
	final := closed && protocol.IsFinal(ce.Code) && !refresh
	if closed && ce.Code == protocol.CloseMessageTooBig {
		c.dropCutFrameLocked()
	}
	code, reason := protocol.CloseNormal, ""
	if errors.Is(err, ErrHeartbeatTimeout) {
		code, reason = protocol.CloseHeartbeatFailed, "heartbeat timeout"
	}
	c.endConnLocked(code, reason)
	c.lastErr = err
	switch {
	case c.stopped:
		c.setStatusLocked(StatusDisconnected)
	case refresh:
		c.refreshed = true
		c.startDialLocked(StatusReconnecting)
	case final:
		c.setStatusLocked(StatusError)
	case c.cfg.DisableReconnect:
		c.setStatusLocked(StatusDisconnected)
	case c.cfg.MaxReconnectAttempts >= 0 && c.attempts >= c.cfg.MaxReconnectAttempts:
		c.lastErr = fmt.Errorf("%w after %d attempts: %w", ErrGaveUp, c.attempts, err)
		c.setStatusLocked(StatusError)
	default:
		c.attempts++
		c.nextDelay = c.backoff.Delay(c.attempts, rand.Float64)
		gen := c.gen
		c.timers[timerRetry] = c.cfg.Clock.AfterFunc(c.nextDelay, func() {
			c.mu.Lock()
			defer c.mu.Unlock()
			if gen == c.gen && !c.stopped {
				c.timers[timerRetry] = nil
				c.nextDelay = 0 // dialing now
				c.startDialLocked(StatusReconnecting)
			}
		})
		c.setStatusLocked(StatusReconnecting)
	}
}

// dropCutFrameLocked drops the message whose write a 1009 close cut short:
// sent again, it would close every next connection the same way.
func (c *Client) dropCutFrameLocked() {
	o := c.writing
	if o == nil || o.control {
		return
	}
	for i, p := range c.pending {
		if p == o {
			c.pending = append(c.pending[:i:i], c.pending[i+1:]...)
			break
		}
	}
	c.writing = nil
	c.reportError(fmt.Errorf("%w: the server closed the connection (1009) during a %d-byte message, which is dropped", ErrMessageTooBig, len(o.frame)))
}

// readEnded reports the end of a connection, seen by its reader. The
// reader has the last word because it holds the peer's close code: a write
// fails as soon as the socket closes, often before the reader has returned
// the close frame that says why, and a 4401 must not be retried.
func (c *Client) readEnded(gen int, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	var ce *CloseError
	if c.writeErr != nil && !errors.As(err, &ce) {
		err = c.writeErr
	}
	c.lostLocked(err)
}

// writeFailed keeps a write error for readEnded and closes the connection,
// so that its reader ends. Cancelling the reader instead would lose the
// close code: the browser's socket reports it only with its close event.
func (c *Client) writeFailed(gen int, conn Conn, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writeFailedLocked(gen, conn, err)
}

func (c *Client) writeFailedLocked(gen int, conn Conn, err error) {
	if gen == c.gen {
		c.writeErr = err
		conn.Close(protocol.CloseNormal, "write failed")
	}
}

func (c *Client) read(ctx context.Context, gen int, conn Conn) {
	for {
		frame, err := conn.Read(ctx)
		if errors.Is(err, ErrBinaryFrame) {
			c.reportError(err)
			continue
		}
		if err != nil {
			c.readEnded(gen, err)
			return
		}
		c.mu.Lock()
		if gen != c.gen {
			c.mu.Unlock()
			return
		}
		c.frames++
		c.mu.Unlock()
		envs, err := protocol.DecodeFrame(frame)
		if err != nil {
			c.reportError(fmt.Errorf("ws: malformed frame %.200q: %w", frame, err))
		}
		c.routeFrame(envs)
	}
}

// takeFrame routes and delivers a frame at once, on the caller's
// goroutine, when nothing else has to run for it: every envelope is a
// message, another capability's envelope or a heartbeat, every subscriber
// of those channels came through SubscribeInline (from the export,
// SubscribeRelay), and no callback is still queued ahead of it. A frame
// of such envelopes for other subscribers is routed to the callback
// goroutine, as Read's way would, and it returns Routed. Otherwise it
// changes nothing and returns -1: the frame then goes through Read and
// routeFrame. It serves the browser's transport, in the js.Func callback
// that brought the frame or in a wasm export, after which Go runs no
// other goroutine until the page resumes it: what it starts must finish
// in it, or wait for that.
//
// From the export, when every line of the frame is a new message of
// channels whose subscribers all came through SubscribeRelay, it calls
// none of them and returns the number of lines: JavaScript, which holds
// the frame's text, reads the messages from it itself, in its order (see
// relayFrame). Otherwise, having delivered the frame, it returns 0.
//
// From a resumed export (go-app's), inline handlers are called too.
//
// From realtime.js's export, frame is the conn's buffer, reused: a
// relayed burst gives the garbage collector nothing per frame. A frame
// that is decoded is copied first, as handlers may keep its envelopes,
// whose strings are views of it. The envelopes' array is kept for the
// next frame (handlers get copies of the envelopes). The conn calls it on
// one goroutine at a time.
func (c *Client) takeFrame(gen int, frame []byte, from takeFrom) int {
	if !c.events.Idle() {
		return -1
	}
	if from == fromExport && c.relays.Load() > 0 {
		if n := c.relayFrame(gen, frame); n != 0 {
			return n
		}
	}
	if from == fromExport {
		frame = bytes.Clone(frame) // the conn's buffer, reused
	}
	envs, err := protocol.AppendFrame(c.taken[:0], frame)
	defer func() {
		clear(envs) // the array keeps no frame alive
		if cap(envs) <= maxKeptEnvelopes {
			c.taken = envs[:0]
		}
	}()
	if err != nil {
		return -1 // Read's way reports it
	}
	c.mu.Lock()
	if gen != c.gen || !routesAtOnce(envs) {
		c.mu.Unlock()
		return -1
	}
	if !c.inlineOnlyLocked(envs, from == fromExport) {
		// Go runs its goroutines after the call (after an export, the
		// page resumes it, see takeFrom): a frame of messages for
		// subscribers that are not all inline goes to routeFrame's queue
		// here, as Read's way would take it, rather than be decoded
		// again there (and a third time in the js.Func callback that
		// realtime-socket.js offers it to next): a live feed's frames are
		// such. The reader waits with nothing before the frame (see
		// jsConn.offered), so the order holds.
		c.frames++
		c.mu.Unlock()
		c.routeFrame(slices.Clone(envs)) // its batches outlive the call
		return Routed
	}
	c.frames++
	w := 0
	for i := range envs {
		e := &envs[i] // no copy: an envelope is 15 words
		if e.Type == protocol.TypeMessage && c.seenLocked(e.Channel, e.ID) || namespaced(e) {
			if w != i {
				envs[w] = *e
			}
			w++
		}
	}
	c.mu.Unlock()
	c.deliverAll(envs[:w])
	return 0
}

// Routed is what takeFrame, and so ReceiveNow and ReceiveFromRoom,
// return for a frame they took and queued for the callback goroutine: the
// page must resume Go for its handlers to run.
const Routed = -2

// routesAtOnce reports whether routing envs never blocks nor reports an
// error: each is a message, another capability's envelope or a heartbeat,
// which route only queues for the subscribers (acks and errors wake
// requests and call OnError).
func routesAtOnce(envs []protocol.Envelope) bool {
	for i := range envs {
		e := &envs[i]
		if e.Type != protocol.TypeMessage && e.Type != protocol.TypePing && e.Type != protocol.TypePong && !namespaced(e) {
			return false
		}
	}
	return true
}

// namespaced reports an envelope of another capability ("live.delta",
// ...), which goes to its channel's subscribers as it is (see route).
func namespaced(e *protocol.Envelope) bool {
	return e.Channel != "" && strings.Contains(e.Type, ".")
}

// relayFrame takes a frame whose every line is a message, new, of a
// channel whose subscribers are all relays, reading no more of each line
// than its channel and id (protocol.ScanHeads): it records the ids and
// returns the number of lines, which the frame's reader delivers. For any
// other frame it changes nothing and returns 0 (-1 for a stale gen). It
// costs a fraction of decoding the frame: a burst's frames are such.
func (c *Client) relayFrame(gen int, frame []byte) int {
	heads, ok := protocol.ScanHeads(c.heads[:0], frame)
	runs := c.runs[:0]
	defer func() {
		clear(heads) // views of frame
		clear(runs)
		if cap(heads) <= maxKeptEnvelopes {
			c.heads, c.runs = heads[:0], runs[:0]
		}
	}()
	if !ok {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return -1
	}
	// A run is a channel's ids in the frame, which must rise where they
	// are checked; then the runs are checked as relayRuns does. First
	// check, then record: a refused frame changes nothing.
	r := -1
	for _, h := range heads {
		if r < 0 || runs[r].Channel != h.Channel {
			if r = indexRun(runs, h.Channel); r < 0 {
				runs = append(runs, relayRun{RelayRun: RelayRun{Channel: h.Channel}, tracked: c.tracksLocked(h.Channel)})
				r = len(runs) - 1
			}
		}
		if !runs[r].tracked {
			continue
		}
		n, ok := protocol.ParseID(h.ID)
		if !ok || n <= runs[r].Last {
			return 0 // a repeat (or a number past 64 bits): decoded, it is dropped
		}
		if runs[r].First == 0 {
			runs[r].First = n
		}
		runs[r].Last = n
	}
	for _, run := range runs {
		if !c.relayableLocked(run.RelayRun, run.tracked) {
			return 0
		}
	}
	for _, run := range runs {
		if run.tracked {
			c.newestLocked(run.Channel, run.Last)
		}
	}
	c.frames++
	return len(heads)
}

// RelayRun is a channel's messages in a batch that JavaScript parsed
// itself (see RelayNow): their ids, First to Last, rise one message to the
// next.
type RelayRun struct {
	Channel     string
	First, Last uint64
}

// relayRuns is relayFrame for a batch JavaScript has parsed: it takes
// the runs when every channel's subscribers are all relays and each
// tracked channel's first id is newer than the latest recorded, records
// their last ids and returns 1; otherwise it changes nothing and returns
// 0 (-1 for a stale gen), and the batch goes the usual way, which drops
// repeats.
func (c *Client) relayRuns(gen int, runs []RelayRun) int {
	if !c.events.Idle() || len(runs) == 0 {
		return -1
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return -1
	}
	for _, run := range runs {
		if !c.relayableLocked(run, c.tracksLocked(run.Channel)) {
			return 0
		}
	}
	for _, run := range runs {
		if c.tracksLocked(run.Channel) {
			c.newestLocked(run.Channel, run.Last)
		}
	}
	c.frames++
	return 1
}

// relayableLocked reports whether a run of a batch may go to JavaScript
// as it is: its channel has subscribers, all relays, and when its ids are
// checked (tracked), the first is newer than the latest recorded (0 never
// is).
func (c *Client) relayableLocked(run RelayRun, tracked bool) bool {
	if subs, all := c.allInlineLocked(run.Channel, true); subs == 0 || !all || run.First > run.Last {
		return false
	}
	p := c.lastIDs[run.Channel]
	return !tracked || run.First != 0 && (p == nil || run.First > p.n)
}

// relayRun is relayFrame's account of a channel in a frame: its ids, when
// they are checked (tracked), First and Last 0 until one is read.
type relayRun struct {
	RelayRun
	tracked bool
}

func indexRun(runs []relayRun, channel string) int {
	for i := range runs {
		if runs[i].Channel == channel {
			return i
		}
	}
	return -1
}

// maxKeptEnvelopes bounds the array takeFrame keeps between frames, so
// that a burst's does not stay.
const maxKeptEnvelopes = 4096

// inlineOnlyLocked reports whether the subscribers of every channel of
// envs (which routesAtOnce accepted) all run inline; with relays, are all
// relays: after a wasm export no goroutine or timer that a handler woke
// would run until the page resumes Go, and the relays' only reader (the
// browser module's sink) is flushed by the export itself.
func (c *Client) inlineOnlyLocked(envs []protocol.Envelope, relays bool) bool {
	checked := ""
	for i := range envs {
		e := &envs[i]
		switch {
		case e.Type == protocol.TypePing || e.Type == protocol.TypePong:
		case i > 0 && e.Channel == checked:
		default:
			if _, all := c.allInlineLocked(e.Channel, relays); !all {
				return false
			}
			checked = e.Channel
		}
	}
	return true
}

// allInlineLocked returns how many subscribers channel has and whether
// all came through SubscribeInline (with relays, SubscribeRelay).
func (c *Client) allInlineLocked(channel string, relays bool) (subs int, all bool) {
	info := c.channelLocked(channel)
	if relays {
		return len(info.subs), info.relays
	}
	return len(info.subs), info.inline
}

// channelInfo is what routing asks of a channel's subscriptions.
type channelInfo struct {
	channel string // a copy: the name asked for may be a view of a frame
	gen     uint64 // subsGen when it was made
	made    bool
	subs    []*subscription
	inline  bool // every subscriber came through SubscribeInline
	relays  bool // every subscriber came through SubscribeRelay
	tracked bool // see tracksLocked
}

// channelLocked returns what routing asks of channel, kept for the channel
// asked for last until the subscriptions change: an echo's or a burst's
// frames are one channel's, and a frame is asked of it three times (see
// takeFrame), each a map lookup and the channel's kind the long way, some
// microseconds of an echo in the page. The result is valid until mu is
// released.
func (c *Client) channelLocked(channel string) *channelInfo {
	info := &c.routed
	gen := c.subsGen.Load()
	if info.made && info.gen == gen && info.channel == channel {
		return info
	}
	list := c.subs[channel]
	*info = channelInfo{channel: info.channel, gen: gen, made: true, subs: list, inline: true, relays: true}
	switch {
	case info.channel == channel:
	case len(list) > 0:
		info.channel = list[0].channel // its own copy: no allocation
	default:
		info.channel = strings.Clone(channel)
	}
	for _, s := range list {
		info.inline = info.inline && s.inline
		info.relays = info.relays && s.relay
	}
	info.tracked = list != nil && protocol.ChannelKind(channel) != protocol.KindEcho
	return info
}

// routeFrame routes the envelopes of a frame in order. The server packs a
// burst into frames of hundreds of messages: they go to the callback
// goroutine as one batch, not one queued closure each. The batches are
// made in envs's own array (envs is the reader's, and a message is kept
// at or before where it was read), not in a copy: a copy doubled what a
// burst gave the garbage collector.
func (c *Client) routeFrame(envs []protocol.Envelope) {
	start, w := 0, 0 // the batch so far is envs[start:w]
	flush := func() {
		if w > start {
			b := envs[start:w:w]
			c.events.Push(func() { c.deliverAll(b) })
			start = w
		}
	}
	for i := range envs {
		e := &envs[i]
		if e.Type != protocol.TypeMessage {
			flush() // keep the order of everything the handlers see
			c.route(*e)
			continue
		}
		c.mu.Lock()
		fresh := c.seenLocked(e.Channel, e.ID)
		c.mu.Unlock()
		if fresh {
			if w != i {
				envs[w] = *e
			}
			w++
		}
	}
	flush()
}

func (c *Client) route(e protocol.Envelope) {
	switch e.Type {
	case protocol.TypePong, protocol.TypePing:
		// Heartbeats count as traffic and are never dispatched.
	case protocol.TypeMessage:
		c.mu.Lock()
		fresh := c.seenLocked(e.Channel, e.ID)
		c.mu.Unlock()
		if fresh {
			c.events.Push(func() { c.deliver(e) })
		}
	case protocol.TypeAck, protocol.TypeError:
		c.mu.Lock()
		w, ok := c.waiters[e.Ref]
		if ok {
			delete(c.waiters, e.Ref)
			w <- e // buffered, and only this send: never blocks
			c.answeredLocked(e.Ref)
		}
		err := e.Err()
		var pe *protocol.ErrorData
		lost := errors.As(err, &pe) && pe.Code == protocol.CodeHistoryLost
		switch {
		case lost:
			// What comes next starts again: the kept messages, then live.
			delete(c.lastIDs, e.Channel)
			c.lastSeen = nil
		case e.Type == protocol.TypeAck:
			// A subscribe's ack says where the subscription starts.
			c.seenLocked(e.Channel, e.ID)
		}
		c.mu.Unlock()
		switch {
		case ok:
		case e.Type == protocol.TypeError:
			if e.Channel != "" {
				if lost {
					err = fmt.Errorf("ws: messages of %q were lost: %w", e.Channel, err)
				} else {
					err = fmt.Errorf("ws: server refused %q: %w", e.Channel, err)
				}
				// The channel's subscribers learn of it too: a refused
				// subscription or a loss is theirs to show.
				c.events.Push(func() { c.deliver(e) })
			}
			c.reportError(err)
		}
	default:
		// The namespaced types of other capabilities ("presence.diff", ...)
		// go to the subscribers of their channel, like messages.
		if !namespaced(&e) {
			c.reportError(fmt.Errorf("%w %q", ErrUnknownType, e.Type))
			return
		}
		c.events.Push(func() { c.deliver(e) })
	}
}

// seenLocked records id as the latest message of a subscribed channel and
// reports whether it is new: a message at or below the latest one seen is
// a repeat, as when a replay overlaps what came live. Echo channels, whose
// ids count per connection, and ids that are not numbers are not tracked.
func (c *Client) seenLocked(channel, id string) bool {
	if id == "" {
		return true
	}
	// A channel with an entry in lastIDs is tracked (see newestLocked).
	if l := c.lastSeen; (l == nil || l.channel != channel) && !c.tracksLocked(channel) {
		return true
	}
	n, ok := protocol.ParseID(id)
	if !ok {
		return true
	}
	return c.newestLocked(channel, n)
}

// tracksLocked reports whether the ids of channel are checked: it is
// subscribed, and not an echo channel, whose ids count per connection.
func (c *Client) tracksLocked(channel string) bool {
	return c.channelLocked(channel).tracked
}

// lastID is the id of the latest message seen on a channel.
type lastID struct {
	channel string // its key in lastIDs
	n       uint64
}

// newestLocked records n as the latest id of a tracked channel, and
// reports whether it is newer than the one before.
func (c *Client) newestLocked(channel string, n uint64) bool {
	last := c.lastSeen
	if last == nil || last.channel != channel {
		if last = c.lastIDs[channel]; last == nil {
			// channel may be a view of a frame (protocol.DecodeFrame),
			// whose buffer may be reused (takeFrame): the key is a copy
			// of its own, and is never assigned again, as that would
			// store the view (a map assignment replaces an equal string
			// key).
			last = &lastID{channel: strings.Clone(channel), n: n}
			c.lastIDs[last.channel] = last
			c.lastSeen = last
			return true
		}
		c.lastSeen = last
	}
	if n <= last.n {
		return false
	}
	last.n = n
	return true
}

// answeredLocked forgets a request that was answered.
func (c *Client) answeredLocked(ref string) {
	for i, o := range c.inflight {
		if o.ref == ref {
			c.inflight = slices.Delete(c.inflight, i, i+1)
			return
		}
	}
}

// deliver runs on the events goroutine, and looks the handlers up there, so
// that no message reaches a handler after its unsubscribe returned.
func (c *Client) deliver(e protocol.Envelope) {
	c.deliverAll([]protocol.Envelope{e})
}

// deliverAll delivers a batch in order. It takes the lock only when the
// channel or the subscriptions change, not per message: a burst's frame
// holds hundreds of messages of one channel. A channel's list is never
// changed in place (see Subscribe and remove), so it can be read unlocked.
func (c *Client) deliverAll(batch []protocol.Envelope) {
	var (
		subs    []*subscription
		channel string
		gen     uint64
	)
	for i := range batch {
		e := &batch[i] // no copy but the handler's
		if i == 0 || e.Channel != channel || c.subsGen.Load() != gen {
			c.mu.Lock()
			info := c.channelLocked(e.Channel)
			subs, channel, gen = info.subs, e.Channel, info.gen
			c.mu.Unlock()
		}
		for _, s := range subs {
			if !s.removed.Load() {
				s.handler(*e)
			}
		}
	}
}

// write sends pending frames in order. A frame leaves the queue only once
// written, so a message caught by a drop is sent again on the next connection.
func (c *Client) write(ctx context.Context, gen int, conn Conn, wake chan struct{}) {
	for {
		c.mu.Lock()
		if gen != c.gen {
			c.mu.Unlock()
			return
		}
		if len(c.pending) == 0 {
			c.mu.Unlock()
			select {
			case <-wake:
			case <-ctx.Done():
				return
			}
			continue
		}
		o := c.pending[0]
		c.writing = o
		c.mu.Unlock()
		if err := conn.Write(ctx, o.frame); err != nil {
			c.writeFailed(gen, conn, err)
			return
		}
		c.mu.Lock()
		c.wroteLocked(gen, o)
		c.mu.Unlock()
	}
}

// wroteLocked takes o, written on connection gen, off the queue.
func (c *Client) wroteLocked(gen int, o *outgoing) {
	if gen == c.gen {
		c.writing = nil
	}
	_, waiting := c.waiters[o.ref]
	retry := o.retry && waiting
	// A retried request whose connection ended as it was written goes
	// again on the next one, where it is queued first.
	if len(c.pending) > 0 && c.pending[0] == o && (gen == c.gen || !retry) {
		c.pending[0] = nil
		if len(c.pending) == 1 {
			// Its room kept: a message sent at once is queued and taken
			// off again, and slicing would use up the array, so that
			// append made a new one every few messages.
			c.pending = c.pending[:0]
		} else {
			c.pending = c.pending[1:]
		}
		if retry {
			c.inflight = append(c.inflight, o)
		}
		// Listeners learn that a queue they saw drained; a message
		// written as soon as it was sent was never queued for them
		// (a snapshot per message cost the browser an event each).
		if len(c.pending) == 0 && !o.control && c.shownQueue > 0 {
			c.notifyLocked()
		}
	}
}

func (c *Client) controlFrame(e protocol.Envelope) *outgoing {
	b, _ := protocol.Encode(e) // has a type: cannot fail
	return &outgoing{frame: b, control: true}
}

// subscribeFrameLocked subscribes to channel from the latest message seen
// there, if any. It has a ref so that the server acks it, with the id the
// subscription starts after.
func (c *Client) subscribeFrameLocked(channel string) *outgoing {
	e := protocol.Envelope{Type: protocol.TypeSubscribe, Channel: channel, Ref: c.nextRefLocked("s")}
	if last := c.lastIDs[channel]; last != nil && last.n > 0 {
		e.Data, _ = protocol.Marshal(protocol.SubscribeData{Since: strconv.FormatUint(last.n, 10)})
	}
	return c.controlFrame(e)
}

func (c *Client) nextRefLocked(prefix string) string {
	c.refs++
	return prefix + strconv.Itoa(c.refs)
}

// enqueueLocked adds a frame and wakes the writer. On a connection whose
// writes never block (the browser's, which buffers), a frame that waits
// behind nothing is written at once instead: waking the writer goroutine
// for it costs more than the write.
func (c *Client) enqueueLocked(o *outgoing) {
	atOnce := c.conn != nil && c.writesAtOnceLocked()
	c.pending = append(c.pending, o)
	if atOnce {
		// Under the lock: such a write calls nothing back.
		if err := c.conn.Write(context.Background(), o.frame); err != nil {
			c.writeFailedLocked(c.gen, c.conn, err)
			return
		}
		c.wroteLocked(c.gen, o)
		return
	}
	if c.conn != nil {
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
}

// sendsNowLocked reports whether a message sent now finishes on the
// caller's goroutine and wakes no other (see SendNow): the client is
// connected, the frame would be written at once, and no listener saw a
// queue that it would drain (wroteLocked).
func (c *Client) sendsNowLocked() bool {
	return !c.closed && c.status == StatusConnected && c.writesAtOnceLocked() && c.shownQueue == 0
}

// writesAtOnceLocked reports whether a frame queued now would be written
// on the caller's goroutine: the transport never blocks and nothing is
// queued or being written before it.
func (c *Client) writesAtOnceLocked() bool {
	_, ok := c.conn.(BufferedConn)
	return ok && c.writing == nil && len(c.pending) == 0
}

// Send sends msg, or queues it while disconnected. When QueueSize messages
// already wait it returns ErrQueueFull and keeps nothing; a message over
// MaxMessageSize gets ErrMessageTooBig. A publish without an id gets one,
// "<client>:<n>", with which the server tells a publish sent again (after
// a write cut by a drop) from a new one.
func (c *Client) Send(msg protocol.Envelope) error {
	_, err := c.submit(msg, sending{})
	return err
}

// SendNow is Send when it can finish on the caller's goroutine: the
// connection is up, its transport never blocks (a BufferedConn, as in the
// browser), and nothing waits to be written. It reports whether it sent
// (or queued, if the write failed: as Send does); when it did not, it
// changed nothing, and Send reports why. The browser module calls it from
// a wasm export, which runs no other goroutine after it returns.
func (c *Client) SendNow(msg protocol.Envelope) bool {
	_, err := c.submit(msg, sending{now: true})
	return err == nil
}

// Socket returns the number of the socket the client is connected
// through when something outside Go can write on it (the browser's, see
// NumberNow), else 0.
func (c *Client) Socket() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.conn.(socketConn); ok && c.status == StatusConnected {
		return s.socketID()
	}
	return 0
}

// Publisher is the client's part of the ids of its publishes.
func (c *Client) Publisher() string { return c.publisher }

// NumberNow is for a caller that writes a publish on socket itself (see
// Socket), skipping Go's decoding and encoding: realtime.js, for which
// they cost more than the rest of a round trip. When SendNow would write
// a frame of up to maxBytes on that socket now, it takes the next publish
// number and returns it: the frame's id is Publisher() ":" the number, and
// the caller writes it at once, before anything else runs. Otherwise it
// returns 0 and changes nothing: the caller goes through Send.
func (c *Client) NumberNow(socket, maxBytes int) uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.conn.(socketConn)
	if !ok || s.socketID() != socket || !c.sendsNowLocked() {
		return 0
	}
	if limit := c.cfg.MaxMessageSize; limit >= 0 && maxBytes > limit {
		return 0 // Send tells whether it is too big
	}
	c.published++
	return c.published
}

// errNotNow is SendNow's "use Send".
var errNotNow = errors.New("ws: not sent at once")

// sending is how submit sends a message.
type sending struct {
	// waiter makes the message a Request: it gets a ref and waits for
	// its answer there.
	waiter chan protocol.Envelope
	// now is SendNow's: send only if it finishes on the caller's
	// goroutine.
	now bool
	// marshaled says the message's data came from protocol.EncodeData,
	// and is not checked again (see protocol.EncodeMarshaled).
	marshaled bool
}

// submit numbers, encodes and queues msg, as one step: publishes go out
// in the order of their numbers.
func (c *Client) submit(msg protocol.Envelope, how sending) (*outgoing, error) {
	waiter := how.waiter
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, ErrClosed
	}
	if how.now && !c.sendsNowLocked() {
		return nil, errNotNow
	}
	if c.status != StatusConnected {
		if n := c.queuedLocked(); n >= c.cfg.QueueSize {
			return nil, fmt.Errorf("%w: %d messages wait for the connection", ErrQueueFull, n)
		}
	}
	numbered := msg.Type == protocol.TypePublish && msg.ID == ""
	if numbered {
		var id [64]byte // one string made, not a number's and a concatenation's
		msg.ID = string(strconv.AppendUint(append(append(id[:0], c.publisher...), ':'), c.published+1, 10))
	}
	if waiter != nil {
		msg.Ref = c.nextRefLocked("r")
	}
	encode := protocol.Encode
	if how.marshaled {
		encode = protocol.EncodeMarshaled
	}
	b, err := encode(msg)
	if err != nil {
		return nil, err
	}
	if err := c.tooBigLocked(msg.Type, msg.Channel, b); err != nil {
		return nil, err
	}
	if numbered {
		c.published++
	}
	o := &outgoing{frame: b}
	if waiter != nil {
		o.ref, o.retry = msg.Ref, msg.ID != ""
		c.waiters[msg.Ref] = waiter
	}
	c.enqueueLocked(o)
	if c.status != StatusConnected {
		c.notifyLocked()
	}
	return o, nil
}

// tooBigLocked reports a frame over MaxMessageSize.
func (c *Client) tooBigLocked(typ, channel string, frame []byte) error {
	if limit := c.cfg.MaxMessageSize; limit >= 0 && len(frame) > limit {
		return fmt.Errorf("%w: %s on %q is %d bytes, the limit is %d", ErrMessageTooBig, typ, channel, len(frame), limit)
	}
	return nil
}

// Publish sends data to every subscriber of channel.
func (c *Client) Publish(channel string, data any) error {
	if err := protocol.ValidChannel(channel); err != nil {
		return err
	}
	if _, raw := data.(json.RawMessage); !raw {
		if done, err := c.publishAtOnce(channel, data); done {
			return err
		}
	}
	raw, marshaled, err := marshalData(data)
	if err != nil {
		return err
	}
	_, err = c.submit(protocol.Envelope{Type: protocol.TypePublish, Channel: channel, Data: raw}, sending{marshaled: marshaled})
	return err
}

const maxOutFrame = 64 << 10

// publishAtOnce is Publish when the frame can be written at once (see
// SendNow): it writes the frame Encode would, in one buffer kept for the
// next, without the envelope, the data's own copy, the id's string or a
// queue entry, which were half of Go's allocations in an echo. It reports
// false, having done nothing, when it cannot; Send's way then decides.
func (c *Client) publishAtOnce(channel string, data any) (done bool, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.sendsNowLocked() {
		return false, nil
	}
	b := append(c.outFrame[:0], `{"type":"publish","channel":`...)
	b = protocol.AppendString(b, channel)
	b = append(b, `,"id":`...)
	b = protocol.AppendString(b, c.publisher)
	b = strconv.AppendUint(append(b[:len(b)-1], ':'), c.published+1, 10)
	b = append(b, `","data":`...)
	b, err = protocol.AppendData(b, data)
	if err != nil {
		return true, encodeDataError(err)
	}
	b = append(b, '}')
	if cap(b) <= maxOutFrame {
		c.outFrame = b[:0]
	}
	if err := c.tooBigLocked(protocol.TypePublish, channel, b); err != nil {
		return true, err
	}
	c.published++
	if err := c.conn.Write(context.Background(), b); err != nil {
		// Queued, as a write at once that fails is: it goes again on
		// the next connection.
		c.pending = append(c.pending, &outgoing{frame: bytes.Clone(b)})
		c.writeFailedLocked(c.gen, c.conn, err)
	}
	return true, nil
}

// Request sends msg with a fresh ref and waits for the server's ack or
// error. A server error is returned as a *protocol.ErrorData.
//
// A request with an id (every publish has one, see Send) is idempotent:
// when the connection ends before its answer, it is sent again on the
// next one, ahead of the messages queued after it, until it is answered
// or ctx ends. Other requests are sent again only if they had not been
// written. When ctx ends first the request is withdrawn where it has not
// been written: its error then means it was not delivered, unless it was
// already on its way.
func (c *Client) Request(ctx context.Context, msg protocol.Envelope) (protocol.Envelope, error) {
	ch := make(chan protocol.Envelope, 1)
	o, err := c.submit(msg, sending{waiter: ch})
	if err != nil {
		return protocol.Envelope{}, err
	}
	select {
	case e, ok := <-ch:
		if !ok {
			return protocol.Envelope{}, ErrClosed
		}
		return e, e.Err()
	case <-ctx.Done():
		c.withdraw(o)
		return protocol.Envelope{}, fmt.Errorf("ws: no answer to %s %q: %w", msg.Type, msg.Channel, ctx.Err())
	}
}

// withdraw forgets a request whose caller stopped waiting, and drops it
// from the queue unless it is being written.
func (c *Client) withdraw(o *outgoing) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.waiters, o.ref)
	c.answeredLocked(o.ref)
	if i := slices.Index(c.pending, o); i >= 0 && o != c.writing {
		c.pending = slices.Delete(c.pending, i, i+1)
		c.notifyLocked()
	}
}

// Subscribe calls h with every message of channel until the returned
// function is called. The first subscription to a channel subscribes on the
// server, now or as soon as the client connects, and after every reconnect.
func (c *Client) Subscribe(channel string, h Handler) (unsubscribe func(), err error) {
	return c.subscribe(channel, h, false, false)
}

// SubscribeInline is Subscribe for a handler that never waits long (no
// network, no lock held long, no full channel for long): it may run on the
// goroutine a frame arrived on, as soon as it arrived, without the hops to
// the reader and callback goroutines (in the browser, in the js.Func
// callback or the wasm export that brought the frame). Everything still
// reaches the client's handlers in order. In a go-app page a timer that h
// sets for less than a frame fires up to 16 ms after it was set: after
// the export, the page resumes Go at once only for a goroutine h woke.
func (c *Client) SubscribeInline(channel string, h Handler) (unsubscribe func(), err error) {
	return c.subscribe(channel, h, true, false)
}

// SubscribeRelay is SubscribeInline for a handler that only hands each
// message's text (Raw) on to a reader who has the frame's text too (the
// browser module's JavaScript): for a frame whose every line is a new
// message of such channels, the frame's reader is told to read them
// itself (see takeFrame), and h is not called.
func (c *Client) SubscribeRelay(channel string, h Handler) (unsubscribe func(), err error) {
	return c.subscribe(channel, h, true, true)
}

func (c *Client) subscribe(channel string, h Handler, inline, relay bool) (unsubscribe func(), err error) {
	if err := protocol.ValidChannel(channel); err != nil {
		return nil, err
	}
	if h == nil {
		return nil, errors.New("ws: nil handler")
	}
	s := &subscription{channel: channel, handler: h, inline: inline, relay: relay}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, ErrClosed
	}
	// A new slice, not an append in place: deliverAll reads lists unlocked.
	c.subs[channel] = append(slices.Clip(c.subs[channel]), s)
	c.subsGen.Add(1)
	if relay {
		c.relays.Add(1)
	}
	if len(c.subs[channel]) == 1 && c.status == StatusConnected {
		c.enqueueLocked(c.subscribeFrameLocked(channel))
	}
	var once sync.Once
	return func() { once.Do(func() { c.remove(s) }) }, nil
}

func (c *Client) remove(s *subscription) {
	c.mu.Lock()
	defer c.mu.Unlock()
	list := c.subs[s.channel]
	for i, x := range list {
		if x == s {
			list = append(list[:i:i], list[i+1:]...)
			c.removedLocked(s)
			c.subsGen.Add(1)
			break
		}
	}
	if len(list) > 0 {
		c.subs[s.channel] = list
		return
	}
	c.unsubscribeLocked(s.channel)
}

// removedLocked marks s, which has just left its channel's list.
func (c *Client) removedLocked(s *subscription) {
	s.removed.Store(true)
	if s.relay {
		c.relays.Add(-1)
	}
}

// Unsubscribe removes every handler of channel and leaves it on the server.
func (c *Client) Unsubscribe(channel string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.unsubscribeLocked(channel)
}

func (c *Client) unsubscribeLocked(channel string) {
	if _, ok := c.subs[channel]; !ok {
		return
	}
	for _, s := range c.subs[channel] {
		c.removedLocked(s)
	}
	c.subsGen.Add(1)
	delete(c.subs, channel)
	delete(c.lastIDs, channel)
	c.lastSeen = nil
	if c.status == StatusConnected {
		c.enqueueLocked(c.controlFrame(protocol.Envelope{Type: protocol.TypeUnsubscribe, Channel: channel}))
	}
}

// Channels lists the channels with at least one subscriber.
func (c *Client) Channels() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return sortedKeys(c.subs)
}

// Heartbeat ---------------------------------------------------------------

func (c *Client) schedulePingLocked() {
	if c.cfg.PingInterval < 0 {
		return
	}
	gen := c.gen
	c.timers[timerPing] = c.cfg.Clock.AfterFunc(c.cfg.PingInterval, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if gen == c.gen {
			c.pingLocked()
			c.schedulePingLocked()
		}
	})
}

// pingLocked sends a ping and takes the connection for dead if nothing at
// all arrives within PingTimeout.
func (c *Client) pingLocked() {
	if c.conn == nil {
		return
	}
	c.enqueueLocked(c.controlFrame(protocol.Envelope{Type: protocol.TypePing, Timestamp: c.cfg.Clock.Now().UnixMilli()}))
	if c.timers[timerPong] != nil {
		return // a deadline is already running
	}
	// The deadline judges the traffic since its own ping: a later ping,
	// due at the same instant when PingTimeout equals PingInterval, must
	// not move the mark and make an answered ping look unanswered.
	gen, mark := c.gen, c.frames
	c.timers[timerPong] = c.cfg.Clock.AfterFunc(c.cfg.PingTimeout, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if gen != c.gen {
			return
		}
		c.timers[timerPong] = nil
		if c.frames == mark {
			c.lostLocked(ErrHeartbeatTimeout)
		}
	})
}

// Check verifies the connection at once with a ping, as after the page was
// hidden for a while.
func (c *Client) Check() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.status == StatusConnected {
		c.pingLocked()
	}
}

// Online reconnects at once if the client is waiting to retry, as when the
// browser reports the network is back.
func (c *Client) Online() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.status == StatusReconnecting && c.timers[timerRetry] != nil {
		c.timers[timerRetry].Stop()
		c.timers[timerRetry] = nil
		c.startDialLocked(StatusReconnecting)
	}
}
