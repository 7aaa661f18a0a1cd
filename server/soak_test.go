package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/matih-ai/realtime/server/internal/faultproxy"
	"github.com/matih-ai/realtime/wasm/notify"
	"github.com/matih-ai/realtime/wasm/protocol"
	"github.com/matih-ai/realtime/wasm/sse"
	"github.com/matih-ai/realtime/wasm/ws"
)

// soakSettings size TestSoak: a few seconds by default, SOAK=full for
// the long run. SOAK_SEED replays a run's faults.
type soakSettings struct {
	duration time.Duration
	clients  int           // each publishes on one channel and follows two
	channels int           // shared by the clients
	pace     time.Duration // between two publishes of a client
	streams  int           // SSE ticker clients
	users    int           // notification users, one center each per client
	notePace time.Duration // between two notifications
}

func soakConfig() soakSettings {
	s := soakSettings{duration: 3 * time.Second, clients: 50, channels: 5, pace: 40 * time.Millisecond, streams: 3, users: 5, notePace: 30 * time.Millisecond}
	if os.Getenv("SOAK") == "full" {
		s.duration, s.pace, s.notePace = 25*time.Second, 20*time.Millisecond, 15*time.Millisecond
	}
	return s
}

// TestSoak runs 50 clients publishing numbered messages on shared
// channels, SSE ticker streams and notification centers, all through a
// proxy that drops, cuts mid-frame, stalls and delays their connections,
// while the server is restarted twice on the same address and history
// directory. Afterwards every publish the client was told was accepted
// has reached every subscriber of its channel exactly once and in order,
// the others were reported to their sender as errors (and reached no one
// twice), the tickers saw every tick once, every center got every
// notification once, and no goroutine is left.
func TestSoak(t *testing.T) {
	cfg := soakConfig()
	seed := uint64(time.Now().UnixNano())
	if s, err := strconv.ParseUint(os.Getenv("SOAK_SEED"), 10, 64); err == nil {
		seed = s
	}
	t.Logf("soak: %v, %d clients on %d channels, a publish every %v each, seed %d (SOAK=full for the long run, SOAK_SEED to replay)",
		cfg.duration, cfg.clients, cfg.channels, cfg.pace, seed)
	goroutines := runtime.NumGoroutine()

	b := startSoakBackend(t)
	proxy, err := faultproxy.New(b.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	wsURL := "ws://" + proxy.Addr() + "/ws"

	channel := func(i int) string { return "soak:" + strconv.Itoa(i%cfg.channels) }
	clients := make([]*soakClient, cfg.clients)
	for i := range clients {
		clients[i] = newSoakClient(t, i, wsURL, []string{channel(i), channel(i + 1)}, cfg.users)
	}
	streams := make([]*soakStream, cfg.streams)
	for i := range streams {
		streams[i] = newSoakStream(t, "http://"+proxy.Addr()+"/sse/ticker")
	}
	// Publishing starts once every subscription is in place.
	waitFor(t, "every subscription", func() bool {
		s := b.server()
		for c := range cfg.channels {
			if s.Subscribers(channel(c)) != 2*cfg.clients/cfg.channels {
				return false
			}
		}
		return true
	})

	stop := make(chan struct{})
	var work sync.WaitGroup
	for _, c := range clients {
		work.Go(func() { c.publish(cfg.pace, stop) })
	}
	notes := &soakNotes{sent: make(map[string][]string)}
	work.Go(func() { notes.run(b, cfg.users, cfg.notePace, stop) })
	faults := soakFaults{proxy: proxy, rnd: rand.New(rand.NewPCG(seed, seed))}
	if os.Getenv("SOAK_NOFAULTS") == "" {
		work.Go(func() { faults.run(stop) })
	}

	start := time.Now()
	for i := 1; i <= 2; i++ {
		time.Sleep(time.Until(start.Add(cfg.duration * time.Duration(i) / 3)))
		b.restart(t, 150*time.Millisecond)
	}
	time.Sleep(time.Until(start.Add(cfg.duration)))
	close(stop)
	work.Wait()
	faults.calm()
	t.Logf("faults: %s", faults.report())

	// Everything settles: every accepted message and notification
	// arrives, the tickers catch up.
	settle := time.Now()
	deadline := time.Now().Add(30 * time.Second)
	for !soakSettled(clients, streams, notes, b) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("settled %v after the end", time.Since(settle).Round(time.Millisecond))

	checkSoakMessages(t, clients)
	t.Logf("servers: %d repeated publishes acked and dropped, %d messages replayed to subscribers that resumed",
		b.repeats+b.srv.hub.repeats.Load(), b.replayed+b.srv.hub.replayed.Load())
	checkSoakStreams(t, streams)
	checkSoakNotes(t, clients, notes)

	for _, c := range clients {
		c.close()
	}
	for _, s := range streams {
		s.c.Close()
	}
	b.stop(t)
	proxy.Close()
	if err := waitGoroutines(goroutines); err != nil {
		t.Error(err)
	}
	t.Logf("goroutines: %d before, %d after", goroutines, runtime.NumGoroutine())
}

// soakBackend is the server, restarted on the same address and history
// directory.
type soakBackend struct {
	addr string
	dir  string

	mu   sync.RWMutex // Notify runs under the read lock, a restart under the write lock
	srv  *Server
	hs   *http.Server
	hist *FileHistory
	done chan struct{}

	repeats, replayed int64 // of the servers stopped
}

func startSoakBackend(t *testing.T) *soakBackend {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &soakBackend{addr: ln.Addr().String(), dir: t.TempDir()}
	b.serve(t, ln)
	return b
}

func (b *soakBackend) server() *Server {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.srv
}

// serve starts a server on ln; b.mu is held or not needed.
func (b *soakBackend) serve(t *testing.T, ln net.Listener) {
	hist, err := OpenFileHistory(b.dir, 3000, 0)
	if err != nil {
		t.Fatal(err)
	}
	b.hist = hist
	b.srv = New(Options{
		History:      hist,
		RateLimit:    -1,
		WriteTimeout: 2 * time.Second,
		TickInterval: 20 * time.Millisecond,
		SSERetry:     50 * time.Millisecond,
		KeepAlive:    200 * time.Millisecond,
		ReplayWindow: 2000,
	})
	b.hs = &http.Server{Handler: b.srv}
	b.done = make(chan struct{})
	go func(hs *http.Server, done chan struct{}) {
		defer close(done)
		hs.Serve(ln)
	}(b.hs, b.done)
}

// stop shuts the server down as the command does, then closes the history.
func (b *soakBackend) stop(t *testing.T) {
	b.repeats += b.srv.hub.repeats.Load()
	b.replayed += b.srv.hub.replayed.Load()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srvErr := make(chan error, 1)
	go func() { srvErr <- b.srv.Shutdown(ctx) }()
	if err := b.hs.Shutdown(ctx); err != nil {
		t.Errorf("http shutdown: %v", err)
	}
	if err := <-srvErr; err != nil {
		t.Errorf("shutdown: %v", err)
	}
	<-b.done
	if err := b.hist.Close(); err != nil {
		t.Error(err)
	}
}

// restart stops the server, waits down, and starts a new one on the same
// address and directory.
func (b *soakBackend) restart(t *testing.T, down time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	start := time.Now()
	b.stop(t)
	t.Logf("restart: the server shut down in %v", time.Since(start).Round(time.Millisecond))
	time.Sleep(down)
	ln, err := net.Listen("tcp", b.addr)
	if err != nil {
		t.Fatalf("failed to listen again on %s: %v", b.addr, err)
	}
	b.serve(t, ln)
}

// soakFaults breaks the proxy's connections at random until stopped.
type soakFaults struct {
	proxy *faultproxy.Proxy
	rnd   *rand.Rand

	cuts, stalls, delays, refusals int
}

func (f *soakFaults) run(stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		case <-time.After(time.Duration(150+f.rnd.IntN(350)) * time.Millisecond):
		}
		// Most faults hit a few connections, one in ten all of them.
		share := 0.05 + 0.3*f.rnd.Float64()
		if f.rnd.IntN(10) == 0 {
			share = 1
		}
		switch r := f.rnd.IntN(100); {
		case r < 30:
			f.proxy.Drop(share)
		case r < 60:
			f.cuts++
			f.proxy.CutAfter(1+f.rnd.IntN(400), share)
		case r < 75:
			f.stalls++
			f.proxy.Stall(time.Duration(50+f.rnd.IntN(950)) * time.Millisecond)
		case r < 90:
			f.delays++
			f.proxy.SetDelay(time.Duration(f.rnd.IntN(20)) * time.Millisecond)
		default:
			f.refusals++
			f.proxy.Refuse(true)
			time.Sleep(time.Duration(50+f.rnd.IntN(250)) * time.Millisecond)
			f.proxy.Refuse(false)
		}
	}
}

// calm ends the faults in force: no delay, no stall left to wait out.
func (f *soakFaults) calm() {
	f.proxy.SetDelay(0)
	f.proxy.Refuse(false)
}

func (f *soakFaults) report() string {
	s := f.proxy.Stats()
	return fmt.Sprintf("%d connections accepted, %d refused; %d dropped; %d cut mid-stream (%d cuts armed); %d stalls of all traffic (50 ms to 1 s); %d delay changes (0-20 ms); %d refusal spells; %d MB forwarded",
		s.Accepted, s.Refused, s.Dropped, s.Cut, f.cuts, f.stalls, f.delays, f.refusals, s.Bytes>>20)
}

// soakMsg is the data of a soak publish: publisher and number.
type soakMsg struct {
	P int `json:"p"`
	N int `json:"n"`
}

// soakClient is one WebSocket client: it publishes on one channel,
// follows two, and has a notification center.
type soakClient struct {
	id      int
	channel string // the one it publishes on, the first it follows
	user    string // of its notification center
	c       *ws.Client
	centers []*notify.Center
	stop    []func()

	mu      sync.Mutex
	got     map[string][]soakMsg // per channel, in arrival order
	lost    int                  // history_lost events
	results []error              // per publish n (index n-1): nil when acked
	took    []time.Duration      // per publish n, until its Request returned
	noted   map[string]int       // notification id -> times OnNew saw it
}

func newSoakClient(t *testing.T, id int, url string, channels []string, users int) *soakClient {
	t.Helper()
	c, err := ws.New(ws.Config{
		URL:                  url,
		ReconnectDelay:       20 * time.Millisecond,
		MaxReconnectDelay:    200 * time.Millisecond,
		ReconnectJitter:      0.3,
		MaxReconnectAttempts: -1,
		PingInterval:         300 * time.Millisecond,
		PingTimeout:          800 * time.Millisecond,
		DialTimeout:          2 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	sc := &soakClient{id: id, channel: channels[0], user: "u" + strconv.Itoa(id%users), c: c, got: make(map[string][]soakMsg), noted: make(map[string]int)}
	for _, ch := range channels {
		unsubscribe, err := c.Subscribe(ch, func(e protocol.Envelope) { sc.receive(ch, e) })
		if err != nil {
			t.Fatal(err)
		}
		sc.stop = append(sc.stop, unsubscribe)
	}
	center, err := notify.NewCenter(c, sc.user, notify.CenterOptions{
		Cap:     100000,
		Storage: &notify.MemoryStorage{},
		OnNew: func(n notify.Notification) {
			sc.mu.Lock()
			defer sc.mu.Unlock()
			sc.noted[n.ID]++
		},
		OnError: func(err error) { t.Errorf("client %d: notifications: %v", id, err) },
	})
	if err != nil {
		t.Fatal(err)
	}
	sc.centers = append(sc.centers, center)
	c.Connect()
	return sc
}

func (sc *soakClient) receive(channel string, e protocol.Envelope) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if e.Type == protocol.TypeError {
		sc.lost++
		return
	}
	var m soakMsg
	if err := json.Unmarshal(e.Data, &m); err != nil {
		m = soakMsg{P: -1}
	}
	sc.got[channel] = append(sc.got[channel], m)
}

// publish sends numbered messages on channel, one at a time, each a
// Request, until stop. Every seventh has a short deadline, so that some
// are reported as errors while the network is down.
func (sc *soakClient) publish(pace time.Duration, stop <-chan struct{}) {
	for n := 1; ; n++ {
		select {
		case <-stop:
			return
		default:
		}
		wait := 20 * time.Second
		if n%7 == 0 {
			wait = 250 * time.Millisecond
		}
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		data, _ := json.Marshal(soakMsg{P: sc.id, N: n})
		start := time.Now()
		_, err := sc.c.Request(ctx, protocol.Envelope{Type: protocol.TypePublish, Channel: sc.channel, Data: data})
		cancel()
		sc.mu.Lock()
		sc.results = append(sc.results, err)
		sc.took = append(sc.took, time.Since(start))
		sc.mu.Unlock()
		select {
		case <-stop:
			return
		case <-time.After(pace):
		}
	}
}

func (sc *soakClient) close() {
	for _, c := range sc.centers {
		c.Close()
	}
	for _, stop := range sc.stop {
		stop()
	}
	sc.c.Close()
}

// soakStream is an SSE client of the ticker whose tick ids are recorded.
type soakStream struct {
	c *sse.Client

	mu   sync.Mutex
	ids  []int64
	lost int
}

func newSoakStream(t *testing.T, url string) *soakStream {
	t.Helper()
	c, err := sse.New(sse.Config{
		URL:                  url,
		RetryDelay:           50 * time.Millisecond,
		MaxRetryDelay:        300 * time.Millisecond,
		MaxReconnectAttempts: -1,
		IdleTimeout:          time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	s := &soakStream{c: c}
	c.On("tick", func(e sse.Event) {
		id, err := strconv.ParseInt(e.ID, 10, 64)
		if err != nil {
			id = -1
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		s.ids = append(s.ids, id)
	})
	c.On("history-lost", func(sse.Event) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.lost++
	})
	c.Open()
	return s
}

func (s *soakStream) last() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.ids) == 0 {
		return -1
	}
	return s.ids[len(s.ids)-1]
}

// soakNotes sends notifications to the users in turn until stopped.
type soakNotes struct {
	mu     sync.Mutex
	sent   map[string][]string // user -> ids of the notifications accepted
	failed int
}

func (n *soakNotes) run(b *soakBackend, users int, pace time.Duration, stop <-chan struct{}) {
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		case <-time.After(pace):
		}
		user := "u" + strconv.Itoa(i%users)
		b.mu.RLock()
		note, err := b.srv.Notify(user, notify.Notification{Severity: notify.Info, Title: "soak " + strconv.Itoa(i)})
		b.mu.RUnlock()
		n.mu.Lock()
		if err != nil {
			n.failed++
		} else {
			n.sent[user] = append(n.sent[user], note.ID)
		}
		n.mu.Unlock()
	}
}

// soakSettled reports whether every client has every message acked on its
// channels and every notification of its user, and every ticker client
// is within a few ticks of the server.
func soakSettled(clients []*soakClient, streams []*soakStream, notes *soakNotes, b *soakBackend) bool {
	acked := soakAcked(clients)
	notes.mu.Lock()
	defer notes.mu.Unlock()
	for _, c := range clients {
		c.mu.Lock()
		for ch, msgs := range c.got {
			have := map[soakMsg]bool{}
			for _, m := range msgs {
				have[m] = true
			}
			for _, m := range acked[ch] {
				if !have[m] {
					c.mu.Unlock()
					return false
				}
			}
		}
		for _, id := range notes.sent[c.user] {
			if c.noted[id] == 0 {
				c.mu.Unlock()
				return false
			}
		}
		c.mu.Unlock()
	}
	srv := b.server()
	now := int64(time.Since(srv.opts.TickEpoch) / srv.opts.TickInterval)
	for _, s := range streams {
		if s.last() < now-10 {
			return false
		}
	}
	return true
}

// soakAcked lists, per channel, the messages whose publish was acked.
func soakAcked(clients []*soakClient) map[string][]soakMsg {
	out := map[string][]soakMsg{}
	for _, c := range clients {
		c.mu.Lock()
		for i, err := range c.results {
			if err == nil {
				out[c.channel] = append(out[c.channel], soakMsg{P: c.id, N: i + 1})
			}
		}
		c.mu.Unlock()
	}
	return out
}

func checkSoakMessages(t *testing.T, clients []*soakClient) {
	t.Helper()
	var accepted, failed, timedOut, total int
	var took []time.Duration    // of accepted publishes
	sent := map[soakMsg]error{} // every publish, by publisher and number
	for _, c := range clients {
		c.mu.Lock()
		for i, err := range c.results {
			sent[soakMsg{P: c.id, N: i + 1}] = err
			switch {
			case err == nil:
				accepted++
				took = append(took, c.took[i])
			case errors.Is(err, context.DeadlineExceeded):
				timedOut++
				failed++
			default:
				failed++
				t.Errorf("client %d: publish %d: %v", c.id, i+1, err)
			}
		}
		c.mu.Unlock()
	}
	total = accepted + failed
	acked := soakAcked(clients)
	var deliveries, expected, dups, missing, disorder, unknown, failedDelivered, lost int
	failedSeen := map[soakMsg]bool{}
	for _, c := range clients {
		c.mu.Lock()
		lost += c.lost
		for ch, msgs := range c.got {
			deliveries += len(msgs)
			expected += len(acked[ch])
			seen := map[soakMsg]bool{}
			lastN := map[int]int{}
			for _, m := range msgs {
				err, ok := sent[m]
				switch {
				case !ok:
					unknown++
					continue
				case seen[m]:
					dups++
					continue
				case m.N <= lastN[m.P]:
					disorder++
				}
				seen[m] = true
				lastN[m.P] = m.N
				if err != nil {
					failedDelivered++
					failedSeen[m] = true
				}
			}
			for _, m := range acked[ch] {
				if !seen[m] {
					missing++
					if missing <= 5 {
						t.Errorf("client %d never got accepted message %+v on %s", c.id, m, ch)
					}
				}
			}
		}
		c.mu.Unlock()
	}
	slices.Sort(took)
	pct := func(p float64) time.Duration {
		if len(took) == 0 {
			return 0
		}
		return took[int(p*float64(len(took)-1))].Round(time.Millisecond)
	}
	t.Logf("publishes: %d sent, %d accepted (acked after %v median, %v p90, %v p99, %v at most), %d reported as errors (%d timed out), %d of those reached some subscribers anyway (each once)",
		total, accepted, pct(0.5), pct(0.9), pct(0.99), pct(1), failed, timedOut, len(failedSeen))
	t.Logf("deliveries: %d, of accepted messages %d expected; duplicates %d, missing %d, out of order %d, unknown %d, history lost %d",
		deliveries, expected, dups, missing, disorder, unknown, lost)
	if dups != 0 || missing != 0 || disorder != 0 || unknown != 0 || lost != 0 {
		t.Errorf("delivery broke: duplicates %d, missing %d, out of order %d, unknown %d, history lost %d", dups, missing, disorder, unknown, lost)
	}
	if accepted == 0 {
		t.Error("no publish was accepted")
	}
}

func checkSoakStreams(t *testing.T, streams []*soakStream) {
	t.Helper()
	var events, gaps, repeats, lost int
	for _, s := range streams {
		s.mu.Lock()
		events += len(s.ids)
		lost += s.lost
		for i := 1; i < len(s.ids); i++ {
			switch d := s.ids[i] - s.ids[i-1]; {
			case d <= 0:
				repeats++
			case d > 1:
				gaps++
			}
		}
		s.mu.Unlock()
	}
	t.Logf("sse: %d ticker streams, %d ticks; gaps %d, repeats %d, history lost %d", len(streams), events, gaps, repeats, lost)
	if gaps != 0 || repeats != 0 || lost != 0 || events == 0 {
		t.Errorf("sse resume broke: %d ticks, gaps %d, repeats %d, history lost %d", events, gaps, repeats, lost)
	}
}

func checkSoakNotes(t *testing.T, clients []*soakClient, notes *soakNotes) {
	t.Helper()
	notes.mu.Lock()
	defer notes.mu.Unlock()
	var sent, received, missing, repeated, foreign int
	for _, ids := range notes.sent {
		sent += len(ids)
	}
	for _, c := range clients {
		want := map[string]bool{}
		for _, id := range notes.sent[c.user] {
			want[id] = true
		}
		c.mu.Lock()
		for id, n := range c.noted {
			received += n
			if n > 1 {
				repeated++
			}
			if !want[id] {
				foreign++
			}
		}
		for id := range want {
			if c.noted[id] == 0 {
				missing++
			}
		}
		c.mu.Unlock()
	}
	t.Logf("notifications: %d sent (%d refused), %d received by %d centers; missing %d, repeated %d, not sent %d",
		sent, notes.failed, received, len(clients), missing, repeated, foreign)
	if missing != 0 || repeated != 0 || foreign != 0 || sent == 0 {
		t.Errorf("notifications broke: missing %d, repeated %d, not sent %d", missing, repeated, foreign)
	}
}
