//go:build js && wasm

package live

import "github.com/matih-ai/realtime/wasm/internal/browser"

// watchHidden pauses f while the page is hidden (PauseWhenHidden).
func watchHidden(f *Feed) (stop func()) {
	check := func() { f.setHidden(browser.Hidden()) }
	stop = browser.On(browser.Document(), "visibilitychange", check)
	check()
	return stop
}
