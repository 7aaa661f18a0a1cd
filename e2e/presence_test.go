package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/matih-ai/realtime/server"
)

// newTab opens another tab in the browser of ctx: its own sessionStorage,
// so the presence demo makes it another person.
func newTab(t *testing.T, ctx context.Context, url string) (context.Context, context.CancelFunc) {
	t.Helper()
	tab, cancel := chromedp.NewContext(ctx)
	if err := chromedp.Do(tab, chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	return tab, cancel
}

const peopleCount = `document.querySelectorAll('#people li').length`

func myUser(t *testing.T, ctx context.Context) string {
	t.Helper()
	u, err := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.parse(sessionStorage.getItem("realtime/demo/presence-identity")).id`))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func listed(user string) string {
	return `document.querySelector('#people li[data-user="` + user + `"]') !== null`
}

func TestPresenceDemoTwoTabsSeeEachOtherAndALeave(t *testing.T) {
	// A minute's grace: only the leave sent on pagehide can remove a closed
	// tab within the test.
	srv, a := openDemo(t, server.Options{PresenceGrace: time.Minute}, "/presence")
	waitFor(t, a, "the first tab to list itself", peopleCount+" === 1")
	b, closeB := newTab(t, a, srv.URL("/presence"))
	waitFor(t, b, "the second tab to list both", peopleCount+" === 2")
	waitFor(t, a, "the first tab to list both", peopleCount+" === 2")

	userA, userB := myUser(t, a), myUser(t, b)
	if userA == userB {
		t.Fatalf("two tabs are the same user %q", userA)
	}
	waitFor(t, a, "tab A to list B", listed(userB))
	waitFor(t, b, "tab B to list A", listed(userA))
	waitFor(t, a, "the avatar stack", `document.querySelectorAll('.rt-avatars .rt-avatar').length === 2`)
	screenshot(t, a, "presence-two-tabs")

	// B's page is hidden, then shown again: A sees B away, then active.
	setVisibility := func(state string) {
		t.Helper()
		js := `Object.defineProperty(document, "visibilityState", {configurable: true, get: () => "` + state + `"});
			document.dispatchEvent(new Event("visibilitychange")); true`
		if _, err := chromedp.Run(b, chromedp.Evaluate[bool](js)); err != nil {
			t.Fatal(err)
		}
	}
	statusOf := func(user string) string {
		return `document.querySelector('#people li[data-user="` + user + `"]')?.dataset.status`
	}
	setVisibility("hidden")
	waitFor(t, a, "B away", statusOf(userB)+` === "away"`)
	setVisibility("visible")
	waitFor(t, a, "B active again", statusOf(userB)+` === "active"`)

	if err := chromedp.Do(b, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}
	closeB()
	waitFor(t, a, "the closed tab to leave", peopleCount+" === 1 && !("+listed(userB)+")")
}
