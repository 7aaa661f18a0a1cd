//go:build js && wasm

package sse

import "github.com/matih-ai/realtime/wasm/internal/browser"

// watchBrowser reconnects at once when the browser is back online, and
// tells the client when the page is hidden or shown, for CloseWhenHidden.
func watchBrowser(c *Client) (stop func()) {
	c.SetVisible(!browser.Hidden())
	online := browser.On(browser.Window(), "online", c.Online)
	shown := browser.On(browser.Document(), "visibilitychange", func() { c.SetVisible(!browser.Hidden()) })
	return func() {
		online()
		shown()
	}
}
