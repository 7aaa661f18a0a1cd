//go:build js && wasm

package live

import "honnef.co/go/js/dom/v2"

// watchHidden pauses f while the page is hidden (PauseWhenHidden).
func watchHidden(f *Feed) (stop func()) {
	doc := dom.GetWindow().Document()
	check := func(dom.Event) {
		f.setHidden(doc.Underlying().Get("visibilityState").String() == "hidden")
	}
	listener := doc.AddEventListener("visibilitychange", false, check)
	check(nil)
	return func() {
		doc.RemoveEventListener("visibilitychange", false, listener)
		listener.Release()
	}
}
