//go:build js && wasm

package presence

import (
	"sync"
	"time"

	"github.com/matih-ai/realtime/wasm/internal/browser"
)

func watchActivity(t *Tracker, idleAfter time.Duration) func() {
	hidden := browser.Hidden

	var (
		mu    sync.Mutex
		timer *time.Timer
	)
	// Input resets the idle countdown; it fires often, so the status is
	// only sent when it changes (SetStatus) and the timer is reused.
	active := func() {
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
	visibility := func() {
		if hidden() {
			t.SetStatus(StatusAway)
			return
		}
		active()
	}
	var removers []func()
	for _, ev := range []string{"pointermove", "pointerdown", "keydown", "wheel", "focus"} {
		removers = append(removers, browser.On(browser.Window(), ev, active))
	}
	removers = append(removers,
		browser.On(browser.Document(), "visibilitychange", visibility),
		browser.On(browser.Window(), "pagehide", t.Leave),
	)
	visibility()
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
