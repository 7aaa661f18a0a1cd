//go:build js && wasm

package browser

import "syscall/js"

// Window is the page's window.
func Window() js.Value { return js.Global() }

// Document is the page's document.
func Document() js.Value { return js.Global().Get("document") }

// Hidden reports whether the page is hidden: in a background tab, a
// minimized window, a locked screen.
func Hidden() bool { return Document().Get("visibilityState").String() == "hidden" }

// On calls fn on every event of type event at target until remove is
// called. fn runs in the browser's event loop: it must not block.
func On(target js.Value, event string, fn func()) (remove func()) {
	f := js.FuncOf(func(js.Value, []js.Value) any {
		fn()
		return nil
	})
	target.Call("addEventListener", event, f)
	return func() {
		target.Call("removeEventListener", event, f)
		f.Release()
	}
}
