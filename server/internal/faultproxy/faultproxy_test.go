package faultproxy

import (
	"io"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"
)

// echoServer answers every connection with what it reads, until the test
// ends.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				io.Copy(c, c)
			})
		}
	})
	return ln.Addr().String()
}

func newProxy(t *testing.T, target string) *Proxy {
	t.Helper()
	p, err := New(target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func dial(t *testing.T, p *Proxy) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(5 * time.Second))
	return c
}

func roundTrip(t *testing.T, c net.Conn, msg string) {
	t.Helper()
	if _, err := c.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil || string(got) != msg {
		t.Fatalf("echo %q, %v; want %q", got, err, msg)
	}
}

// ended reads until the connection ends and returns what came first.
func ended(t *testing.T, c net.Conn) []byte {
	t.Helper()
	b, err := io.ReadAll(c)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("the connection did not end")
	}
	return b
}

func TestDropEndsEveryConnectionAndNewOnesWork(t *testing.T) {
	t.Parallel()
	p := newProxy(t, echoServer(t))
	a, b := dial(t, p), dial(t, p)
	roundTrip(t, a, "hello")
	roundTrip(t, b, "hello")
	if n := p.Drop(1); n != 2 {
		t.Fatalf("dropped %d, want 2", n)
	}
	ended(t, a)
	ended(t, b)
	roundTrip(t, dial(t, p), "again")
	if s := p.Stats(); s.Accepted != 3 || s.Dropped != 2 || s.Bytes != 3*2*5 {
		t.Fatalf("stats %+v", s)
	}
	p.Drop(1)

	// A share drops that many, picked at random, at least one.
	for range 4 {
		roundTrip(t, dial(t, p), "four")
	}
	if n := p.Drop(0.5); n != 2 {
		t.Fatalf("dropped %d of 4 for a half", n)
	}
	if n := p.Drop(0.01); n != 1 {
		t.Fatalf("dropped %d of 2 for a bit", n)
	}
	if n := p.CutAfter(0, 1); n != 1 {
		t.Fatalf("armed %d, want the one left", n)
	}
}

func TestCutAfterEndsInTheMiddleOfAChunk(t *testing.T) {
	t.Parallel()
	// The target answers every read twice over, so more comes back than
	// goes out.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	defer ln.Close()
	wg.Go(func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		buf := make([]byte, 64)
		for {
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			c.Write(append(buf[:n:n], buf[:n]...))
		}
	})
	p := newProxy(t, ln.Addr().String())
	c := dial(t, p)
	c.Write([]byte("x"))
	if got := make([]byte, 2); func() error { _, err := io.ReadFull(c, got); return err }() != nil || string(got) != "xx" {
		t.Fatalf("before the cut: %q", got)
	}
	p.CutAfter(3, 1)
	c.Write([]byte("ab")) // goes whole; "abab" comes back cut after 3
	if got := ended(t, c); string(got) != "aba" {
		t.Fatalf("after the cut the client got %q, want the first 3 bytes", got)
	}
	if s := p.Stats(); s.Cut != 1 {
		t.Fatalf("stats %+v", s)
	}
}

func TestStallHoldsTrafficThenLetsItFlow(t *testing.T) {
	t.Parallel()
	p := newProxy(t, echoServer(t))
	c := dial(t, p)
	roundTrip(t, c, "before")
	start := time.Now()
	p.Stall(150 * time.Millisecond)
	roundTrip(t, c, "during")
	if took := time.Since(start); took < 140*time.Millisecond {
		t.Fatalf("the echo came after %v, during a stall of 150ms", took)
	}
	p.SetDelay(50 * time.Millisecond)
	start = time.Now()
	roundTrip(t, c, "slow")
	if took := time.Since(start); took < 100*time.Millisecond {
		t.Fatalf("the echo came after %v, with 50ms each way", took)
	}
}

func TestRefuseClosesNewConnectionsAndCloseWaitsForEverything(t *testing.T) {
	t.Parallel()
	target := echoServer(t)
	before := runtime.NumGoroutine()
	p, err := New(target)
	if err != nil {
		t.Fatal(err)
	}
	open := dial(t, p)
	roundTrip(t, open, "up")
	p.Refuse(true)
	ended(t, dial(t, p))
	p.Refuse(false)
	roundTrip(t, dial(t, p), "back")
	p.Stall(time.Hour)
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	ended(t, open)
	if s := p.Stats(); s.Refused != 1 {
		t.Fatalf("stats %+v", s)
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before+1 { // the echo server's handler of open may still be ending
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines after Close, %d before", runtime.NumGoroutine(), before)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestTargetDownIsRefused(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	p := newProxy(t, addr)
	ended(t, dial(t, p))
	if s := p.Stats(); s.Refused != 1 {
		t.Fatalf("stats %+v", s)
	}
}
