//go:build js && wasm

package browser

import (
	"sync"
	"sync/atomic"
	"syscall/js"
)

// funcs counts the functions made by Func and not released yet.
var funcs atomic.Int64

// Func is js.FuncOf, counted by Funcs: release frees it, and may be
// called again.
func Func(fn func(this js.Value, args []js.Value) any) (f js.Func, release func()) {
	f = js.FuncOf(fn)
	funcs.Add(1)
	var once sync.Once
	return f, func() {
		once.Do(func() {
			f.Release()
			funcs.Add(-1)
		})
	}
}

// Funcs counts the functions made by Func, On among them, that are not
// released: what the runtime holds for the page's events, its sockets'
// and its fetches'. One that outlives its object is a leak.
func Funcs() int { return int(funcs.Load()) }

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
	f, release := Func(func(js.Value, []js.Value) any {
		fn()
		return nil
	})
	target.Call("addEventListener", event, f)
	return func() {
		target.Call("removeEventListener", event, f)
		release()
	}
}

// Self returns the Go object of wasm_exec.js that runs this program, or
// undefined when it cannot be found. Loaders keep it to themselves
// (go-app's does); its instance's exports are what a page calls without a
// js.Func event. js.FuncOf asks it for a wrapper (_makeFuncWrapper, a
// method of Go.prototype): for one js.FuncOf, that method is a js.Func
// which notes whom it was asked on. wasm_exec.js comes with the Go that
// built the program (the Makefile copies it), so its internals match.
func Self() js.Value {
	proto := js.Global().Get("Go")
	if proto.Type() != js.TypeFunction {
		return js.Undefined()
	}
	proto = proto.Get("prototype")
	wrap := proto.Get("_makeFuncWrapper")
	if wrap.Type() != js.TypeFunction {
		return js.Undefined()
	}
	self := js.Undefined()
	spy := js.FuncOf(func(this js.Value, args []js.Value) any {
		self = this
		return wrap.Call("call", this, args[0])
	})
	defer spy.Release()
	proto.Set("_makeFuncWrapper", spy)
	probe := js.FuncOf(func(js.Value, []js.Value) any { return nil })
	proto.Set("_makeFuncWrapper", wrap)
	probe.Release()
	return self
}
