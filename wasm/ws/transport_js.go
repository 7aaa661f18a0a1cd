//go:build js && wasm

package ws

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"syscall/js"
	"unsafe"

	"github.com/matih-ai/realtime/wasm/internal/browser"
	"github.com/matih-ai/realtime/wasm/internal/weburl"
	"github.com/matih-ai/realtime/wasm/protocol"
)

// dialPlatform opens the browser's WebSocket. Browsers cannot set headers,
// so opts.Headers are not sent.
func dialPlatform(ctx context.Context, url string, opts DialOptions) (Conn, error) {
	protocols := make([]any, len(opts.Subprotocols))
	for i, p := range opts.Subprotocols {
		protocols[i] = p
	}
	c := &jsConn{signal: make(chan struct{}, 1), opened: make(chan struct{}), closed: make(chan struct{})}
	q := js.Global().Get(socketQueue)
	// A go-app page's socket asks for long frames as binary messages,
	// which realtime-socket.js copies into Go's memory as they are rather
	// than encode a string (see protocol's Frames). Not realtime.js's: it
	// parses most frames itself, as strings.
	if q.Type() == js.TypeFunction && q.Get("binaryText").Truthy() && direct.Type() == js.TypeObject && direct.Get("go").Truthy() {
		c.binaryText = true
		if u, err := weburl.Parse(url); err == nil { // else the constructor says what is wrong
			u.Query, u.HasQuery = weburl.SetQuery(u.Query, protocol.FramesParam, protocol.FramesBinary), true
			url = u.String()
		}
	}
	// The constructor throws a SyntaxError on a bad URL or protocol.
	err := jsCall(func() { c.ws = js.Global().Get("WebSocket").New(url, protocols) })
	if err != nil {
		return nil, err
	}
	c.ws.Set("binaryType", "arraybuffer")
	c.on("open", func(js.Value) { close(c.opened) })
	if q.Type() == js.TypeFunction {
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
	// send is handle.send, invoked rather than called by name: a call
	// makes JavaScript decode the name and look it up each time.
	// sendFromArgs is handle.sendFromArgs, when the page gave the
	// program's memory: it reads a frame where Go holds it, without a copy
	// into outbox, at the address and length Write leaves in sendArgs
	// (given as arguments, each cost a js.ValueOf and the address an
	// allocation, before the send). inMemory: it is a function, checked
	// once; an older realtime-socket.js has none, and gets the copy.
	send, sendFromArgs js.Value
	inMemory           bool
	sendArgs           [2]uint32

	mu       sync.Mutex
	frames   []jsFrame
	closeErr error
	// parked is true while Read waits for a frame (and has none); take is
	// the client's, see offerFrames; direct is the id ReceiveNow knows
	// the conn by, 0 when frames never come that way.
	parked bool
	take   func(frame []byte, from takeFrom) int
	relay  func(runs []RelayRun) int
	direct int
	// binaryText: the server was asked for binary messages, which
	// realtime-socket.js hands over with the text ones, as UTF-8.
	binaryText bool
	taken      []byte // ReceiveNow's buffer
	// resumes is true when the page resumes Go after the batches Go took
	// through the export (UseDirect's go).
	resumes bool
}

// direct is what UseDirect was given.
var direct js.Value

// UseDirect makes realtime-socket.js offer batches to Go first through
// d.receive(id, n, grown, text), a JavaScript function that calls a wasm
// export which calls ReceiveNow(id, n, grown), and returns whether Go took
// the batch; a wasm export costs a fraction of a microsecond, a js.Func
// call tens. Before that, d.take(id, texts), when given, is offered the
// batch's text frames, an array: a JavaScript function that parses them
// and calls a wasm export which calls RelayNow. Without d.receive, d.go,
// wasm_exec.js's Go object running this program (see browser.Self), and
// d.export, the name of its export that calls ReceiveNow, do:
// realtime-socket.js calls the export, and resumes Go after the batches
// Go took (go-app's pages, whose handlers are Go code that may wake
// goroutines and set timers): at once when the export returns 1, a
// goroutine being ready to run, else within a frame, 16 ms (0); -1
// is a batch not taken. realtime-socket.js also keeps each socket's
// handle in the Map d.handles by its id (see Client.Socket). With
// d.memory, the program's WebAssembly.Memory, JavaScript reads the
// frames Go writes where Go holds them, and their address and length too
// (handle.sendFromArgs, sendArgs). Sockets opened earlier keep the
// js.Func way.
func UseDirect(d js.Value) { direct = d }

// UseExport is UseDirect for a program whose loader keeps its wasm
// instance to itself (go-app's): it finds the program's own Go object
// (browser.Self) and its export name, which must call ReceiveNow and
// answer as UseDirect says, and reports whether it did.
func UseExport(name string) bool {
	self := browser.Self()
	if self.Type() != js.TypeObject {
		return false
	}
	inst := self.Get("_inst")
	if inst.Type() != js.TypeObject || inst.Get("exports").Get(name).Type() != js.TypeFunction {
		return false
	}
	UseDirect(js.ValueOf(map[string]any{"go": self, "export": name, "memory": inst.Get("exports").Get("mem")}))
	return true
}

var (
	directMu    sync.Mutex
	directConns = map[int]*jsConn{}
	directLast  int
)

// socketConnOf returns the conn of socket id (UseDirect), nil once closed.
func socketConnOf(id int) *jsConn {
	// No defer in the small functions an echo calls: each would be a
	// function of its own in wasm, run by V8's baseline compiler for the
	// first tens of thousands of calls.
	directMu.Lock()
	c := directConns[id]
	directMu.Unlock()
	return c
}

// ReceiveNow takes the batch of frames of socket id (UseDirect): n
// UTF-8 bytes at the start of its inbox, a new array when grown. It returns
// -1 when the batch must go the js.Func way instead: the socket's reader
// has frames still to read, callbacks are queued ahead of it, or it is not
// all messages (an ack, say). Having taken it, it returns the number of
// its lines when the client relayed them (JavaScript reads them), Routed
// when it went to the callback goroutine (the page then resumes Go), else
// 0 (see Client.takeFrame).
func ReceiveNow(id, n int, grown bool) int {
	c := socketConnOf(id)
	if c == nil {
		return -1
	}
	if grown {
		c.inbox = c.handle.Get("inbox")
	}
	take, _ := c.offered()
	if take == nil || n < 0 {
		return -1
	}
	// realtime.js's batches go into one buffer, reused: take keeps nothing
	// of it (see offerFrames). go-app's are decoded for inline handlers,
	// which may keep the envelopes' views of the frame: into a frame of
	// their own, rather than the buffer and then a copy.
	from, frame := fromExport, c.taken
	if c.resumes {
		from, frame = fromResumedExport, make([]byte, n)
	} else if cap(frame) < n {
		frame = make([]byte, n)
		c.taken = frame
	}
	frame = frame[:n]
	if js.CopyBytesToGo(frame, c.inbox) != n {
		return -1 // not that many bytes in the inbox: a caller's mistake
	}
	relayed := take(frame, from)
	if cap(c.taken) > maxKeptFrame {
		c.taken = nil // a burst's buffer does not stay
	}
	return relayed
}

// room is where realtime-socket.js writes a batch that fits for go-app's
// export (ReceiveFromRoom), in Go's memory: Go copies it out itself, with
// no call into JavaScript. It is never freed, so its address stays. An
// echo's batch takes some 200 bytes; a longer one goes into the inbox.
var room = make([]byte, 1536)

// roomFrames holds the frames copied out of room: the export's calls do
// not overlap.
var roomFrames frameArena

// ReceiveFromRoom is ReceiveNow for go-app's batch of n bytes at the start
// of room.
func ReceiveFromRoom(id, n int) int {
	c := socketConnOf(id)
	if c == nil || !c.resumes || n < 0 || n > len(room) {
		return -1
	}
	take, _ := c.offered()
	if take == nil {
		return -1
	}
	return take(roomFrames.copy(room[:n]), fromResumedExport)
}

// maxKeptFrame bounds the buffer ReceiveNow keeps between batches.
const maxKeptFrame = 256 << 10

func (c *jsConn) socketID() int { return c.direct }

// RelayNow offers the client of socket id (UseDirect) the runs of a batch
// that JavaScript has parsed itself, every line a message (realtime.js's
// JSON.parse, which it needs anyway): see Client.relayRuns. It returns 1
// when the client took them, and JavaScript delivers the messages; else
// the batch goes the usual way.
func RelayNow(id int, runs []RelayRun) int {
	c := socketConnOf(id)
	if c == nil {
		return -1
	}
	_, relay := c.offered()
	if relay == nil {
		return -1
	}
	return relay(runs)
}

func (c *jsConn) offerFrames(take func(frame []byte, from takeFrom) int, relay func(runs []RelayRun) int) {
	c.mu.Lock()
	c.take, c.relay = take, relay
	c.mu.Unlock()
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
		texts, binaries := args[1].Int(), args[2].Int()
		if texts > 0 && binaries == 0 && c.takeNow(text) {
			return nil
		}
		c.onBatch(text, texts, binaries)
		return nil
	})
	closed, releaseClosed := browser.Func(func(_ js.Value, args []js.Value) any {
		c.onClose(args[0].Int(), args[1].String())
		return nil
	})
	c.releases = []func(){releaseBatch, releaseClosed}
	d := js.Undefined()
	if direct.Type() == js.TypeObject {
		directMu.Lock()
		directLast++
		c.direct = directLast
		directConns[c.direct] = c
		directMu.Unlock()
		object := js.Global().Get("Object")
		d = object.Call("assign", object.New(), direct, map[string]any{"id": c.direct})
		c.resumes = direct.Get("go").Truthy()
		if c.resumes {
			d.Set("room", uintptr(unsafe.Pointer(&room[0])))
			d.Set("roomSize", len(room))
			d.Set("binaryText", c.binaryText)
		}
		if direct.Get("memory").Truthy() {
			d.Set("sendArgs", uintptr(unsafe.Pointer(&c.sendArgs)))
		}
	}
	if h := q.Invoke(c.ws, batch, closed, d); h.Type() == js.TypeObject {
		c.handle, c.inbox, c.outbox = h, h.Get("inbox"), h.Get("outbox")
		c.send, c.sendFromArgs = h.Get("send"), h.Get("sendFromArgs")
		c.inMemory = c.sendFromArgs.Type() == js.TypeFunction
		c.outCap = c.outbox.Length()
	}
}

// takeNow offers the client a batch that came through the js.Func, when
// the reader has nothing before it: it is then delivered here, without the
// hops to the reader and callback goroutines, if the client can.
func (c *jsConn) takeNow(text []byte) bool {
	take, _ := c.offered()
	return take != nil && take(text, fromCallback) != -1
}

// offered returns the client's functions (see offerFrames) when a batch
// may be offered to it now: the reader waits and has nothing before it.
// Else nils.
func (c *jsConn) offered() (take func(frame []byte, from takeFrom) int, relay func(runs []RelayRun) int) {
	c.mu.Lock()
	if c.parked && len(c.frames) == 0 {
		take, relay = c.take, c.relay
	}
	c.mu.Unlock()
	return take, relay
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
	if c.direct != 0 {
		directMu.Lock()
		delete(directConns, c.direct)
		directMu.Unlock()
	}
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
		c.parked = len(c.frames) == 0
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
			if c.inMemory && len(frame) > 0 {
				// frame stays where it is while JavaScript reads it: Go
				// runs nothing else, and its collector moves nothing.
				c.sendArgs = [2]uint32{uint32(uintptr(unsafe.Pointer(unsafe.SliceData(frame)))), uint32(len(frame))}
				open = c.sendFromArgs.Invoke().Bool()
				return
			}
			if len(frame) > c.outCap {
				c.outbox = c.handle.Call("grow", len(frame))
				c.outCap = c.outbox.Length()
			}
			js.CopyBytesToJS(c.outbox, frame)
			open = c.send.Invoke(len(frame)).Bool()
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
