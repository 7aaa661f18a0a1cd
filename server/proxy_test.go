package server

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/matih-ai/realtime/server/internal/faultproxy"
)

// proxy stands between clients and a test server, to drop them as a
// network does.
type proxy struct{ *faultproxy.Proxy }

// newProxy forwards to hs until the end of the test.
func newProxy(t *testing.T, hs *httptest.Server) *proxy {
	t.Helper()
	p, err := faultproxy.New(strings.TrimPrefix(hs.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return &proxy{p}
}

// url is the WebSocket endpoint through the proxy.
func (p *proxy) url() string { return "ws://" + p.Addr() + "/ws" }

// cut ends every open connection, with no WebSocket close, and refuses new
// ones until up.
func (p *proxy) cut() {
	p.Refuse(true)
	p.Drop(1)
}

// up lets connections through again.
func (p *proxy) up() { p.Refuse(false) }
