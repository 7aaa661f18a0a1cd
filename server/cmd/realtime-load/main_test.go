package main

import (
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/matih-ai/realtime/server"
)

// TestMain lets the test binary serve as the server of a run, as the
// command does (see serve.go).
func TestMain(m *testing.M) {
	if os.Getenv(serveEnv) == "1" {
		if err := serve(); err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestSmallLoadDeliversEverything is the run CI makes: 100 connections in
// 4 channels for 2 s against a server process started for it. Every
// message acked to its publisher reaches every subscriber of its channel
// once and in order, nothing fails, and the server's memory is reported.
func TestSmallLoadDeliversEverything(t *testing.T) {
	var out strings.Builder
	r, err := start(context.Background(), config{conns: 100, duration: 2 * time.Second, group: 25, interval: 100 * time.Millisecond, dialers: 10}, &out)
	t.Log("\n" + out.String())
	if err != nil {
		t.Fatal(err)
	}
	checkClean(t, r, 4)
	if !r.MemKnown || r.Connected.HeapAlloc == 0 || r.Connected.RSS == 0 {
		t.Fatalf("server memory not measured: %+v", r.Connected)
	}
}

// TestLoadOfARunningServer loads a server it did not start, given by -addr.
func TestLoadOfARunningServer(t *testing.T) {
	srv := server.New(server.Options{})
	hs := httptest.NewServer(srv)
	defer hs.Close()
	defer srv.Shutdown(context.Background())
	var out strings.Builder
	r, err := start(context.Background(), config{addr: hs.Listener.Addr().String(), conns: 20, duration: time.Second, group: 10, interval: 50 * time.Millisecond, dialers: 5}, &out)
	t.Log("\n" + out.String())
	if err != nil {
		t.Fatal(err)
	}
	checkClean(t, r, 2)
	if r.MemKnown {
		t.Fatal("memory reported without a -pid")
	}
}

func checkClean(t *testing.T, r report, channels int) {
	t.Helper()
	if r.Groups != channels || r.Publishers != channels {
		t.Fatalf("%d channels and %d publishers, want %d", r.Groups, r.Publishers, channels)
	}
	if r.Published == 0 || r.Acked != r.Published || r.Expected == 0 || r.Delivered != r.Expected {
		t.Fatalf("published %d, acked %d, delivered %d of %d", r.Published, r.Acked, r.Delivered, r.Expected)
	}
	if r.Errors() != 0 || r.Lost() != 0 {
		t.Fatalf("%d errors, %d lost", r.Errors(), r.Lost())
	}
	if r.P50 <= 0 || r.P99 < r.P50 {
		t.Fatalf("latency p50 %v, p99 %v", r.P50, r.P99)
	}
}

// TestOnlyLoopback refuses every target that is not this machine, before
// dialing anything.
func TestOnlyLoopback(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{"127.0.0.1:8080", "127.9.8.7:1", "[::1]:8080", "[::ffff:127.0.0.1]:80"} {
		if err := checkLoopback(addr); err != nil {
			t.Errorf("%s refused: %v", addr, err)
		}
	}
	for _, addr := range []string{"10.0.0.1:80", "0.0.0.0:80", "[::]:80", "192.168.1.2:8080", "localhost:8080", "example.com:80", "[fe80::1]:80"} {
		if err := checkLoopback(addr); !errors.Is(err, errNotLoopback) {
			t.Errorf("%s: %v, want refused", addr, err)
		}
	}
	if _, err := start(context.Background(), config{addr: "10.1.2.3:80", conns: 10, duration: time.Second, group: 5, interval: time.Second, dialers: 1}, &strings.Builder{}); !errors.Is(err, errNotLoopback) {
		t.Fatalf("a run against 10.1.2.3: %v, want refused", err)
	}
}

// TestPercentiles checks the histogram against known latencies.
func TestPercentiles(t *testing.T) {
	t.Parallel()
	var h histogram
	for i := 1; i <= 1000; i++ {
		h.record(time.Duration(i) * 100 * time.Microsecond) // 0.1 ms to 100 ms
	}
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 50 * time.Millisecond}, {0.99, 99 * time.Millisecond}, {0.001, 100 * time.Microsecond}} {
		got := h.percentile(tc.q)
		if got < tc.want || float64(got) > float64(tc.want)*1.07 {
			t.Errorf("p%v = %v, want %v to 6%% above", tc.q*100, got, tc.want)
		}
	}
	if h.max.Load() != int64(100*time.Millisecond) {
		t.Errorf("max %v", time.Duration(h.max.Load()))
	}
}
