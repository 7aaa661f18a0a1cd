package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/matih-ai/realtime/components/demo"
	"github.com/matih-ai/realtime/internal/webtest"
	"github.com/matih-ai/realtime/server"
)

var (
	webDir     string // built app.wasm and the static files
	chromePath string
	setupErr   error // why the browser tests cannot run
)

func TestMain(m *testing.M) {
	demo.Routes()
	tmp, err := os.MkdirTemp("", "realtime-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	webDir = filepath.Join(tmp, "web")
	chromePath, setupErr = webtest.FindChrome()
	if setupErr == nil {
		setupErr = webtest.BuildWeb(webDir)
	}
	if setupErr == nil {
		// A quick brotli: the tests only need the server to send one.
		setupErr = webtest.Precompress(5, filepath.Join(webDir, "realtime.wasm"))
	}
	code := m.Run()
	os.RemoveAll(tmp)
	os.Exit(code)
}

// needBrowser skips a test that cannot run here, or fails it under CI.
func needBrowser(t *testing.T) {
	t.Helper()
	if setupErr == nil {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("browser tests cannot run: %v", setupErr)
	}
	t.Skipf("browser tests skipped: %v", setupErr)
}

// demoServer is the realtime server on a fixed 127.0.0.1 port that can be
// stopped and started again on the same address.
type demoServer struct {
	t    *testing.T
	addr string
	opts server.Options

	mu   sync.Mutex
	srv  *server.Server
	http *http.Server
}

// startDemoServer serves the demo pages; opts may set auth and limits.
func startDemoServer(t *testing.T, opts server.Options) *demoServer {
	t.Helper()
	if opts.Pages == nil {
		opts.Pages = demo.Handler("")
	}
	opts.WebDir = webDir
	d := &demoServer{t: t, addr: "127.0.0.1:0", opts: opts}
	d.start()
	t.Cleanup(d.stop)
	return d
}

func (d *demoServer) URL(path string) string { return "http://" + d.addr + path }

func (d *demoServer) start() {
	d.t.Helper()
	var ln net.Listener
	var err error
	// The port of a server just stopped can take a moment to be free.
	for deadline := time.Now().Add(5 * time.Second); ; {
		if ln, err = net.Listen("tcp", d.addr); err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		d.t.Fatalf("failed to listen: %v", err)
	}
	d.addr = ln.Addr().String()
	srv := server.New(d.opts)
	// Test pages that are not part of the product live under /e2e/.
	mux := http.NewServeMux()
	mux.Handle("/e2e/", http.StripPrefix("/e2e/", http.FileServer(http.Dir("testdata"))))
	mux.Handle("/", srv)
	hs := &http.Server{Handler: mux}
	go hs.Serve(ln)
	d.mu.Lock()
	d.srv, d.http = srv, hs
	d.mu.Unlock()
}

// waitSubscribers waits until channel has n subscribers on the server.
func (d *demoServer) waitSubscribers(channel string, n int) {
	d.t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		d.mu.Lock()
		got := d.srv.Subscribers(channel)
		d.mu.Unlock()
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("%s has %d subscribers on the server, want %d", channel, got, n)
		}
	}
}

// dropStreams cuts every open SSE stream, as a network failure would.
func (d *demoServer) dropStreams() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.srv.DropStreams()
}

func (d *demoServer) stop() {
	d.mu.Lock()
	srv, hs := d.srv, d.http
	d.srv, d.http = nil, nil
	d.mu.Unlock()
	if srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	hs.Shutdown(ctx)
	srv.Shutdown(ctx)
}

// newBrowser starts headless Chromium with a fresh profile and returns a tab.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), webtest.AllocatorOptions(chromePath, t.TempDir())...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx, chromedp.WithErrorf(t.Logf))
	t.Cleanup(func() {
		cancelCtx()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("failed to start Chromium: %v", err)
	}
	return ctx
}

// waitFor polls a JavaScript condition until it holds.
func waitFor(t *testing.T, ctx context.Context, what, js string) {
	t.Helper()
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](js,
		chromedp.WithPollingInterval(25*time.Millisecond),
		chromedp.WithPollingTimeout(30*time.Second)))
	if err != nil {
		page, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
		t.Fatalf("waiting for %s: %v\npage text:\n%s", what, err, page)
	}
}

// screenshot saves the page to $E2E_SCREENSHOTS (default out/screenshots)
// for a person to look at.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("E2E_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join("..", "out", "screenshots")
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}
