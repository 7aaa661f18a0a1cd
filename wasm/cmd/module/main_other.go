//go:build !js

package main

import (
	"fmt"
	"os"
)

// main says where the module runs: built natively, it has no page to serve.
func main() {
	fmt.Fprintln(os.Stderr, "realtime.wasm runs in a browser: build it with GOOS=js GOARCH=wasm and load it with web/realtime.js")
	os.Exit(2)
}
