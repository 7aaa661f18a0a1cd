//go:build !js

package fetch_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/matih-ai/realtime/wasm/fetch"
)

// timeout bounds every wait; nothing here should come close.
const timeout = 5 * time.Second

func newServer(t *testing.T, h http.HandlerFunc) (fetch.Func, string) {
	t.Helper()
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	return fetch.Client(hs.Client()), hs.URL
}

func TestRequestAndResponse(t *testing.T) {
	t.Parallel()
	do, url := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Add("X-Seen", r.Method+" "+r.Header.Get("X-Token")+" "+string(body))
		w.Header().Add("X-Many", "a")
		w.Header().Add("X-Many", "b")
		w.WriteHeader(http.StatusTeapot)
		io.WriteString(w, "short and stout")
	})
	resp, err := do(context.Background(), &fetch.Request{Method: "POST", URL: url, Header: map[string]string{"x-token": "t1"}, Body: []byte("hi")})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 418 || resp.Status != "418 I'm a teapot" || string(body) != "short and stout" {
		t.Errorf("%d %q %q", resp.StatusCode, resp.Status, body)
	}
	if got := resp.Header.Get("X-SEEN"); got != "POST t1 hi" {
		t.Errorf("the server saw %q", got)
	}
	if got := resp.Header["x-many"]; got != "a, b" {
		t.Errorf("x-many: %q, want the values joined", got)
	}
}

// stream answers with one chunk, then holds the response open until the
// client goes away, which it reports on gone.
func stream(gone chan<- struct{}) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "first")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
		close(gone)
	}
}

func TestBodyStreams(t *testing.T) {
	t.Parallel()
	gone := make(chan struct{})
	do, url := newServer(t, stream(gone))
	resp, err := do(context.Background(), &fetch.Request{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 16)
	n, err := resp.Body.Read(b) // before the response ends
	if err != nil || string(b[:n]) != "first" {
		t.Fatalf("read %q, %v", b[:n], err)
	}
	resp.Body.Close()
	select {
	case <-gone:
	case <-time.After(timeout):
		t.Fatal("closing the body left the request running")
	}
}

func TestCancelEndsAReadUnderWay(t *testing.T) {
	t.Parallel()
	gone := make(chan struct{})
	do, url := newServer(t, stream(gone))
	ctx, cancel := context.WithCancel(context.Background())
	resp, err := do(ctx, &fetch.Request{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	read := make(chan error)
	go func() {
		_, err := io.ReadAll(resp.Body)
		read <- err
	}()
	cancel()
	select {
	case err := <-read:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("the read ended with %v, want context.Canceled", err)
		}
	case <-time.After(timeout):
		t.Fatal("cancelling left the read blocked")
	}
	select {
	case <-gone:
	case <-time.After(timeout):
		t.Fatal("cancelling left the request running")
	}
}
