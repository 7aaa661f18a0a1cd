package main

import (
	"os"
	"os/exec"
	"slices"
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

// TestAppUsesNoHTTPClient keeps net/http out of the app's own packages:
// they make their requests with wasm/fetch (net/http's client is 4.7 MB
// raw), and dom/v2 cost another 1.4 MB; wasm/internal/browser does its
// few listeners.
func TestAppUsesNoHTTPClient(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, ".")
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, " ")
		if !strings.HasPrefix(pkg, "github.com/matih-ai/realtime/") {
			continue
		}
		for _, imp := range strings.Fields(imports) {
			if imp == "net/http" || imp == "honnef.co/go/js/dom/v2" {
				t.Errorf("%s imports %s", pkg, imp)
			}
		}
	}
}

// TestAppBuildLeavesOutNetHTTP checks app.wasm as the build makes it
// (gobrowser.sh, go-app patched): upstream go-app imports net/http for its
// server side, and net/http's initialisation alone links TLS, x509 and
// HTTP/2, a fifth of app.wasm.
func TestAppBuildLeavesOutNetHTTP(t *testing.T) {
	cmd := exec.Command("bash", "gobrowser.sh", "list", "-deps", "./wasm/cmd/app")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("gobrowser.sh list: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if !slices.Contains(deps, "github.com/maxence-charriere/go-app/v10/pkg/app") {
		t.Fatalf("the dependency list lacks go-app; is it the app's?\n%s", out)
	}
	for _, dep := range deps {
		if dep == "net/http" || strings.HasPrefix(dep, "crypto/tls") || strings.HasPrefix(dep, "crypto/x509") {
			t.Errorf("app.wasm links %s", dep)
		}
	}
}
