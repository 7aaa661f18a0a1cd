//go:build js && wasm

package ws

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"syscall/js"

	"github.com/matih-ai/realtime/wasm/internal/browser"
)

// dialPlatform opens the browser's WebSocket. Browsers cannot set headers,
// so opts.Headers are not sent.
func dialPlatform(ctx context.Context, url string, opts DialOptions) (Conn, error) {
	protocols := make([]any, len(opts.Subprotocols))
	for i, p := range opts.Subprotocols {
		protocols[i] = p
	}
	c := &jsConn{signal: make(chan struct{}, 1), opened: make(chan struct{}), closed: make(chan struct{})}
	// The constructor throws a SyntaxError on a bad URL or protocol.
	err := jsCall(func() { c.ws = js.Global().Get("WebSocket").New(url, protocols) })
	if err != nil {
		return nil, err
	}
	c.ws.Set("binaryType", "arraybuffer")
	c.on("open", func(js.Value) { close(c.opened) })
	if q := js.Global().Get(socketQueue); q.Type() == js.TypeFunction {
		c.queue(q)
	} else {
		c.on("message", c.onMessage)
		c.on("close", func(e js.Value) { c.onClose(e.Get("code").Int(), e.Get("reason").String()) })
	}
	select {
	case <-c.opened:
		return c, nil
	case <-c.closed:
		// Browsers hide why a handshake failed; the code is 1006.
		return nil, c.closeErr
	case <-ctx.Done():
		c.ws.Call("close")
		return nil, ctx.Err()
	}
}

// jsConn is a Conn on the browser's WebSocket. Its callbacks never block:
// they append to a buffer and signal the reader.
type jsConn struct {
	ws     js.Value
	events []jsListener
	signal chan struct{}
	opened chan struct{}
	closed chan struct{}

	// releases free the callbacks given to realtimeSocketQueue, with
	// the close.
	releases []func()
	// The handle realtimeSocketQueue returned, and its byte arrays: text
	// crosses as UTF-8 bytes (see web/realtime-socket.js).
	handle js.Value
	inbox  js.Value
	outbox js.Value
	outCap int

	mu       sync.Mutex
	frames   []jsFrame
	closeErr error
}

// socketQueue is the global function of web/realtime-socket.js, which
// queues a socket's messages in JavaScript and hands them over in batches:
// one call into Go per batch instead of one per message.
const socketQueue = "realtimeSocketQueue"

type jsListener struct {
	event   string
	fn      js.Func
	release func()
}

type jsFrame struct {
	text   []byte
	binary bool
}

func (c *jsConn) on(event string, fn func(js.Value)) {
	f, release := browser.Func(func(_ js.Value, args []js.Value) any {
		fn(args[0])
		return nil
	})
	c.events = append(c.events, jsListener{event, f, release})
	c.ws.Call("addEventListener", event, f)
}

// queue reads through realtimeSocketQueue: it calls onBatch with the
// text frames received since its last call, joined with "\n", their count
// and the number of binary frames; onClose once all were read.
func (c *jsConn) queue(q js.Value) {
	batch, releaseBatch := browser.Func(func(_ js.Value, args []js.Value) any {
		var text []byte
		if args[0].Type() == js.TypeString {
			// An older realtime-socket.js (a cached copy) hands a string.
			text = []byte(args[0].String())
		} else {
			if args[3].Truthy() {
				c.inbox = c.handle.Get("inbox")
			}
			text = make([]byte, args[0].Int())
			js.CopyBytesToGo(text, c.inbox)
		}
		c.onBatch(text, args[1].Int(), args[2].Int())
		return nil
	})
	closed, releaseClosed := browser.Func(func(_ js.Value, args []js.Value) any {
		c.onClose(args[0].Int(), args[1].String())
		return nil
	})
	c.releases = []func(){releaseBatch, releaseClosed}
	if h := q.Invoke(c.ws, batch, closed); h.Type() == js.TypeObject {
		c.handle, c.inbox, c.outbox = h, h.Get("inbox"), h.Get("outbox")
		c.outCap = c.outbox.Length()
	}
}

// onBatch buffers the frames of a batch: the binary ones (only their
// error matters, not where they came), then the text ones as one frame.
func (c *jsConn) onBatch(text []byte, texts, binaries int) {
	c.mu.Lock()
	for range binaries {
		c.frames = append(c.frames, jsFrame{binary: true})
	}
	if texts > 0 {
		c.frames = append(c.frames, jsFrame{text: text})
	}
	c.mu.Unlock()
	select {
	case c.signal <- struct{}{}:
	default:
	}
}

func (c *jsConn) onMessage(e js.Value) {
	data := e.Get("data")
	frame := jsFrame{binary: data.Type() != js.TypeString}
	if !frame.binary {
		frame.text = []byte(data.String())
	}
	c.mu.Lock()
	c.frames = append(c.frames, frame)
	c.mu.Unlock()
	select {
	case c.signal <- struct{}{}:
	default:
	}
}

func (c *jsConn) onClose(code int, reason string) {
	c.mu.Lock()
	c.closeErr = &CloseError{Code: code, Reason: reason}
	c.mu.Unlock()
	close(c.closed)
	for _, l := range c.events {
		c.ws.Call("removeEventListener", l.event, l.fn)
		l.release()
	}
	c.events = nil
	// The close callback is running: releasing it now is allowed, as Go
	// calls it no more.
	for _, release := range c.releases {
		release()
	}
	c.releases = nil
}

// Read returns buffered frames first, so nothing the peer sent before
// closing is lost, then the close.
func (c *jsConn) Read(ctx context.Context) ([]byte, error) {
	for {
		c.mu.Lock()
		if len(c.frames) > 0 {
			f := c.frames[0]
			c.frames[0] = jsFrame{}
			c.frames = c.frames[1:]
			c.mu.Unlock()
			if f.binary {
				return nil, ErrBinaryFrame
			}
			return f.text, nil
		}
		c.mu.Unlock()
		select {
		case <-c.signal:
		case <-c.closed:
			c.mu.Lock()
			n, err := len(c.frames), c.closeErr
			c.mu.Unlock()
			if n == 0 {
				return nil, err
			}
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// WritesWithoutWaiting: WebSocket.send queues the frame and returns.
func (c *jsConn) WritesWithoutWaiting() {}

var errNotOpen = errors.New("ws: write on a closed WebSocket")

// Write fails once the socket is closing: a browser silently discards what
// is sent then, and the message must stay queued instead.
func (c *jsConn) Write(ctx context.Context, frame []byte) error {
	if c.handle.Truthy() {
		open := false
		err := jsCall(func() {
			if len(frame) > c.outCap {
				c.outbox = c.handle.Call("grow", len(frame))
				c.outCap = c.outbox.Length()
			}
			js.CopyBytesToJS(c.outbox, frame)
			open = c.handle.Call("send", len(frame)).Bool()
		})
		if err == nil && !open {
			err = errNotOpen
		}
		return err
	}
	if c.ws.Get("readyState").Int() != 1 { // OPEN
		return errNotOpen
	}
	return jsCall(func() { c.ws.Call("send", string(frame)) })
}

func (c *jsConn) Close(code int, reason string) error {
	return jsCall(func() { c.ws.Call("close", code, reason) })
}

// jsCall turns a JavaScript exception into an error.
func jsCall(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("ws: %v", r)
		}
	}()
	f()
	return nil
}
