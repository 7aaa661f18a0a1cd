//go:build js && wasm

package sse

import (
	"honnef.co/go/js/dom/v2"
)

// watchBrowser reconnects at once when the browser is back online, and
// tells the client when the page is hidden or shown, for CloseWhenHidden.
func watchBrowser(c *Client) (stop func()) {
	win := dom.GetWindow()
	doc := win.Document()
	visible := func() bool { return doc.Underlying().Get("visibilityState").String() != "hidden" }
	c.SetVisible(visible())
	online := win.AddEventListener("online", false, func(dom.Event) { c.Online() })
	shown := doc.AddEventListener("visibilitychange", false, func(dom.Event) { c.SetVisible(visible()) })
	return func() {
		win.RemoveEventListener("online", false, online)
		doc.RemoveEventListener("visibilitychange", false, shown)
		online.Release()
		shown.Release()
	}
}
