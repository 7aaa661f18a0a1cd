package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/domdebugger"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/coder/websocket"

	"github.com/matih-ai/realtime/internal/webtest"
	"github.com/matih-ai/realtime/server"
	"github.com/matih-ai/realtime/wasm/protocol"
)

// The tests of realtime.js, the runtime for JavaScript pages: a plain page,
// testdata/module.html, drives the module through window.t.

// evalJS evaluates js in the page, awaiting a promise, and returns its
// value; an exception fails the test.
func evalJS[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	return webtest.Eval[T](t, ctx, js)
}

// publish sends data to channel from the server.
func (d *demoServer) publish(channel string, data any) {
	d.t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.srv.Publish(channel, data); err != nil {
		d.t.Fatal(err)
	}
}

// noPageErrors fails the test if the page had an uncaught error or an
// unhandled rejection.
func noPageErrors(t *testing.T, ctx context.Context) {
	t.Helper()
	if errs := evalJS[[]string](t, ctx, `t.errors`); len(errs) > 0 {
		t.Errorf("the page had errors:\n%s", strings.Join(errs, "\n"))
	}
}

func click(t *testing.T, ctx context.Context, css string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(css))); err != nil {
		t.Fatalf("clicking %s: %v", css, err)
	}
}

// listeners returns the types of the event listeners on what js evaluates
// to, sorted.
func listeners(t *testing.T, ctx context.Context, js string) []string {
	t.Helper()
	obj, err := chromedp.Run(ctx, chromedp.Evaluate[*runtime.RemoteObject](js))
	if err != nil {
		t.Fatal(err)
	}
	res, err := chromedp.Run(ctx, func(ctx context.Context, tg *chromedp.Target) (domdebugger.GetEventListenersResult, error) {
		return cdp.Call(ctx, tg, domdebugger.GetEventListeners, domdebugger.GetEventListenersParams{ObjectID: runtime.RemoteObjectID(obj.ObjectID)})
	})
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, l := range res.Listeners {
		types = append(types, l.Type)
	}
	slices.Sort(types)
	return types
}

// wantStatsJS checks the open objects the module counts; once none is
// open, the functions it holds for them must be gone too.
func wantStatsJS(t *testing.T, ctx context.Context, want map[string]int) {
	t.Helper()
	got := evalJS[map[string]int](t, ctx, `t.rt.stats()`)
	if len(want) > 0 {
		delete(got, "funcs")
	}
	// A socket's listeners go with its close event, a moment later.
	for deadline := time.Now().Add(5 * time.Second); len(want) == 0 && got["funcs"] > 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		got = evalJS[map[string]int](t, ctx, `t.rt.stats()`)
	}
	if !maps.Equal(got, want) {
		t.Errorf("stats %v, want %v", got, want)
	}
}

func TestModuleConnectsSubscribesSurvivesARestartAndCloses(t *testing.T) {
	srv, ctx := openDemo(t, server.Options{}, "/e2e/module.html")
	waitFor(t, ctx, "the module to connect", `window.t?.timing?.connected > 0`)
	timing := evalJS[map[string]float64](t, ctx, `t.timing`)
	t.Logf("from navigation: realtime.wasm started after %.0f ms, connected after %.0f ms", timing["loaded"], timing["connected"])
	// The server sent the brotli copy, and the browser decoded it.
	sizes := evalJS[map[string]float64](t, ctx, `(() => {
		const e = performance.getEntriesByType("resource").find((e) => e.name.endsWith("/web/realtime.wasm"));
		return { encoded: e.encodedBodySize, decoded: e.decodedBodySize };
	})()`)
	t.Logf("realtime.wasm: %.0f bytes over the wire for %.0f bytes", sizes["encoded"], sizes["decoded"])
	if sizes["encoded"] <= 0 || sizes["encoded"] > sizes["decoded"]/2 {
		t.Errorf("realtime.wasm came as %.0f bytes for %.0f: not compressed", sizes["encoded"], sizes["decoded"])
	}

	evalJS[bool](t, ctx, `t.listen(t.ws, "a", "demo:module"), t.listen(t.ws, "echo", "echo:module"), t.listen(t.ws, "q", "demo:quiet"), true`)
	srv.waitSubscribers("demo:module", 1)
	srv.waitSubscribers("demo:quiet", 1)
	srv.publish("demo:module", map[string]string{"text": "one"})
	waitFor(t, ctx, "the published message", `t.got("a", "one") === 1`)
	var msg struct{ Channel, Type, ID string }
	if err := json.Unmarshal([]byte(evalJS[string](t, ctx, `JSON.stringify(t.received.find((m) => m.name === "a"))`)), &msg); err != nil {
		t.Fatal(err)
	}
	if msg.Channel != "demo:module" || msg.Type != "message" || msg.ID == "" {
		t.Errorf("message %+v: want its channel, type and id", msg)
	}

	// Unsubscribed: the server forgets the channel and nothing more arrives;
	// the echo, sent after, shows that the server's message had its chance.
	evalJS[bool](t, ctx, `t.subs.a(), t.subs.a(), true`)
	srv.waitSubscribers("demo:module", 0)
	srv.publish("demo:module", map[string]string{"text": "two"})
	evalJS[bool](t, ctx, `t.ws.publish("echo:module", { text: "mark" }), true`)
	waitFor(t, ctx, "the echo", `t.got("echo", "mark") === 1`)
	if n := evalJS[int](t, ctx, `t.got("a", "two")`); n != 0 {
		t.Fatalf("a message reached a handler after its unsubscribe")
	}
	// A message longer than the callbox Go first gave (16 KB of its
	// memory, which realtime.js writes what it hands over into), the
	// first on its channel (so it goes through Go): the callbox grows, and
	// the echo comes back whole.
	evalJS[bool](t, ctx, `t.listen(t.ws, "long", "echo:long"), t.ws.publish("echo:long", { text: "long " + "é".repeat(20000) }), true`)
	waitFor(t, ctx, "the long echo", `t.got("long", "long " + "é".repeat(20000)) === 1`)
	evalJS[bool](t, ctx, `t.subs.long(), true`)
	// On an idle connection, a publish took the wasm export, not a js.Func.
	if n := evalJS[int](t, ctx, `t.rt._diagnostics().sentNow`); n < 1 {
		t.Errorf("%d messages sent through realtimeSend, want the publish", n)
	}
	// ... and what Go wrote was read from its memory, not copied out first,
	// its address and length too.
	if n := evalJS[int](t, ctx, `realtimeSocketQueue.sentFrom`); n < 1 {
		t.Errorf("%d frames sent from Go's memory, want the publish", n)
	}
	if n := evalJS[int](t, ctx, `realtimeSocketQueue.sentFromArgs`); n < 1 {
		t.Errorf("%d frames sent with their address and length read from Go's memory, want the publish", n)
	}
	// ... and on a quiet connection the messages come without a js.Func:
	// parsed by JavaScript, Go checking only their ids (realtimeRelay).
	// Quiet: a frame that arrives in one batch with an ack (the
	// unsubscribe's, on a busy machine) goes Go's way, so these come one
	// at a time, after everything before them was received.
	quiet := evalJS[map[string]int](t, ctx, `t.rt._diagnostics()`)
	srv.publish("demo:quiet", map[string]string{"text": "quiet"})
	waitFor(t, ctx, "the server's message", `t.got("q", "quiet") === 1`)
	evalJS[bool](t, ctx, `t.ws.publish("echo:module", { text: "quiet echo" }), true`)
	waitFor(t, ctx, "the echo", `t.got("echo", "quiet echo") === 1`)
	if d := evalJS[map[string]int](t, ctx, `t.rt._diagnostics()`); d["parsedNow"]-quiet["parsedNow"] < 2 {
		t.Errorf("diagnostics %v, before %v: want the server's message and the echo parsed by JavaScript (parsedNow)", d, quiet)
	}
	evalJS[bool](t, ctx, `t.subs.q(), true`)
	srv.waitSubscribers("demo:quiet", 0)

	// Publishes in a row: the first on a channel goes through Go, which
	// checks its name; the next are written by JavaScript with the ids Go
	// numbers. All arrive once, in order.
	before := evalJS[map[string]int](t, ctx, `t.rt._diagnostics()`)
	evalJS[bool](t, ctx, `t.listen(t.ws, "row", "echo:row"), true`)
	evalJS[bool](t, ctx, `["r1", "r2", "r3", "r4", "r5"].forEach((text) => t.ws.publish("echo:row", { text })), true`)
	waitFor(t, ctx, "the row's echoes", `t.got("row", "r5") === 1`)
	time.Sleep(100 * time.Millisecond) // time for a repeat to show
	if got := evalJS[string](t, ctx, `t.received.filter((m) => m.name === "row").map((m) => m.data.text).join(",")`); got != "r1,r2,r3,r4,r5" {
		t.Errorf("echoes %q, want r1 to r5 once each, in order", got)
	}
	after := evalJS[map[string]int](t, ctx, `t.rt._diagnostics()`)
	if through, by := after["sentNow"]-before["sentNow"], after["publishedNow"]-before["publishedNow"]; through != 1 || by != 4 {
		t.Errorf("%d publishes written at once by Go, %d by JavaScript; want 1 and 4", through, by)
	}
	// Data that JSON escapes or that is not ASCII arrives as it was sent.
	evalJS[bool](t, ctx, `t.ws.publish("echo:row", { text: "r6 \"é✓\"\n", list: [1, null, { a: "b" }] }), true`)
	waitFor(t, ctx, "r6", `t.received.some((m) => m.name === "row" && m.data.text.startsWith("r6"))`)
	if got := evalJS[string](t, ctx, `JSON.stringify(t.received.find((m) => m.name === "row" && m.data.text.startsWith("r6")).data)`); got != `{"text":"r6 \"é✓\"\n","list":[1,null,{"a":"b"}]}` {
		t.Errorf("r6 came back as %s", got)
	}
	if n := evalJS[int](t, ctx, `t.rt._diagnostics().publishedNow`) - after["publishedNow"]; n != 1 {
		t.Errorf("r6: %d publishes written by JavaScript, want 1", n)
	}
	evalJS[bool](t, ctx, `t.subs.row(), true`)

	// A restart: the subscriptions come back and what was sent offline is
	// delivered once.
	evalJS[bool](t, ctx, `t.listen(t.ws, "b", "demo:module"), true`)
	srv.waitSubscribers("demo:module", 1)
	srv.stop()
	waitFor(t, ctx, "the module to notice", `t.ws.status === "reconnecting"`)
	evalJS[bool](t, ctx, `t.ws.publish("echo:module", { text: "offline" }), true`)
	waitFor(t, ctx, "the message to be queued", `t.ws.state.queued === 1`)
	srv.start()
	waitFor(t, ctx, "the module to reconnect", `t.ws.status === "connected"`)
	waitFor(t, ctx, "the queued message", `t.got("echo", "offline") === 1`)
	srv.waitSubscribers("demo:module", 1)
	srv.publish("demo:module", map[string]string{"text": "after"})
	waitFor(t, ctx, "a message after the restart", `t.got("b", "after") === 1`)
	statuses := evalJS[[]string](t, ctx, `t.statuses`)
	if i := slices.Index(statuses, "reconnecting"); i < 0 || !slices.Contains(statuses[i:], "connected") {
		t.Errorf("statuses %v: want connected, reconnecting, then connected", statuses)
	}
	// Publishes after a reconnect are written by JavaScript at once
	// again, the first one too: realtime.js keeps the socket of its last
	// publish (r7's), and asks Go for the new one once that is closed.
	evalJS[bool](t, ctx, `t.listen(t.ws, "row2", "echo:row"), t.ws.publish("echo:row", { text: "r7" }), true`)
	waitFor(t, ctx, "r7", `t.got("row2", "r7") === 1`)
	srv.stop()
	waitFor(t, ctx, "the module to notice the second restart", `t.ws.status === "reconnecting"`)
	srv.start()
	waitFor(t, ctx, "the module to reconnect again", `t.ws.status === "connected" && t.ws.state.queued === 0`)
	before = evalJS[map[string]int](t, ctx, `t.rt._diagnostics()`)
	evalJS[bool](t, ctx, `["r8", "r9"].forEach((text) => t.ws.publish("echo:row", { text })), true`)
	waitFor(t, ctx, "r9", `t.got("row2", "r9") === 1`)
	if got := evalJS[string](t, ctx, `t.received.filter((m) => m.name === "row2").map((m) => m.data.text).join(",")`); got != "r7,r8,r9" {
		t.Errorf("echoes around the second restart %q, want r7 to r9 once each, in order", got)
	}
	if n := evalJS[int](t, ctx, `t.rt._diagnostics().publishedNow`) - before["publishedNow"]; n != 2 {
		t.Errorf("after the second restart, %d publishes written by JavaScript, want 2", n)
	}
	evalJS[bool](t, ctx, `t.subs.row2(), true`)

	// Two connections on one page, each with its handler.
	evalJS[bool](t, ctx, `t.ws2 = t.rt.connect({ url: "/ws" }), t.listen(t.ws2, "c", "demo:module"), true`)
	srv.waitSubscribers("demo:module", 2)
	srv.publish("demo:module", map[string]string{"text": "both"})
	waitFor(t, ctx, "the message on both connections", `t.got("b", "both") === 1 && t.got("c", "both") === 1`)
	wantStatsJS(t, ctx, map[string]int{"connection": 2, "channels": 3})

	// close releases everything; the connection refuses work after it.
	evalJS[bool](t, ctx, `t.ws2.close(), t.ws.close(), true`)
	wantStatsJS(t, ctx, map[string]int{})
	srv.waitSubscribers("demo:module", 0)
	if got := evalJS[string](t, ctx, `t.attempt(() => t.ws.send({ type: "publish", channel: "echo:module" }))`); got != "closed: realtime: this connection is closed" {
		t.Errorf("send after close: %s", got)
	}
	if got := evalJS[string](t, ctx, `t.ws.status`); got != "disconnected" {
		t.Errorf("status after close: %s", got)
	}
	noPageErrors(t, ctx)
}

func TestModuleErrorsReachThePage(t *testing.T) {
	srv, ctx := openDemo(t, server.Options{}, "/e2e/module.html?manual")
	waitFor(t, ctx, "the page script", `window.t !== undefined`)

	// Loading fails with what went wrong, and may be tried again.
	if got, want := evalJS[string](t, ctx, `t.attempt(() => t.loadRealtime({ wasmURL: "/web/missing.wasm" }))`),
		"load: failed to fetch "+srv.URL("/web/missing.wasm")+": 404 Not Found"; got != want {
		t.Errorf("a missing wasm file:\n got %s\nwant %s", got, want)
	}
	if got := evalJS[string](t, ctx, `t.attempt(() => t.loadRealtime({ wasmURL: "/web/realtime.css" }))`); !strings.HasPrefix(got, "load: failed to instantiate "+srv.URL("/web/realtime.css")+": ") {
		t.Errorf("a file that is not wasm: %s", got)
	}
	// The right bytes under a wrong type load the slower way.
	evalJS[bool](t, ctx, `(async () => {
		const bytes = await (await fetch("/web/realtime.wasm")).arrayBuffer();
		const url = URL.createObjectURL(new Blob([bytes], { type: "application/octet-stream" }));
		t.rt = await t.loadRealtime({ wasmURL: url });
		t.ws = t.rt.connect({ url: "/ws" });
		t.watch(t.ws, "ws");
		return true;
	})()`)
	waitFor(t, ctx, "the connection", `t.ws.status === "connected"`)

	for _, tc := range []struct{ js, want string }{
		{`t.rt.connect({ url: "ftp://files.example/x" })`, `config: ws: invalid config: url "ftp://files.example/x" must start with ws:// or wss://`},
		{`t.rt.connect({})`, `config: ws: invalid config: url is required`},
		{`t.rt.connect({ url: "/ws", reconnectDelay: "soon" })`, `config: realtime: invalid config: config.reconnectDelay must be a number, not "soon"`},
		{`t.rt.connect({ url: "/ws", reconnectDelay: NaN })`, `config: realtime: invalid config: config.reconnectDelay must be a number, not "NaN"`},
		{`t.rt.connect({ url: "/ws", pingIntervall: 5 })`, `config: realtime: invalid config: config has unknown field pingIntervall`},
		{`t.rt.connect("/ws")`, `TypeError: config must be an object`},
		{`t.rt.eventSource({ url: "/sse/ticker", method: "PUT" })`, `config: sse: invalid config: method "PUT": use GET or POST`},
		{`t.rt.presence(t.ws, "doc", { name: "nobody" })`, `config: realtime: invalid config: meta.user is required`},
		{`t.rt.presence({}, "doc", { user: "ann" })`, `TypeError: connection must be a connection made by this module's connect()`},
		{`t.ws.send({ channel: "echo:x" })`, `TypeError: message.type must be a string`},
		{`t.ws.send({ type: "" })`, `bad_message: protocol: malformed envelope: missing type`},
		{`t.ws.send({ type: "publish", channel: "echo:x", data: 1n })`, `TypeError: Do not know how to serialize a BigInt`},
		{`t.ws.subscribe("no-colon", () => {})`, `bad_argument: realtime: bad argument: protocol: channel "no-colon" is not of the form kind:name`},
		{`t.ws.subscribe("a:b", "not a function")`, `TypeError: handler must be a function`},
		{`t.ws.request({ type: "bogus" })`, `unknown_type: protocol: unknown_type: unknown type "bogus"`},
	} {
		if got := evalJS[string](t, ctx, `t.attempt(() => `+tc.js+`)`); got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.js, got, tc.want)
		}
	}
	// A refusal with no request waiting reaches onError.
	evalJS[bool](t, ctx, `t.ws.send({ type: "bogus" }), true`)
	waitFor(t, ctx, "the server's refusal", `t.problems.some((p) => p.name === "ws" && p.code === "unknown_type")`)
	wantStatsJS(t, ctx, map[string]int{"connection": 1})
	noPageErrors(t, ctx)
}

func TestModuleShutdownLeavesNothingBehind(t *testing.T) {
	srv, ctx := openDemo(t, server.Options{}, "/e2e/module.html")
	waitFor(t, ctx, "the module to connect", `t.ws?.status === "connected"`)
	evalJS[bool](t, ctx, `
		t.p = t.rt.presence(t.ws, "doc-module", { user: "ann", name: "Ann" });
		t.people = [];
		t.p.onChange((state, changes, people) => { t.people = people; });
		t.n = t.rt.notifications(t.ws, "ann");
		t.q = t.rt.queries(t.ws);
		t.c = t.rt.presenceCount(t.ws, "doc-module");
		t.l = t.rt.live(t.ws, "orders");
		t.rows = 0;
		t.l.onChange((s) => { t.rows = s.items.length; });
		t.streams = []; // the abort signals of the runtime's SSE requests
		const fetch0 = window.fetch;
		t.restoreFetch = () => { window.fetch = fetch0; };
		window.fetch = (url, opts) => {
			if (String(url).includes("/sse/")) t.streams.push(opts.signal);
			return fetch0(url, opts);
		};
		t.s = t.rt.eventSource({ url: "/sse/ticker" });
		t.ticks = 0;
		t.s.on("tick", () => { t.ticks++; });
		true`)
	waitFor(t, ctx, "every object at work", `t.people.length === 1 && t.people[0].name === "Ann" && t.c.users === 1 && t.rows > 0 && t.ticks > 0`)
	wantStatsJS(t, ctx, map[string]int{"connection": 1, "presence": 1, "notifications": 1, "queries": 1, "count": 1, "live": 1, "stream": 1})

	// The runtime listens to the page while it works (and shutdown, below,
	// removes every listener).
	if got := listeners(t, ctx, "window"); !slices.Contains(got, "online") || !slices.Contains(got, "pagehide") {
		t.Errorf("window listeners at work: %v", got)
	}
	if got := listeners(t, ctx, "document"); !slices.Contains(got, "visibilitychange") {
		t.Errorf("document listeners at work: %v", got)
	}

	// Closing the connection closes what works over it.
	evalJS[bool](t, ctx, `t.ws.close(), true`)
	wantStatsJS(t, ctx, map[string]int{"stream": 1})
	if closed := evalJS[bool](t, ctx, `t.p.closed && t.n.closed && t.q.closed && t.c.closed && t.l.closed`); !closed {
		t.Error("objects over a closed connection are not closed")
	}
	srv.waitSubscribers("presence:doc-module", 0)
	srv.waitSubscribers("live:orders", 0)

	// Shutdown leaves nothing behind: no listener (the page's own
	// two are there from the start) and no work.
	evalJS[bool](t, ctx, `t.rt.shutdown(), true`)
	if got := evalJS[string](t, ctx, `t.attempt(() => t.rt.stats())`); got != "shutdown: the realtime module was shut down" {
		t.Errorf("stats after shutdown: %s", got)
	}
	// The stream's fetch is aborted, not left running: the browser would
	// go on receiving it.
	waitFor(t, ctx, "the stream's request to be aborted", `t.streams.length > 0 && t.streams.every((s) => s.aborted)`)
	evalJS[bool](t, ctx, `t.restoreFetch(), true`)
	if got := listeners(t, ctx, "window"); !slices.Equal(got, []string{"error", "unhandledrejection"}) {
		t.Errorf("window listeners after shutdown: %v", got)
	}
	if got := listeners(t, ctx, "document"); len(got) > 0 {
		t.Errorf("document listeners after shutdown: %v", got)
	}
	noPageErrors(t, ctx)

	// And it starts again.
	if got := evalJS[string](t, ctx, `t.loadRealtime().then((rt) => JSON.stringify(rt.stats()))`); got != "{}" {
		t.Errorf("stats of a new runtime: %s", got)
	}
	noPageErrors(t, ctx)
}

func TestEmbedPageUsesOnlyTheModule(t *testing.T) {
	srv, ctx := openDemo(t, server.Options{TickInterval: 100 * time.Millisecond, SSERetry: 100 * time.Millisecond}, "/embed")
	waitFor(t, ctx, "the page to connect", statusIs("connected"))
	if scripts := evalJS[[]string](t, ctx, `[...document.scripts].map((s) => new URL(s.src).pathname)`); !slices.Equal(scripts, []string{"/web/embed.js"}) {
		t.Errorf("the page's scripts: %v, want embed.js alone (no go-app)", scripts)
	}

	sendEcho(t, ctx, "hello from a plain page")
	waitFor(t, ctx, "the echo", logCount("hello from a plain page")+" === 1")
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#message"), "to every tab"),
		chromedp.Click(chromedp.CSS("#broadcast")),
	); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the broadcast", `[...document.querySelectorAll('#log [data-channel="demo:lobby"] .rt-log__text')].some((e) => e.textContent === "to every tab")`)

	// The checkbox unsubscribes from the lobby and subscribes again.
	srv.waitSubscribers("demo:lobby", 1)
	click(t, ctx, "#listen")
	srv.waitSubscribers("demo:lobby", 0)
	click(t, ctx, "#listen")
	srv.waitSubscribers("demo:lobby", 1)

	// The ticker counts ticks without a gap, across a dropped stream.
	waitFor(t, ctx, "ticks", `document.querySelector("#ticker-status [data-status]")?.dataset.status === "open" && Number(document.querySelector("#ticks").textContent) >= 3`)
	click(t, ctx, "#drop")
	waitFor(t, ctx, "a resume after the drop", `document.querySelector("#resumed").textContent === "1"`)
	ticks := evalJS[int](t, ctx, `Number(document.querySelector("#ticks").textContent)`)
	waitFor(t, ctx, "ticks after the drop", fmt.Sprintf(`Number(document.querySelector("#ticks").textContent) >= %d`, ticks+3))
	if gaps := evalJS[string](t, ctx, `document.querySelector("#gaps").textContent`); gaps != "0" {
		t.Errorf("%s gaps in the ticker", gaps)
	}
	screenshot(t, ctx, "embed")

	srv.stop()
	waitFor(t, ctx, "the page to notice the server is gone", statusIs("reconnecting"))
	srv.start()
	waitFor(t, ctx, "the page to reconnect", statusIs("connected"))
}

func TestModuleEveryPrimitive(t *testing.T) {
	_, ctx := openDemo(t, server.Options{QuerySpeed: 20, AnswerTokenDelay: time.Millisecond}, "/e2e/module.html")
	waitFor(t, ctx, "the module to connect", `t.ws?.status === "connected"`)

	// A POSTed SSE stream: the streaming answer, token by token.
	evalJS[bool](t, ctx, `
		t.answer = "";
		t.a = t.rt.eventSource({ url: "/sse/answer", method: "POST", body: { prompt: "why is it slow?" }, idleTimeout: 0 });
		t.a.on("token", (e) => { t.answer += JSON.parse(e.data).text; });
		t.a.on("done", () => { t.done = true; t.a.close(); });
		true`)
	waitFor(t, ctx, "the whole answer", `t.done === true && t.answer.length > 20 && t.a.closed`)

	// Presence between two connections, with an update.
	evalJS[bool](t, ctx, `
		t.ws2 = t.rt.connect({ url: "/ws" });
		t.ann = t.rt.presence(t.ws, "doc-every", { user: "ann", name: "Ann" }, { activity: false });
		t.bob = t.rt.presence(t.ws2, "doc-every", { user: "bob" }, { activity: false, throttle: 10 });
		t.seen = [];
		t.ann.onChange((state, changes, people) => { t.seen = people.map((p) => p.user + ":" + p.status); });
		true`)
	waitFor(t, ctx, "both people", `t.seen.join() === "ann:active,bob:active"`)
	evalJS[bool](t, ctx, `t.bob.setStatus("away"), true`)
	waitFor(t, ctx, "bob away", `t.seen.join() === "ann:active,bob:away" && t.ann.people.length === 2 && t.ann.state.bob[0].status === "away"`)
	if got := evalJS[string](t, ctx, `t.attempt(() => t.bob.update({ status: "asleep" }))`); got != `config: realtime: invalid config: meta.status must be one of active, idle, away, not "asleep"` {
		t.Errorf("a bad update: %s", got)
	}

	// Notifications: the server's demo sends one of each severity.
	evalJS[bool](t, ctx, `
		t.inbox = t.rt.notifications(t.ws, "ann-every", { toastLife: 60000 });
		t.arrived = 0;
		t.inbox.onNotification(() => { t.arrived++; });
		true`)
	evalJS[bool](t, ctx, `fetch("/notifications/demo?user=ann-every", { method: "POST" }).then((r) => r.ok)`)
	waitFor(t, ctx, "four notifications", `t.arrived === 4 && t.inbox.unread().total === 4`)
	evalJS[bool](t, ctx, `t.inbox.markRead(t.inbox.list({ severity: ["error"] })[0].id), true`)
	if got := evalJS[map[string]any](t, ctx, `t.inbox.unread()`); got["total"] != 3.0 {
		t.Errorf("unread after marking the error read: %v", got)
	}
	if got := evalJS[float64](t, ctx, `t.inbox.toasts().visible.length`); got != 3 {
		t.Errorf("%v toasts visible, want the default 3", got)
	}
	if got := evalJS[string](t, ctx, `t.attempt(() => t.inbox.archive("nope"))`); got != "not_found: notify: no such notification: nope" {
		t.Errorf("archive of an unknown id: %s", got)
	}

	// Queries: one runs to the end, a cancel after it is refused.
	evalJS[bool](t, ctx, `(async () => {
		const r = await fetch("/queries", { method: "POST", body: JSON.stringify({ sql: "select 1", kind: "short" }) });
		t.qid = (await r.json()).id;
		t.q = t.rt.queries(t.ws);
		t.states = [];
		t.q.onChange((s) => { if (s.id === t.qid) t.states.push(s.state); });
		t.q.track(t.qid);
		return true;
	})()`)
	waitFor(t, ctx, "the query to succeed", `t.q.get(t.qid)?.state === "succeeded" && t.q.list().length === 1`)
	if got := evalJS[string](t, ctx, `t.attempt(() => t.q.cancel(t.qid))`); !strings.HasPrefix(got, "already_finished: ") {
		t.Errorf("cancel of a finished query: %s", got)
	}
	if states := evalJS[[]string](t, ctx, `t.states`); len(states) < 2 || states[len(states)-1] != "succeeded" {
		t.Errorf("query states %v", states)
	}

	// A live feed: the snapshot, then its stats.
	evalJS[bool](t, ctx, `t.orders = t.rt.live(t.ws, "orders"), true`)
	waitFor(t, ctx, "the orders feed", `t.orders.status === "live" && t.orders.state.items.length > 0 && t.orders.state.key === "id"`)
	if got := evalJS[float64](t, ctx, `t.orders.stats().snapshots`); got != 1 {
		t.Errorf("%v snapshots", got)
	}
	evalJS[bool](t, ctx, `t.orders.pause(), true`)
	waitFor(t, ctx, "the paused feed", `t.orders.status === "paused"`)

	evalJS[bool](t, ctx, `t.ws.close(), t.ws2.close(), true`)
	wantStatsJS(t, ctx, map[string]int{})
	noPageErrors(t, ctx)
}

// A server's frame of messages that realtime.js reads itself (relayed by
// Go, which reads only each line's channel and id) with a line JSON.parse
// refuses: the line is reported as a bad_message error, the others are
// delivered, in order. Then frames that JavaScript parses before Go sees
// them, Go checking only their ids: a repeat is still dropped.
func TestModuleReportsAMalformedLineOfARelayedFrame(t *testing.T) {
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
		if err != nil {
			return
		}
		defer c.CloseNow()
		ctx := r.Context()
		for {
			_, frame, err := c.Read(ctx)
			if err != nil {
				return
			}
			e, err := protocol.Decode(frame)
			if err != nil || e.Type != protocol.TypeSubscribe {
				continue
			}
			ack, _ := protocol.Encode(protocol.Envelope{Type: protocol.TypeAck, Channel: e.Channel, Ref: e.Ref})
			c.Write(ctx, websocket.MessageText, ack)
			line := func(id int, data string) string {
				return fmt.Sprintf(`{"type":"message","channel":%q,"id":"%d","data":%s}`, e.Channel, id, data)
			}
			for i, lines := range [][]string{
				{line(1, `{"text":"one"}`), line(2, `{"text":oops}`), line(3, `{"text":"three"}`)},
				// Parsed by JavaScript (Go takes the ids 4 and 5) ...
				{line(4, `{"text":"four"}`), line(5, `{"text":"five"}`)},
				// ... so that 5 again is a repeat, dropped on Go's way.
				{line(5, `{"text":"five again"}`), line(6, `{"text":"six"}`)},
				// Past 2^53, where a Number would round them, the ids still
				// compare exactly: the repeat goes Go's way.
				{line(1<<53+1, `{"text":"big"}`)},
				{line(1<<53+1, `{"text":"big again"}`), line(1<<53+2, `{"text":"bigger"}`)},
				// Up to 19 digits JavaScript compares them as text.
				{line(math.MaxInt64, `{"text":"max"}`)},
				{line(math.MaxInt64, `{"text":"max again"}`)},
			} {
				if i > 0 {
					time.Sleep(100 * time.Millisecond) // a batch each
				}
				c.Write(ctx, websocket.MessageText, []byte(strings.Join(lines, "\n")))
			}
		}
	}))
	defer fake.Close()

	_, ctx := openDemo(t, server.Options{}, "/e2e/module.html")
	waitFor(t, ctx, "the module to connect", `window.t?.timing?.connected > 0`)
	evalJS[bool](t, ctx, fmt.Sprintf(`t.fake = t.rt.connect({ url: %q }), t.watch(t.fake, "fake"), t.listen(t.fake, "fake", "demo:relay"), true`, "ws"+strings.TrimPrefix(fake.URL, "http")+"/ws"))
	waitFor(t, ctx, "the good lines", `t.got("fake", "max") === 1`)
	time.Sleep(200 * time.Millisecond) // time for a repeat to show
	want := "1:one,3:three,4:four,5:five,6:six,9007199254740993:big,9007199254740994:bigger,9223372036854775807:max"
	if got := evalJS[string](t, ctx, `t.received.filter((m) => m.name === "fake").map((m) => m.id + ":" + m.data.text).join(",")`); got != want {
		t.Errorf("received %q, want %s", got, want)
	}
	problems := evalJS[[]map[string]string](t, ctx, `t.problems.filter((p) => p.name === "fake")`)
	if len(problems) != 1 || problems[0]["code"] != "bad_message" || !strings.Contains(problems[0]["message"], "oops") {
		t.Errorf("errors %v, want one bad_message naming the line", problems)
	}
	if d := evalJS[map[string]int](t, ctx, `t.rt._diagnostics()`); d["passedNow"] < 1 || d["parsedNow"] < 1 {
		t.Errorf("diagnostics %v: want a frame relayed (this test checks the relay's report) and one parsed by JavaScript", d)
	}
	evalJS[bool](t, ctx, `t.fake.close(), true`)
}

// getToken is asked before each connection; when the server closes with
// 4401 (the token expired) it is asked again, and the connection comes
// back with the fresh token; an event stream's too. A getToken that
// rejects ends the connecting with its message and the code "token".
func TestModuleAsksGetTokenForEachConnection(t *testing.T) {
	var (
		mu   sync.Mutex
		seen []string
	)
	_, ctx := openDemo(t, server.Options{TickInterval: 50 * time.Millisecond, SSERetry: 100 * time.Millisecond, Auth: server.AuthenticatorFunc(func(_ context.Context, token string) (server.Identity, error) {
		mu.Lock()
		seen = append(seen, token)
		mu.Unlock()
		switch token {
		case "fresh 1": // not a subprotocol: it travels in the query
			return server.Identity{User: "ann", Expires: time.Now().Add(500 * time.Millisecond)}, nil
		case "fresh-2":
			return server.Identity{User: "ann"}, nil
		}
		return server.Identity{}, errors.New("unknown token")
	})}, "/e2e/module.html?manual")
	waitFor(t, ctx, "the page script", `window.t !== undefined`)
	evalJS[bool](t, ctx, `(async () => {
		t.rt = await t.loadRealtime();
		t.asked = 0;
		const tokens = [() => "fresh 1", async () => "fresh-2"];
		t.ws = t.rt.connect({ url: "/ws", getToken: () => tokens[t.asked++]() });
		t.ws.onStatus((s) => t.statuses.push(s));
		t.watch(t.ws, "ws");
		return true;
	})()`)
	waitFor(t, ctx, "the first connection", `t.statuses.includes("connected")`)
	waitFor(t, ctx, "the connection with the fresh token", `t.asked === 2 && t.statuses.filter((s) => s === "connected").length === 2`)
	mu.Lock()
	if got := strings.Join(seen, ","); got != "fresh 1,fresh-2" {
		t.Errorf("the server saw tokens %q, want %q", got, "fresh 1,fresh-2")
	}
	mu.Unlock()
	if got := evalJS[string](t, ctx, `t.ws.status`); got != "connected" {
		t.Errorf("status %s after the fresh token, want connected", got)
	}

	// An event stream the server ends as its token expires comes back
	// with a fresh token, and its ticks go on.
	mu.Lock()
	seen = nil
	mu.Unlock()
	evalJS[bool](t, ctx, `(() => {
		t.streamAsked = 0;
		t.streamStatuses = [];
		t.ticks = 0;
		const tokens = [() => "fresh 1", async () => "fresh-2"];
		t.stream = t.rt.eventSource({ url: "/sse/ticker", getToken: () => tokens[t.streamAsked++]() });
		t.stream.onStatus((s) => t.streamStatuses.push(s));
		t.stream.on("tick", () => t.ticks++);
		return true;
	})()`)
	waitFor(t, ctx, "the stream with the fresh token", `t.streamAsked === 2 && t.streamStatuses.filter((s) => s === "open").length === 2`)
	ticks := evalJS[int](t, ctx, `t.ticks`)
	waitFor(t, ctx, "ticks on the fresh token", fmt.Sprintf(`t.ticks > %d`, ticks))
	mu.Lock()
	if got := strings.Join(seen, ","); got != "fresh 1,fresh-2" {
		t.Errorf("the stream's tokens were %q, want %q", got, "fresh 1,fresh-2")
	}
	mu.Unlock()

	// Rejections, and what is not a function.
	evalJS[bool](t, ctx, `(() => {
		t.failing = t.rt.connect({ url: "/ws", getToken: () => Promise.reject(new Error("signed out")) });
		return true;
	})()`)
	waitFor(t, ctx, "the failing connection's error", `t.failing.state.status === "error"`)
	if got := evalJS[string](t, ctx, `t.failing.state.error.code + ": " + t.failing.state.error.message`); got != "token: ws: failed to get a token: signed out" {
		t.Errorf("a rejecting getToken: %s", got)
	}
	if got := evalJS[string](t, ctx, `t.attempt(() => t.rt.connect({ url: "/ws", getToken: "fresh" }))`); got != "TypeError: config.getToken must be a function" {
		t.Errorf("a getToken that is a string: %s", got)
	}
	evalJS[bool](t, ctx, `t.failing.close(), t.stream.close(), t.ws.close(), true`)
	wantStatsJS(t, ctx, nil)
	noPageErrors(t, ctx)
}
