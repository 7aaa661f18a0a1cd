package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/matih-ai/realtime/components/demo"
	"github.com/matih-ai/realtime/server"
)

// statusIs is a JavaScript condition on the demo page's status badge.
func statusIs(s string) string {
	return fmt.Sprintf(`document.querySelector('#status [data-status]')?.dataset.status === %q`, s)
}

// logCount counts the log lines whose text is exactly text.
func logCount(text string) string {
	return fmt.Sprintf(`[...document.querySelectorAll('#log .rt-log__text')].filter(e => e.textContent === %q).length`, text)
}

// openDemo starts a server with opts and a browser on path.
func openDemo(t *testing.T, opts server.Options, path string) (*demoServer, context.Context) {
	t.Helper()
	needBrowser(t)
	srv := startDemoServer(t, opts)
	ctx := newBrowser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL(path))); err != nil {
		t.Fatal(err)
	}
	return srv, ctx
}

func sendEcho(t *testing.T, ctx context.Context, text string) {
	t.Helper()
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#message"), text),
		chromedp.Click(chromedp.CSS("#send")),
	); err != nil {
		t.Fatalf("sending %q: %v", text, err)
	}
}

func TestWebSocketDemoEchoesAndSurvivesAServerRestart(t *testing.T) {
	srv, ctx := openDemo(t, server.Options{}, "/websocket")
	waitFor(t, ctx, "the demo to connect", statusIs("connected"))

	sendEcho(t, ctx, "hello from chromium")
	waitFor(t, ctx, "the echo", logCount("hello from chromium")+" === 1")
	// Text past ASCII takes TextEncoder's way into Go, ASCII a copy of its
	// own (realtimeEncodeText): both arrive whole.
	sendEcho(t, ctx, "café ✓ ünïcode")
	waitFor(t, ctx, "the echo of text past ASCII", logCount("café ✓ ünïcode")+" === 1")
	screenshot(t, ctx, "websocket-connected")
	// It came through app.wasm's export, not a js.Func ...
	if n := evalJS[int](t, ctx, `realtimeSocketQueue.stats?.taken ?? 0`); n < 1 {
		t.Errorf("%d batches taken through app.wasm's export, want the echo", n)
	}
	// Both echoes were written into Go's memory, and Go's publishes were
	// read from it, neither copied over by a call.
	if n := evalJS[int](t, ctx, `realtimeSocketQueue.stats.inRoom`); n < 2 {
		t.Errorf("%d batches written into Go's memory, want the two echoes", n)
	}
	if n := evalJS[int](t, ctx, `realtimeSocketQueue.sentFrom`); n < 2 {
		t.Errorf("%d frames sent from Go's memory, want the two echoes' publishes", n)
	}
	if n := evalJS[int](t, ctx, `realtimeSocketQueue.sentFromArgs`); n < 2 {
		t.Errorf("%d frames sent with their address and length read from Go's memory, want the two echoes' publishes", n)
	}
	// ... and Go was resumed at once after it, its handler having woken
	// the UI goroutine: that drew the message in the task that took it,
	// with nothing else (no click, no timer) to wake Go. Left for Go's
	// next event, it showed some 200 ms late.
	resumed := evalJS[int](t, ctx, `realtimeSocketQueue.stats.resumed`)
	// Counted in animation frames, not milliseconds (go-app draws in
	// frames, and a busy machine makes both longer): each batch Go takes
	// sets stats.at, and here also notes the frame it came in.
	evalJS[bool](t, ctx, `(() => {
		const stats = realtimeSocketQueue.stats;
		let at = stats.at;
		let frames = 0;
		const tick = () => { frames++; requestAnimationFrame(tick); };
		requestAnimationFrame(tick);
		Object.defineProperty(stats, "at", {
			get: () => at,
			set: (v) => { at = v; window.takenInFrame = frames; },
		});
		new MutationObserver((_, o) => {
			if (document.body.innerText.includes("from the server")) {
				window.drawnFrames = frames - window.takenInFrame;
				window.drawnAfter = performance.now() - stats.at;
				o.disconnect();
			}
		}).observe(document.body, { childList: true, subtree: true, characterData: true });
		return true;
	})()`)
	// The echoes' frames were short: text.
	if n := evalJS[int](t, ctx, `realtimeSocketQueue.binaryFrames`); n != 0 {
		t.Errorf("%d binary frames before the long message, want the echoes' short frames as text", n)
	}
	// Longer than a batch written into Go's memory: the inbox's way. And
	// long enough that the server sends it as a binary message (go-app's
	// socket asks for frames=binary), whose bytes, past ASCII too, are
	// copied into Go as they came.
	inRoom := evalJS[int](t, ctx, `realtimeSocketQueue.stats.inRoom`)
	long := "from the server, café ✓, " + strings.Repeat("at length ", 200)
	srv.publish("demo:lobby", map[string]string{"text": long})
	waitFor(t, ctx, "the server's message", `window.drawnAfter !== undefined`)
	if n := evalJS[int](t, ctx, `realtimeSocketQueue.binaryFrames`); n != 1 {
		t.Errorf("%d binary frames, want the long message's", n)
	}
	waitFor(t, ctx, "the long message drawn whole", fmt.Sprintf(`document.body.innerText.includes(%q)`, strings.TrimSpace(long)))
	ms := evalJS[float64](t, ctx, `window.drawnAfter`)
	frames := evalJS[int](t, ctx, `window.drawnFrames`)
	if frames > 2 {
		t.Errorf("the server's message was drawn %d animation frames (%.0f ms) after Go took it: it waited for Go's next event", frames, ms)
	}
	t.Logf("the server's message drawn %.1f ms, %d animation frames, after Go took it", ms, frames)
	if n := evalJS[int](t, ctx, `realtimeSocketQueue.stats.resumed`); n <= resumed {
		t.Errorf("Go resumed at once %d times before the server's message and %d after: want one more", resumed, n)
	}
	if n := evalJS[int](t, ctx, `realtimeSocketQueue.stats.inRoom`); n != inRoom {
		t.Errorf("the server's long message was written into Go's memory (%d batches there, %d before)", n, inRoom)
	}
	// Go's runtime asked for a timeout on each event, and most of them
	// set no browser timer (realtimeCoalesceGoTimers).
	if s := evalJS[map[string]float64](t, ctx, `realtimeCoalesceGoTimers.stats ?? {}`); s["scheduled"] < 2 || s["armed"] >= s["scheduled"] {
		t.Errorf("Go's timeouts: %v; want more asked for (scheduled) than browser timers set (armed)", s)
	}

	srv.stop()
	waitFor(t, ctx, "the page to notice the server is gone", statusIs("reconnecting"))
	sendEcho(t, ctx, "sent while offline")
	waitFor(t, ctx, "the message to be queued", `document.querySelector('#queued').textContent === "1"`)
	screenshot(t, ctx, "websocket-reconnecting")

	srv.start()
	waitFor(t, ctx, "the page to reconnect", statusIs("connected"))
	waitFor(t, ctx, "the queued message to be delivered", logCount("sent while offline")+" === 1")

	// Still live: a new message comes back, and the queued one came once.
	sendEcho(t, ctx, "after the restart")
	waitFor(t, ctx, "an echo after the restart", logCount("after the restart")+" === 1")
	queued, err := chromedp.Run(ctx, chromedp.Evaluate[int](logCount("sent while offline")))
	if err != nil {
		t.Fatal(err)
	}
	if queued != 1 {
		t.Fatalf("the queued message arrived %d times, want once", queued)
	}
	text, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS("#queued")))
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(text) != "0" {
		t.Fatalf("queue shows %q after the flush, want 0", text)
	}
}

func TestWebSocketDemoReconnectsAtOnceWhenTheBrowserIsBackOnline(t *testing.T) {
	// A minute's backoff: only the online event can bring it back in time.
	srv, ctx := openDemo(t, server.Options{}, "/websocket?reconnectDelay=60000")
	waitFor(t, ctx, "the demo to connect", statusIs("connected"))
	srv.stop()
	waitFor(t, ctx, "a reconnect a minute away", `document.querySelector('#attempt').textContent === "1, next in 1m0s"`)
	srv.start()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.dispatchEvent(new Event("online"))`)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the page to reconnect on the online event", statusIs("connected"))
}

func TestWebSocketDemoStopsOnABadToken(t *testing.T) {
	var dials atomic.Int32
	_, ctx := openDemo(t, server.Options{
		Auth: server.AuthenticatorFunc(func(ctx context.Context, token string) (server.Identity, error) {
			dials.Add(1)
			return server.StaticToken("right").Authenticate(ctx, token)
		}),
		Pages: demo.Handler("wrong"),
	}, "/websocket?reconnectDelay=10")
	waitFor(t, ctx, "the error status", statusIs("error"))
	waitFor(t, ctx, "the reason on the page", `document.querySelector('#problem')?.textContent.includes("4401")`)
	screenshot(t, ctx, "websocket-unauthorized")
	// With a 10 ms backoff, any retry would have shown by now.
	if _, err := chromedp.Run(ctx, chromedp.Sleep(300*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if n := dials.Load(); n != 1 {
		t.Fatalf("the page dialed %d times after a 4401, want once", n)
	}
}

func TestWebSocketDemoUnsubscribesWhatDismounts(t *testing.T) {
	srv, ctx := openDemo(t, server.Options{}, "/websocket")
	waitFor(t, ctx, "the demo to connect", statusIs("connected"))
	srv.waitSubscribers("demo:lobby", 1)

	// The checkbox dismounts the lobby's Channel component.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#listen"))); err != nil {
		t.Fatal(err)
	}
	srv.waitSubscribers("demo:lobby", 0)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#listen"))); err != nil {
		t.Fatal(err)
	}
	srv.waitSubscribers("demo:lobby", 1)

	// Leaving the page dismounts the provider: its connection goes.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("a.rt-brand"))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the index page", `location.pathname === "/" && document.querySelector(".rt-cards") !== null`)
	srv.waitSubscribers("demo:lobby", 0)
}

func TestWebSocketDemoPingsWhenThePageBecomesVisible(t *testing.T) {
	// The default heartbeat is 30 s away: a ping now comes from the event.
	_, ctx := openDemo(t, server.Options{}, "/websocket")
	waitFor(t, ctx, "the demo to connect", statusIs("connected"))

	evCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	sent := chromedp.Events(evCtx, network.WebSocketFrameSent)
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.dispatchEvent(new Event("visibilitychange"))`)); err != nil {
		t.Fatal(err)
	}
	for ev, err := range sent {
		if err != nil {
			t.Fatalf("no ping after the page became visible: %v", err)
		}
		if strings.Contains(string(ev.Response.PayloadData), `"type":"ping"`) {
			return
		}
	}
	t.Fatal("no ping after the page became visible")
}

// The navigation of the go-app pages leads to the plain page of the
// JavaScript module too, which go-app does not route: a full page load.
func TestDemoNavigationReachesTheModulePage(t *testing.T) {
	_, ctx := openDemo(t, server.Options{}, "/websocket")
	waitFor(t, ctx, "the demo to connect", statusIs("connected"))
	click(t, ctx, `.rt-nav a[href="/embed"]`)
	// The page goes away under a poll of its own: each try is on its own.
	const loaded = `location.pathname === "/embed" && document.querySelector("h1")?.textContent === "JavaScript module"`
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](loaded)); err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the nav link did not lead to /embed")
		}
	}
}

// A go-app echo wakes no goroutine (its handler publishes the next one
// inline), and Go is not resumed at once after each: within 16 ms, once
// for all the batches until then, and at once when the last one woke the
// goroutine waiting for the round trips.
func TestGoIsResumedAfterABatchOnlyWhenAGoroutineWaits(t *testing.T) {
	_, ctx := openDemo(t, server.Options{RateLimit: -1}, "/bench") // echo sends hundreds a second
	waitFor(t, ctx, "the bench page to connect", `window.realtimeBench?.connectedAt > 0`)
	const n = 200
	before := evalJS[map[string]float64](t, ctx, `({...realtimeSocketQueue.stats})`)
	rtt := evalJS[string](t, ctx, fmt.Sprintf(`realtimeBench.echo("echo:e2e", %d)`, n))
	if got := strings.Count(rtt, ","); got != n-1 {
		t.Fatalf("echo returned %d round trips, want %d: %.200s", got+1, n, rtt)
	}
	after := evalJS[map[string]float64](t, ctx, `({...realtimeSocketQueue.stats})`)
	count := func(k string) int { return int(after[k] - before[k]) }
	taken, resumed, deferred := count("taken"), count("resumed"), count("deferred")
	t.Logf("%d echoes: %d batches taken, Go resumed at once after %d, %d resumes deferred", n, taken, resumed, deferred)
	// A batch may go the js.Func way when Go's reader has one to read
	// first.
	if taken < n*9/10 {
		t.Errorf("%d batches taken through app.wasm's export, want most of the %d echoes", taken, n)
	}
	if resumed < 1 || resumed > n/10 {
		t.Errorf("Go resumed at once after %d of %d batches, want after the last (woken) and few others", resumed, taken)
	}
	// One deferred resume covers the batches of its 16 ms: several here,
	// one each on a machine slow enough for an echo to take longer.
	if deferred < 1 || deferred > taken {
		t.Errorf("%d resumes deferred for %d batches, want at least one and at most one a batch", deferred, taken)
	}
}

// A timer that an inline handler sets, in the export that took the frame,
// fires about when due: the page resumes Go within a frame after such a
// batch (realtime-socket.js's resumeWithin), and Go's scheduler then arms
// it. Without that resume it would wait for Go's next event, the next
// heartbeat's timer, seconds later.
func TestATimerSetInAnInlineHandlerFires(t *testing.T) {
	_, ctx := openDemo(t, server.Options{}, "/bench")
	waitFor(t, ctx, "the bench page to connect", `window.realtimeBench?.connectedAt > 0`)
	for _, ms := range []int{1, 40} {
		var got struct{ MS float64 }
		if err := json.Unmarshal([]byte(evalJS[string](t, ctx, fmt.Sprintf(`realtimeBench.timer("echo:timer-%d", %d)`, ms, ms))), &got); err != nil {
			t.Fatal(err)
		}
		t.Logf("a timer of %d ms set in an inline handler fired after %.1f ms", ms, got.MS)
		// Never early; late by a frame at most, which a slow machine may
		// stretch, but not to the seconds of Go's next event.
		if got.MS < float64(ms) || got.MS > float64(ms)+500 {
			t.Errorf("a timer of %d ms set in an inline handler fired after %.1f ms", ms, got.MS)
		}
	}
}

// realtime-socket.js, for a socket whose server sends long frames as
// binary messages (go-app's, frames=binary), hands Go the binary and the
// text frames of a batch in the order they came, as UTF-8 joined with
// "\n": into Go's memory (room) when the batch is short, into the inbox
// when not. Here a stand-in socket and Go.
func TestSocketQueueJoinsBinaryAndTextFramesInOrder(t *testing.T) {
	_, ctx := openDemo(t, server.Options{}, "/websocket")
	waitFor(t, ctx, "the demo to connect", statusIs("connected"))
	got := evalJS[[]string](t, ctx, `(async () => {
		const ws = new EventTarget();
		ws.readyState = WebSocket.OPEN;
		const memory = new WebAssembly.Memory({ initial: 1 });
		const room = 64, roomSize = 1536;
		const batches = [];
		let handle;
		const receive = (id, n, grown) => {
			const bytes = grown === 2 ? new Uint8Array(memory.buffer, room, n) : handle.inbox.subarray(0, n);
			batches.push((grown === 2 ? "room:" : "inbox:") + new TextDecoder("utf-8", { fatal: true }).decode(bytes));
			return true;
		};
		handle = realtimeSocketQueue(ws, () => batches.push("onFrames"), () => {}, { id: 1, receive, memory, room, roomSize, binaryText: true });
		const bin = (s) => new TextEncoder().encode(s).buffer;
		// Each message's time is the clock's (as a received message's
		// timeStamp is), and the clock stopped: after the first, every
		// message follows the last batch closely, as in a burst, and
		// waits for a task.
		const send = (data) => {
			const e = new MessageEvent("message", { data });
			Object.defineProperty(e, "timeStamp", { value: performance.now() });
			ws.dispatchEvent(e);
		};
		const tick = () => new Promise((r) => setTimeout(r, 20));
		const now = performance.now;
		performance.now = () => 0;
		try {
			send("first"); // after a quiet spell: alone, at once
			send(bin("café ✓"));
			send("t\u00e9xt");
			send(bin("€"));
			await tick();
			send("again");
			send(bin("x".repeat(3000)));
			send("ünï");
			await tick();
		} finally {
			performance.now = now;
		}
		return batches.map((b) => b.replace("x".repeat(3000), "<3000 x>"));
	})()`)
	want := []string{
		"room:first",
		"room:café ✓\ntéxt\n€",
		"inbox:again\n<3000 x>\nünï",
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("batches %q, want %q", got, want)
	}
}

// realtime-socket.js batches the frames of a burst (a message that follows
// the last batch closely waits for a task of its own), but a message that
// answers what the page sent since the last batch began goes to Go at
// once, however soon it came: an echo on a fast machine comes back within
// the burst's window, and waiting a task for it made each round trip
// longer. Here a stand-in socket and Go, the clock stopped.
func TestSocketQueueHandsAnAnswerOverAtOnce(t *testing.T) {
	_, ctx := openDemo(t, server.Options{}, "/websocket")
	waitFor(t, ctx, "the demo to connect", statusIs("connected"))
	got := evalJS[[]string](t, ctx, `(async () => {
		const ws = new EventTarget();
		ws.readyState = WebSocket.OPEN;
		const log = [];
		ws.send = (data) => log.push("sent:" + data);
		let handle;
		const receive = (id, n) => {
			const text = new TextDecoder().decode(handle.inbox.subarray(0, n));
			log.push("batch:" + text);
			if (text.startsWith("ask")) {
				handle.sendText("reply to " + text); // as a handler's publish
			}
			return true;
		};
		handle = realtimeSocketQueue(ws, () => log.push("onFrames"), () => {}, { id: 1, receive });
		const message = (data) => {
			const e = new MessageEvent("message", { data });
			Object.defineProperty(e, "timeStamp", { value: performance.now() });
			ws.dispatchEvent(e);
			log.push("dispatched:" + data);
		};
		const tick = () => new Promise((r) => setTimeout(r, 20));
		const now = performance.now;
		performance.now = () => 0;
		try {
			message("ask 1"); // after a quiet spell: at once
			message("ask 2"); // the answer to the reply: at once
			message("echo"); // and this one's
			message("burst 1"); // nothing sent since: a burst's, waits
			message("burst 2");
			await tick();
			handle.sendText("a publish between batches");
			message("answer"); // at once
			await tick();
		} finally {
			performance.now = now;
		}
		return log;
	})()`)
	want := []string{
		"batch:ask 1", "sent:reply to ask 1", "dispatched:ask 1",
		"batch:ask 2", "sent:reply to ask 2", "dispatched:ask 2",
		"batch:echo", "dispatched:echo",
		"dispatched:burst 1", "dispatched:burst 2", "batch:burst 1\nburst 2",
		"sent:a publish between batches",
		"batch:answer", "dispatched:answer",
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("got\n%q\nwant\n%q", got, want)
	}
}
