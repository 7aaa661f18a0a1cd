//go:build js && wasm

package live

import (
	"syscall/js"

	"github.com/matih-ai/realtime/wasm/internal/browser"
)

// animationFrames schedules on requestAnimationFrame, or returns nil where
// there is none (a worker). The callback only starts a goroutine: a render
// must never block the browser's frame.
func animationFrames() func(f func()) (cancel func()) {
	win := js.Global()
	if win.Get("requestAnimationFrame").Type() != js.TypeFunction {
		return nil
	}
	return func(f func()) (cancel func()) {
		var release func()
		cb, release := browser.Func(func(js.Value, []js.Value) any {
			release()
			go f()
			return nil
		})
		id := win.Call("requestAnimationFrame", cb)
		return func() {
			win.Call("cancelAnimationFrame", id)
			release()
		}
	}
}
