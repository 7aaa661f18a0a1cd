package bench

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/matih-ai/realtime/server"
)

// report collects the figures of one run and prints them.
type report struct {
	cfg                   config
	started, finished     time.Time
	loadBefore, loadAfter string

	chromium      string // product and version; "" when the browser rows did not run
	browserSkip   string // why the browser rows did not run
	isolated      bool   // every page was cross-origin isolated: 5 µs timers
	networkEvents int    // Network events DevTools got: 0 when tracking is off
	clients       []clientFigures
	sizes         []wasmSize
	sizeQuality   int

	hub, bare fanoutResult
	idle      idleResult
}

// clientFigures are the browser figures of one client.
type clientFigures struct {
	name        string
	fresh, warm float64 // ms from navigation to connected
	echo        echoFigures
	burstRate   float64 // messages a second, first to last receive
	burstTask   float64 // µs of the main thread's task time a burst message
	// Each round's echo p50 and burst rate, for the ratios by round;
	// the warm-up rounds' apart.
	echoRounds, burstRounds []float64
	warmEcho, warmBurst     []float64
	warmEchoP50             float64 // ms, of the warm-up's round trips together
	// CPU an echo of the counted rounds, in ms: the page's main thread,
	// and the browser's processes and the server together (cpu_test.go).
	echoCPUMain, echoCPUAll float64
	live                    liveFigures
	stages                  echoStages
}

type echoFigures struct{ p50, p99, rate float64 } // ms, ms, round trips a second

// liveFigures are the counts of the live feed's window.
type liveFigures struct {
	window    float64 // ms the feed ran
	sent      float64 // deltas the server sent
	deltas    float64 // deltas the page received in the window
	frames    float64 // animation frames the page ran
	renders   float64
	coalesced float64
	busy      float64 // ms of main-thread tasks (CDP TaskDuration)
	longTasks float64 // ms of long tasks (PerformanceObserver)
	catchUp   float64 // ms after the last delta until the page had it
}

type wasmSize struct {
	name              string
	raw, gzip, brotli float64 // bytes
	target            float64 // brotli bytes at most
	targetText        string
}

// unmeasured fills a figure that a run did not produce.
var unmeasured = math.NaN()

// ratioTarget bounds a figure's ratio to the baseline's.
type ratioTarget struct {
	atMost bool
	ratio  float64
}

func (r ratioTarget) String() string {
	if r.atMost {
		return fmt.Sprintf("≤ %gx", r.ratio)
	}
	return fmt.Sprintf("≥ %gx", r.ratio)
}

func (r ratioTarget) met(ratio float64) bool {
	if r.atMost {
		return ratio <= r.ratio
	}
	return ratio >= r.ratio
}

// browserRow is a row of the browser table.
type browserRow struct {
	name   string
	value  func(clientFigures) float64
	format func(float64) string
	target *ratioTarget
}

func browserRows(cfg config) []browserRow {
	perSecond := func(v float64) string { return groupDigits(v) + "/s" }
	count := func(v float64) string { return groupDigits(v) }
	window := cfg.liveFor.Seconds()
	rows := []browserRow{
		{name: "navigation to connected, fresh profile", value: func(c clientFigures) float64 { return c.fresh }, format: millis},
		{name: "navigation to connected, warm", value: func(c clientFigures) float64 { return c.warm }, format: millis},
		{name: fmt.Sprintf("echo p50 (%s round trips)", groupDigits(float64(cfg.echoN))), value: func(c clientFigures) float64 { return c.echo.p50 }, format: millis, target: &ratioTarget{atMost: true, ratio: 1.25}},
		{name: "echo p99", value: func(c clientFigures) float64 { return c.echo.p99 }, format: millis},
		{name: "echo round trips", value: func(c clientFigures) float64 { return c.echo.rate }, format: perSecond},
		{name: fmt.Sprintf("burst (%s messages) delivered", groupDigits(float64(cfg.burstM))), value: func(c clientFigures) float64 { return c.burstRate }, format: perSecond, target: &ratioTarget{ratio: 0.9}},
		{name: "burst: main-thread task time a message", value: func(c clientFigures) float64 { return c.burstTask }, format: func(v float64) string { return fmt.Sprintf("%.2f µs", v) }},
		{name: fmt.Sprintf("live: deltas received of %s sent in %gs", groupDigits(float64(cfg.liveRate)*window), window), value: func(c clientFigures) float64 { return c.live.deltas }, format: count},
		{name: fmt.Sprintf("live: frames in %gs (60 Hz: %d)", window, int(60*window)), value: func(c clientFigures) float64 { return c.live.frames }, format: count},
		{name: "live: renders", value: func(c clientFigures) float64 { return c.live.renders }, format: count},
		{name: "live: updates coalesced into another's render", value: func(c clientFigures) float64 { return c.live.coalesced }, format: count},
		{name: "live: main-thread busy (TaskDuration)", value: func(c clientFigures) float64 { return c.live.busy }, format: func(v float64) string {
			return fmt.Sprintf("%s (%.0f%%)", millis(v), 100*v/(1000*window))
		}},
		{name: "live: long tasks (> 50 ms)", value: func(c clientFigures) float64 { return c.live.longTasks }, format: millis},
		{name: "live: caught up after the last delta", value: func(c clientFigures) float64 { return c.live.catchUp }, format: millis},
	}
	if cpuMeasured() {
		echoes := slices.IndexFunc(rows, func(r browserRow) bool { return r.name == "echo round trips" })
		rows = slices.Insert(rows, echoes+1,
			browserRow{name: "echo: CPU a round trip, the page's main thread", value: func(c clientFigures) float64 { return c.echoCPUMain }, format: millis},
			browserRow{name: "echo: CPU a round trip, browser and server", value: func(c clientFigures) float64 { return c.echoCPUAll }, format: millis})
	}
	if cfg.warmUp > 0 {
		warm := browserRow{name: fmt.Sprintf("echo p50 in the warm-up (%s round trips before)", groupDigits(float64(cfg.warmUp*cfg.echoN/cfg.rounds))), value: func(c clientFigures) float64 { return c.warmEchoP50 }, format: millis}
		p99 := slices.IndexFunc(rows, func(r browserRow) bool { return r.name == "echo p99" })
		rows = slices.Insert(rows, p99+1, warm)
	}
	return rows
}

// markdown prints the report: a few tables and what they were measured on.
func (r *report) markdown() string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("# Benchmark report\n\n")
	w("A %s run on %s, of %s, in %s.\n\n", r.cfg.mode, r.started.Format("2006-01-02 15:04 MST"), revision(), r.finished.Sub(r.started).Round(time.Second))
	w("Reproduce: `make bench`, that is\n`BENCH=%s BENCH_REPORT=$PWD/bench/REPORT.md go test -count=1 -timeout 30m -run '^TestBench$' ./bench`.\n\n", r.cfg.mode)
	w("Machine: %s. Load average (1, 5, 15 min) %s before, %s after. ", machine(), orUnknown(r.loadBefore), orUnknown(r.loadAfter))
	w("The machine is shared with other workers: figures move by tens of percent from run to run, ratios less; compare within a run.\n\n")

	w("## Browser\n\n")
	if r.chromium == "" {
		w("Not run: %s.\n\n", r.browserSkip)
	} else {
		w("%s, headless, a tab per client against one in-process server on 127.0.0.1; echo runs in %d rounds and burst in %d, the clients in turn (each round starting with the next), so that a busy spell of the shared machine falls on all of them. DevTools network tracking is off (it slows WebSocket traffic two to three times): %d Network events reached DevTools in the whole run. ", r.chromium, r.cfg.echoRounds, r.cfg.rounds, r.networkEvents)
		if r.isolated {
			w("Pages are cross-origin isolated (COOP and COEP), so `performance.now()` has 5 µs steps. ")
		} else {
			w("Pages were NOT cross-origin isolated: `performance.now()` has 100 µs steps. ")
		}
		w("Each client: plain JS is a WebSocket and ten lines (bench/testdata/plain.js); realtime.js is web/realtime.js (bench/testdata/module.js); go-app is the provider path, components.WebSocket(\"\") and LiveUpdates with LiveTable on the hidden page /bench (components/demo/bench_page.go), whose socket asks for frames=binary (the server's frames of 512 bytes or more come as binary messages, the same bytes: see wasm/protocol's package doc). Ratios are to plain JS.\n\n")
		w("%s\n", r.browserTable())
		w("- Fresh: the first load in a new browser context (empty caches); warm: the same page loaded again (HTTP cache, compiled wasm, go-app's service worker).\n")
		w("- Echo: one ~100-byte message at a time on an echo channel, timed in the page from publish to the subscriber's callback.\n")
		if cpuMeasured() {
			w("- Echo CPU: the CPU time that the counted echo rounds took, a round trip, read from Linux's per-thread schedstat before and after each round (bench/cpu_test.go): the page's renderer main thread, and every thread of Chromium's processes and of the test process, which runs the server. The echoes keep the cores busy, so a page's CPU anywhere lengthens its round trips; it moves less with the machine's other work than the times do.\n")
		}
		w("- Burst: in each round the server publishes a round's share of %s messages on one channel at once (Server.PublishAll: the subscriber's writer gets them all queued, SendBuffer raised to hold them, and sends them in frames of up to 32 KiB); each is decoded and given to a subscriber callback; the rate is the messages over the time from the first receive to the last, summed over the rounds. The main-thread task time a message is the page's TaskDuration (CDP Performance.getMetrics) from the publish to the last message, over the rounds: a burst keeps the main thread busy its whole window, so the rate follows it; it is wall time in tasks, and grows when the machine's other work takes the core.\n", groupDigits(float64(r.cfg.burstM)))
		w("- Live: a feed of %d rows gets %s upserts a second for %v (Server.NewFeed). Plain JS applies deltas and draws the changed rows once per animation frame; realtime.js draws the items of the state its live() hands over that are not the objects it drew last (an unchanged item keeps its object); go-app renders LiveTable, which writes the cells whose text changed. Busy is the renderer's main-thread task time over the window (CDP Performance.getMetrics); caught up is from the feed's end to the page having drawn its last delta.\n", r.cfg.liveRows, groupDigits(float64(r.cfg.liveRate)), r.cfg.liveFor)
		w("%s", r.byRound())
		w("%s", r.warmUp())
		w("- The server runs with RateLimit off (echo sends thousands of requests a second) and LiveInterval of an hour (no demo feed ticks).\n\n")
		w("### An echo in the page\n\n%s\n", r.stagesTable())
		w("Each client again, in a tab of its own whose document first wraps `WebSocket.prototype.send` and the sockets' message listeners with marks of `performance.now()` (bench/stages_test.go): %d warm-up rounds, then %s round trips in %d rounds, the clients in turn. In brackets, the difference from plain JS in µs. The marks cost each client the same few tenths of a microsecond, and these tabs' round trips are not the table's above.\n\n", r.cfg.warmUp, groupDigits(float64(r.cfg.echoN)), r.cfg.rounds)
	}

	w("## Sizes\n\n%s\n", r.sizeTable())
	if len(r.sizes) > 0 {
		var exact []string
		for _, s := range r.sizes {
			exact = append(exact, s.name+" "+groupDigits(s.brotli))
		}
		w("MB is 2^20 bytes, as precompress prints it. Brotli in bytes: %s.\n\n", strings.Join(exact, ", "))
	}
	if r.sizeQuality != 11 {
		w("Brotli at quality %d for a quick smoke, not the 11 that `make build` serves.\n\n", r.sizeQuality)
	}

	w("## Server (native, loopback)\n\n%s\n", r.serverTable())
	w("- Fan-out: one publisher, %s subscribers (coder/websocket clients in the same process, reading and decoding every message). The rate: %s messages, at most %d under way (a message is done once every subscriber has it). The latency, from publish to the subscriber's decode: %d messages before those, each published once the one before reached everyone. The hub is Server.Publish with default options; the bare loop is a coder/websocket server whose connections each write the same envelopes, one per frame, from a channel of %d.\n",
		groupDigits(float64(r.cfg.hubSubs)), groupDigits(float64(r.cfg.hubMsgs)), r.cfg.hubWindow, r.cfg.hubLatency, server.DefaultSendBuffer)
	w("- Idle: %s connections made by a child process to a server with default options; the server process's Go heap (after GC) and goroutine stacks, and its resident memory, before and after.\n", groupDigits(float64(r.idle.conns)))
	return b.String()
}

func (r *report) browserTable() string {
	t := table{header: []string{"figure"}}
	for _, c := range r.clients {
		t.header = append(t.header, c.name)
	}
	t.header = append(t.header, "target")
	for _, row := range browserRows(r.cfg) {
		cells := []string{row.name}
		base := row.value(r.clients[0])
		for i, c := range r.clients {
			v := row.value(c)
			cell := row.format(v)
			if math.IsNaN(v) {
				cell = "-"
			} else if i > 0 {
				cell += fmt.Sprintf(" (%s)", ratio(v, base))
				if row.target != nil && !math.IsNaN(base) && base != 0 {
					cell += " " + mark(row.target.met(v/base))
				}
			}
			cells = append(cells, cell)
		}
		target := ""
		if row.target != nil {
			target = row.target.String() + " plain JS"
		}
		t.rows = append(t.rows, append(cells, target))
	}
	return t.markdown()
}

// byRound prints, for echo p50 and burst, each client's ratios to plain
// JS within a round: how far the machine's noise moves them.
func (r *report) byRound() string {
	if len(r.clients) < 2 {
		return ""
	}
	return "- By round: each round's figure against plain JS's in the same round, the median ratio and the lowest to the highest (the pooled figures in the table are what the targets judge):" +
		r.ratiosByRound(func(c clientFigures) []float64 { return c.echoRounds }, func(c clientFigures) []float64 { return c.burstRounds })
}

// warmUp prints the ratios of the warm-up rounds, which the table leaves
// out.
func (r *report) warmUp() string {
	if r.cfg.warmUp == 0 || len(r.clients) < 2 {
		return ""
	}
	return fmt.Sprintf("- Warm-up: echo and burst first ran %d round(s) each, as long as a burst's, not counted in the figures the targets judge (the table shows their echo p50 apart). V8 runs wasm as its baseline compiler (Liftoff) writes it until a function has run a while, and only then compiles it with its optimizing one (TurboFan), in the background on the same two cores: in a trace of go-app's page (bench/FINDINGS.md), 227 ms of such compiling in its first 1,000 echoes, 16-27 ms in each of the next three thousand, and under 10 ms in most thousands after the tenth. Under node, Go's part of an echo (`BenchmarkEchoTurn` in wasm/ws) averaged 16-36 µs over its first 3,000 runs, 6.5-12.5 µs over 20,000, and 5-8 µs over 3,000 with TurboFan from the start. JavaScript's compilers catch up sooner. The warm-up rounds against plain JS in the same round, as above:", r.cfg.warmUp) +
		r.ratiosByRound(func(c clientFigures) []float64 { return c.warmEcho }, func(c clientFigures) []float64 { return c.warmBurst })
}

// ratiosByRound prints each client's median, lowest and highest ratio to
// plain JS of the rounds of echo p50 and of burst.
func (r *report) ratiosByRound(echo, burst func(clientFigures) []float64) string {
	var b strings.Builder
	for _, f := range []struct {
		name   string
		rounds func(clientFigures) []float64
	}{{"echo p50", echo}, {"burst", burst}} {
		fmt.Fprintf(&b, " %s", f.name)
		base := f.rounds(r.clients[0])
		for i, c := range r.clients[1:] {
			ratios := roundRatios(f.rounds(c), base)
			sep := ","
			if i == len(r.clients)-2 {
				sep = ";"
			}
			if len(ratios) == 0 {
				fmt.Fprintf(&b, " %s -%s", c.name, sep)
				continue
			}
			fmt.Fprintf(&b, " %s %.2fx (%.2f-%.2fx)%s", c.name, percentile(ratios, 50), ratios[0], ratios[len(ratios)-1], sep)
		}
	}
	return strings.TrimSuffix(b.String(), ";") + ".\n"
}

// roundRatios returns the ratios v[i]/base[i] of the rounds both have,
// sorted.
func roundRatios(v, base []float64) []float64 {
	var out []float64
	for i := range min(len(v), len(base)) {
		if base[i] > 0 && !math.IsNaN(v[i]) {
			out = append(out, v[i]/base[i])
		}
	}
	slices.Sort(out)
	return out
}

func (r *report) sizeTable() string {
	t := table{header: []string{"file", "raw", "gzip", "brotli", "target (brotli)"}}
	for _, s := range r.sizes {
		t.rows = append(t.rows, []string{s.name, megabytes(s.raw), megabytes(s.gzip), megabytes(s.brotli),
			s.targetText + " " + mark(s.brotli <= s.target)})
	}
	return t.markdown()
}

func (r *report) serverTable() string {
	t := table{header: []string{"figure", "bare loop", "hub", "target"}}
	hubRow := func(name string, bare, hub float64, format func(float64) string, target *ratioTarget) {
		cell := format(hub) + fmt.Sprintf(" (%s)", ratio(hub, bare))
		text := ""
		if target != nil {
			cell += " " + mark(target.met(hub/bare))
			text = target.String() + " bare loop"
		}
		t.rows = append(t.rows, []string{name, format(bare), cell, text})
	}
	hubRow(fmt.Sprintf("fan-out deliveries, %d messages under way", r.cfg.hubWindow), r.bare.rate, r.hub.rate, func(v float64) string { return groupDigits(v) + "/s" }, &ratioTarget{ratio: 0.8})
	hubRow("publish to receive p50, one message at a time", r.bare.p50, r.hub.p50, millis, nil)
	hubRow("publish to receive p99, one message at a time", r.bare.p99, r.hub.p99, millis, nil)
	hubRow("frames read by each subscriber", r.bare.frames, r.hub.frames, groupDigits, nil)
	idle := func(name string, v float64, target string) {
		t.rows = append(t.rows, []string{name, "", v2s(v), target})
	}
	const maxIdle = 24 << 10
	idle("idle connection: Go heap + stacks", r.idle.heap, "≤ 24 KB "+mark(r.idle.heap <= maxIdle))
	idle("idle connection: of which goroutine stacks", r.idle.stacks, "")
	idle("idle connection: resident memory", r.idle.rss, "")
	t.rows = append(t.rows, []string{"idle connection: goroutines", "", fmt.Sprintf("%.1f", r.idle.goroutines), ""})
	return t.markdown()
}

// v2s prints bytes per connection.
func v2s(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.1f KB", v/1024)
}

// missing lists the figures that were not produced.
func (r *report) missing() []string {
	var out []string
	check := func(name string, v float64) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			out = append(out, name)
		}
	}
	if r.chromium != "" {
		for _, row := range browserRows(r.cfg) {
			for _, c := range r.clients {
				check(c.name+": "+row.name, row.value(c))
			}
		}
		if len(r.clients) != 3 {
			out = append(out, fmt.Sprintf("%d browser clients, want 3", len(r.clients)))
		}
		for _, s := range r.sizes {
			check(s.name+" sizes", s.raw+s.gzip+s.brotli)
		}
		for _, c := range r.clients {
			st := c.stages
			check(c.name+": echo stages", st.rtt+st.hand+st.send+st.network+st.event)
		}
	}
	for _, f := range []struct {
		name string
		res  fanoutResult
	}{{"hub", r.hub}, {"bare loop", r.bare}} {
		check(f.name+" deliveries", f.res.rate)
		check(f.name+" p50", f.res.p50)
		check(f.name+" p99", f.res.p99)
	}
	check("idle heap", r.idle.heap)
	check("idle stacks", r.idle.stacks)
	check("idle resident memory", r.idle.rss)
	return out
}

// table is a Markdown table, padded so that it reads as text too.
type table struct {
	header []string
	rows   [][]string
}

func (t table) markdown() string {
	width := make([]int, len(t.header))
	for _, row := range append([][]string{t.header}, t.rows...) {
		for i, c := range row {
			width[i] = max(width[i], len([]rune(c)))
		}
	}
	var b strings.Builder
	line := func(cells []string) {
		b.WriteString("|")
		for i, c := range cells {
			pad := strings.Repeat(" ", width[i]-len([]rune(c)))
			if i == 0 {
				b.WriteString(" " + c + pad + " |")
			} else {
				b.WriteString(" " + pad + c + " |")
			}
		}
		b.WriteString("\n")
	}
	line(t.header)
	b.WriteString("|")
	for i, w := range width {
		if i == 0 {
			b.WriteString(" " + strings.Repeat("-", w) + " |")
		} else {
			b.WriteString(" " + strings.Repeat("-", w-1) + ": |")
		}
	}
	b.WriteString("\n")
	for _, r := range t.rows {
		line(r)
	}
	return b.String()
}

func mark(ok bool) string {
	if ok {
		return "PASS"
	}
	return "MISS"
}

func ratio(v, base float64) string {
	if math.IsNaN(v) || math.IsNaN(base) || base == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fx", v/base)
}

// millis prints a duration given in milliseconds.
func millis(ms float64) string {
	switch {
	case math.IsNaN(ms):
		return "-"
	case ms < 1:
		return fmt.Sprintf("%.0f µs", ms*1000)
	case ms < 10:
		return fmt.Sprintf("%.2f ms", ms)
	case ms < 1000:
		return fmt.Sprintf("%.0f ms", ms)
	}
	return fmt.Sprintf("%.2f s", ms/1000)
}

// megabytes prints bytes as precompress does: MB of 2^20 bytes.
func megabytes(n float64) string {
	if math.IsNaN(n) {
		return "-"
	}
	return fmt.Sprintf("%.2f MB", n/(1<<20))
}

// groupDigits prints a number rounded, with thousands separators.
func groupDigits(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	s := fmt.Sprintf("%.0f", math.Abs(v))
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if v < 0 {
		return "-" + b.String()
	}
	return b.String()
}

// machine describes the computer: CPU, cores, memory, Go.
func machine() string {
	cpu := runtime.GOARCH
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb float64
		if _, err := fmt.Sscanf(string(b), "MemTotal: %f kB", &kb); err == nil {
			mem = fmt.Sprintf(", %.0f GB RAM", kb/(1<<20))
		}
	}
	return fmt.Sprintf("%s, %d cores%s, %s %s/%s", cpu, runtime.NumCPU(), mem, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// revision names the commit measured, and says whether the tree had
// changes beside it, leaving out the report itself (a run before wrote it).
func revision() string {
	out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "an unknown revision"
	}
	rev := "commit " + strings.TrimSpace(string(out))
	status := exec.Command("git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":(top,exclude)bench/REPORT.md")
	status.Dir = ".."
	if out, err := status.Output(); err == nil && len(out) > 0 {
		rev += " with uncommitted changes"
	}
	return rev
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
