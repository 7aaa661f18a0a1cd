package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/matih-ai/realtime/server"
)

const badgeConnected = `document.querySelector(".rt-status")?.dataset.status === "connected"`

const unreadBadge = `document.querySelector('#unread')?.textContent`

func TestNotificationsDemoToastBadgeAndReadStateAcrossAReload(t *testing.T) {
	_, ctx := openDemo(t, server.Options{}, "/notifications")
	waitFor(t, ctx, "the connection", badgeConnected)

	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#send-warning"))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "a toast", `document.querySelectorAll('#toasts .rt-toast--warning').length === 1`)
	waitFor(t, ctx, "the unread badge", unreadBadge+` === "1"`)

	// The buttons wait for the server's answer to the first request, which
	// may come after its notification: a click on a disabled one is lost.
	waitFor(t, ctx, "the buttons back", `document.querySelector("#send-error")?.disabled === false`)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#send-error"))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the badge to count both", unreadBadge+` === "2"`)
	screenshot(t, ctx, "notifications-toasts")

	// Open the panel and read the warning.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#bell"))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the panel", `document.querySelectorAll('#notification-list .rt-notif').length === 2`)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#notification-list .rt-notif--warning .rt-notif__read"))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "one unread left", unreadBadge+` === "1"`)
	screenshot(t, ctx, "notifications-panel")

	// A reload keeps what was read, and brings nothing twice.
	if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the connection after the reload", badgeConnected)
	waitFor(t, ctx, "the badge after the reload", unreadBadge+` === "1"`)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#bell")), chromedp.Click(chromedp.CSS("#view-all"))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "both notifications, once each", `document.querySelectorAll('#notification-list .rt-notif').length === 2`)
	waitFor(t, ctx, "the warning still read", `document.querySelector('#notification-list .rt-notif--warning')?.dataset.state === "read"`)
}
