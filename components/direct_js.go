//go:build js && wasm

package components

import "github.com/matih-ai/realtime/wasm/ws"

// realtimeTakeFrames is ws.ReceiveNow, exported: a go-app page's sockets
// hand Go their batches through it rather than through a js.Func, whose
// event costs tens of microseconds of a round trip before Go reads the
// first byte. Having taken a batch it returns 1 when a goroutine is ready
// to run (the handlers dispatched to go-app's UI goroutine or sent on a
// channel, or the batch went to the callback goroutine: ws.Routed), and
// realtime-socket.js resumes Go at once; else 0, and it resumes Go within
// a frame (16 ms), for the timers the handlers set (see ws.UseDirect). A
// resume after every batch took a go-app echo 15-30 µs of the page's main
// thread, and echoes were slower with it.
// grown is 1 for a batch in a new inbox, 2 for one realtime-socket.js
// wrote into Go's memory (ws.ReceiveFromRoom).
//
//go:wasmexport realtimeTakeFrames
func realtimeTakeFrames(id, n, grown int32) int32 {
	var taken int
	if grown == 2 {
		taken = ws.ReceiveFromRoom(int(id), int(n)) // written into Go's memory
	} else {
		taken = ws.ReceiveNow(int(id), int(n), grown != 0)
	}
	if taken == -1 {
		return -1
	}
	if ws.GoroutinesReady() {
		return 1
	}
	return 0
}

func init() { ws.UseExport("realtimeTakeFrames") }
