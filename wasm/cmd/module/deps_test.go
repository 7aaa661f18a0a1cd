package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
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

// TestModuleLinksNoEncodingJSONCodec keeps encoding/json's encoder and
// decoder out of realtime.wasm: the module's packages use protocol.Marshal
// and Unmarshal, and the file is some 50 KB brotli smaller for it.
// encoding/json's RawMessage and Number types stay, which cost little. The
// linker's record of what made each function part of the program names
// the caller of any that came back.
func TestModuleLinksNoEncodingJSONCodec(t *testing.T) {
	cmd := exec.Command("go", "build", "-ldflags=-dumpdep", "-o", filepath.Join(t.TempDir(), "realtime.wasm"), ".")
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%.2000s", err, out)
	}
	codec := []string{
		"encoding/json.Marshal", "encoding/json.MarshalIndent", "encoding/json.Unmarshal",
		"encoding/json.Valid", "encoding/json.Compact", "encoding/json.NewDecoder",
		"encoding/json.NewEncoder", "encoding/json.(*Decoder).Decode",
	}
	edges := 0
	for line := range strings.Lines(string(out)) {
		from, to, ok := strings.Cut(strings.TrimSpace(line), " -> ")
		if !ok {
			continue
		}
		edges++
		if !strings.HasPrefix(from, "encoding/json.") && slices.Contains(codec, to) {
			t.Errorf("realtime.wasm links %s, called from %s", to, from)
		}
	}
	if edges < 1000 {
		t.Fatalf("the linker listed %d dependencies; is -dumpdep still its flag?\n%.2000s", edges, out)
	}
}
