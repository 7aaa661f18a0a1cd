// Package fetch is the HTTP client of the runtime: the browser's fetch API
// under GOOS=js, net/http elsewhere. The browser builds stay free of
// net/http's client, which added 6.4 MB raw to realtime.wasm and 4.7 MB to
// app.wasm (its transport, TLS and HTTP/2 are linked even though, in the
// browser, fetch does the work).
//
// A response body streams, chunk by chunk as the network delivers it, so a
// Server-Sent Events stream can be read as it arrives. The request's
// context holds for the whole exchange: cancelling it aborts the request,
// or the body's reads once the headers are in (the browser's
// AbortController), as closing the body does.
package fetch

import (
	"context"
	"io"
	"strings"
)

// Request is an HTTP request.
type Request struct {
	// Method is the HTTP method. Default is GET.
	Method string
	// URL is an absolute http:// or https:// address.
	URL string
	// Header holds the request's headers, one value a name.
	Header map[string]string
	// Body is sent when it is not empty.
	Body []byte
}

// Response is an HTTP response whose headers have arrived.
type Response struct {
	StatusCode int
	// Status is the status line's code and reason ("404 Not Found"), or
	// the code alone where the browser has no reason phrase (HTTP/2).
	Status string
	// Header holds the response's headers, names in lower case; several
	// values of one name are joined by ", ".
	Header Header
	// Body streams the response body. The caller must close it; closing it
	// before its end aborts the request.
	Body io.ReadCloser
}

// Header is the headers of a response, names in lower case.
type Header map[string]string

// Get returns the value of header name, in any case; "" if there is none.
func (h Header) Get(name string) string { return h[strings.ToLower(name)] }

// Func makes a request and returns the response once its headers have
// arrived. Cancelling ctx aborts the request and then the body's reads.
// Tests and native programs may replace Do by their own.
type Func func(ctx context.Context, req *Request) (*Response, error)

// Do is the default Func: the browser's fetch API in the browser (with the
// page's credentials for its own origin only), net/http's DefaultClient
// elsewhere.
func Do(ctx context.Context, req *Request) (*Response, error) { return do(ctx, req) }
