// Command precompress writes a brotli copy (name.br) and a gzip copy
// (name.gz) of each file it is given, compressed as well as each format
// allows, and prints the sizes. The server sends a copy to browsers that
// accept its encoding (see server/static.go): compressing a wasm file of
// several megabytes on every request would cost more than sending it.
//
// Usage:
//
//	precompress [-quality 11] web/app.wasm web/realtime.wasm
//
// Brotli's best quality, 11, takes about a minute for 10 MB here and
// gives files some 12% smaller than quality 9, which takes seconds: a
// quick build may ask for less.
//
// It is a build tool: it links brotli, which neither wasm file needs.
package main

import (
	"compress/gzip"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/andybalholm/brotli"
)

func main() {
	quality := flag.Int("quality", brotli.BestCompression, "brotli quality, 0 to 11")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: precompress [-quality n] file...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 || *quality < brotli.BestSpeed || *quality > brotli.BestCompression {
		flag.Usage()
		os.Exit(2)
	}
	failed := false
	for _, name := range flag.Args() {
		s, err := compress(name, *quality)
		if err != nil {
			fmt.Fprintln(os.Stderr, "precompress:", err)
			failed = true
			continue
		}
		fmt.Printf("%s: %s raw, %s gzip, %s brotli\n", name, size(s.raw), size(s.gzip), size(s.brotli))
	}
	if failed {
		os.Exit(1)
	}
}

// sizes are the bytes of a file and of its copies.
type sizes struct{ raw, gzip, brotli int64 }

// compress writes name.br, at brotli quality, and name.gz.
func compress(name string, quality int) (sizes, error) {
	raw, err := os.ReadFile(name)
	if err != nil {
		return sizes{}, err
	}
	s := sizes{raw: int64(len(raw))}
	// The largest window, 16 MB, holds a whole wasm file.
	s.brotli, err = writeCopy(name+".br", raw, func(w io.Writer) io.WriteCloser {
		return brotli.NewWriterOptions(w, brotli.WriterOptions{Quality: quality, LGWin: 24})
	})
	if err != nil {
		return s, err
	}
	s.gzip, err = writeCopy(name+".gz", raw, func(w io.Writer) io.WriteCloser {
		zw, _ := gzip.NewWriterLevel(w, gzip.BestCompression) // a valid level
		return zw
	})
	return s, err
}

// writeCopy compresses raw into name through a temporary file, so that a
// failed run never leaves a truncated copy for the server to send.
func writeCopy(name string, raw []byte, newWriter func(io.Writer) io.WriteCloser) (int64, error) {
	tmp, err := os.CreateTemp(filepath.Dir(name), filepath.Base(name)+".*.tmp")
	if err != nil {
		return 0, fmt.Errorf("failed to create %s: %w", name, err)
	}
	defer os.Remove(tmp.Name()) // after the rename, there is nothing to remove
	zw := newWriter(tmp)
	_, err = zw.Write(raw)
	err = errors.Join(err, zw.Close())
	info, statErr := tmp.Stat()
	err = errors.Join(err, statErr, tmp.Close())
	if err != nil {
		return 0, fmt.Errorf("failed to write %s: %w", name, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return 0, fmt.Errorf("failed to write %s: %w", name, err)
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return 0, fmt.Errorf("failed to write %s: %w", name, err)
	}
	return info.Size(), nil
}

// size prints n bytes for a person: 11.6 MB, 812.3 KB.
func size(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.2f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
