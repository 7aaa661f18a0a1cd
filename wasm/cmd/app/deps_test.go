package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestAppLinksNoServerCode keeps app.wasm small: a shared main with the
// server doubles its size.
func TestAppLinksNoServerCode(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", ".")
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	for _, dep := range deps {
		for _, banned := range []string{
			"github.com/matih-ai/realtime/server",
			"github.com/matih-ai/realtime/e2e",
			"github.com/chromedp/",
			"github.com/coder/websocket",    // the browser has its own WebSocket
			"github.com/andybalholm/brotli", // the build compresses, not the app
		} {
			if strings.HasPrefix(dep, banned) {
				t.Errorf("app.wasm links %s", dep)
			}
		}
	}
	if !strings.Contains(string(out), "github.com/matih-ai/realtime/wasm/ws\n") {
		t.Fatalf("the dependency list lacks wasm/ws; is it the app's?\n%s", out)
	}
}
