package server

import "net/http"

// DefaultContentSecurityPolicy is the default [Options.ContentSecurityPolicy].
// It lets a go-app page run and nothing else:
//
//   - scripts only from this origin (go-app's app.js and wasm_exec.js, the
//     JavaScript module), none inline and no eval; 'wasm-unsafe-eval'
//     lets them compile WebAssembly, which is what app.wasm and
//     realtime.wasm need, and nothing more;
//   - style sheets only from this origin, but style attributes allowed:
//     go-app renders a component's Style() as one (a progress bar's
//     width, a person's color), which cannot run code;
//   - images from this origin and data: URLs; connections (fetch, SSE
//     and WebSockets: 'self' covers ws: and wss: on the same host) and
//     workers (go-app's service worker) to this origin only;
//   - no plugins, no <base> elsewhere, forms posting here only, and no
//     framing by any page (frame-ancestors 'none', with X-Frame-Options
//     for older browsers).
//
// A page of one's own that needs more (another origin's API, an inline
// script) sets its own policy in Options.
const DefaultContentSecurityPolicy = "default-src 'self'; " +
	"script-src 'self' 'wasm-unsafe-eval'; " +
	"style-src 'self'; style-src-attr 'unsafe-inline'; " +
	"img-src 'self' data:; " +
	"connect-src 'self'; " +
	"worker-src 'self'; " +
	"manifest-src 'self'; " +
	"object-src 'none'; " +
	"base-uri 'self'; " +
	"form-action 'self'; " +
	"frame-ancestors 'none'"

// secureHeaders sets the security headers of every response: the content
// security policy, no MIME sniffing, no referrer sent to other origins,
// no framing.
func secureHeaders(csp string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		next.ServeHTTP(w, r)
	})
}

// noStore keeps every response of next out of caches: the pages carry the
// development token in go-app's app.js, and a page must never be served
// stale. go-app sets its own Cache-Control (no-cache), so it is replaced
// as the headers are written.
func noStore(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(noStoreWriter{w}, r)
	})
}

type noStoreWriter struct{ http.ResponseWriter }

func (w noStoreWriter) WriteHeader(code int) {
	w.Header().Set("Cache-Control", "no-store")
	w.ResponseWriter.WriteHeader(code)
}

// Write sets the header too: a Write without WriteHeader sends the
// headers with its first byte.
func (w noStoreWriter) Write(b []byte) (int, error) {
	w.Header().Set("Cache-Control", "no-store")
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (w noStoreWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
