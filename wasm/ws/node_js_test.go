//go:build js && wasm

package ws

import "syscall/js"

// Under node (go test for js/wasm, as the benchmarks run) there is no
// window or document: the client's page listeners get stand-ins.
func init() {
	g := js.Global()
	if g.Get("addEventListener").Type() == js.TypeFunction {
		return
	}
	noop := js.FuncOf(func(js.Value, []js.Value) any { return nil })
	page := g.Get("Object").New()
	page.Set("addEventListener", noop)
	page.Set("removeEventListener", noop)
	page.Set("visibilityState", "visible")
	g.Set("addEventListener", noop)
	g.Set("removeEventListener", noop)
	g.Set("document", page)
}
