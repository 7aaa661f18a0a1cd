package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/matih-ai/realtime/components/demo"
	"github.com/matih-ai/realtime/server"
)

// serverOrders is the orders feed as the server has it: seq, and each
// row's "id=orders" in key order.
func serverOrders(t *testing.T, base string) (uint64, string) {
	t.Helper()
	resp, err := http.Get(base + "/live/orders")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var snap struct {
		Seq   uint64           `json:"seq"`
		Items []map[string]any `json:"items"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&snap); err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, it := range snap.Items {
		rows = append(rows, fmt.Sprintf("%v=%.0f", it["id"], it["orders"]))
	}
	sort.Strings(rows)
	return snap.Seq, strings.Join(rows, " ")
}

const pageOrders = `[...document.querySelectorAll('#orders tbody tr')].map(tr =>
	tr.dataset.key + "=" + tr.querySelector('[data-field="orders"]').textContent.replaceAll(",", "")).sort().join(" ")`

func TestLiveDemoTableMatchesTheServerAfterABurst(t *testing.T) {
	// No ticking: only the burst changes the feed, so its state can be
	// compared with the page's.
	srv, ctx := openDemo(t, server.Options{LiveInterval: time.Hour}, "/live")
	waitFor(t, ctx, "the orders table", `document.querySelectorAll('#orders tbody tr').length > 0`)
	before := evalInt(t, ctx, `Number(document.querySelector('#seq').textContent)`)

	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#burst"))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the burst to arrive", `Number(document.querySelector('#orders table').dataset.seq) >= `+fmt.Sprint(before+1000))
	seq, want := serverOrders(t, "http://"+srv.addr)
	waitFor(t, ctx, "the table at the server's seq", `Number(document.querySelector('#orders table').dataset.seq) === `+fmt.Sprint(seq))
	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](pageOrders))
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("after the burst the page shows\n%s\nthe server has\n%s", got, want)
	}
	renders := evalInt(t, ctx, `Number(document.querySelector('#renders').textContent)`)
	t.Logf("1000 deltas rendered in %d frames", renders)
	if renders >= 1000 {
		t.Fatalf("%d renders for a 1000-delta burst: not coalesced", renders)
	}
	screenshot(t, ctx, "live-after-burst")
}

func TestLiveDemoShowsStaleWhileDisconnected(t *testing.T) {
	srv, ctx := openDemo(t, server.Options{LiveInterval: time.Hour}, "/live?reconnectDelay=60000")
	waitFor(t, ctx, "the live feed", `document.querySelector('.rt-live-indicator [data-status]')?.dataset.status === "live"`)
	srv.stop()
	waitFor(t, ctx, "the feed marked stale, data kept", `document.querySelector('.rt-live-indicator [data-status]')?.dataset.status === "stale" && document.querySelectorAll('#orders tbody tr').length > 0`)
	waitFor(t, ctx, "the stale age", `/\ds/.test(document.querySelector('.rt-live-indicator .rt-status__detail')?.textContent ?? "")`)
	screenshot(t, ctx, "live-stale")
}

// Polling runs on wasm/fetch in the browser: a feed whose WebSocket cannot
// connect polls /live/<feed> beside it, and shows the snapshot.
func TestModuleLivePollsWhileTheWebSocketCannotConnect(t *testing.T) {
	srv, ctx := openDemo(t, server.Options{LiveInterval: time.Hour}, "/e2e/module.html")
	waitFor(t, ctx, "the module to connect", `t.ws?.status === "connected"`)
	evalJS[bool](t, ctx, `
		t.down = t.rt.connect({ url: "/no-websocket-here", reconnectDelay: 100, maxReconnectDelay: 100, maxReconnectAttempts: Infinity });
		t.polled = t.rt.live(t.down, "orders", { poll: true, pollAfter: 100, pollInterval: 100 });
		t.polledRows = "";
		t.polled.onChange((s) => {
			if (s.status === "polling") t.polledRows = s.items.map((it) => it.id + "=" + it.orders).sort().join(" ");
		});
		true`)
	_, want := serverOrders(t, srv.URL(""))
	waitFor(t, ctx, "the polled snapshot", fmt.Sprintf(`t.polledRows === %q && t.polled.stats().polls >= 2`, want))
	if st := evalJS[string](t, ctx, `t.down.status`); st == "connected" {
		t.Fatalf("the WebSocket to nowhere is %s", st)
	}
	evalJS[bool](t, ctx, `t.polled.close(), t.down.close(), true`)
	noPageErrors(t, ctx)
}

// tableRow is an item of the bench page's feed (components/demo/bench_page.go
// draws its columns id, region, plan, orders and revenue).
type tableRow struct {
	ID      string  `json:"id"`
	Region  string  `json:"region"`
	Plan    string  `json:"plan"`
	Orders  int     `json:"orders"`
	Revenue float64 `json:"revenue"`
}

// pageTable is the bench page's live table as drawn: a line a row, its key
// and its cells' field=text, with "#" after a numeric cell's field.
const pageTable = `[...document.querySelectorAll('#bench table tbody tr')].map(tr =>
	tr.dataset.key + ": " + [...tr.children].map(td =>
		td.dataset.field + (td.classList.contains("rt-num") ? "#" : "") + "=" + td.textContent).join(" ")).join("\n")`

// LiveTable draws its rows itself (components/live_table.go): rows made,
// changed, removed and reordered as the feed's items are, each cell as
// LiveTableView renders it; its texts written in one call through
// realtime-socket.js, or a call a cell without it.
func TestLiveTableDrawsTheFeedsItemsInOrder(t *testing.T) {
	for _, batched := range []bool{true, false} {
		name := "batched"
		if !batched {
			name = "a call a cell"
		}
		t.Run(name, func(t *testing.T) { testLiveTableDraws(t, batched) })
	}
}

func testLiveTableDraws(t *testing.T, batched bool) {
	srv, ctx := openDemo(t, server.Options{LiveInterval: time.Hour}, demo.BenchPath)
	srv.mu.Lock()
	feed, err := srv.srv.NewFeed(demo.BenchFeed, "id", 0)
	srv.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	row := func(id string, orders int) tableRow {
		return tableRow{ID: id, Region: "eu-west", Plan: "team", Orders: orders, Revenue: 1234.5}
	}
	line := func(id string, orders string) string {
		return id + ": id=" + id + " region=eu-west plan=team orders#=" + orders + " revenue#=$1,234.50"
	}
	if _, err := feed.Upsert(row("a", 1), row("b", 2), row("c", 3)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the bench page", `window.realtimeBench?.connectedAt > 0`)
	if !batched {
		evalJS[bool](t, ctx, `delete window.realtimeSetTexts`)
	}
	evalJS[bool](t, ctx, `realtimeBench.live(true), true`)
	drawn := func(what string, seq uint64, want ...string) {
		t.Helper()
		waitFor(t, ctx, what, fmt.Sprintf(`Number(document.querySelector('#bench table')?.dataset.seq) === %d`, seq))
		if got := evalJS[string](t, ctx, pageTable); got != strings.Join(want, "\n") {
			t.Fatalf("%s: the table shows\n%q\nwant\n%q", what, got, strings.Join(want, "\n"))
		}
	}
	drawn("the snapshot", feed.Seq(), line("a", "1"), line("b", "2"), line("c", "3"))

	// A cell changed, a row added, a row removed.
	if _, err := feed.Upsert(row("b", 20000), row("d", 4)); err != nil {
		t.Fatal(err)
	}
	feed.Remove("a")
	drawn("an update, an addition and a removal", feed.Seq(), line("b", "20,000"), line("c", "3"), line("d", "4"))

	// Another order, a row gone and one new: the rows follow the items.
	if _, err := feed.Replace(row("d", 4), row("e", 5), row("b", 20000)); err != nil {
		t.Fatal(err)
	}
	drawn("a replacement in another order", feed.Seq(), line("d", "4"), line("e", "5"), line("b", "20,000"))
	if n := evalInt(t, ctx, `document.querySelectorAll('#bench table tbody tr').length`); n != 3 {
		t.Fatalf("%d rows in the page, want 3", n)
	}

	// A text with a NUL, which the packed texts cannot carry, is written
	// all the same; so are the cells beside it.
	odd := row("e", 6)
	odd.Plan = "te\x00am"
	if _, err := feed.Upsert(odd, row("d", 7)); err != nil {
		t.Fatal(err)
	}
	drawn("a text with a NUL", feed.Seq(), line("d", "7"), "e: id=e region=eu-west plan=te\x00am orders#=6 revenue#=$1,234.50", line("b", "20,000"))

	// Other columns, with no change to the feed: the rows are drawn again
	// for them.
	evalJS[bool](t, ctx, `realtimeBench.columns("orders id"), true`)
	want := "d: orders#=7 id=d\ne: orders#=6 id=e\nb: orders#=20,000 id=b"
	waitFor(t, ctx, "the rows of the new columns", fmt.Sprintf(`(%s) === %q`, pageTable, want))
	if head := evalJS[string](t, ctx, `[...document.querySelectorAll('#bench table thead th')].map(th => th.textContent).join(" ")`); head != "Orders Row" {
		t.Fatalf("the table's head is %q, want %q", head, "Orders Row")
	}
	if batched {
		if n := evalInt(t, ctx, `realtimeSetTexts.calls`); n < 3 {
			t.Fatalf("realtimeSetTexts called %d times, want one a draw", n)
		}
	}
}

// realtime.js's live states share what did not change: an item equal to
// the one of its key in the state before is that object, so that a view
// can skip it; a changed one is new.
func TestModuleLiveKeepsUnchangedItems(t *testing.T) {
	srv, ctx := openDemo(t, server.Options{LiveInterval: time.Hour}, "/e2e/module.html")
	srv.mu.Lock()
	feed, err := srv.srv.NewFeed("shared", "id", 0)
	srv.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	type item struct {
		ID   string         `json:"id"`
		N    int            `json:"n"`
		Tags map[string]any `json:"tags"`
	}
	tags := map[string]any{"a": []any{1, "x"}}
	if _, err := feed.Upsert(item{"a", 1, tags}, item{"b", 2, tags}, item{"c", 3, tags}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the module to connect", `t.ws?.status === "connected"`)
	evalJS[bool](t, ctx, `t.shared = t.rt.live(t.ws, "shared"), true`)
	waitFor(t, ctx, "the snapshot", fmt.Sprintf(`t.shared.state.seq === %d && t.shared.state.items.length === 3`, feed.Seq()))
	evalJS[bool](t, ctx, `t.before = t.shared.state.items, true`)

	if _, err := feed.Upsert(item{"b", 20, tags}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the update", fmt.Sprintf(`t.shared.state.seq === %d`, feed.Seq()))
	same := evalJS[string](t, ctx, `t.shared.state.items.map((it, i) => it.id + (it === t.before[i] ? "=" : "*")).join(" ")`)
	if same != "a= b* c=" {
		t.Fatalf("items kept (=) and new (*): %s, want a= b* c=", same)
	}
	if n := evalInt(t, ctx, `t.shared.state.items[1].n`); n != 20 {
		t.Fatalf("b's n is %d, want 20", n)
	}

	// The same items in another order are the same objects.
	evalJS[bool](t, ctx, `t.before = new Map(t.shared.state.items.map((it) => [it.id, it])), true`)
	if _, err := feed.Replace(item{"c", 3, tags}, item{"a", 1, tags}, item{"b", 20, tags}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the replacement", fmt.Sprintf(`t.shared.state.seq === %d`, feed.Seq()))
	same = evalJS[string](t, ctx, `t.shared.state.items.map((it) => it.id + (it === t.before.get(it.id) ? "=" : "*")).join(" ")`)
	if same != "c= a= b=" {
		t.Fatalf("items kept (=) and new (*) after a reordering: %s, want c= a= b=", same)
	}
	// The deltas went to Go's feed through realtime.js's export, queued
	// there for Go's callback goroutine, not through a js.Func event.
	if d := evalJS[map[string]int](t, ctx, `t.rt._diagnostics()`); d["routedNow"] < 1 {
		t.Errorf("diagnostics %v: want the feed's frames queued by the export (routedNow)", d)
	}
	evalJS[bool](t, ctx, `t.shared.close(), true`)
	noPageErrors(t, ctx)
}
