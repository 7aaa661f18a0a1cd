package e2e

import (
	"context"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/heapprofiler"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/matih-ai/realtime/server"
)

// pageMemory is what the page holds that a leak would grow.
type pageMemory struct {
	stats    map[string]int // rt.stats(): open objects and live Go functions
	window   []string       // event listener types on window
	document []string       // and on document
	heap     float64        // bytes of JavaScript heap used, after a GC
	backing  float64        // bytes of array buffers (the wasm memory among them)
}

func measurePage(t *testing.T, ctx context.Context) pageMemory {
	t.Helper()
	if _, err := chromedp.Call(ctx, heapprofiler.CollectGarbage, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	heap, err := chromedp.Call(ctx, runtime.GetHeapUsage, cdp.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	return pageMemory{
		stats:    evalJS[map[string]int](t, ctx, `t.rt.stats()`),
		window:   listeners(t, ctx, "window"),
		document: listeners(t, ctx, "document"),
		heap:     heap.UsedSize,
		backing:  heap.BackingStorageSize,
	}
}

// TestModuleOpenedAndClosedAThousandTimesLeavesNothingBehind opens a
// connection (subscribed to a channel) and closes it 1,000 times, with an
// SSE stream every tenth time, through realtime.js; afterwards the
// runtime holds no function for the page, the page has the listeners it
// had, and its heap is back near where it was.
func TestModuleOpenedAndClosedAThousandTimesLeavesNothingBehind(t *testing.T) {
	srv, ctx := openDemo(t, server.Options{TickInterval: 20 * time.Millisecond}, "/e2e/module.html?manual")
	evalJS[bool](t, ctx, `(async () => {
		t.rt = await t.loadRealtime();
		// cycle opens and closes n connections, one at a time, each once
		// connected and subscribed; every tenth, an SSE stream too, once
		// a tick came.
		t.cycle = async (n) => {
			for (let i = 0; i < n; i++) {
				const ws = t.rt.connect({ url: "/ws" });
				t.watch(ws, "ws");
				await new Promise((resolve) => ws.onStatus((s) => s === "connected" && resolve()));
				const unsubscribe = ws.subscribe("leak:room", () => {});
				if (i % 10 === 0) {
					const s = t.rt.eventSource({ url: "/sse/ticker" });
					t.watch(s, "sse");
					await new Promise((resolve) => s.on("tick", resolve));
					s.close();
				}
				unsubscribe();
				ws.close();
			}
		};
		return true;
	})()`)

	// Warm up: caches, compiled code, the pool of the Go heap.
	evalJS[bool](t, ctx, `t.cycle(100).then(() => true)`)
	// settled waits a while for the closes to be done; what stays is
	// checked below.
	settled := func() {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if evalJS[bool](t, ctx, `Object.keys(t.rt.stats()).length === 0`) {
				break
			}
		}
		srv.waitSubscribers("leak:room", 0)
	}
	settled()
	before := measurePage(t, ctx)

	start := time.Now()
	evalJS[bool](t, ctx, `t.cycle(1000).then(() => true)`)
	took := time.Since(start)
	settled()
	after := measurePage(t, ctx)
	t.Logf("1000 connections (100 with an SSE stream) opened and closed in %v, %v each", took.Round(time.Millisecond), (took / 1000).Round(time.Microsecond))
	t.Logf("JavaScript heap after a GC: %.0f KB before, %.0f KB after; array buffers %.0f KB, then %.0f KB",
		before.heap/1024, after.heap/1024, before.backing/1024, after.backing/1024)

	if !maps.Equal(after.stats, map[string]int{}) {
		t.Errorf("stats after closing everything: %v, want none", after.stats)
	}
	if !slices.Equal(after.window, before.window) || !slices.Equal(after.document, before.document) {
		t.Errorf("listeners: window %v, document %v; before: window %v, document %v", after.window, after.document, before.window, before.document)
	}
	// The heap moves by a few hundred KB from one measure to the next (the
	// JavaScript objects Go referred to are let go when Go's collector
	// runs, not when the page's does), with no trend over thousands of
	// connections; a leak of 1 KB a connection would pass 1 MB here.
	if grew := after.heap - before.heap; grew > 1<<20 {
		t.Errorf("the JavaScript heap grew by %.0f KB over 1000 connections", grew/1024)
	}
	if problems := evalJS[[]map[string]string](t, ctx, `t.problems`); len(problems) > 0 {
		t.Errorf("errors reported: %v", problems)
	}
	noPageErrors(t, ctx)
}
