package server

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/matih-ai/realtime/wasm/presence"
	"github.com/matih-ai/realtime/wasm/protocol"
	"github.com/matih-ai/realtime/wasm/ws"
)

// newWSClient connects the real WebSocket client of wasm/ws to url, with
// quick reconnects and no heartbeat, and closes it at the end of the test.
func newWSClient(t *testing.T, url string) *ws.Client {
	t.Helper()
	c, err := ws.New(ws.Config{
		URL:                  url,
		ReconnectDelay:       10 * time.Millisecond,
		MaxReconnectDelay:    50 * time.Millisecond,
		MaxReconnectAttempts: -1,
		PingInterval:         -1,
		DialTimeout:          2 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	c.Connect()
	waitConnected(t, c)
	return c
}

func waitConnected(t *testing.T, c *ws.Client) {
	t.Helper()
	waitFor(t, "the client to connect", func() bool { return c.Status() == ws.StatusConnected })
}

var barriers atomic.Int64

// barrier returns once the server has handled what c sent before it and
// c's handlers have had what the server queued for c before: the server
// serves a connection's requests in order, and the echo reaches its
// handler after every envelope queued ahead of it.
func barrier(t *testing.T, c *ws.Client) {
	t.Helper()
	token := strconv.FormatInt(barriers.Add(1), 10)
	back := make(chan struct{}, 1)
	unsubscribe, err := c.Subscribe("echo:barrier", func(e protocol.Envelope) {
		if string(e.Data) == token {
			back <- struct{}{}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer unsubscribe()
	if err := c.Publish("echo:barrier", json.RawMessage(token)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-back:
	case <-time.After(timeout):
		t.Fatal("barrier: the echo never came back")
	}
}

// watch is a presence.Tracker whose changes are recorded, with the state
// each left: users reads that state, not the tracker's, which changes
// before its listeners run, so that once users shows a change, the change
// is recorded.
type watch struct {
	*presence.Tracker
	mu      sync.Mutex
	changes []presence.Changes
	state   presence.State
}

// track joins resource as meta through c until the end of the test.
func track(t *testing.T, c *ws.Client, resource string, meta presence.Meta, opts presence.Options) *watch {
	t.Helper()
	tr, err := presence.Join(c, resource, meta, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tr.Leave)
	w := &watch{Tracker: tr}
	tr.OnChange(func(st presence.State, ch presence.Changes) {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.changes = append(w.changes, ch)
		w.state = st.Clone()
	})
	// What the tracker knew before its listener was added.
	w.mu.Lock()
	if w.changes == nil {
		w.state = tr.State()
	}
	w.mu.Unlock()
	return w
}

// people lists the people present as the listener last heard.
func (w *watch) people() []presence.Person {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.state.People()
}

// users lists the people present, by user id.
func (w *watch) users() []string {
	people := w.people()
	var out []string
	for _, p := range people {
		out = append(out, p.User)
	}
	slices.Sort(out)
	return out
}

// waitUsers waits until exactly users are present.
func (w *watch) waitUsers(t *testing.T, users ...string) {
	t.Helper()
	slices.Sort(users)
	waitFor(t, fmt.Sprint("people ", users), func() bool { return slices.Equal(w.users(), users) })
}

// takeChanges returns the changes recorded since the last call.
func (w *watch) takeChanges() []presence.Changes {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.changes
	w.changes = nil
	return out
}
