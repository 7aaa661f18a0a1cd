//go:build js && wasm

package notify

import "github.com/matih-ai/realtime/wasm/internal/browser"

// PauseWhenHidden pauses t's countdowns while the page is hidden, so a
// toast is not dismissed before anyone could see it.
func PauseWhenHidden(t *Toaster) (stop func()) {
	check := func() {
		if browser.Hidden() {
			t.Pause("hidden")
		} else {
			t.Resume("hidden")
		}
	}
	stop = browser.On(browser.Document(), "visibilitychange", check)
	check()
	return stop
}
