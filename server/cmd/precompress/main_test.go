package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/andybalholm/brotli"
)

func TestCompressWritesCopiesThatDecompressToTheFile(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "x.wasm")
	raw := bytes.Repeat([]byte("\x00asm and some code that repeats "), 4096)
	if err := os.WriteFile(name, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := compress(name, 5)
	if err != nil {
		t.Fatal(err)
	}
	if s.raw != int64(len(raw)) || s.gzip <= 0 || s.brotli <= 0 || s.gzip >= s.raw || s.brotli >= s.raw {
		t.Errorf("sizes %+v", s)
	}
	for ext, open := range map[string]func(io.Reader) (io.Reader, error){
		".br": func(r io.Reader) (io.Reader, error) { return brotli.NewReader(r), nil },
		".gz": func(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) },
	} {
		f, err := os.Open(name + ext)
		if err != nil {
			t.Fatal(err)
		}
		info, _ := f.Stat()
		if want := map[string]int64{".br": s.brotli, ".gz": s.gzip}[ext]; info.Size() != want {
			t.Errorf("%s is %d bytes, reported %d", ext, info.Size(), want)
		}
		if info.Mode().Perm() != 0o644 {
			t.Errorf("%s has mode %v", ext, info.Mode())
		}
		r, err := open(f)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		f.Close()
		if err != nil || !bytes.Equal(got, raw) {
			t.Errorf("%s decompresses to %d bytes (%v), want the file's %d", ext, len(got), err, len(raw))
		}
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*.tmp")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
	if _, err := compress(filepath.Join(dir, "missing.wasm"), 5); err == nil {
		t.Error("a missing file gave no error")
	}
}
