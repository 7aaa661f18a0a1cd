package server

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// webDir writes files to a temporary directory, each with modification
// time base plus its offset.
func webDir(t *testing.T, base time.Time, files map[string]struct {
	body []byte
	age  time.Duration
}) string {
	t.Helper()
	dir := t.TempDir()
	for name, f := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, f.body, 0o644); err != nil {
			t.Fatal(err)
		}
		at := base.Add(-f.age)
		if err := os.Chtimes(p, at, at); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestWebServesPrecompressedFiles(t *testing.T) {
	t.Parallel()
	wasm := bytes.Repeat([]byte("\x00asm wasm bytes "), 100)
	brotli := []byte("pretend brotli")
	now := time.Now().Truncate(time.Second)
	type file = struct {
		body []byte
		age  time.Duration
	}
	dir := webDir(t, now, map[string]file{
		"realtime.wasm":    {wasm, time.Minute},
		"realtime.wasm.br": {brotli, 0},
		"realtime.wasm.gz": {gzipped(t, wasm), 0},
		// app.wasm was rebuilt after its copies were made: they are stale.
		"app.wasm":     {wasm, 0},
		"app.wasm.br":  {brotli, time.Hour},
		"app.wasm.gz":  {gzipped(t, wasm), time.Hour},
		"realtime.css": {[]byte("body{}"), 0},
		"embed.html":   {[]byte("<!doctype html><title>embed</title>"), 0},
	})
	hs := httptest.NewServer(New(Options{WebDir: dir}))
	defer hs.Close()
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}

	for _, tc := range []struct {
		name, method, path, accept string
		encoding, ctype            string
		body                       []byte
	}{
		{"brotli first", "GET", "/web/realtime.wasm", "gzip, deflate, br, zstd", "br", "application/wasm", brotli},
		{"gzip when brotli is not accepted", "GET", "/web/realtime.wasm", "gzip", "gzip", "application/wasm", gzipped(t, wasm)},
		{"q=0 refuses brotli", "GET", "/web/realtime.wasm", "br;q=0, gzip;q=0.5", "gzip", "application/wasm", gzipped(t, wasm)},
		{"a wildcard takes the best", "GET", "/web/realtime.wasm", "*", "br", "application/wasm", brotli},
		{"the raw file without Accept-Encoding", "GET", "/web/realtime.wasm", "", "", "application/wasm", wasm},
		{"the raw file for identity only", "GET", "/web/realtime.wasm", "identity, *;q=0", "", "application/wasm", wasm},
		{"stale copies are ignored", "GET", "/web/app.wasm", "br, gzip", "", "application/wasm", wasm},
		{"a file without copies", "GET", "/web/realtime.css", "br", "", "text/css; charset=utf-8", []byte("body{}")},
		{"HEAD", "HEAD", "/web/realtime.wasm", "br", "br", "application/wasm", nil},
		{"the embed page", "GET", "/embed", "br", "", "text/html; charset=utf-8", []byte("<!doctype html><title>embed</title>")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, hs.URL+tc.path, nil)
			if tc.accept != "" {
				req.Header.Set("Accept-Encoding", tc.accept)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %s: %s", resp.Status, body)
			}
			if got := resp.Header.Get("Content-Encoding"); got != tc.encoding {
				t.Errorf("Content-Encoding %q, want %q", got, tc.encoding)
			}
			if got := resp.Header.Get("Content-Type"); got != tc.ctype {
				t.Errorf("Content-Type %q, want %q", got, tc.ctype)
			}
			if tc.path != "/embed" && resp.Header.Get("Vary") != "Accept-Encoding" {
				t.Errorf("Vary %q, want Accept-Encoding", resp.Header.Get("Vary"))
			}
			if !bytes.Equal(body, tc.body) {
				t.Errorf("body of %d bytes, want %d", len(body), len(tc.body))
			}
			if cl := resp.Header.Get("Content-Length"); tc.method == "HEAD" && cl != strconv.Itoa(len(brotli)) {
				t.Errorf("Content-Length %s, want the compressed size %d", cl, len(brotli))
			}
		})
	}
}

func TestAccepts(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		header, coding string
		want           bool
	}{
		{"gzip, br", "br", true},
		{"GZIP", "gzip", true},
		{"br;q=0", "br", false},
		{"br; q=0.001", "br", true},
		{"br;q=x", "br", false},
		{"*", "gzip", true},
		{"*;q=0, gzip", "gzip", true},
		{"gzip;q=0, *", "gzip", false},
		{"deflate", "br", false},
		{"", "gzip", false},
	} {
		if got := accepts(tc.header, tc.coding); got != tc.want {
			t.Errorf("accepts(%q, %q) = %v, want %v", tc.header, tc.coding, got, tc.want)
		}
	}
}
