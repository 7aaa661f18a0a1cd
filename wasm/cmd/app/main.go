// Command app is the go-app application of the demo pages, built to
// web/app.wasm. It links the components and the runtime, never the server.
package main

import (
	"runtime/debug"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/matih-ai/realtime/components/demo"
)

func main() {
	// In the browser, GC runs on the page's only thread, and a burst's
	// frames and envelopes are garbage at once: collecting the small heap
	// a quarter as often (400, not Go's 100) gave the burst back a quarter
	// of its time (see wasm/cmd/module).
	debug.SetGCPercent(400)
	demo.Routes()
	app.RunWhenOnBrowser()
}
