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

// TestAppUsesNoHTTPClient keeps net/http's client out of app.wasm (4.7 MB
// raw). go-app imports net/http for its server side, so the package is in
// the list, but the linker drops the client as long as nothing calls it:
// the app's own packages make their requests with wasm/fetch. dom/v2 cost
// another 1.4 MB; wasm/internal/browser does its few listeners.
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
