//go:build js && wasm

package fetch

import (
	"context"
	"errors"
	"io"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall/js"

	"github.com/matih-ai/realtime/wasm/internal/browser"
)

// errClosed is what reading a closed body gives.
var errClosed = errors.New("fetch: read on a closed body")

var (
	abortController = js.Global().Get("AbortController")
	object          = js.Global().Get("Object")
	uint8Array      = js.Global().Get("Uint8Array")
)

func do(ctx context.Context, req *Request) (*Response, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	method := req.Method
	if method == "" {
		method = "GET"
	}
	ac := abortController.New()
	opts := object.New()
	opts.Set("method", method)
	opts.Set("credentials", "same-origin")
	opts.Set("signal", ac.Get("signal"))
	headers := object.New()
	for name, value := range req.Header {
		headers.Set(name, value)
	}
	opts.Set("headers", headers)
	if len(req.Body) > 0 {
		b := uint8Array.New(len(req.Body))
		js.CopyBytesToJS(b, req.Body)
		opts.Set("body", b)
	}
	// Go's own fetch transport stops watching the context once the
	// headers are in, which leaves a stream running: this watch lasts
	// until the body is read to its end or closed.
	abort := func() { ac.Call("abort") }
	stop := context.AfterFunc(ctx, abort)
	r, err := await(ctx, js.Global().Call("fetch", req.URL, opts))
	if err != nil {
		stop()
		return nil, err
	}

	resp := &Response{StatusCode: r.Get("status").Int(), Header: Header{}}
	resp.Status = strconv.Itoa(resp.StatusCode)
	if text := r.Get("statusText").String(); text != "" {
		resp.Status += " " + text
	}
	entries := r.Get("headers").Call("entries")
	for {
		e := entries.Call("next")
		if e.Get("done").Bool() {
			break
		}
		kv := e.Get("value")
		resp.Header[kv.Index(0).String()] = kv.Index(1).String()
	}
	if b := r.Get("body"); b.IsNull() || b.IsUndefined() { // no body: a 204, a HEAD
		stop()
		resp.Body = io.NopCloser(strings.NewReader(""))
	} else {
		resp.Body = &body{ctx: ctx, reader: b.Call("getReader"), abort: abort, stop: stop}
	}
	return resp, nil
}

// body reads a response body's ReadableStream. Read runs on one goroutine
// at a time; Close may run on any.
type body struct {
	ctx    context.Context
	reader js.Value // a ReadableStreamDefaultReader
	abort  func()
	stop   func() bool // ends the context's watch

	closed  atomic.Bool
	pending []byte
	err     error
}

func (b *body) Read(p []byte) (int, error) {
	for len(b.pending) == 0 && b.err == nil { // a chunk may be empty
		chunk, err := await(b.ctx, b.reader.Call("read"))
		switch {
		case b.closed.Load():
			b.err = errClosed
		case err != nil:
			b.err = err
		case chunk.Get("done").Bool():
			b.err = io.EOF
			b.stop()
		default:
			v := chunk.Get("value")
			b.pending = make([]byte, v.Get("byteLength").Int())
			js.CopyBytesToGo(b.pending, v)
		}
	}
	if len(b.pending) == 0 {
		return 0, b.err
	}
	n := copy(p, b.pending)
	b.pending = b.pending[n:]
	return n, nil
}

// Close aborts the request, which ends a read under way; once the body
// was read to its end, that does nothing.
func (b *body) Close() error {
	if !b.closed.Swap(true) {
		b.stop()
		b.abort()
	}
	return nil
}

// await waits for promise to settle, or ctx to end: then the caller's
// abort rejects the promise, and its callbacks release themselves.
func await(ctx context.Context, promise js.Value) (js.Value, error) {
	type result struct {
		v   js.Value
		err error
	}
	done := make(chan result, 1) // the callbacks never block
	var releaseOK, releaseFail func()
	settle := func(r result) {
		done <- r
		releaseOK()
		releaseFail()
	}
	ok, releaseOK := browser.Func(func(_ js.Value, args []js.Value) any {
		settle(result{v: args[0]})
		return nil
	})
	fail, releaseFail := browser.Func(func(_ js.Value, args []js.Value) any {
		settle(result{err: errors.New("fetch: " + js.Global().Get("String").Invoke(args[0]).String())})
		return nil
	})
	promise.Call("then", ok, fail)
	select {
	case r := <-done:
		if r.err != nil && ctx.Err() != nil {
			return r.v, ctx.Err() // the abort, not a failure
		}
		return r.v, r.err
	case <-ctx.Done():
		return js.Undefined(), ctx.Err()
	}
}
