//go:build js && wasm

package jsbridge

import (
	"fmt"
	"math"
	"sync"
	"syscall/js"
	"time"
	"unsafe"

	"github.com/matih-ai/realtime/wasm/internal/browser"
	"github.com/matih-ai/realtime/wasm/protocol"
	"github.com/matih-ai/realtime/wasm/ws"
)

// Exports returns the table of functions realtime.js calls, bound to b.
// Errors come back as instances of newError (realtime.js's RealtimeError,
// constructed with the message and the code), which realtime.js throws.
// Its "shutdown" closes everything in b and then calls onShutdown, once;
// release frees every function of the table and must be called once
// JavaScript can no longer call them.
func Exports(b *Bridge, newError js.Value, onShutdown func()) (table js.Value, release func()) {
	var funcs []js.Func
	table = js.Global().Get("Object").New()
	export := func(name string, f func(a args) (any, error)) {
		fn := js.FuncOf(func(_ js.Value, jsArgs []js.Value) (result any) {
			defer func() {
				r := recover()
				if r == nil {
					return
				}
				err, ok := r.(argError)
				if !ok {
					err = argError{fmt.Errorf("%w in %s: %v", ErrInternal, name, r)}
				}
				result = newError.New(err.Error(), Code(err.error))
			}()
			v, err := f(args(jsArgs))
			if err != nil {
				return newError.New(err.Error(), Code(err))
			}
			return v
		})
		funcs = append(funcs, fn)
		table.Set(name, fn)
	}

	kinds := map[string]any{}
	for name, k := range Kinds {
		kinds[name] = int(k)
	}
	table.Set("kinds", kinds)

	// Messages to send come as JSON envelopes, UTF-8 in the callbox,
	// where six string arguments would cost a copy and a finalizer each.
	// The callbox is bytes of Go's memory, which realtime.js writes before
	// its call (see "callbox" below): Go reads them where they are, with
	// no call back into JavaScript to copy them over (3 µs of the 9 that
	// the relay of an echo took in the page).
	var callbox []byte // never moved: Go's collector moves nothing
	// fromCallbox returns the callbox's first n bytes, which the next call
	// overwrites: its callers decode them at once and keep nothing of them
	// (protocol.Decode and parseRuns copy what they keep).
	fromCallbox := func(n int) ([]byte, error) {
		if n < 0 || n > len(callbox) {
			return nil, fmt.Errorf("%w: %d bytes are not in the callbox", ErrArgument, n)
		}
		return callbox[:n], nil
	}
	envelope := func(n int) (protocol.Envelope, error) {
		text, err := fromCallbox(n)
		if err != nil {
			return protocol.Envelope{}, err
		}
		return protocol.Decode(text) // a bad message is protocol.ErrMalformed
	}
	sendNow = func(id, n int) bool {
		e, err := envelope(n)
		return err == nil && b.SendNow(id, e)
	}
	receiveNow = func(id, n int, grown bool) int32 {
		// The sink's flusher is a goroutine, which would not run before
		// Go's next event: the sink is flushed here, before (what it holds
		// goes first) and after.
		s, _ := b.sink.(*jsSink)
		if s != nil {
			s.flush()
		}
		// Looked up first: once Go has relayed a batch, JavaScript must
		// read it, or its messages are lost (their ids are recorded).
		conn := b.connOfSocket(id)
		if conn == 0 {
			return 0
		}
		switch relayed := ws.ReceiveNow(id, n, grown); {
		case relayed == ws.Routed:
			// The callback goroutine has it (a live feed's frame, say):
			// realtime.js resumes Go, which runs it, and the sink's
			// flusher after.
			return -2
		case relayed < 0:
			return 0
		case relayed > 0:
			return int32(conn)
		}
		if s != nil {
			s.flush()
		}
		return -1
	}
	var relayed []ws.RelayRun // relayNow's runs, reused
	relayNow = func(socket, n int) int32 {
		// What the sink holds goes first (see receiveNow). Flushed before
		// the runs are read: it calls JavaScript, and nothing that calls
		// JavaScript may come between reading the reused buffers and
		// using them.
		if s, _ := b.sink.(*jsSink); s != nil {
			s.flush()
		}
		text, err := fromCallbox(n)
		if err != nil {
			return 0
		}
		runs, ok := parseRuns(relayed, text)
		relayed = runs
		if !ok {
			return 0
		}
		conn := b.connOfSocket(socket)
		if conn == 0 || ws.RelayNow(socket, runs) != 1 {
			return 0
		}
		return int32(conn)
	}
	socketNow = b.Socket
	numberNow = b.NumberNow

	var once sync.Once
	// One call of export, in a loop: called once for each function, its
	// wrapper was inlined thirty times, 127 KB of realtime.wasm's code
	// (4 KB brotli).
	for _, e := range []struct {
		name string
		f    func(a args) (any, error)
	}{
		{"wsOpen", func(a args) (any, error) {
			return nil, b.OpenWebSocket(a.int(0), a.bytes(1), pageURL())
		}},
		// token(id, n, token, message): getToken's answer to ask n.
		{"token", func(a args) (any, error) {
			return nil, b.Token(a.int(0), a.int(1), a.str(2), a.str(3))
		}},
		{"wsConnect", func(a args) (any, error) { return nil, b.Connect(a.int(0)) }},
		{"wsDisconnect", func(a args) (any, error) { return nil, b.Disconnect(a.int(0)) }},
		{"wsReconnect", func(a args) (any, error) { return nil, b.Reconnect(a.int(0)) }},
		// callbox(n) gives the callbox room for n bytes at least and
		// returns [address, length] in Go's memory, where realtime.js
		// writes what it hands over.
		{"callbox", func(a args) (any, error) {
			n := a.int(0)
			if n < 0 || n > maxCallbox {
				return nil, fmt.Errorf("%w: a callbox of %d bytes", ErrArgument, n)
			}
			callbox = make([]byte, max(n, minCallbox))
			return []any{uintptr(unsafe.Pointer(unsafe.SliceData(callbox))), len(callbox)}, nil
		}},
		// wsSend(id, n): the message is n bytes in the callbox.
		{"wsSend", func(a args) (any, error) {
			e, err := envelope(a.int(1))
			if err != nil {
				return nil, err
			}
			return nil, b.Send(a.int(0), e)
		}},
		// wsRequest(id, request, n, timeout)
		{"wsRequest", func(a args) (any, error) {
			e, err := envelope(a.int(2))
			if err != nil {
				return nil, err
			}
			return nil, b.Request(a.int(0), a.int(1), e, a.millis(3))
		}},
		{"wsPublisher", func(a args) (any, error) { return b.Publisher(a.int(0)) }},
		{"wsSubscribe", func(a args) (any, error) { return nil, b.Subscribe(a.int(0), a.str(1)) }},
		{"wsUnsubscribe", func(a args) (any, error) { return nil, b.Unsubscribe(a.int(0), a.str(1)) }},
		{"close", func(a args) (any, error) { b.Close(a.int(0)); return nil, nil }},
		{"sseOpen", func(a args) (any, error) {
			return nil, b.OpenEventSource(a.int(0), a.bytes(1), pageURL())
		}},
		{"sseReopen", func(a args) (any, error) { return nil, b.OpenStream(a.int(0)) }},
		{"sseReconnect", func(a args) (any, error) { return nil, b.ReconnectStream(a.int(0)) }},
		// presenceJoin(id, connection, resource, meta, options) -> session
		{"presenceJoin", func(a args) (any, error) {
			return b.JoinPresence(a.int(0), a.int(1), a.str(2), a.bytes(3), a.bytes(4))
		}},
		{"presenceUpdate", func(a args) (any, error) { return nil, b.UpdatePresence(a.int(0), a.bytes(1)) }},
		{"presenceCount", func(a args) (any, error) {
			return nil, b.WatchPresenceCount(a.int(0), a.int(1), a.str(2))
		}},
		// notificationsOpen(id, connection, user, options)
		{"notificationsOpen", func(a args) (any, error) {
			return nil, b.OpenNotifications(a.int(0), a.int(1), a.str(2), a.bytes(3))
		}},
		{"notificationsDo", func(a args) (any, error) {
			return nil, b.NotificationsDo(a.int(0), a.str(1), a.str(2))
		}},
		{"notificationsView", func(a args) (any, error) {
			return b.NotificationsView(a.int(0), a.str(1), a.bytes(2))
		}},
		{"queriesOpen", func(a args) (any, error) { return nil, b.OpenQueries(a.int(0), a.int(1)) }},
		{"queriesDo", func(a args) (any, error) { return nil, b.QueriesDo(a.int(0), a.str(1), a.str(2)) }},
		{"queriesView", func(a args) (any, error) { return b.QueriesView(a.int(0), a.str(1), a.str(2)) }},
		// queriesCancel(id, request, query, timeout)
		{"queriesCancel", func(a args) (any, error) {
			return nil, b.CancelQuery(a.int(0), a.int(1), a.str(2), a.millis(3))
		}},
		// liveOpen(id, connection, feed, options) -> state
		{"liveOpen", func(a args) (any, error) {
			return b.OpenLive(a.int(0), a.int(1), a.str(2), a.bytes(3), pageURL())
		}},
		{"liveDo", func(a args) (any, error) { return nil, b.LiveDo(a.int(0), a.str(1)) }},
		{"liveStats", func(a args) (any, error) { return b.LiveStats(a.int(0)) }},
		{"stats", func(args) (any, error) {
			out := map[string]any{}
			for k, v := range b.Stats() {
				out[k] = v
			}
			// The functions held for the page's events: none once every
			// object is closed, or one leaks.
			if n := browser.Funcs(); n > 0 {
				out["funcs"] = n
			}
			return out, nil
		}},
		{"shutdown", func(args) (any, error) {
			once.Do(func() {
				b.Shutdown()
				onShutdown()
			})
			return nil, nil
		}},
	} {
		export(e.name, e.f)
	}

	return table, func() {
		sendNow, receiveNow, socketNow, numberNow = nil, nil, nil, nil
		for _, fn := range funcs {
			fn.Release()
		}
		funcs = nil
	}
}

// sendNow sends the message of n bytes in the callbox on connection id
// when that can be done at once (Bridge.SendNow); nil until Exports ran.
var sendNow func(id, n int) bool

// SendNow is realtime.js's fast way to send, for the module's wasm export
// realtimeSend (see wasm/cmd/module): a call through a js.Func costs tens
// of microseconds of Go's event machinery (the pending event's fields read
// one by one, each a reference with a finalizer, and a pass of the
// scheduler), a wasm export a fraction of one. It returns 1 when it sent,
// 0 when realtime.js must call wsSend, which does the rest and reports
// errors. It must only do what needs no other goroutine: after an export
// returns, Go runs nothing until its next event.
func SendNow(id, n int) int32 {
	if sendNow != nil && sendNow(id, n) {
		return 1
	}
	return 0
}

// receiveNow hands a batch of socket frames to Go at once (ws.ReceiveNow);
// nil until Exports ran. See ReceiveNow for what it returns.
var receiveNow func(id, n int, grown bool) int32

// ReceiveNow is the wasm export realtimeReceive's work (see
// wasm/cmd/module and ws.UseDirect), for socket id's batch of n
// bytes. It returns 0 when realtime-socket.js must hand the batch over the
// js.Func way; -1 when Go took it and handed its messages to JavaScript
// already (KindMessages); -2 when Go took it for its callback goroutine
// (ws.Routed: the frames of Go's own subscribers, a live feed's), and
// realtime.js must resume Go; a connection's id when every line of the
// batch is a new message for that connection's subscribers
// (ws.SubscribeRelay), of which Go read only the channel and id:
// JavaScript then reads them from the batch's text itself, and Go copies
// none.
func ReceiveNow(id, n int, grown bool) int32 {
	if receiveNow == nil {
		return 0
	}
	return receiveNow(id, n, grown)
}

// relayNow: see RelayNow; nil until Exports ran.
var relayNow func(socket, n int) int32

// RelayNow is the wasm export realtimeRelay's work: realtime.js has
// parsed a batch of socket's frames itself (it needs JSON.parse's result
// anyway), found every line a message with a numeric id, and put the runs
// of ids, one channel's a line (see parseRuns), as n bytes in the
// callbox. When Go takes them (ws.RelayNow), having recorded the ids, it
// returns the connection's id, and realtime.js delivers the messages it
// parsed: Go copies and scans none of the batch. Otherwise 0, and the
// batch goes through ReceiveNow.
func RelayNow(socket, n int) int32 {
	if relayNow == nil {
		return 0
	}
	return relayNow(socket, n)
}

// socketNow and numberNow are the Bridge's Socket and NumberNow; nil
// until Exports ran.
var (
	socketNow func(id int) int
	numberNow func(id, socket, maxBytes int) uint64
)

// SocketNow and NumberNow serve the wasm exports realtimeSocket and
// realtimeNumber: realtime.js writes a publish on the socket itself when
// Go numbers it (see ws.Client.NumberNow). Both return 0 for "not now".
func SocketNow(id int) int32 {
	if socketNow == nil {
		return 0
	}
	return int32(socketNow(id))
}

// NumberNow: see SocketNow. The number comes as a float64, which
// JavaScript takes exactly up to 2^53.
func NumberNow(id, socket, maxBytes int) float64 {
	if numberNow == nil {
		return 0
	}
	return float64(numberNow(id, socket, maxBytes))
}

// The callbox's least size, and its largest: realtime.js asks for three
// bytes a UTF-16 unit of what it hands over, and a gigabyte is more than
// a browser's string holds.
const (
	minCallbox = 16 << 10
	maxCallbox = 1 << 30
)

// argError is a bad argument, raised by args and turned into an error by
// the export wrapper.
type argError struct{ error }

// args reads the arguments of a call from realtime.js. A value of the
// wrong type ends the call with an ErrArgument error.
type args []js.Value

func (a args) at(i int, t js.Type, what string) js.Value {
	if i >= len(a) || a[i].Type() != t {
		got := "nothing"
		if i < len(a) {
			got = a[i].Type().String()
		}
		panic(argError{fmt.Errorf("%w: argument %d must be %s, not %s", ErrArgument, i, what, got)})
	}
	return a[i]
}

func (a args) int(i int) int {
	f := a.at(i, js.TypeNumber, "a number").Float()
	if f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		panic(argError{fmt.Errorf("%w: argument %d must be a whole number, not %v", ErrArgument, i, f)})
	}
	return int(f)
}

func (a args) str(i int) string { return a.at(i, js.TypeString, "a string").String() }

func (a args) bytes(i int) []byte { return []byte(a.str(i)) }

func (a args) millis(i int) time.Duration {
	f := a.at(i, js.TypeNumber, "a number of milliseconds").Float()
	if math.IsNaN(f) || math.IsInf(f, 0) || f > maxMillis {
		panic(argError{fmt.Errorf("%w: argument %d must be a finite number of milliseconds, not %v", ErrArgument, i, f)})
	}
	return time.Duration(f * float64(time.Millisecond))
}

// pageURL is the address relative URLs are resolved against: the
// document's base URL, or the worker's location.
func pageURL() string {
	g := js.Global()
	if doc := g.Get("document"); doc.Type() == js.TypeObject {
		if base := doc.Get("baseURI"); base.Type() == js.TypeString {
			return base.String()
		}
	}
	if loc := g.Get("location"); loc.Type() == js.TypeObject {
		return loc.Get("href").String()
	}
	return ""
}
