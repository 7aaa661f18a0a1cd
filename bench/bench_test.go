package bench

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// config is how much work each row does.
type config struct {
	mode string

	echoN  int // round trips
	burstM int // messages
	rounds int // burst runs in rounds, the clients in turn
	// echoRounds: echo's rounds, shorter than a burst's (a busy spell of
	// the machine then falls on every client more evenly).
	echoRounds int
	// warmUp rounds of each run first, not counted: V8 runs wasm in its
	// baseline compiler until a function has run a while, and compiles
	// the functions that have in the background, on the same cores. The
	// table shows the warm-up's echo apart.
	warmUp int

	liveRows int           // rows of the live feed
	liveRate int           // deltas a second
	liveFor  time.Duration // how long the feed runs

	hubSubs    int // subscribers
	hubMsgs    int // messages published for the rate
	hubWindow  int // messages under way at most, for the rate
	hubLatency int // messages published one at a time, for the latency

	idleConns int

	brotli int // quality of the compressed copies
}

var (
	// smoke runs in `go test ./...`: every row, in seconds.
	smoke = config{
		mode:  "smoke",
		echoN: 50, burstM: 500, rounds: 2, echoRounds: 2, warmUp: 1,
		liveRows: 20, liveRate: 200, liveFor: time.Second,
		hubSubs: 20, hubMsgs: 50, hubWindow: 8, hubLatency: 10,
		idleConns: 200,
		brotli:    5,
	}
	// full is `make bench`: the counts of issue 7, after ten warm-up
	// rounds (10,000 echoes), by which V8 has compiled nearly all of
	// app.wasm's functions that an echo runs (bench/FINDINGS.md, "How
	// long V8 compiles").
	full = config{
		mode:  "full",
		echoN: 10_000, burstM: 100_000, rounds: 10, echoRounds: 50, warmUp: 10,
		liveRows: 100, liveRate: 5_000, liveFor: 10 * time.Second,
		hubSubs: 1_000, hubMsgs: 1_000, hubWindow: 32, hubLatency: 200,
		idleConns: 10_000,
		brotli:    11, // as `make build` serves them
	}
)

// Environment of the suite.
const (
	modeEnv   = "BENCH"        // "full", or smoke
	reportEnv = "BENCH_REPORT" // where to write the report; default nowhere
	// Counts of the mode to override, for a quicker look at the browser
	// rows: BENCH_ECHO=2000 BENCH_BURST=20000 BENCH_ROUNDS=10 go test -run 'TestBench/browser' ./bench
	echoEnv       = "BENCH_ECHO"
	burstEnv      = "BENCH_BURST"
	roundsEnv     = "BENCH_ROUNDS" // echo's and burst's
	echoRoundsEnv = "BENCH_ECHO_ROUNDS"
	warmUpEnv     = "BENCH_WARMUP" // rounds, 0 for none
	// profileEnv names a directory for a CPU profile of each client's
	// echo, burst and live feed (DevTools' .cpuprofile, for a look at
	// where the time goes; summarised by `node
	// bench/testdata/profile-summary.js FILE`).
	profileEnv = "BENCH_PROFILE"
)

func TestMain(m *testing.M) {
	if url := os.Getenv(idleURLEnv); url != "" {
		if err := holdIdle(url); err != nil {
			fmt.Fprintln(os.Stderr, "idle clients:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestBench runs every row and prints the report. It checks only that
// every figure was produced.
func TestBench(t *testing.T) {
	cfg := smoke
	switch os.Getenv(modeEnv) {
	case "", "smoke":
	case "full":
		cfg = full
	default:
		t.Fatalf("%s=%q: want full or smoke", modeEnv, os.Getenv(modeEnv))
	}
	for env, n := range map[string]*int{echoEnv: &cfg.echoN, burstEnv: &cfg.burstM, roundsEnv: &cfg.rounds, echoRoundsEnv: &cfg.echoRounds, warmUpEnv: &cfg.warmUp} {
		if v := os.Getenv(env); v != "" {
			least := 2
			if env == warmUpEnv {
				least = 0
			}
			i, err := strconv.Atoi(v)
			if err != nil || i < least {
				t.Fatalf("%s=%q: want a count of at least %d", env, v, least)
			}
			*n = i
		}
	}
	if os.Getenv(roundsEnv) != "" && os.Getenv(echoRoundsEnv) == "" {
		cfg.echoRounds = cfg.rounds // BENCH_ROUNDS sets both
	}
	rep := &report{cfg: cfg, started: time.Now(), loadBefore: loadAverage()}

	t.Run("browser", func(t *testing.T) { benchBrowser(t, cfg, rep) })
	t.Run("server", func(t *testing.T) { benchServer(t, cfg, rep) })

	rep.finished = time.Now()
	rep.loadAfter = loadAverage()
	text := rep.markdown()
	fmt.Println(text)
	if path := os.Getenv(reportEnv); path != "" {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("report written to %s", path)
	}
	for _, missing := range rep.missing() {
		t.Errorf("row not produced: %s", missing)
	}
}

// loadAverage is the 1-minute load of the machine, or "" where unknown.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// percentile returns the p-th percentile (0 to 100) of sorted values.
func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}
