package notify_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/matih-ai/realtime/wasm/notify"
	"github.com/matih-ai/realtime/wasm/protocol"
	"github.com/matih-ai/realtime/wasm/ws"
)

// peer plays the server: each connection's frames come on conns.
type peer struct {
	conns chan *websocket.Conn
}

func newPeer(t *testing.T) (*peer, string) {
	t.Helper()
	p := &peer{conns: make(chan *websocket.Conn, 10)}
	done := make(chan struct{})
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		p.conns <- c
		<-done
	}))
	t.Cleanup(func() {
		close(done)
		hs.Close()
	})
	return p, "ws" + strings.TrimPrefix(hs.URL, "http")
}

func (p *peer) next(t *testing.T) *websocket.Conn {
	t.Helper()
	select {
	case c := <-p.conns:
		return c
	case <-time.After(5 * time.Second):
		t.Fatal("the client did not connect")
		return nil
	}
}

// expect reads envelopes from c until one of type typ.
func expect(t *testing.T, c *websocket.Conn, typ string) protocol.Envelope {
	t.Helper()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, b, err := c.Read(ctx)
		cancel()
		if err != nil {
			t.Fatalf("waiting for %s: %v", typ, err)
		}
		envs, _ := protocol.DecodeFrame(b)
		for _, e := range envs {
			if e.Type == typ {
				return e
			}
		}
	}
}

func send(t *testing.T, c *websocket.Conn, typ string, data any) {
	t.Helper()
	raw, _ := json.Marshal(data)
	b, _ := protocol.Encode(protocol.Envelope{Type: typ, Channel: notify.Channel("ann"), Data: raw})
	if err := c.Write(context.Background(), websocket.MessageText, b); err != nil {
		t.Fatal(err)
	}
}

func note(seq uint64) notify.Notification {
	return notify.Notification{ID: "n" + string(rune('0'+seq)), Seq: seq, Severity: notify.Info, Title: "t"}
}

// A live notification that comes before the answer to the sync may
// follow a gap: when the connection ends first, the next sync still asks
// for the gap.
func TestCenterResumesFromWhatTheBatchConfirmed(t *testing.T) {
	t.Parallel()
	p, url := newPeer(t)
	c, err := ws.New(ws.Config{URL: url, ReconnectDelay: 10 * time.Millisecond, PingInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got := make(chan string, 10)
	center, err := notify.NewCenter(c, "ann", notify.CenterOptions{
		Storage: &notify.MemoryStorage{},
		OnNew:   func(n notify.Notification) { got <- n.ID },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer center.Close()
	c.Connect()

	conn := p.next(t)
	expect(t, conn, notify.TypeSync)
	send(t, conn, notify.TypeBatch, notify.BatchData{Items: []notify.Notification{note(1)}})
	// The sync on this connection is lost; 3 comes live, 2 was missed.
	conn.CloseNow()
	conn = p.next(t)
	expect(t, conn, notify.TypeSync)
	send(t, conn, notify.TypeNew, note(3))
	conn.CloseNow()

	conn = p.next(t)
	sync := expect(t, conn, notify.TypeSync)
	if d, err := protocol.DecodeData[notify.SyncData](sync); err != nil || d.After != 1 {
		t.Fatalf("synced after %d (%v), want 1: 2 never came", d.After, err)
	}
	send(t, conn, notify.TypeBatch, notify.BatchData{Items: []notify.Notification{note(2), note(3)}})
	send(t, conn, notify.TypeNew, note(4))
	conn.CloseNow()
	conn = p.next(t)
	if d, _ := protocol.DecodeData[notify.SyncData](expect(t, conn, notify.TypeSync)); d.After != 4 {
		t.Fatalf("synced after %d, want 4: the batch and the live one after it", d.After)
	}
	for _, want := range []string{"n1", "n3", "n2", "n4"} {
		if id := <-got; id != want {
			t.Fatalf("OnNew %s, want %s", id, want)
		}
	}
}
