// Command module is the realtime runtime as a WebAssembly module for
// JavaScript pages, built to web/realtime.wasm and started by
// web/realtime.js (loadRealtime). It links the runtime and the bridge to
// JavaScript, never go-app (which takes over the page) nor the server.
//
// realtime.js passes, as the first argument, the name of a global object
// holding dispatch (the queue events go to), mailbox (which gives the
// Uint8Array messages' text goes through), RealtimeError and ready. The
// command hands ready its table of functions, then serves calls until
// shutdown, when it releases them.
package main

import (
	"fmt"
	"os"
	"syscall/js"

	"github.com/matih-ai/realtime/wasm/jsbridge"
	"github.com/matih-ai/realtime/wasm/ws"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "realtime.wasm:", err)
		os.Exit(2)
	}
}

// realtimeSend is jsbridge.SendNow, exported to realtime.js as a plain wasm
// function: calling it costs no js.Func event.
//
//go:wasmexport realtimeSend
func realtimeSend(id, n int32) int32 { return jsbridge.SendNow(int(id), int(n)) }

// realtimeReceive is jsbridge.ReceiveNow, exported to realtime-socket.js
// (through realtime.js's boot.direct, see ws.UseDirect): a batch of
// frames reaches JavaScript's subscribers without a js.Func event or a
// goroutine switch, and Go's own subscribers (a live feed) through its
// callback goroutine, which realtime.js resumes Go to run.
//
//go:wasmexport realtimeReceive
func realtimeReceive(id, n, grown int32) int32 {
	return jsbridge.ReceiveNow(int(id), int(n), grown != 0)
}

// realtimeRelay is jsbridge.RelayNow: a batch realtime.js parsed itself
// reaches its subscribers once Go has checked and recorded its ids.
//
//go:wasmexport realtimeRelay
func realtimeRelay(socket, n int32) int32 { return jsbridge.RelayNow(int(socket), int(n)) }

// realtimeSocket and realtimeNumber are jsbridge.SocketNow and NumberNow:
// realtime.js writes a publish on the socket itself, with the id Go
// numbers, when nothing waits before it.
//
//go:wasmexport realtimeSocket
func realtimeSocket(id int32) int32 { return jsbridge.SocketNow(int(id)) }

//go:wasmexport realtimeNumber
func realtimeNumber(id, socket, maxBytes int32) float64 {
	return jsbridge.NumberNow(int(id), int(socket), int(maxBytes))
}

func run() error {
	if len(os.Args) < 2 {
		return fmt.Errorf("no boot object: load it with realtime.js")
	}
	boot := js.Global().Get(os.Args[1])
	if boot.Type() != js.TypeObject {
		return fmt.Errorf("boot object %q not found: load it with realtime.js", os.Args[1])
	}
	ws.UseDirect(boot.Get("direct"))
	done := make(chan struct{})
	b := jsbridge.New(jsbridge.NewSink(boot))
	table, release := jsbridge.Exports(b, boot.Get("RealtimeError"), func() { close(done) })
	boot.Call("ready", table)
	<-done
	release()
	// Shutdown closed everything, but the browser has events on their way
	// to what was closed: a WebSocket's close event, the end of an aborted
	// fetch. Their handlers release what they hold when they run; after an
	// exit, each would throw "Go program has already exited" instead. So
	// the program stays, idle, until the page drops it.
	select {}
}
