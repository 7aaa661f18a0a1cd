// Command app is the go-app application of the demo pages, built to
// web/app.wasm. It links the components and the runtime, never the server.
package main

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/matih-ai/realtime/components/demo"
)

func main() {
	demo.Routes()
	app.RunWhenOnBrowser()
}
