package e2e

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/matih-ai/realtime/components/demo"
	"github.com/matih-ai/realtime/server"
)

// watchViolations records, in every page the tab loads from now on, the
// securitypolicyviolation events (window.__violations) and returns the
// browser's log entries that mention a Content Security Policy, which
// include what workers were refused.
func watchViolations(t *testing.T, ctx context.Context) (logged func() []string) {
	t.Helper()
	var (
		mu      sync.Mutex
		entries []string
	)
	if err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*log.EventEntryAdded); ok && strings.Contains(e.Entry.Text, "Content Security Policy") {
			mu.Lock()
			entries = append(entries, e.Entry.URL+": "+e.Entry.Text)
			mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, log.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	const listen = `window.__violations = [];
document.addEventListener("securitypolicyviolation", e =>
	window.__violations.push(e.effectiveDirective + " refused " + (e.blockedURI || "inline") + " in " + e.sourceFile + ":" + e.lineNumber));`
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: listen}); err != nil {
		t.Fatal(err)
	}
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), entries...)
	}
}

// TestDemoPagesWorkUnderTheContentSecurityPolicy loads the demo pages as
// the server serves them, with its security headers and behind a token,
// and checks that each works and that the browser refused nothing: the
// wasm compiles, go-app's scripts and styles load, style attributes
// apply, the WebSocket and the SSE streams connect.
func TestDemoPagesWorkUnderTheContentSecurityPolicy(t *testing.T) {
	needBrowser(t)
	srv := startDemoServer(t, server.Options{Auth: server.StaticToken("dev"), Pages: demo.Handler("dev"), QuerySpeed: 10})

	resp, err := http.Get(srv.URL("/websocket"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if csp := resp.Header.Get("Content-Security-Policy"); csp != server.DefaultContentSecurityPolicy {
		t.Fatalf("the page's policy is %q, want the default", csp)
	}

	ctx := newBrowser(t)
	logged := watchViolations(t, ctx)
	for _, p := range []struct{ path, what, ready string }{
		{"/websocket", "the connection", statusIs("connected")},
		{"/sse", "a tick", number("#ticks") + " >= 1"},
		{"/presence", "the page listing itself", peopleCount + " === 1"},
		{"/live", "the orders table", `document.querySelectorAll('#orders tbody tr').length > 0`},
		{"/queries", "the connection", badgeConnected},
	} {
		if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL(p.path))); err != nil {
			t.Fatal(err)
		}
		waitFor(t, ctx, p.path+": "+p.what, p.ready)
		switch p.path {
		case "/websocket":
			sendEcho(t, ctx, "under the policy")
			waitFor(t, ctx, "the echo", logCount("under the policy")+" === 1")
		case "/queries":
			// A progress bar's width is a style attribute, which the
			// policy must let apply.
			if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#run-short"))); err != nil {
				t.Fatal(err)
			}
			waitFor(t, ctx, "a full progress bar", `(() => {
				const bar = document.querySelector('.rt-query[data-state="succeeded"] .rt-progress__bar');
				return bar !== null && bar.getBoundingClientRect().width > 0.99 * bar.parentElement.getBoundingClientRect().width;
			})()`)
		}
		refused, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.__violations`))
		if err != nil {
			t.Fatal(err)
		}
		if len(refused) > 0 {
			t.Errorf("%s: the page reported violations: %q", p.path, refused)
		}
	}
	if l := logged(); len(l) > 0 {
		t.Errorf("the browser logged violations: %q", l)
	}
	screenshot(t, ctx, "security-queries")
}
