//go:build js && wasm

package ws

import "github.com/matih-ai/realtime/wasm/internal/browser"

// watchBrowser reconnects at once when the browser is back online and checks
// the connection when the page becomes visible again: timers are throttled
// in hidden tabs, so a dead connection may have gone unnoticed.
func watchBrowser(c *Client) (stop func()) {
	online := browser.On(browser.Window(), "online", c.Online)
	visible := browser.On(browser.Document(), "visibilitychange", func() {
		if !browser.Hidden() {
			c.Check()
		}
	})
	return func() {
		online()
		visible()
	}
}
