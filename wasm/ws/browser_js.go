//go:build js && wasm

package ws

import (
	"honnef.co/go/js/dom/v2"
)

// watchBrowser reconnects at once when the browser is back online and checks
// the connection when the page becomes visible again: timers are throttled
// in hidden tabs, so a dead connection may have gone unnoticed.
func watchBrowser(c *Client) (stop func()) {
	win := dom.GetWindow()
	doc := win.Document()
	online := win.AddEventListener("online", false, func(dom.Event) { c.Online() })
	visible := doc.AddEventListener("visibilitychange", false, func(dom.Event) {
		if doc.Underlying().Get("visibilityState").String() == "visible" {
			c.Check()
		}
	})
	return func() {
		win.RemoveEventListener("online", false, online)
		doc.RemoveEventListener("visibilitychange", false, visible)
		online.Release()
		visible.Release()
	}
}
