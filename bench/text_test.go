package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/coder/websocket"

	"github.com/matih-ai/realtime/internal/webtest"
	"github.com/matih-ai/realtime/wasm/protocol"
)

// BenchmarkTextIntoBytes measures in Chromium what a received frame
// costs realtime-socket.js before Go reads it: for a text frame, reading
// the message's string, and writing it as UTF-8 with TextEncoder's
// encodeInto or with realtimeEncodeText, which copies a short ASCII text
// itself; for the same bytes as a binary message (the server's
// frames=binary), reading its ArrayBuffer and copying the bytes. Frames of
// 1, 5, 20 and 160 messages of an echo's size (200 bytes to 32 KB, a
// burst's); µs per frame, the means of 2,000 round trips a run. And
// "clock": what reading the time of a message costs, its event's
// timeStamp against a call of performance.now():
//
//	go test -run '^$' -bench TextIntoBytes -benchtime 3x ./bench
func BenchmarkTextIntoBytes(b *testing.B) {
	chrome, err := webtest.FindChrome()
	if err != nil {
		b.Skip(err)
	}
	root, err := webtest.ModuleRoot()
	if err != nil {
		b.Fatal(err)
	}
	line := []byte(`{"type":"message","channel":"echo:text","id":"1764240000000001","timestamp":1764240000000,"data":{"seq":1,"text":"` + string(bytes.Repeat([]byte("x"), 80)) + `"}}`)
	mux := http.NewServeMux()
	mux.Handle("/web/", http.StripPrefix("/web/", http.FileServer(http.Dir(filepath.Join(root, "web")))))
	mux.Handle("/text.html", http.FileServer(http.Dir("testdata")))
	mux.HandleFunc("/text-echo", func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		for {
			_, msg, err := c.Read(r.Context())
			if err != nil {
				return
			}
			n, _ := strconv.Atoi(string(msg))
			frame := bytes.Repeat(append(append([]byte(nil), line...), '\n'), max(n, 1))
			typ := websocket.MessageText
			if r.URL.Query().Get(protocol.FramesParam) == protocol.FramesBinary {
				typ = websocket.MessageBinary
			}
			if err := c.Write(r.Context(), typ, frame[:len(frame)-1]); err != nil {
				return
			}
		}
	})
	base := serveIsolated(b, mux)

	alloc, cancel := chromedp.NewExecAllocator(context.Background(), webtest.AllocatorOptions(chrome, b.TempDir())...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/text.html")); err != nil {
		b.Fatal(err)
	}
	// realtime-socket.js times a message by its event's timeStamp, not by
	// a call of performance.now() (the page is cross-origin isolated, as
	// the suite's are: both clocks in 5 µs steps).
	b.Run("clock", func(b *testing.B) { reportMeans(b, ctx, "runClock(2000)", "now", "timeStamp") })
	for _, lines := range []int{1, 5, 20, 160} {
		b.Run(fmt.Sprintf("lines=%d/binary", lines), func(b *testing.B) {
			reportMeans(b, ctx, fmt.Sprintf("runBinary(%d, 2000)", lines), "data", "copy")
		})
		b.Run(fmt.Sprintf("lines=%d", lines), func(b *testing.B) {
			reportMeans(b, ctx, fmt.Sprintf("run(%d, 2000)", lines), "data", "encodeInto", "encodeText")
		})
	}
}

// reportMeans evaluates expr, a run of text.html that resolves with its
// means in µs as JSON, b.N times, and reports each field's mean.
func reportMeans(b *testing.B, ctx context.Context, expr string, fields ...string) {
	sums := make([]float64, len(fields))
	for range b.N {
		var run map[string]float64
		if err := json.Unmarshal([]byte(webtest.Eval[string](b, ctx, expr)), &run); err != nil {
			b.Fatal(err)
		}
		for i, f := range fields {
			v, ok := run[f]
			if !ok {
				b.Fatalf("%s gave no %s: %v", expr, f, run)
			}
			sums[i] += v
		}
	}
	for i, f := range fields {
		b.ReportMetric(sums[i]/float64(b.N), "µs-"+f)
	}
}
