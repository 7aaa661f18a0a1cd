package server

import (
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path"
	"strconv"
	"strings"
)

// routeStatic serves the files of dir under /web/, precompressed where the
// build left a compressed copy, and the JavaScript module's demo page,
// dir/embed.html, at /embed.
func (s *Server) routeStatic(dir string) {
	s.mux.Handle("/web/", http.StripPrefix("/web/", staticFiles(http.Dir(dir))))
	s.mux.HandleFunc("GET /embed", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFileFS(w, r, os.DirFS(dir), "embed.html")
	})
}

// encodings are the precompressed copies a file may have, best first:
// name.br and name.gz, as `make build` writes them for the wasm files.
var encodings = []struct{ coding, ext string }{
	{"br", ".br"},
	{"gzip", ".gz"},
}

// staticFiles serves root like http.FileServer, but sends a file's
// precompressed copy, with its Content-Encoding, to a client that accepts
// it. A copy older than its file is stale (the file was rebuilt since) and
// ignored. Compressing a 10 MB wasm file on each request would cost more
// than sending it.
func staticFiles(root http.FileSystem) http.Handler {
	files := http.FileServer(root)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Whether a response is compressed depends on Accept-Encoding,
		// for every file: caches must keep them apart.
		w.Header().Add("Vary", "Accept-Encoding")
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			if serveEncoded(w, r, root) {
				return
			}
		}
		files.ServeHTTP(w, r)
	})
}

// serveEncoded serves the best precompressed copy of the requested file
// that the client accepts, and reports whether there was one.
func serveEncoded(w http.ResponseWriter, r *http.Request, root http.FileSystem) bool {
	name := path.Clean("/" + r.URL.Path)
	orig, err := stat(root, name)
	if err != nil || orig.IsDir() {
		return false
	}
	accept := r.Header.Get("Accept-Encoding")
	for _, enc := range encodings {
		if !accepts(accept, enc.coding) {
			continue
		}
		f, err := root.Open(name + enc.ext)
		if err != nil {
			continue
		}
		info, err := f.Stat()
		if err != nil || info.IsDir() || info.ModTime().Before(orig.ModTime()) {
			f.Close()
			continue
		}
		ctype := mime.TypeByExtension(path.Ext(name))
		if ctype == "" {
			ctype = "application/octet-stream" // sniffing would read the compressed bytes
		}
		h := w.Header()
		h.Set("Content-Type", ctype)
		h.Set("Content-Encoding", enc.coding)
		// ServeContent leaves out the length of an encoded body, which
		// is known here; a range of compressed bytes is of no use to a
		// browser, so the copy is sent whole.
		h.Set("Content-Length", strconv.FormatInt(info.Size(), 10))
		r = r.Clone(r.Context())
		r.Header.Del("Range")
		http.ServeContent(w, r, name, info.ModTime(), f)
		f.Close()
		return true
	}
	return false
}

func stat(root http.FileSystem, name string) (fs.FileInfo, error) {
	f, err := root.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.Stat()
}

// accepts reports whether an Accept-Encoding header allows coding: named
// with a q-value above 0, or covered by "*" when not named.
func accepts(header, coding string) bool {
	star := false
	for part := range strings.SplitSeq(header, ",") {
		name, params, _ := strings.Cut(part, ";")
		name = strings.ToLower(strings.TrimSpace(name))
		if name != coding && name != "*" {
			continue
		}
		ok := quality(params) > 0
		if name == coding {
			return ok
		}
		star = ok
	}
	return star
}

// quality reads the q parameter of an Accept-Encoding entry; 1 without
// one, 0 when malformed.
func quality(params string) float64 {
	for p := range strings.SplitSeq(params, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok || strings.ToLower(strings.TrimSpace(k)) != "q" {
			continue
		}
		q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			return 0
		}
		return q
	}
	return 1
}
