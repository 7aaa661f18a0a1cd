package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestModuleLinksOnlyTheRuntime keeps realtime.wasm small and fit for any
// page: go-app would take the page over, and server code, the browser
// test driver, a native WebSocket library or the build's compressor only
// add weight. So do net/http's client (6 MB raw: wasm/fetch calls the
// browser's fetch instead), dom/v2 (270 KB: wasm/internal/browser),
// crypto (170 KB) and net/url with net/netip (200 KB raw, 32 KB brotli:
// wasm/internal/weburl).
func TestModuleLinksOnlyTheRuntime(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", ".")
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{
			"github.com/maxence-charriere/go-app",
			"github.com/matih-ai/realtime/components",
			"github.com/matih-ai/realtime/server",
			"github.com/matih-ai/realtime/e2e",
			"github.com/chromedp/",
			"github.com/coder/websocket",
			"github.com/andybalholm/brotli",
			"honnef.co/go/js/dom",
			"net/http",
			"net/url",
			"net/netip",
			"crypto",
		} {
			if strings.HasPrefix(dep, banned) {
				t.Errorf("realtime.wasm links %s", dep)
			}
		}
	}
	if !strings.Contains(string(out), "github.com/matih-ai/realtime/wasm/jsbridge\n") {
		t.Fatalf("the dependency list lacks wasm/jsbridge; is it the module's?\n%s", out)
	}
}
