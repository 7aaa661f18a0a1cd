// Command realtime-load measures the realtime server under a bounded load:
// it opens -n WebSocket connections (2,000 by default), cut into groups of
// -group (100) sharing a channel, where one connection publishes a message
// every -interval (100 ms) and the others subscribe; after -duration (60 s)
// it stops publishing, waits for the last deliveries and reports the
// messages published, acked and delivered, the errors, the p50 and p99
// publish-to-receive latency and the server's memory, in all and per
// connection. It exits 1 when a message was lost or anything failed.
//
// Usage:
//
//	realtime-load [-n 2000] [-duration 60s] [-group 100] [-interval 100ms]
//	realtime-load -addr 127.0.0.1:8080 [-pid 1234] [-token dev] ...
//
// Without -addr it starts a server with the default options in a process
// of its own (this program again, see serve.go), so that the memory
// reported is the server's alone; with -addr it loads a running server,
// whose resident memory it reads from /proc when given its -pid. Only
// loopback addresses are accepted: this is a test of one's own server.
//
// Each connection is a file descriptor in the client and another in the
// server: see raiseFileLimit.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	if os.Getenv(serveEnv) == "1" {
		if err := serve(); err != nil {
			fmt.Fprintln(os.Stderr, "realtime-load server:", err)
			os.Exit(1)
		}
		return
	}
	cfg := parseFlags()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	r, err := start(ctx, cfg, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "realtime-load:", err)
		os.Exit(1)
	}
	if r.Lost() > 0 || r.Errors() > 0 {
		os.Exit(1)
	}
}

func parseFlags() config {
	var c config
	flag.StringVar(&c.addr, "addr", "", "ip:port of a running server on loopback; empty starts one")
	flag.IntVar(&c.pid, "pid", 0, "process id of the server at -addr, to read its memory")
	flag.StringVar(&c.token, "token", os.Getenv("REALTIME_TOKEN"), "token the server at -addr asks for (default $REALTIME_TOKEN)")
	flag.IntVar(&c.conns, "n", 2000, fmt.Sprintf("connections (at most %d)", maxConns))
	flag.DurationVar(&c.duration, "duration", 60*time.Second, fmt.Sprintf("time spent publishing (at most %v)", maxDuration))
	flag.IntVar(&c.group, "group", 100, "connections per channel; one of them publishes")
	flag.DurationVar(&c.interval, "interval", 100*time.Millisecond, "time between two messages of a publisher")
	flag.IntVar(&c.dialers, "dialers", 50, "connections dialed at once")
	flag.Parse()
	return c
}

// start checks cfg, starts the server unless cfg names one, runs the load
// and prints the report to out.
func start(ctx context.Context, cfg config, out io.Writer) (report, error) {
	if err := cfg.validate(); err != nil {
		return report{}, err
	}
	// This process holds one descriptor a connection, and so does an
	// in-process server's: the server here is a process of its own, which
	// raises its own limit the same way when Go starts it.
	if _, err := raiseFileLimit(uint64(cfg.conns) + 256); err != nil {
		return report{}, err
	}
	var probe memProbe
	where := "a running server"
	switch {
	case cfg.addr == "":
		c, err := startChild()
		if err != nil {
			return report{}, err
		}
		defer func() {
			if err := c.stop(); err != nil {
				fmt.Fprintln(os.Stderr, "realtime-load: the server:", err)
			}
		}()
		cfg.addr, probe, where = c.addr, c, "a server started for the run"
	case cfg.pid > 0:
		probe = pidProbe(cfg.pid)
	}
	// The run ends by itself: publishing stops after the duration, and
	// dialing, draining and closing are bounded too.
	ctx, cancel := context.WithTimeout(ctx, cfg.duration+2*time.Minute)
	defer cancel()
	fmt.Fprintf(out, "realtime-load: %d connections to %s (%s) for %v, groups of %d, a message every %v\n",
		cfg.conns, cfg.addr, where, cfg.duration, cfg.group, cfg.interval)
	r, err := run(ctx, cfg, probe)
	r.print(out)
	if err != nil {
		return r, fmt.Errorf("the run was cut short: %w", err)
	}
	return r, nil
}

// memProbe reads the server's memory.
type memProbe interface {
	mem(gc bool) (memStats, error)
}

// pidProbe reads the resident memory of a server process; its heap is
// not known from outside.
type pidProbe int

func (p pidProbe) mem(bool) (memStats, error) {
	if n := rss(int(p)); n > 0 {
		return memStats{RSS: n}, nil
	}
	return memStats{}, errors.New("no resident size in /proc")
}

func (r report) print(w io.Writer) {
	secs := r.Duration.Seconds()
	if secs == 0 {
		secs = 1
	}
	fmt.Fprintf(w, "connections   %d: %d publishers, %d subscribers, %d channels\n", r.Conns, r.Publishers, r.Subscribers, r.Groups)
	fmt.Fprintf(w, "published     %d in %v (acked %d, refused %d)\n", r.Published, r.Duration.Round(time.Millisecond), r.Acked, r.Refused)
	fmt.Fprintf(w, "delivered     %d of %d expected, %.0f a second (lost %d, out of order %d)\n", r.Delivered, r.Expected, float64(r.Delivered)/secs, r.Lost(), r.OutOfOrder)
	fmt.Fprintf(w, "errors        %d (dial %d, subscribe %d, refused publishes %d, other error envelopes %d, closed early %d, write %d, out of order %d)\n",
		r.Errors(), r.DialErrors, r.SubscribeErrors, r.Refused, r.ErrorEnvelopes, r.ClosedEarly, r.WriteErrors, r.OutOfOrder)
	fmt.Fprintf(w, "latency       p50 %v, p99 %v, max %v (publish to receive, within 6%%)\n", round(r.P50), round(r.P99), round(r.Max))
	if !r.MemKnown {
		fmt.Fprintln(w, "server memory unknown (give -pid with -addr for its resident size)")
		return
	}
	fmt.Fprintf(w, "server memory before: %s; connected: %s; peak while publishing: %s; after: %s\n",
		r.Baseline, r.Connected, r.Peak, r.Last)
	n := uint64(max(r.Conns, 1))
	heap := "unknown"
	if r.Connected.HeapAlloc > 0 {
		heap = kib(sub(r.Connected.HeapAlloc, r.Baseline.HeapAlloc) / n)
	}
	fmt.Fprintf(w, "per connection heap %s, resident %s (connected minus before, over %d)\n",
		heap, kib(sub(r.Connected.RSS, r.Baseline.RSS)/n), r.Conns)
}

func (m memStats) String() string {
	if m.HeapAlloc == 0 && m.HeapInuse == 0 {
		return "resident " + mib(m.RSS)
	}
	s := fmt.Sprintf("heap %s live (%s in use), resident %s", mib(m.HeapAlloc), mib(m.HeapInuse), mib(m.RSS))
	if m.Goroutines > 0 {
		s += fmt.Sprintf(", %d goroutines", m.Goroutines)
	}
	return s
}

func sub(a, b uint64) uint64 {
	if a < b {
		return 0
	}
	return a - b
}

func mib(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
func kib(b uint64) string { return fmt.Sprintf("%.1f KiB", float64(b)/(1<<10)) }

func round(d time.Duration) time.Duration {
	if d < time.Millisecond {
		return d.Round(time.Microsecond)
	}
	return d.Round(100 * time.Microsecond)
}
