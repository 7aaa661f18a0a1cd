//go:build js && wasm

package ws

import "runtime/metrics"

// readySample is read by GoroutinesReady, in the exports, whose calls do
// not overlap.
var readySample = []metrics.Sample{{Name: "/sched/goroutines/runnable:goroutines"}}

// GoroutinesReady reports whether a goroutine waits to run; true when the
// runtime cannot tell (the metric is Go 1.26's). An export that took a
// batch (ReceiveNow, ReceiveFromRoom) answers with it, so that the page
// resumes Go when a handler, or a frame routed to the callback goroutine,
// made one ready: after an export returns, Go runs nothing until its next
// event.
func GoroutinesReady() bool {
	metrics.Read(readySample)
	v := readySample[0].Value
	return v.Kind() != metrics.KindUint64 || v.Uint64() > 0
}
