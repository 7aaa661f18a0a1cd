package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/matih-ai/realtime/server"
	"github.com/matih-ai/realtime/wasm/protocol"
)

func benchServer(t *testing.T, cfg config, rep *report) {
	t.Run("fanout", func(t *testing.T) {
		rep.bare = benchBare(t, cfg)
		rep.hub = benchHub(t, cfg)
		t.Logf("bare loop %+v", rep.bare)
		t.Logf("hub %+v", rep.hub)
	})
	t.Run("idle", func(t *testing.T) {
		rep.idle = benchIdle(t, cfg.idleConns)
		t.Logf("idle %+v", rep.idle)
	})
}

// fanoutChannel is the channel of the fan-out rows.
const fanoutChannel = "bench:fanout"

// fanoutResult are the figures of one fan-out run.
type fanoutResult struct {
	rate     float64 // deliveries a second
	p50, p99 float64 // ms from publish to receive
	frames   float64 // frames each subscriber read, on average, in all
}

// serve serves h on 127.0.0.1 until the test ends and returns its ws:// URL.
func serve(t *testing.T, h http.Handler, shutdown func(context.Context)) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: h}
	go hs.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		hs.Shutdown(ctx)
		if shutdown != nil {
			shutdown(ctx)
		}
	})
	return "ws://" + ln.Addr().String() + "/ws"
}

func benchHub(t *testing.T, cfg config) fanoutResult {
	srv := server.New(server.Options{})
	url := serve(t, srv, func(ctx context.Context) { srv.Shutdown(ctx) })
	return runFanout(t, cfg, fanout{
		url:       url,
		subscribe: true,
		ready:     func(n int) bool { return srv.Subscribers(fanoutChannel) == n },
		publish:   func(data []byte) error { return srv.Publish(fanoutChannel, json.RawMessage(data)) },
	})
}

func benchBare(t *testing.T, cfg config) fanoutResult {
	bare := &bareLoop{}
	url := serve(t, bare, nil)
	var seq uint64
	return runFanout(t, cfg, fanout{
		url:   url,
		ready: func(n int) bool { return bare.count() == n },
		publish: func(data []byte) error {
			seq++
			frame, err := protocol.Encode(protocol.Envelope{
				Type: protocol.TypeMessage, Channel: fanoutChannel, Data: data,
				ID: strconv.FormatUint(seq, 10), Timestamp: time.Now().UnixMilli(),
			})
			if err != nil {
				return err
			}
			bare.broadcast(frame)
			return nil
		},
	})
}

// bareLoop is the least a coder/websocket server does to fan messages
// out: each connection writes what its channel gets, one frame each.
type bareLoop struct {
	mu    sync.Mutex
	conns []chan []byte
}

func (b *bareLoop) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	conn, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer conn.CloseNow()
	send := make(chan []byte, server.DefaultSendBuffer)
	b.mu.Lock()
	b.conns = append(b.conns, send)
	b.mu.Unlock()
	ctx := conn.CloseRead(r.Context())
	for {
		select {
		case frame := <-send:
			if err := conn.Write(ctx, websocket.MessageText, frame); err != nil {
				return
			}
		case <-ctx.Done():
			return
		}
	}
}

func (b *bareLoop) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.conns)
}

func (b *bareLoop) broadcast(frame []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, send := range b.conns {
		send <- frame // the window keeps it under the buffer
	}
}

// fanout is a server under a fan-out run.
type fanout struct {
	url       string
	subscribe bool // clients subscribe to fanoutChannel
	ready     func(subscribers int) bool
	publish   func(data []byte) error // to every subscriber
}

// runFanout dials cfg.hubSubs subscribers; it publishes cfg.hubLatency
// messages one at a time, each once every subscriber has the one before,
// for the latency, then cfg.hubMsgs with at most cfg.hubWindow under way,
// for the rate.
func runFanout(t *testing.T, cfg config, f fanout) fanoutResult {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	n, total := cfg.hubSubs, cfg.hubLatency+cfg.hubMsgs
	conns, err := dialAll(ctx, f.url, n)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, c := range conns {
			c.CloseNow()
		}
	}()
	if f.subscribe {
		sub := []byte(`{"type":"subscribe","channel":"` + fanoutChannel + `"}`)
		for _, c := range conns {
			if err := c.Write(ctx, websocket.MessageText, sub); err != nil {
				t.Fatal(err)
			}
		}
	}
	for deadline := time.Now().Add(time.Minute); !f.ready(n); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d subscribers are not ready", n)
		}
	}

	received := make([]atomic.Int32, total) // subscribers that have message i
	progress := make(chan struct{}, 1)
	latency := make([][]float64, n) // ms, per subscriber, in message order
	frames := make([]int, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for s, c := range conns {
		latency[s] = make([]float64, 0, total)
		wg.Go(func() {
			for len(latency[s]) < total {
				_, frame, err := c.Read(ctx)
				if err != nil {
					errs <- fmt.Errorf("subscriber %d after %d messages: %w", s, len(latency[s]), err)
					return
				}
				frames[s]++
				envs, err := protocol.DecodeFrame(frame)
				if err != nil {
					errs <- err
					return
				}
				for _, e := range envs {
					var d struct{ I, T int64 }
					if err := json.Unmarshal(e.Data, &d); err != nil {
						errs <- err
						return
					}
					latency[s] = append(latency[s], float64(time.Now().UnixNano()-d.T)/1e6)
					if received[d.I].Add(1) == int32(n) {
						select {
						case progress <- struct{}{}:
						default:
						}
					}
				}
			}
		})
	}
	wait := func(i int) {
		for received[i].Load() < int32(n) {
			select {
			case <-progress:
			case err := <-errs:
				t.Fatal(err)
			case <-ctx.Done():
				t.Fatalf("message %d reached %d of %d subscribers: %v", i, received[i].Load(), n, ctx.Err())
			}
		}
	}
	// publish sends messages [from, to), at most window under way.
	publish := func(from, to, window int) time.Duration {
		start := time.Now()
		for i := from; i < to; i++ {
			if i-from >= window {
				wait(i - window)
			}
			if err := f.publish(fmt.Appendf(nil, `{"i":%d,"t":%d}`, i, time.Now().UnixNano())); err != nil {
				t.Fatal(err)
			}
		}
		wait(to - 1)
		return time.Since(start)
	}
	publish(0, cfg.hubLatency, 1)
	elapsed := publish(cfg.hubLatency, total, cfg.hubWindow)
	wg.Wait()

	var alone []float64
	totalFrames := 0
	for s := range n {
		alone = append(alone, latency[s][:cfg.hubLatency]...)
		totalFrames += frames[s]
	}
	slices.Sort(alone)
	return fanoutResult{
		rate:   float64(n*cfg.hubMsgs) / elapsed.Seconds(),
		p50:    percentile(alone, 50),
		p99:    percentile(alone, 99),
		frames: float64(totalFrames) / float64(n),
	}
}

// dialAll opens n connections to url, a few at a time.
func dialAll(ctx context.Context, url string, n int) ([]*websocket.Conn, error) {
	conns := make([]*websocket.Conn, n)
	next := atomic.Int64{}
	var wg sync.WaitGroup
	var failed atomic.Pointer[error]
	for range 32 {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				c, _, err := websocket.Dial(ctx, url, nil)
				if err != nil {
					err = fmt.Errorf("failed to dial connection %d: %w", i, err)
					failed.CompareAndSwap(nil, &err)
					return
				}
				conns[i] = c
			}
		})
	}
	wg.Wait()
	if err := failed.Load(); err != nil {
		for _, c := range conns {
			if c != nil {
				c.CloseNow()
			}
		}
		return nil, *err
	}
	return conns, nil
}

// idleResult is the server's memory for each idle connection.
type idleResult struct {
	conns      int
	heap       float64 // bytes of Go heap and goroutine stacks
	stacks     float64 // bytes of goroutine stacks
	rss        float64 // bytes of resident memory
	goroutines float64
}

// The child process that holds the idle connections is this test binary,
// told so by these variables.
const (
	idleURLEnv = "BENCH_IDLE_URL"
	idleNEnv   = "BENCH_IDLE_CONNS"
)

// benchIdle opens n connections to a server with default options from a
// child process, so that the clients' memory is not the server's, and
// returns the server's memory for each.
func benchIdle(t *testing.T, n int) idleResult {
	if limit, err := raiseOpenFiles(uint64(n) + 512); err != nil || limit < uint64(n)+64 {
		t.Fatalf("%d connections need more open files than %d: %v", n, limit, err)
	}
	srv := server.New(server.Options{})
	url := serve(t, srv, func(ctx context.Context) { srv.Shutdown(ctx) })
	before := memory()

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), idleURLEnv+"="+url, idleNEnv+"="+strconv.Itoa(n))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stdin.Close() // the child exits, dropping its connections
		cmd.Wait()
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "ready" {
		t.Fatalf("the client process said %q: %v", line, err)
	}
	// Every connection the child made is one the server accepted; wait
	// until the server's goroutines for them have started.
	for last, stable := -1, 0; stable < 5; time.Sleep(20 * time.Millisecond) {
		if g := runtime.NumGoroutine(); g == last {
			stable++
		} else {
			last, stable = g, 0
		}
	}
	after := memory()
	per := func(a, b float64) float64 { return (a - b) / float64(n) }
	return idleResult{
		conns:      n,
		heap:       per(after.heap, before.heap),
		stacks:     per(after.stacks, before.stacks),
		rss:        per(after.rss, before.rss),
		goroutines: per(after.goroutines, before.goroutines),
	}
}

type memSnapshot struct{ heap, stacks, rss, goroutines float64 }

// memory collects the garbage and measures the process.
func memory() memSnapshot {
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return memSnapshot{
		heap:       float64(ms.HeapAlloc + ms.StackInuse),
		stacks:     float64(ms.StackInuse),
		rss:        residentMemory(),
		goroutines: float64(runtime.NumGoroutine()),
	}
}

// residentMemory is the process's resident set, in bytes.
func residentMemory() float64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return unmeasured
	}
	var size, resident float64
	if _, err := fmt.Sscan(string(b), &size, &resident); err != nil {
		return unmeasured
	}
	return resident * float64(os.Getpagesize())
}

// raiseOpenFiles lets the process open want files, or as many as it may.
func raiseOpenFiles(want uint64) (uint64, error) {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return 0, err
	}
	if r.Cur >= want {
		return r.Cur, nil
	}
	raised := syscall.Rlimit{Cur: want, Max: max(r.Max, want)}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised); err == nil {
		return want, nil
	}
	// Only a privileged process may raise the hard limit.
	r.Cur = r.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return 0, err
	}
	return r.Cur, nil
}

// holdIdle is the child process of benchIdle: it opens the connections,
// says "ready", and holds them until its standard input closes.
func holdIdle(url string) error {
	n, err := strconv.Atoi(os.Getenv(idleNEnv))
	if err != nil {
		return fmt.Errorf("bad %s: %w", idleNEnv, err)
	}
	if _, err := raiseOpenFiles(uint64(n) + 512); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	conns, err := dialAll(ctx, url, n)
	if err != nil {
		return err
	}
	for _, c := range conns {
		c.CloseRead(ctx) // answer the server's control frames
	}
	fmt.Println("ready")
	_, err = io.Copy(io.Discard, os.Stdin)
	return err
}
