//go:build !js

package fetch

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
)

func do(ctx context.Context, req *Request) (*Response, error) {
	return Client(http.DefaultClient)(ctx, req)
}

// Client returns a Func that makes its requests with c, as tests do with
// their server's client. Not in the browser, where fetch does the work.
// A Timeout on c would cut long streams.
func Client(c *http.Client) Func {
	return func(ctx context.Context, req *Request) (*Response, error) {
		var body io.Reader
		if len(req.Body) > 0 {
			body = bytes.NewReader(req.Body)
		}
		method := req.Method
		if method == "" {
			method = http.MethodGet
		}
		hreq, err := http.NewRequestWithContext(ctx, method, req.URL, body)
		if err != nil {
			return nil, err
		}
		for name, value := range req.Header {
			hreq.Header.Set(name, value)
		}
		resp, err := c.Do(hreq)
		if err != nil {
			return nil, err
		}
		h := make(Header, len(resp.Header))
		for name, values := range resp.Header {
			h[strings.ToLower(name)] = strings.Join(values, ", ")
		}
		return &Response{StatusCode: resp.StatusCode, Status: resp.Status, Header: h, Body: resp.Body}, nil
	}
}
