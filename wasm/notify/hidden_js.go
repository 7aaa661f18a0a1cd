//go:build js && wasm

package notify

import "honnef.co/go/js/dom/v2"

// PauseWhenHidden pauses t's countdowns while the page is hidden, so a
// toast is not dismissed before anyone could see it.
func PauseWhenHidden(t *Toaster) (stop func()) {
	doc := dom.GetWindow().Document()
	check := func(dom.Event) {
		if doc.Underlying().Get("visibilityState").String() == "hidden" {
			t.Pause("hidden")
		} else {
			t.Resume("hidden")
		}
	}
	f := doc.AddEventListener("visibilitychange", false, check)
	check(nil)
	return func() {
		doc.RemoveEventListener("visibilitychange", false, f)
		f.Release()
	}
}
