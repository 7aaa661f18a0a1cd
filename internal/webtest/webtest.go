// Package webtest builds what the browser tests serve and finds the
// Chromium that drives them. The browser tests (e2e) and the benchmark
// suite (bench) share it, so both run what `make build` makes.
package webtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// FindChrome returns the Chromium to run: $CHROME_PATH, or the first of the
// usual names on the PATH.
func FindChrome() (string, error) {
	if p := os.Getenv("CHROME_PATH"); p != "" {
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("no Chromium found (install Debian's chromium package or set CHROME_PATH)")
}

// AllocatorOptions start headless Chromium at chromePath with profileDir,
// which should be a fresh directory: an old profile brings its caches.
func AllocatorOptions(chromePath, profileDir string) []chromedp.ExecAllocatorOption {
	return append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromePath),
		chromedp.UserDataDir(profileDir),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1280, 800),
	)
}

// ModuleRoot returns the directory of the repository's go.mod.
func ModuleRoot() (string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		return "", fmt.Errorf("failed to find the module root: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// BuildWeb fills dir with what the server serves under /web/: a copy of
// the repository's web/ files, Go's wasm_exec.js, and app.wasm and
// realtime.wasm built as `make build` builds them, so that the tests run,
// and the benchmarks weigh, what `make run` serves. It leaves out the
// generated files of web/ (a stale one must not be served); Precompress
// makes the compressed copies.
func BuildWeb(dir string) error {
	root, err := ModuleRoot()
	if err != nil {
		return err
	}
	if err := copyWebSources(filepath.Join(root, "web"), dir); err != nil {
		return err
	}
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		return fmt.Errorf("failed to find GOROOT: %w", err)
	}
	wasmExec, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(goroot)), "lib", "wasm", "wasm_exec.js"))
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "wasm_exec.js"), wasmExec, 0o644); err != nil {
		return err
	}
	for _, c := range []struct {
		out, pkg string
		gocmd    []string
	}{
		// app.wasm against go-app patched to leave net/http out, as the
		// Makefile builds it.
		{"app.wasm", "./wasm/cmd/app", []string{"bash", "wasm/cmd/app/gobrowser.sh"}},
		{"realtime.wasm", "./wasm/cmd/module", []string{"go"}},
	} {
		args := []string{"build", "-trimpath", "-ldflags=-s -w", "-o", filepath.Join(dir, c.out), c.pkg}
		cmd := exec.Command(c.gocmd[0], append(c.gocmd[1:], args...)...)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("failed to build %s (%s): %w\n%s", c.out, strings.Join(cmd.Args, " "), err, out)
		}
	}
	return nil
}

// Precompress writes the brotli (at quality, 0 to 11) and gzip copies of
// files that the server sends, with server/cmd/precompress, as `make
// build` does (at 11).
func Precompress(quality int, files ...string) error {
	root, err := ModuleRoot()
	if err != nil {
		return err
	}
	args := append([]string{"run", "./server/cmd/precompress", "-quality", fmt.Sprint(quality)}, files...)
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("failed to precompress %s: %w\n%s", strings.Join(files, " "), err, out)
	}
	return nil
}

// copyWebSources copies the files of web/ but what the build makes (wasm
// files, their compressed copies, Go's wasm_exec.js).
func copyWebSources(src, dir string) error {
	entries, err := os.ReadDir(src)
	if err != nil {
		return fmt.Errorf("failed to read %s: %w", src, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || name == "wasm_exec.js" || strings.Contains(name, ".wasm") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// Eval evaluates js in the page of ctx, awaiting a promise, and returns
// its value; an exception fails the test.
func Eval[T any](t testing.TB, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluating %s: %v", js, err)
	}
	return v
}
