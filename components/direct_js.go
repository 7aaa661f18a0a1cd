//go:build js && wasm

package components

import "github.com/matih-ai/realtime/wasm/ws"

// realtimeTakeFrames is ws.ReceiveNow, exported: a go-app page's sockets
// hand Go their batches through it rather than through a js.Func, whose
// event costs tens of microseconds of a round trip before Go reads the
// first byte (realtime-socket.js resumes Go after it, see ws.UseDirect).
//
//go:wasmexport realtimeTakeFrames
func realtimeTakeFrames(id, n, grown int32) int32 {
	return int32(ws.ReceiveNow(int(id), int(n), grown != 0))
}

func init() { ws.UseExport("realtimeTakeFrames") }
