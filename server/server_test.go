package server

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

func get(t *testing.T, client *http.Client, url string) (int, string) {
	t.Helper()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func TestRoutes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "realtime.js"), []byte("js"), 0o644); err != nil {
		t.Fatal(err)
	}
	pages := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "page "+r.URL.Path)
	})
	_, plain := newTestServer(t, Options{WebDir: dir})
	_, withPages := newTestServer(t, Options{WebDir: dir, Pages: pages})

	tests := []struct {
		name     string
		hs       string
		path     string
		wantCode int
		wantBody string
	}{
		{"healthz", "plain", "/healthz", 200, "ok"},
		{"static file", "plain", "/web/realtime.js", 200, "js"},
		{"unknown path", "plain", "/nope", 404, ""},
		{"healthz with pages", "pages", "/healthz", 200, "ok"},
		{"pages get the rest", "pages", "/presence", 200, "page /presence"},
		{"static files beside pages", "pages", "/web/realtime.js", 200, "js"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := plain
			if tt.hs == "pages" {
				hs = withPages
			}
			code, body := get(t, hs.Client(), hs.URL+tt.path)
			if code != tt.wantCode || (tt.wantBody != "" && body != tt.wantBody) {
				t.Fatalf("GET %s: %d %q, want %d %q", tt.path, code, body, tt.wantCode, tt.wantBody)
			}
		})
	}
}
