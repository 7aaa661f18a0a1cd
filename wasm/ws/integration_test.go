//go:build !js

// The server package links coder/websocket's Accept, which does not exist
// for GOOS=js, so these tests run natively only.

package ws_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/matih-ai/realtime/server"
	"github.com/matih-ai/realtime/wasm/protocol"
	"github.com/matih-ai/realtime/wasm/ws"
)

// waitTimeout bounds every wait; nothing here should come close.
const waitTimeout = 5 * time.Second

// backend is a real server.Server listening on 127.0.0.1.
type backend struct {
	srv  *server.Server
	hs   *httptest.Server
	addr string // host:port, kept across a restart

	mu     sync.Mutex
	dials  int      // WebSocket handshakes seen
	tokens []string // the "token" query parameter of each handshake
	once   sync.Once
}

// startBackend serves server.New(opts) on addr ("" picks a free port on
// 127.0.0.1) until stop or the end of the test.
func startBackend(t *testing.T, opts server.Options, addr string) *backend {
	t.Helper()
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("failed to listen on %s: %v", addr, err)
	}
	b := &backend{srv: server.New(opts), addr: ln.Addr().String()}
	b.hs = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ws" {
			b.mu.Lock()
			b.dials++
			b.tokens = append(b.tokens, r.URL.Query().Get("token"))
			b.mu.Unlock()
		}
		b.srv.ServeHTTP(w, r)
	}))
	b.hs.Listener.Close()
	b.hs.Listener = ln
	b.hs.Start()
	t.Cleanup(func() { b.stop(t) })
	return b
}

func (b *backend) url() string { return "ws://" + b.addr + "/ws" }

func (b *backend) dialCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.dials
}

func (b *backend) lastToken() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.tokens) == 0 {
		return ""
	}
	return b.tokens[len(b.tokens)-1]
}

// stop closes the listener, so that nothing reconnects to this instance,
// then shuts the server down, which closes its WebSockets with 1012.
func (b *backend) stop(t *testing.T) {
	b.once.Do(func() {
		b.hs.Close() // does not wait for hijacked (WebSocket) connections
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		if err := b.srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
}

// rawBackend serves handle on 127.0.0.1 after a coder/websocket Accept: a
// peer that misbehaves in ways the real server never does. handle gets a
// channel closed at the end of the test.
func rawBackend(t *testing.T, handle func(c *websocket.Conn, done <-chan struct{})) string {
	t.Helper()
	done := make(chan struct{})
	var wg sync.WaitGroup
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		wg.Add(1)
		defer wg.Done()
		defer c.CloseNow()
		handle(c, done)
	}))
	t.Cleanup(func() {
		close(done)
		hs.Close()
		wg.Wait()
	})
	return "ws" + strings.TrimPrefix(hs.URL, "http")
}

// watched is a client whose states, errors and messages are recorded.
type watched struct {
	*ws.Client
	t *testing.T

	mu       sync.Mutex
	states   []ws.State
	errs     []error
	changed  chan struct{} // signalled after every record
	seen     int           // states already consumed by waitState
	barriers int           // barriers passed, to tell their echoes apart
}

// newClient makes a client of url with fast timings; cfg overrides them.
// It is closed at the end of the test.
func newClient(t *testing.T, url string, cfg ws.Config) *watched {
	t.Helper()
	cfg.URL = url
	if cfg.ReconnectDelay == 0 {
		cfg.ReconnectDelay = 20 * time.Millisecond
	}
	if cfg.MaxReconnectDelay == 0 {
		cfg.MaxReconnectDelay = 200 * time.Millisecond
	}
	if cfg.PingInterval == 0 {
		cfg.PingInterval = -1
	}
	if cfg.DialTimeout == 0 {
		cfg.DialTimeout = 2 * time.Second
	}
	c, err := ws.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	w := &watched{Client: c, t: t, changed: make(chan struct{}, 1)}
	c.OnState(func(s ws.State) { w.record(func() { w.states = append(w.states, s) }) })
	c.OnError(func(err error) { w.record(func() { w.errs = append(w.errs, err) }) })
	t.Cleanup(c.Close)
	return w
}

func (w *watched) record(f func()) {
	w.mu.Lock()
	f()
	w.mu.Unlock()
	select {
	case w.changed <- struct{}{}:
	default:
	}
}

// wait runs check, under the lock, after every record until it reports
// true.
func (w *watched) wait(what string, check func() bool) {
	w.t.Helper()
	deadline := time.After(waitTimeout)
	for {
		w.mu.Lock()
		ok := check()
		w.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-w.changed:
		case <-deadline:
			w.t.Fatalf("timed out waiting for %s; state %+v, errors %v", what, w.State(), w.errors())
		}
	}
}

// waitState waits for a state, after those already consumed, that
// satisfies ok, and returns it.
func (w *watched) waitState(what string, ok func(ws.State) bool) ws.State {
	w.t.Helper()
	var found ws.State
	w.wait(what, func() bool {
		for w.seen < len(w.states) {
			s := w.states[w.seen]
			w.seen++
			if ok(s) {
				found = s
				return true
			}
		}
		return false
	})
	return found
}

func (w *watched) waitStatus(s ws.Status) ws.State {
	w.t.Helper()
	return w.waitState("status "+string(s), func(st ws.State) bool { return st.Status == s })
}

// leftSince lists the states other than connected reported after the first
// n states: none means the connection never dropped.
func (w *watched) leftSince(n int) []ws.State {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []ws.State
	for _, s := range w.states[n:] {
		if s.Status != ws.StatusConnected {
			out = append(out, s)
		}
	}
	return out
}

func (w *watched) stateCount() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.states)
}

// waitErr waits for an error reported through OnError that satisfies ok.
func (w *watched) waitErr(what string, ok func(error) bool) error {
	w.t.Helper()
	var found error
	w.wait(what, func() bool {
		for _, err := range w.errs {
			if ok(err) {
				found = err
				return true
			}
		}
		return false
	})
	return found
}

func (w *watched) errors() []error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]error(nil), w.errs...)
}

// connect connects and waits until the connection is open.
func (w *watched) connect() {
	w.t.Helper()
	w.Connect()
	w.waitStatus(ws.StatusConnected)
}

// barrier returns once the server has handled everything w sent before and
// w's handlers have been given everything the server sent before: the
// server serves one connection's requests in order, and the echo it sends
// back reaches its handler after every earlier message.
func (w *watched) barrier() {
	w.t.Helper()
	w.barriers++
	token := json.RawMessage(strconv.Itoa(w.barriers))
	back := make(chan struct{}, 1)
	unsubscribe, err := w.Subscribe("echo:barrier", func(e protocol.Envelope) {
		if string(e.Data) == string(token) {
			back <- struct{}{}
		}
	})
	if err != nil {
		w.t.Fatal(err)
	}
	defer unsubscribe()
	if err := w.Publish("echo:barrier", token); err != nil {
		w.t.Fatal(err)
	}
	select {
	case <-back:
	case <-time.After(waitTimeout):
		w.t.Fatal("barrier: the echo never came back")
	}
}

// inbox collects the messages of a channel.
type inbox chan protocol.Envelope

func subscribe(t *testing.T, c *watched, channel string) inbox {
	t.Helper()
	in := make(inbox, 1000)
	if _, err := c.Subscribe(channel, func(e protocol.Envelope) { in <- e }); err != nil {
		t.Fatal(err)
	}
	return in
}

func (in inbox) next(t *testing.T) protocol.Envelope {
	t.Helper()
	select {
	case e := <-in:
		return e
	case <-time.After(waitTimeout):
		t.Fatal("no message arrived")
		return protocol.Envelope{}
	}
}

// nextSeq returns the "seq" of the next message, or -1 for other data.
func (in inbox) nextSeq(t *testing.T) int {
	t.Helper()
	e := in.next(t)
	var d struct{ Seq *int }
	if err := json.Unmarshal(e.Data, &d); err != nil || d.Seq == nil {
		return -1
	}
	return *d.Seq
}

// empty checks that nothing more arrived by the time c passed a barrier.
func (in inbox) empty(t *testing.T, c *watched) {
	t.Helper()
	c.barrier()
	select {
	case e := <-in:
		t.Fatalf("unexpected message %s on %s (id %s)", e.Data, e.Channel, e.ID)
	default:
	}
}

func closeCode(err error) int {
	var ce *ws.CloseError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return 0
}

func seqData(i int) map[string]int { return map[string]int{"seq": i} }

func TestRealServerEcho(t *testing.T) {
	t.Parallel()
	b := startBackend(t, server.Options{}, "")
	c := newClient(t, b.url(), ws.Config{})
	in := subscribe(t, c, "echo:t")
	c.connect()

	if err := c.Publish("echo:t", map[string]string{"text": "hello\nworld"}); err != nil {
		t.Fatal(err)
	}
	e := in.next(t)
	if e.Type != protocol.TypeMessage || e.Channel != "echo:t" || e.ID != "1" || e.Timestamp == 0 {
		t.Fatalf("echo %+v, want message 1 on echo:t with a timestamp", e)
	}
	if d, err := protocol.DecodeData[map[string]string](e); err != nil || d["text"] != "hello\nworld" {
		t.Fatalf("echo data %s (%v), want the text sent", e.Data, err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	ack, err := c.Request(ctx, protocol.Envelope{Type: protocol.TypePublish, Channel: "echo:t", Data: json.RawMessage(`[1,2]`)})
	if err != nil || ack.Type != protocol.TypeAck || ack.Channel != "echo:t" || ack.Ref == "" {
		t.Fatalf("Request(publish) = %+v, %v; want an ack on echo:t", ack, err)
	}
	if e := in.next(t); string(e.Data) != `[1,2]` || e.ID != "2" {
		t.Fatalf("second echo %+v (data %s), want [1,2] as id 2", e, e.Data)
	}

	// A request the server refuses comes back as its error.
	_, err = c.Request(ctx, protocol.Envelope{Type: protocol.TypeUnsubscribe, Channel: "room:never"})
	var pe *protocol.ErrorData
	if !errors.As(err, &pe) || pe.Code != protocol.CodeNotSubscribed {
		t.Fatalf("Request(unsubscribe of a channel never joined) = %v, want not_subscribed", err)
	}
}

func TestRealServerPubSubBetweenClients(t *testing.T) {
	t.Parallel()
	b := startBackend(t, server.Options{}, "")
	a := newClient(t, b.url(), ws.Config{})
	bc := newClient(t, b.url(), ws.Config{})
	inA := subscribe(t, a, "room:1")
	inB := subscribe(t, bc, "room:1")
	a.connect()
	bc.connect()
	a.barrier()
	bc.barrier()

	const n = 100
	for i := range n {
		if err := a.Publish("room:1", seqData(i)); err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
	}
	for name, in := range map[string]inbox{"B": inB, "A (subscribed sender)": inA} {
		for i := range n {
			if got := in.nextSeq(t); got != i {
				t.Fatalf("%s: message %d has seq %d, want all %d in order", name, i, got, n)
			}
		}
	}
	inA.empty(t, a)
	inB.empty(t, bc)
}

// TestRealServerRestart is not parallel: the new server must get the old
// one's port back.
func TestRealServerRestart(t *testing.T) {
	old := startBackend(t, server.Options{}, "")
	c := newClient(t, old.url(), ws.Config{MaxReconnectAttempts: -1})
	in := subscribe(t, c, "room:restart")
	c.connect()
	c.barrier()

	old.stop(t)
	st := c.waitState("reconnecting after a 1012", func(s ws.State) bool {
		return s.Status == ws.StatusReconnecting && closeCode(s.Err) == protocol.CloseServiceRestart
	})
	if st.Attempt != 1 {
		t.Fatalf("first reconnect is attempt %d", st.Attempt)
	}

	const n = 20
	for i := range n {
		if err := c.Publish("room:restart", seqData(i)); err != nil {
			t.Fatalf("publish %d while down: %v", i, err)
		}
	}
	if q := c.State().Queued; q != n {
		t.Fatalf("%d messages queued while down, want %d", q, n)
	}

	restarted := startBackend(t, server.Options{}, old.addr)
	c.waitStatus(ws.StatusConnected)
	// The client resubscribed before flushing its queue, so it is itself a
	// subscriber on the new server and gets every queued message back.
	for i := range n {
		if got := in.nextSeq(t); got != i {
			t.Fatalf("after the restart message %d has seq %d, want all %d in order", i, got, n)
		}
	}
	// The last frame leaves the queue once its write returns, which may be
	// after its echo came back.
	c.waitState("the queue to empty", func(s ws.State) bool { return s.Queued == 0 })

	// Another client of the new server reaches it on the restored subscription.
	other := newClient(t, restarted.url(), ws.Config{})
	other.connect()
	if err := other.Publish("room:restart", "from another client"); err != nil {
		t.Fatal(err)
	}
	if e := in.next(t); string(e.Data) != `"from another client"` {
		t.Fatalf("got %s, want the other client's message", e.Data)
	}
	// Exactly once: the queue went out once, on one connection.
	in.empty(t, c)
	if d := restarted.dialCount(); d != 2 {
		t.Fatalf("%d handshakes on the new server, want one per client", d)
	}
}

func TestRealServerBadTokenIsFinal(t *testing.T) {
	t.Parallel()
	b := startBackend(t, server.Options{Auth: server.StaticToken("good")}, "")

	bad := newClient(t, b.url(), ws.Config{AuthToken: "bad"})
	subscribe(t, bad, "room:auth") // something to write as soon as it connects
	bad.Connect()
	st := bad.waitStatus(ws.StatusError)
	if closeCode(st.Err) != protocol.CloseUnauthorized {
		t.Fatalf("refused token: error %v, want a *ws.CloseError with 4401", st.Err)
	}
	// It does not redial: watch for ten times the first reconnect delay.
	deadline := time.Now().Add(10 * bad.Config().ReconnectDelay)
	for time.Now().Before(deadline) {
		if d, s := b.dialCount(), bad.Status(); d != 1 || s != ws.StatusError {
			t.Fatalf("after 4401: %d handshakes, status %s; want 1 and error", d, s)
		}
		time.Sleep(10 * time.Millisecond)
	}

	good := newClient(t, b.url(), ws.Config{AuthToken: "good"})
	in := subscribe(t, good, "echo:auth")
	good.connect()
	if err := good.Publish("echo:auth", 1); err != nil {
		t.Fatal(err)
	}
	in.next(t)
	if tok := b.lastToken(); tok != "" {
		t.Fatalf("a subprotocol-safe token also went in the query: %q", tok)
	}
}

func TestRealServerTokenUnsafeForASubprotocolTravelsInTheQuery(t *testing.T) {
	t.Parallel()
	const token = "a b/c"
	b := startBackend(t, server.Options{Auth: server.StaticToken(token)}, "")
	c := newClient(t, b.url(), ws.Config{AuthToken: token})
	in := subscribe(t, c, "echo:q")
	c.connect()
	if err := c.Publish("echo:q", "hi"); err != nil {
		t.Fatal(err)
	}
	in.next(t)
	if tok := b.lastToken(); tok != token {
		t.Fatalf("the server saw ?token=%q, want %q", tok, token)
	}
}

func TestRealServerOversizeMessageCloses1009AndTheClientRecovers(t *testing.T) {
	t.Parallel()
	b := startBackend(t, server.Options{ReadLimit: 1024}, "")
	c := newClient(t, b.url(), ws.Config{})
	in := subscribe(t, c, "room:big")
	c.connect()
	c.barrier()

	if err := c.Publish("room:big", strings.Repeat("x", 4<<10)); err != nil {
		t.Fatal(err)
	}
	st := c.waitState("reconnecting after a 1009", func(s ws.State) bool {
		return s.Status == ws.StatusReconnecting && closeCode(s.Err) == protocol.CloseMessageTooBig
	})
	if st.Queued != 0 {
		t.Fatalf("%d messages kept for the next connection, want the oversize one gone", st.Queued)
	}
	c.waitStatus(ws.StatusConnected)

	for i := range 3 {
		if err := c.Publish("room:big", seqData(i)); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		if got := in.nextSeq(t); got != i {
			t.Fatalf("after the 1009 message %d has seq %d, want the small ones in order", i, got)
		}
	}
	in.empty(t, c)
	if d := b.dialCount(); d != 2 {
		t.Fatalf("%d handshakes, want the first and one reconnect: the big message was sent again", d)
	}
}

func TestMaxMessageSizeRefusesWhatTheServerWouldClose1009For(t *testing.T) {
	t.Parallel()
	b := startBackend(t, server.Options{ReadLimit: 1024}, "")
	c := newClient(t, b.url(), ws.Config{MaxMessageSize: 1024})
	in := subscribe(t, c, "room:big")
	c.connect()
	seen := c.stateCount()

	err := c.Publish("room:big", strings.Repeat("x", 4<<10))
	if !errors.Is(err, ws.ErrMessageTooBig) {
		t.Fatalf("Publish of 4 KiB with a 1 KiB limit: %v, want ErrMessageTooBig", err)
	}
	if err := c.Publish("room:big", seqData(0)); err != nil {
		t.Fatal(err)
	}
	if got := in.nextSeq(t); got != 0 {
		t.Fatalf("got seq %d, want the small message", got)
	}
	if s := c.leftSince(seen); len(s) != 0 || b.dialCount() != 1 {
		t.Fatalf("a refused message touched the connection: statuses %v, %d handshakes", s, b.dialCount())
	}
}

func TestMalformedFrameFromThePeerIsReportedAndTheConnectionStays(t *testing.T) {
	t.Parallel()
	url := rawBackend(t, func(c *websocket.Conn, done <-chan struct{}) {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		c.Write(ctx, websocket.MessageText, []byte(`{bad json`))
		c.Write(ctx, websocket.MessageText, []byte(`{"type":"message","channel":"feed:x","data":{"v":1},"id":"1"}`))
		<-done
	})
	c := newClient(t, url, ws.Config{})
	in := subscribe(t, c, "feed:x")
	c.connect()
	seen := c.stateCount()

	c.waitErr("a malformed-frame error", func(err error) bool { return errors.Is(err, protocol.ErrMalformed) })
	if e := in.next(t); string(e.Data) != `{"v":1}` {
		t.Fatalf("got %s, want the valid message after the bad one", e.Data)
	}
	if s := c.leftSince(seen); len(s) != 0 || c.Status() != ws.StatusConnected {
		t.Fatalf("a malformed frame changed the status: %v (now %s)", s, c.Status())
	}
}

func TestRealServerAnswersHeartbeats(t *testing.T) {
	t.Parallel()
	b := startBackend(t, server.Options{}, "")
	const interval = 50 * time.Millisecond
	c := newClient(t, b.url(), ws.Config{PingInterval: interval, PingTimeout: interval})
	c.connect()
	seen := c.stateCount()

	// Nothing but heartbeats flows for ten intervals.
	<-time.After(10 * interval)
	if s := c.leftSince(seen); len(s) != 0 || c.Status() != ws.StatusConnected {
		t.Fatalf("an answered heartbeat dropped the connection: statuses %v, err %v", s, c.State().Err)
	}
	if d := b.dialCount(); d != 1 {
		t.Fatalf("%d handshakes, want one", d)
	}
}

func TestDeadPeerIsDetectedByTheHeartbeat(t *testing.T) {
	t.Parallel()
	var accepted atomic.Int32
	url := rawBackend(t, func(c *websocket.Conn, done <-chan struct{}) {
		accepted.Add(1)
		<-done // never reads, never answers
	})
	const interval = 50 * time.Millisecond
	c := newClient(t, url, ws.Config{PingInterval: interval, PingTimeout: interval})
	start := time.Now()
	c.connect()
	st := c.waitState("reconnecting after a heartbeat timeout", func(s ws.State) bool {
		return s.Status == ws.StatusReconnecting && errors.Is(s.Err, ws.ErrHeartbeatTimeout)
	})
	if took := time.Since(start); took < 2*interval {
		t.Fatalf("declared dead after %v, before a ping could go unanswered", took)
	}
	if st.Attempt != 1 {
		t.Fatalf("attempt %d after the first timeout", st.Attempt)
	}
	c.waitStatus(ws.StatusConnected)
	// The client can see the socket open before the handler has counted it.
	for deadline := time.Now().Add(5 * time.Second); accepted.Load() < 2; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections accepted, want a reconnect", accepted.Load())
		}
	}
}
