package server

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/matih-ai/realtime/wasm/presence"
	"github.com/matih-ai/realtime/wasm/protocol"
)

// maxHeapGrowth bounds what 500 clients that came and went may leave on
// the heap, once collected: a leak of a few KiB a client shows well above.
const maxHeapGrowth = 5 << 20

// TestNoGrowthAfterClientsLeave has 500 clients each connect, subscribe,
// publish, join a presence, open an SSE stream and drop it, then leave.
// Afterwards the server holds no connection, stream, presence session or
// subscriber, and the process is back to its goroutine count and, within
// maxHeapGrowth, its heap. It is not parallel: it counts goroutines.
func TestNoGrowthAfterClientsLeave(t *testing.T) {
	const (
		clients = 500
		workers = 20 // clients at a time
		rooms   = 10 // channels and presence resources they share
	)
	s, hs := newTestServer(t, Options{PresenceGrace: 20 * time.Millisecond, TickInterval: 10 * time.Millisecond})
	// The SSE requests go through a transport of their own, whose idle
	// connections (and their goroutines) are closed before counting.
	transport := &http.Transport{}
	httpClient := &http.Client{Transport: transport}

	visit := func(i int) error {
		conn, err := tryDial(hs, "", nil)
		if err != nil {
			return err
		}
		defer conn.CloseNow()
		room := fmt.Sprint(i % rooms)
		meta, _ := json.Marshal(presence.Meta{Session: fmt.Sprint("s", i), User: fmt.Sprint("u", i%50)})
		for _, req := range []protocol.Envelope{
			{Type: protocol.TypeSubscribe, Channel: "growth:" + room, Ref: "sub"},
			{Type: protocol.TypePublish, Channel: "growth:" + room, Data: json.RawMessage(`{"n":1}`), Ref: "pub"},
			{Type: presence.TypeJoin, Channel: presence.Channel("doc" + room), Data: meta, Ref: "join"},
			{Type: protocol.TypeSubscribe, Channel: presence.Channel("doc" + room), Ref: "watch"},
		} {
			if err := awaitAck(conn, req); err != nil {
				return err
			}
		}
		path := "/sse/ticker"
		if i%2 == 1 {
			path = "/sse/answer?prompt=hello"
		}
		if err := dropStream(httpClient, hs.URL+path); err != nil {
			return err
		}
		return conn.Close(websocket.StatusNormalClosure, "")
	}
	runAll := func(from, to int) {
		t.Helper()
		var wg sync.WaitGroup
		errs := make(chan error, to-from)
		next := make(chan int)
		for range workers {
			wg.Go(func() {
				for i := range next {
					if err := visit(i); err != nil {
						errs <- fmt.Errorf("client %d: %w", i, err)
					}
				}
			})
		}
		for i := from; i < to; i++ {
			next <- i
		}
		close(next)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
	}
	settle := func() {
		t.Helper()
		waitFor(t, "every client and stream to end", func() bool {
			return s.connections() == 0 && s.openStreams() == 0 && s.rooms.graceSessions() == 0
		})
		transport.CloseIdleConnections()
		hs.Client().Transport.(*http.Transport).CloseIdleConnections()
	}

	// A first round warms up what is made once (pools, the ticker's
	// window, the transports) so it does not count as growth.
	runAll(0, workers)
	settle()
	goroutines := runtime.NumGoroutine()
	before := liveHeap()

	start := time.Now()
	runAll(workers, workers+clients)
	elapsed := time.Since(start)
	settle()
	for i := range rooms {
		room := fmt.Sprint(i)
		if n := s.Subscribers("growth:"+room) + s.Subscribers(presence.Channel("doc"+room)); n != 0 {
			t.Fatalf("room %s still has %d subscribers", room, n)
		}
	}
	if err := waitGoroutines(goroutines); err != nil {
		t.Fatal(err)
	}
	after := liveHeap()
	t.Logf("%d clients in %v; goroutines back to %d; heap %.1f MiB before, %.1f MiB after",
		clients, elapsed.Round(time.Millisecond), goroutines, mib(before), mib(after))
	if after > before+maxHeapGrowth {
		t.Fatalf("heap grew from %.1f MiB to %.1f MiB, more than %.0f MiB", mib(before), mib(after), mib(maxHeapGrowth))
	}
}

// awaitAck sends req and reads until its ack, failing on an error.
func awaitAck(conn *websocket.Conn, req protocol.Envelope) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	frame, err := protocol.Encode(req)
	if err != nil {
		return err
	}
	if err := conn.Write(ctx, websocket.MessageText, frame); err != nil {
		return fmt.Errorf("failed to write %s: %w", req.Type, err)
	}
	for {
		envs, err := readEnvelopes(ctx, conn)
		if err != nil {
			return fmt.Errorf("no ack of %s: %w", req.Type, err)
		}
		for _, e := range envs {
			if err := e.Err(); err != nil {
				return fmt.Errorf("%s refused: %w", req.Type, err)
			}
			if e.Type == protocol.TypeAck && e.Ref == req.Ref {
				return nil
			}
		}
	}
}

// dropStream opens an SSE stream, reads its first line and leaves.
func dropStream(c *http.Client, url string) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "text/event-stream")
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("failed to open %s: %w", url, err)
	}
	defer resp.Body.Close()
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "retry:") {
		return fmt.Errorf("%s: first line %q, %v", url, line, err)
	}
	return nil
}

// liveHeap collects garbage and returns the bytes of live objects.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }
