package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/matih-ai/realtime/server"
)

func TestQueriesDemoCompletesOneAndCancelsAnother(t *testing.T) {
	// Ten times faster than life: a short query takes 0.15 s, a long one 1.5 s.
	_, ctx := openDemo(t, server.Options{QuerySpeed: 10}, "/queries")
	waitFor(t, ctx, "the connection", badgeConnected)

	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#run-short"))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the short query to succeed with a full bar",
		`document.querySelector('.rt-query[data-state="succeeded"] .rt-progress')?.dataset.percent === "100"`)

	// The buttons wait for the answer to the first start, which a loaded
	// machine may deliver after the query's own updates.
	waitFor(t, ctx, "the buttons back", `document.querySelector("#run-long")?.disabled === false`)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#run-long"))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the long query to run", `document.querySelector('.rt-query[data-state="running"]') !== null`)
	screenshot(t, ctx, "queries-running")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`.rt-query[data-state="running"] .rt-query__cancel`))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the long query to end cancelled", `document.querySelectorAll('.rt-query[data-state="cancelled"]').length === 1`)
	n := evalInt(t, ctx, `document.querySelectorAll('.rt-query').length`)
	if n != 2 {
		t.Fatalf("%d query cards, want 2", n)
	}
	screenshot(t, ctx, "queries-done")
}
