//go:build js && wasm

package presence

import (
	"sync"
	"time"

	"honnef.co/go/js/dom/v2"
)

func watchActivity(t *Tracker, idleAfter time.Duration) func() {
	win := dom.GetWindow()
	doc := win.Document()
	hidden := func() bool { return doc.Underlying().Get("visibilityState").String() == "hidden" }

	var (
		mu    sync.Mutex
		timer *time.Timer
	)
	// Input resets the idle countdown; it fires often, so the status is
	// only sent when it changes (SetStatus) and the timer is reused.
	active := func(dom.Event) {
		if hidden() {
			return
		}
		t.SetStatus(StatusActive)
		mu.Lock()
		if timer == nil {
			timer = time.AfterFunc(idleAfter, func() {
				if !hidden() {
					t.SetStatus(StatusIdle)
				}
			})
		} else {
			timer.Reset(idleAfter)
		}
		mu.Unlock()
	}
	visibility := func(e dom.Event) {
		if hidden() {
			t.SetStatus(StatusAway)
			return
		}
		active(e)
	}
	var removers []func()
	on := func(target dom.EventTarget, event string, fn func(dom.Event)) {
		f := target.AddEventListener(event, false, fn)
		removers = append(removers, func() {
			target.RemoveEventListener(event, false, f)
			f.Release()
		})
	}
	for _, ev := range []string{"pointermove", "pointerdown", "keydown", "wheel", "focus"} {
		on(win, ev, active)
	}
	on(doc, "visibilitychange", visibility)
	on(win, "pagehide", func(dom.Event) { t.Leave() })
	visibility(nil)
	return func() {
		for _, r := range removers {
			r()
		}
		mu.Lock()
		if timer != nil {
			timer.Stop()
		}
		mu.Unlock()
	}
}
