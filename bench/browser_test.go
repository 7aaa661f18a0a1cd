package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/performance"
	"github.com/chromedp/cdproto/profiler"
	"github.com/chromedp/chromedp"

	"github.com/matih-ai/realtime/components/demo"
	"github.com/matih-ai/realtime/internal/webtest"
	"github.com/matih-ai/realtime/server"
)

// A client of the browser rows: a page whose window.realtimeBench runs the
// workloads (see testdata/harness.js and components/demo/bench_page.go).
type client struct {
	name, id, path string
}

var clients = []client{
	{"plain JS", "plain", "/bench-js/plain.html"},
	{"realtime.js", "module", "/bench-js/module.html"},
	{"go-app", "app", demo.BenchPath},
}

// benchBrowser builds the web files, weighs them, and runs every client
// in one Chromium against one server.
func benchBrowser(t *testing.T, cfg config, rep *report) {
	chrome, err := webtest.FindChrome()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("the browser rows cannot run: %v", err)
		}
		rep.browserSkip = err.Error()
		t.Skipf("browser rows skipped: %v", err)
	}
	demo.Routes()
	web := filepath.Join(t.TempDir(), "web")
	if err := webtest.BuildWeb(web); err != nil {
		t.Fatal(err)
	}
	wasm := []string{filepath.Join(web, "realtime.wasm"), filepath.Join(web, "app.wasm")}
	if err := webtest.Precompress(cfg.brotli, wasm...); err != nil {
		t.Fatal(err)
	}
	rep.sizeQuality = cfg.brotli
	rep.sizes = []wasmSize{
		weigh(wasm[0], 1<<20, "≤ 1.0 MB"),
		weigh(wasm[1], 1.6*(1<<20), "≤ 1.6 MB"),
	}

	srv, base := startServer(t, cfg, web)
	feed, rows := newBenchFeed(t, srv, cfg.liveRows)

	profile := t.TempDir()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), webtest.AllocatorOptions(chrome, profile)...)
	defer cancelAlloc()
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx, chromedp.WithErrorf(t.Logf))
	defer cancelBrowser()
	version, err := chromedp.CallBrowser(browserCtx, browser.GetVersion, cdp.Empty{})
	if err != nil {
		t.Fatalf("failed to start Chromium: %v", err)
	}
	rep.chromium = version.Product
	rep.isolated = true
	// Every client's tab stays open, and echo and burst run in rounds,
	// client after client: the machine is shared, and a busy spell then
	// falls on all of them rather than on one. Each round starts with the
	// next client, so that none always follows the same one: a tab's
	// leftover work (V8 compiling in the background, a timer) falls on
	// whichever runs after it.
	tabs := make([]*benchTab, len(clients))
	for i, c := range clients {
		tabs[i] = &benchTab{t: t, cfg: cfg, srv: srv, feed: feed, rows: rows, client: c, profile: profile}
		rep.isolated = tabs[i].open(browserCtx, base+c.path) && rep.isolated
		defer tabs[i].close()
	}
	// Rounds before 0 warm up, each as long as a burst's: they are
	// reported apart.
	for round := -cfg.warmUp; round < cfg.echoRounds; round++ {
		n := cfg.echoN / cfg.echoRounds
		if round < 0 {
			n = cfg.echoN / cfg.rounds
		}
		for _, b := range inTurn(tabs, round) {
			b.front()
			b.profiled("echo", round, func() { b.echo(round, n) })
		}
	}
	for round := -cfg.warmUp; round < cfg.rounds; round++ {
		for _, b := range inTurn(tabs, round) {
			b.front()
			b.profiled("burst", round, func() { b.burst(round, cfg.burstM/cfg.rounds) })
		}
	}
	benchStages(t, cfg, browserCtx, tabs, base)
	for _, b := range tabs {
		b.front()
		b.profiled("live", 0, func() { b.figs.live = b.live() })
		b.figs.echo = b.echoFigures()
		b.figs.warmEchoP50 = unmeasured
		if len(b.warmRTT) > 0 {
			b.figs.warmEchoP50 = percentile(slices.Sorted(slices.Values(b.warmRTT)), 50)
		}
		b.figs.echoCPUMain, b.figs.echoCPUAll = b.cpu.perEcho()
		b.figs.burstRate = float64(b.burstCount) / b.burstMS * 1000
		b.figs.burstTask = b.burstTask * 1e6 / float64(b.burstMsgs)
		t.Logf("%s: %+v", b.client.name, b.figs)
		rep.clients = append(rep.clients, b.figs)
		rep.networkEvents += int(b.networkEvents.Load())
	}
	if rep.networkEvents > 0 {
		t.Errorf("DevTools got %d Network events: network tracking was on while measuring", rep.networkEvents)
	}
}

// inTurn returns tabs in the order of a round: rotated by one each round.
func inTurn(tabs []*benchTab, round int) []*benchTab {
	k := ((round % len(tabs)) + len(tabs)) % len(tabs)
	return append(slices.Clone(tabs[k:]), tabs[:k]...)
}

func weigh(name string, target float64, text string) wasmSize {
	size := func(path string) float64 {
		info, err := os.Stat(path)
		if err != nil {
			return unmeasured
		}
		return float64(info.Size())
	}
	return wasmSize{name: filepath.Base(name), raw: size(name), gzip: size(name + ".gz"), brotli: size(name + ".br"), target: target, targetText: text}
}

// startServer serves the demo pages, web and testdata (under /bench-js/)
// on 127.0.0.1, every response cross-origin isolated so that the pages
// get fine timers.
func startServer(t *testing.T, cfg config, web string) (*server.Server, string) {
	srv := server.New(server.Options{
		Pages:        demo.Handler(""),
		WebDir:       web,
		RateLimit:    -1,                // echo sends thousands of requests a second
		SendBuffer:   cfg.burstM + 1024, // a burst is published at once
		LiveInterval: time.Hour,         // no demo feed ticks meanwhile
		IdleTimeout:  time.Hour,         // a page busy with a burst sends no ping
	})
	mux := http.NewServeMux()
	mux.Handle("/bench-js/", http.StripPrefix("/bench-js/", http.FileServer(http.Dir("testdata"))))
	mux.Handle("/", srv)
	base := serveIsolated(t, mux)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	return srv, base
}

// serveIsolated serves h on 127.0.0.1 until the test ends, every response
// cross-origin isolated (COOP and COEP) so that pages get performance.now()
// in 5 µs steps, and returns its base URL.
func serveIsolated(t testing.TB, h http.Handler) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cross-Origin-Opener-Policy", "same-origin")
		w.Header().Set("Cross-Origin-Embedder-Policy", "require-corp")
		h.ServeHTTP(w, r)
	})}
	go hs.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hs.Shutdown(ctx)
	})
	return "http://" + ln.Addr().String()
}

// benchRow is a row of the live feed, like the demo's orders.
type benchRow struct {
	ID      string  `json:"id"`
	Region  string  `json:"region"`
	Plan    string  `json:"plan"`
	Orders  int     `json:"orders"`
	Revenue float64 `json:"revenue"`
}

func newBenchFeed(t *testing.T, srv *server.Server, n int) (*server.Feed, []benchRow) {
	feed, err := srv.NewFeed(demo.BenchFeed, "id", 0)
	if err != nil {
		t.Fatal(err)
	}
	regions := []string{"eu-west", "us-east", "ap-south", "sa-east"}
	plans := []string{"free", "team", "enterprise"}
	rows := make([]benchRow, n)
	items := make([]any, n)
	for i := range rows {
		rows[i] = benchRow{ID: fmt.Sprintf("r%03d", i), Region: regions[i%len(regions)], Plan: plans[i%len(plans)], Orders: 1000 + i, Revenue: 12345.67 + float64(i)}
		items[i] = rows[i]
	}
	if _, err := feed.Upsert(items...); err != nil {
		t.Fatal(err)
	}
	return feed, rows
}

// benchTab runs the workloads of one client in a tab of its own browser
// context.
type benchTab struct {
	t      *testing.T
	cfg    config
	srv    *server.Server
	feed   *server.Feed
	rows   []benchRow
	client client
	ctx    context.Context
	cancel context.CancelFunc

	figs       clientFigures
	rtt        []float64 // echo round trips so far, ms
	warmRTT    []float64 // the warm-up's
	burstCount int       // burst messages after the first of each round
	burstMS    float64   // burst time, first to last receive, over the rounds
	burstMsgs  int       // burst messages, over the rounds
	burstTask  float64   // the main thread's task time in the rounds, s
	profile    string    // Chromium's user data directory (readCPU)
	cpu        echoCPU   // of the counted echo rounds, where measured

	networkEvents atomic.Int64 // seen since the tab opened
}

// open loads the client's page in a tab of its own browser context, fresh
// then warm, and reports whether the page is cross-origin isolated.
func (b *benchTab) open(browserCtx context.Context, url string) (isolated bool) {
	t := b.t
	b.ctx, b.cancel = chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext(),
		chromedp.WithListener(func(ev any) {
			switch ev.(type) {
			case *network.EventRequestWillBeSent, *network.EventWebSocketCreated,
				*network.EventWebSocketFrameSent, *network.EventWebSocketFrameReceived:
				b.networkEvents.Add(1)
			}
		}))
	// chromedp turns network tracking on for every tab; it slows WebSocket
	// traffic two to three times.
	if _, err := chromedp.Call(b.ctx, network.Disable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(b.ctx, performance.Enable, performance.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	b.figs = clientFigures{name: b.client.name}
	b.figs.fresh = b.load(url)
	b.figs.warm = b.load(url)
	return webtest.Eval[bool](t, b.ctx, `crossOriginIsolated`)
}

func (b *benchTab) close() { b.cancel() }

// front brings the tab to the front, as a user's would be.
func (b *benchTab) front() {
	if err := call(b.ctx, page.BringToFront, cdp.Empty{}); err != nil {
		b.t.Fatal(err)
	}
}

// profiled runs f, under DevTools' CPU profiler when BENCH_PROFILE names
// a directory and this is the first counted round: the profile goes to
// <dir>/<client>-<what>.cpuprofile.
func (b *benchTab) profiled(what string, round int, f func()) {
	dir := os.Getenv(profileEnv)
	if dir == "" || round != 0 {
		f()
		return
	}
	for _, err := range []error{
		call(b.ctx, profiler.Enable, cdp.Empty{}),
		call(b.ctx, profiler.SetSamplingInterval, profiler.SetSamplingIntervalParams{Interval: 100}),
		call(b.ctx, profiler.Start, cdp.Empty{}),
	} {
		if err != nil {
			b.t.Fatal(err)
		}
	}
	f()
	res, err := chromedp.Call(b.ctx, profiler.Stop, cdp.Empty{})
	if err != nil {
		b.t.Fatal(err)
	}
	prof := res.Profile
	raw, err := json.Marshal(prof)
	if err != nil {
		b.t.Fatal(err)
	}
	path := filepath.Join(dir, b.client.id+"-"+what+".cpuprofile")
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("profile written to %s", path)
}

func call[P, R any](ctx context.Context, cmd cdp.Command[P, R], p P) error {
	_, err := chromedp.Call(ctx, cmd, p)
	return err
}

// load navigates to url and returns the ms from navigation to connected.
func (b *benchTab) load(url string) float64 {
	if err := chromedp.Do(b.ctx, chromedp.Navigate(url)); err != nil {
		b.t.Fatalf("failed to open %s: %v", url, err)
	}
	waitFor(b.t, b.ctx, b.client.name+" to connect", `window.realtimeBench?.connectedAt > 0`)
	return webtest.Eval[float64](b.t, b.ctx, `realtimeBench.connectedAt`)
}

// echo makes n round trips and keeps their times.
func (b *benchTab) echo(round, n int) {
	channel := "echo:bench-" + b.client.id
	var res struct{ RTT []float64 }
	measured := round >= 0 && cpuMeasured()
	var before cpuSample
	if measured {
		before = readCPU(b.profile)
	}
	evalResult(b.t, b.ctx, fmt.Sprintf(`realtimeBench.echo(%q, %d)`, channel, n), &res)
	if measured {
		b.cpu.add(n, before, readCPU(b.profile))
	}
	if len(res.RTT) != n {
		b.t.Fatalf("%s: %d round trips, want %d", b.client.name, len(res.RTT), n)
	}
	p50 := percentile(slices.Sorted(slices.Values(res.RTT)), 50)
	if round < 0 {
		b.figs.warmEcho = append(b.figs.warmEcho, p50)
		b.warmRTT = append(b.warmRTT, res.RTT...)
		return
	}
	b.rtt = append(b.rtt, res.RTT...)
	b.figs.echoRounds = append(b.figs.echoRounds, p50)
}

func (b *benchTab) echoFigures() echoFigures {
	rtt := slices.Clone(b.rtt)
	var total float64
	for _, v := range rtt {
		total += v
	}
	slices.Sort(rtt)
	return echoFigures{p50: percentile(rtt, 50), p99: percentile(rtt, 99), rate: float64(len(rtt)) / total * 1000}
}

// burst publishes m messages from the server at once and counts how long
// the page's subscriber took from the first to the last.
func (b *benchTab) burst(round, m int) {
	channel := fmt.Sprintf("bench:burst-%s-%d", b.client.id, round+b.cfg.warmUp)
	webtest.Eval[bool](b.t, b.ctx, fmt.Sprintf(`window.benchBurst = realtimeBench.burst(%q, %d), true`, channel, m))
	waitSubscribers(b.t, b.srv, channel, 1)
	// All at once: published one by one, the messages went out as fast as
	// this process published them (2-8 µs each, on the cores the page
	// uses), which set the rate of a fast page more than the page did.
	data := make([]any, m)
	for i := range data {
		data[i] = map[string]int{"i": i}
	}
	task := b.taskDuration()
	if err := b.srv.PublishAll(channel, data...); err != nil {
		b.t.Fatal(err)
	}
	var res struct {
		Count int
		MS    float64
	}
	evalResult(b.t, b.ctx, `window.benchBurst`, &res)
	task = b.taskDuration() - task
	waitSubscribers(b.t, b.srv, channel, 0)
	rate := float64(res.Count-1) / res.MS * 1000
	if round < 0 {
		b.figs.warmBurst = append(b.figs.warmBurst, rate)
		return
	}
	b.burstCount += res.Count - 1
	b.burstMS += res.MS
	b.burstMsgs += m
	b.burstTask += task
	b.figs.burstRounds = append(b.figs.burstRounds, rate)
}

// liveStats are the page's counts of its live feed.
type liveStats struct {
	Seq, Deltas, Renders, Coalesced float64
}

func (b *benchTab) liveStats() liveStats {
	var s liveStats
	if err := json.Unmarshal([]byte(webtest.Eval[string](b.t, b.ctx, `realtimeBench.liveStats()`)), &s); err != nil {
		b.t.Fatal(err)
	}
	return s
}

// live runs the feed at cfg.liveRate for cfg.liveFor while the page
// renders it, and counts what the page did meanwhile.
func (b *benchTab) live() liveFigures {
	t := b.t
	webtest.Eval[bool](t, b.ctx, `realtimeBench.live(true), true`)
	waitFor(t, b.ctx, "the live feed's snapshot", fmt.Sprintf(`JSON.parse(realtimeBench.liveStats()).seq === %d`, b.feed.Seq()))
	webtest.Eval[bool](t, b.ctx, `(() => {
		window.benchFrames = 0;
		const frame = () => { benchFrames++; window.benchFrame = requestAnimationFrame(frame); };
		window.benchFrame = requestAnimationFrame(frame);
		window.benchLong = 0;
		window.benchObserver = new PerformanceObserver((list) => {
			for (const e of list.getEntries()) benchLong += e.duration;
		});
		benchObserver.observe({ type: "longtask" });
		return true;
	})()`)
	before, busyBefore := b.liveStats(), b.taskDuration()

	start := time.Now()
	sent := b.runFeed()
	window := time.Since(start)

	busyAfter, after := b.taskDuration(), b.liveStats()
	frames := webtest.Eval[float64](t, b.ctx, `cancelAnimationFrame(benchFrame), benchObserver.disconnect(), benchFrames`)
	longTasks := webtest.Eval[float64](t, b.ctx, `benchLong`)
	ended := time.Now()
	waitFor(t, b.ctx, "the page to catch up with the feed", fmt.Sprintf(`JSON.parse(realtimeBench.liveStats()).seq === %d`, b.feed.Seq()))
	catchUp := time.Since(ended)
	webtest.Eval[bool](t, b.ctx, `realtimeBench.live(false), true`)
	waitSubscribers(t, b.srv, "live:"+demo.BenchFeed, 0)

	return liveFigures{
		window:    float64(window.Milliseconds()),
		sent:      float64(sent),
		deltas:    after.Deltas - before.Deltas,
		frames:    frames,
		renders:   after.Renders - before.Renders,
		coalesced: after.Coalesced - before.Coalesced,
		busy:      (busyAfter - busyBefore) * 1000,
		longTasks: longTasks,
		catchUp:   float64(catchUp.Microseconds()) / 1000,
	}
}

// runFeed upserts rows of the feed, one delta each, at cfg.liveRate for
// cfg.liveFor, and returns how many it sent.
func (b *benchTab) runFeed() int {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	start := time.Now()
	total := int(float64(b.cfg.liveRate) * b.cfg.liveFor.Seconds())
	for sent := 0; ; <-tick.C {
		due := min(total, int(time.Since(start).Seconds()*float64(b.cfg.liveRate)))
		for ; sent < due; sent++ {
			row := &b.rows[sent%len(b.rows)]
			row.Orders++
			row.Revenue += 0.37
			if _, err := b.feed.Upsert(*row); err != nil {
				b.t.Fatal(err)
			}
		}
		if sent == total {
			return sent
		}
	}
}

// taskDuration is the main thread's task time so far, in seconds.
func (b *benchTab) taskDuration() float64 {
	res, err := chromedp.Call(b.ctx, performance.GetMetrics, cdp.Empty{})
	if err != nil {
		b.t.Fatal(err)
	}
	for _, m := range res.Metrics {
		if m.Name == "TaskDuration" {
			return m.Value
		}
	}
	b.t.Fatal("no TaskDuration in the performance metrics")
	return 0
}

// evalResult awaits a workload's promise and decodes its JSON into v.
func evalResult(t *testing.T, ctx context.Context, js string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(webtest.Eval[string](t, ctx, js)), v); err != nil {
		t.Fatalf("the result of %s: %v", js, err)
	}
}

// waitFor polls a JavaScript condition until it holds.
func waitFor(t *testing.T, ctx context.Context, what, js string) {
	t.Helper()
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](js,
		chromedp.WithPollingInterval(5*time.Millisecond),
		chromedp.WithPollingTimeout(2*time.Minute)))
	if err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

// waitSubscribers waits until channel has n subscribers on the server.
func waitSubscribers(t *testing.T, srv *server.Server, channel string, n int) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); srv.Subscribers(channel) != n; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s has %d subscribers, want %d", channel, srv.Subscribers(channel), n)
		}
	}
}

// Each client leads one round in len(tabs), warm-up rounds too, and the
// others follow in their order.
func TestInTurnRotates(t *testing.T) {
	tabs := []*benchTab{{client: client{id: "a"}}, {client: client{id: "b"}}, {client: client{id: "c"}}}
	want := map[int]string{-2: "bca", -1: "cab", 0: "abc", 1: "bca", 2: "cab", 3: "abc"}
	for round, order := range want {
		got := ""
		for _, b := range inTurn(tabs, round) {
			got += b.client.id
		}
		if got != order {
			t.Errorf("round %d: order %s, want %s", round, got, order)
		}
	}
}
