package server

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/matih-ai/realtime/wasm/clock"
	"github.com/matih-ai/realtime/wasm/protocol"
)

// maxBatchBytes bounds a frame the writer joins from queued envelopes. It
// stays under coder/websocket's default read limit (32 KiB), so native Go
// clients that keep the default can read every batch; a single bigger
// envelope still goes out alone.
const maxBatchBytes = 32 << 10

// client is one WebSocket connection. Its goroutines: serve (the handler's
// goroutine, which runs writeLoop and owns readLoop's) and readLoop.
type client struct {
	conn         *websocket.Conn
	hub          *hub
	rooms        *rooms
	inboxes      *inboxes
	feeds        *feeds
	queries      *queries
	log          *slog.Logger
	identity     Identity
	authorizer   Authorizer
	limiter      *rateLimiter // owned by readLoop
	clock        clock.Clock
	writeTimeout time.Duration
	idleTimeout  time.Duration
	maxEcho      int
	// binaryOK: the client asked for frames=binary (protocol.FramesBinary),
	// and takes long frames as binary messages (see messageType).
	binaryOK bool

	// queue holds encoded envelopes for writeLoop, at most sendBuffer; an
	// idle connection holds no array for it.
	queueMu    sync.Mutex
	queue      [][]byte // guarded by queueMu
	sendBuffer int
	ready      chan struct{} // cap 1: the queue became non-empty
	room       chan struct{} // cap 1: writeLoop took envelopes out of the queue

	subs    map[string]struct{} // guarded by hub.mu
	echoSeq map[string]uint64   // owned by readLoop

	// ctx is cancelled only to abort a stuck close (see forceClose):
	// coder/websocket drops the connection when an operation's ctx ends.
	ctx    context.Context
	cancel context.CancelFunc

	lastRead  atomic.Int64 // clock time of the last frame read, Unix ns
	idleMu    sync.Mutex
	idleTimer clock.Timer // guarded by idleMu

	closeOnce    sync.Once
	closing      chan struct{} // closed by the first closeWith
	disconnected chan struct{} // closed once closeWith's disconnect is done
	closeCode    websocket.StatusCode
	closeReason  string
}

func newClient(conn *websocket.Conn, s *Server, id Identity) *client {
	ctx, cancel := context.WithCancel(context.Background())
	return &client{
		conn:         conn,
		hub:          s.hub,
		rooms:        s.rooms,
		inboxes:      s.inboxes,
		feeds:        s.feeds,
		queries:      s.queries,
		log:          s.log.With("user", id.User),
		identity:     id,
		authorizer:   s.opts.Authorizer,
		limiter:      newRateLimiter(s.opts.Clock, s.opts.RateLimit, s.opts.RateBurst),
		clock:        s.opts.Clock,
		writeTimeout: s.opts.WriteTimeout,
		idleTimeout:  s.opts.IdleTimeout,
		maxEcho:      s.opts.MaxSubscriptions,
		sendBuffer:   s.opts.SendBuffer,
		ready:        make(chan struct{}, 1),
		room:         make(chan struct{}, 1),
		subs:         make(map[string]struct{}),
		echoSeq:      make(map[string]uint64),
		ctx:          ctx,
		cancel:       cancel,
		closing:      make(chan struct{}),
		disconnected: make(chan struct{}),
	}
}

// closeWith asks serve to close the connection with code; only the first
// call counts. It never blocks, so it is safe under the hub's locks.
func (c *client) closeWith(code int, reason string) {
	c.closeOnce.Do(func() {
		c.closeCode = websocket.StatusCode(code)
		c.closeReason = reason
		close(c.closing)
		// The connection leaves the hub and its rooms at once, even while
		// writeLoop is stuck on a slow client; serve waits for this.
		go func() {
			defer close(c.disconnected)
			c.stopIdle()
			c.rooms.disconnect(c, c.hub.removeClient(c))
		}()
	})
}

func (c *client) isClosing() bool {
	select {
	case <-c.closing:
		return true
	default:
		return false
	}
}

// forceClose drops the connection without waiting for the peer, for a
// shutdown whose deadline has passed.
func (c *client) forceClose() {
	c.closeWith(protocol.CloseServiceRestart, "server restarting")
	c.cancel()
}

// enqueue queues frames, together, without ever blocking: a client whose
// buffer has no room for them is too slow to read and is closed, so it
// cannot stall the others.
func (c *client) enqueue(frames ...[]byte) {
	if c.isClosing() {
		return
	}
	if !c.push(frames...) {
		c.closeWith(protocol.CloseTryAgainLater, "too slow to read")
	}
}

// enqueueReply queues an answer to this client's own request, waiting for
// room: a client that sends faster than it reads is slowed down (its
// frames wait in TCP) rather than closed, and only its own reader waits.
func (c *client) enqueueReply(frame []byte) {
	for !c.isClosing() {
		if c.push(frame) {
			return
		}
		// The queue is full, so writeLoop is not idle: it signals room
		// each time it takes envelopes out, until the close.
		select {
		case <-c.room:
		case <-c.closing:
		}
	}
}

// push queues frames unless the queue has no room for them all, and
// wakes writeLoop once.
func (c *client) push(frames ...[]byte) bool {
	c.queueMu.Lock()
	if len(c.queue)+len(frames) > c.sendBuffer {
		c.queueMu.Unlock()
		return false
	}
	c.queue = append(c.queue, frames...)
	c.queueMu.Unlock()
	select {
	case c.ready <- struct{}{}:
	default:
	}
	return true
}

// queued is how many envelopes wait for writeLoop.
func (c *client) queued() int {
	c.queueMu.Lock()
	defer c.queueMu.Unlock()
	return len(c.queue)
}

// serve runs the connection until a close is requested, then performs the
// close handshake once the writer is idle, so the close frame is not stuck
// behind a half-written message. Presence sessions of the connection stay
// for their grace, so a reconnect is no leave. serve is the writer itself,
// which saves a goroutine (and its stack) per connection.
func (c *client) serve() {
	defer c.cancel()
	c.lastRead.Store(c.clock.Now().UnixNano())
	c.armIdle(c.idleTimeout)
	stopExpiry := c.armExpiry()
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		c.readLoop()
	}()

	c.writeLoop() // returns once closing
	stopExpiry()
	<-c.disconnected
	err := c.conn.Close(c.closeCode, c.closeReason)
	<-readerDone
	c.log.Debug("websocket closed", "code", int(c.closeCode), "reason", c.closeReason, "err", err)
}

// writeLoop sends queued envelopes, joining whatever is queued into one
// frame of '\n'-separated envelopes, until the connection is closing.
func (c *client) writeLoop() {
	var buf []byte // reused: conn.Write is done with it when it returns
	for {
		if c.isClosing() {
			c.flushBeforeClose(&buf)
			return
		}
		frame, ok := c.batch(&buf)
		if !ok {
			select {
			case <-c.closing:
				c.flushBeforeClose(&buf)
				return
			case <-c.ready:
			}
			// Woken by an envelope: it goes out even if the close came
			// right behind it (a reply before a 4008, say).
			if frame, ok = c.batch(&buf); !ok {
				continue
			}
		}
		ctx, cancel := context.WithTimeout(c.ctx, c.writeTimeout)
		err := c.conn.Write(ctx, c.messageType(frame), frame)
		cancel()
		if err != nil {
			c.log.Debug("failed to write websocket frame", "err", err)
			c.closeWith(protocol.CloseInternalError, "write failed")
			return
		}
	}
}

// binaryFrom is the length from which a frame goes as a binary message
// to a client that takes them. A browser hands a text message over as a
// string, which a Go program in the page must encode into its memory
// again (TextEncoder.encodeInto, 1-2 ns a byte); a binary message's bytes
// it copies as they are. For a short frame the string costs less: Chrome
// makes a message's ArrayBuffer 1-2 µs slower than its string, and a
// short text is copied in a loop (BenchmarkTextIntoBytes in bench: a
// frame of 200 bytes took 4.7-5.1 µs as text and 5.8-7.5 as binary, of
// 1 KB 6.8-8.6 and 5.5-6, of 32 KB 64-66 and 12-16, in two runs).
const binaryFrom = 512

// messageType is the WebSocket message type frame goes as.
func (c *client) messageType(frame []byte) websocket.MessageType {
	if c.binaryOK && len(frame) >= binaryFrom {
		return websocket.MessageBinary
	}
	return websocket.MessageText
}

// flushBeforeClose writes what is still queued ahead of the close frame
// (the refusals before a 4008, the last messages before a restart), so a
// client closed on purpose loses nothing it was sent. Not when the client
// is closed for being too slow or the writes fail: there is no point.
func (c *client) flushBeforeClose(buf *[]byte) {
	if c.closeCode == protocol.CloseTryAgainLater || c.closeCode == protocol.CloseInternalError {
		return
	}
	for {
		frame, ok := c.batch(buf)
		if !ok {
			return
		}
		ctx, cancel := context.WithTimeout(c.ctx, c.writeTimeout)
		err := c.conn.Write(ctx, c.messageType(frame), frame)
		cancel()
		if err != nil {
			return
		}
	}
}

// batch takes the first queued envelope and those behind it, up to
// maxBatchBytes, out of the queue and joins them into one frame; ok is
// false when the queue is empty. Queued envelopes are shared between
// clients, so they are copied into *buf, never appended to; a single
// envelope goes out as it is.
func (c *client) batch(buf *[]byte) (frame []byte, ok bool) {
	c.queueMu.Lock()
	q := c.queue
	if len(q) == 0 {
		c.queueMu.Unlock()
		return nil, false
	}
	n := 1
	frame = q[0]
	if len(q) > 1 && len(q[0])+1+len(q[1]) <= maxBatchBytes {
		b := append((*buf)[:0], q[0]...)
		for ; n < len(q) && len(b)+1+len(q[n]) <= maxBatchBytes; n++ {
			b = append(b, '\n')
			b = append(b, q[n]...)
		}
		*buf, frame = b, b
	}
	clear(q[:n]) // let the envelopes go once written
	if n == len(q) {
		c.queue = nil // an idle connection keeps no array
	} else {
		c.queue = q[n:]
	}
	c.queueMu.Unlock()
	select {
	case c.room <- struct{}{}:
	default:
	}
	return frame, true
}

// readLoop handles every frame until the connection fails or closes.
func (c *client) readLoop() {
	for {
		typ, frame, err := c.conn.Read(c.ctx)
		if err != nil {
			if websocket.CloseStatus(err) == -1 && !c.isClosing() {
				c.log.Debug("failed to read websocket frame", "err", err)
			}
			c.closeWith(protocol.CloseNormal, "")
			return
		}
		c.lastRead.Store(c.clock.Now().UnixNano())
		if c.isClosing() {
			// Requests after the close (or before a 4401) are not served.
			continue
		}
		if typ != websocket.MessageText {
			if !c.admit("") {
				continue
			}
			c.reply(protocol.NewError("", protocol.CodeBinaryFrame, "binary frames are not part of the protocol"))
			continue
		}
		c.handleFrame(frame)
	}
}

// armExpiry closes the connection with 4401 when its token expires, so
// that the client comes back with a fresh one. The returned function
// stops the timer.
func (c *client) armExpiry() (stop func()) {
	if c.identity.Expires.IsZero() {
		return noStop
	}
	t := c.clock.AfterFunc(c.identity.Expires.Sub(c.clock.Now()), func() {
		c.log.Debug("websocket token expired")
		c.closeWith(protocol.CloseUnauthorized, reasonTokenExpired)
	})
	return func() { t.Stop() }
}

// armIdle checks for idleness after d. Rather than a timer reset on every
// frame, one timer per timeout looks at when the last frame came and
// re-arms for the rest.
func (c *client) armIdle(d time.Duration) {
	c.idleMu.Lock()
	defer c.idleMu.Unlock()
	if c.isClosing() {
		return // stopIdle has run or is about to: no timer may outlive serve
	}
	c.idleTimer = c.clock.AfterFunc(d, c.checkIdle)
}

// checkIdle closes a connection silent for idleTimeout with 1001, after
// which the client reconnects: a peer that went away without a close (a
// closed laptop) leaves its presence to the grace instead of forever.
func (c *client) checkIdle() {
	idle := c.clock.Now().Sub(time.Unix(0, c.lastRead.Load()))
	if idle >= c.idleTimeout {
		c.log.Debug("websocket idle", "for", idle)
		c.closeWith(protocol.CloseGoingAway, "idle timeout")
		return
	}
	c.armIdle(c.idleTimeout - idle)
}

func (c *client) stopIdle() {
	c.idleMu.Lock()
	defer c.idleMu.Unlock()
	if c.idleTimer != nil {
		c.idleTimer.Stop()
	}
}
