package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/matih-ai/realtime/wasm/protocol"
)

// config is what one run does; see the flags in main.go.
type config struct {
	addr     string // a running server; empty starts one
	pid      int    // the running server's process, for its memory
	token    string
	conns    int
	duration time.Duration
	group    int // connections per channel, one of which publishes
	interval time.Duration
	dialers  int // dials at once
}

// Bounds of a run: the tool must stop by itself and stay a test, not a
// weapon.
const (
	maxConns    = 10_000
	maxDuration = 10 * time.Minute
	// drainTimeout bounds the wait, once publishing stops, for the last
	// acks and deliveries.
	drainTimeout = 10 * time.Second
	opTimeout    = 10 * time.Second
)

func (c config) validate() error {
	switch {
	case c.conns < 2 || c.conns > maxConns:
		return fmt.Errorf("-n must be between 2 and %d", maxConns)
	case c.duration <= 0 || c.duration > maxDuration:
		return fmt.Errorf("-duration must be positive and at most %v", maxDuration)
	case c.group < 2 || c.group > 1000:
		return errors.New("-group must be between 2 and 1000")
	case c.interval < 10*time.Millisecond:
		return errors.New("-interval must be at least 10ms")
	case c.dialers < 1 || c.dialers > 500:
		return errors.New("-dialers must be between 1 and 500")
	case c.addr != "":
		return checkLoopback(c.addr)
	}
	return nil
}

// report is what a run measured.
type report struct {
	Target                      string
	Conns, Publishers, Groups   int
	Subscribers                 int
	Duration                    time.Duration
	Published, Acked, Refused   uint64
	Expected, Delivered         uint64
	OutOfOrder                  uint64 // a subscriber got a publisher's n other than the one after the last
	DialErrors, SubscribeErrors uint64
	ErrorEnvelopes              uint64 // error envelopes other than refused publishes
	ClosedEarly, WriteErrors    uint64
	P50, P99, Max               time.Duration
	// Server memory: before any connection, with every connection open
	// (both after a collection), the highest seen while publishing (no
	// collection) and after the run, still connected (collected).
	MemKnown                        bool
	Baseline, Connected, Peak, Last memStats
}

// Errors counts everything that went wrong but lost messages.
func (r report) Errors() uint64 {
	return r.DialErrors + r.SubscribeErrors + r.Refused + r.ErrorEnvelopes + r.ClosedEarly + r.WriteErrors + r.OutOfOrder
}

// Lost counts messages acked to their publisher that a subscriber never got.
func (r report) Lost() uint64 {
	if r.Delivered >= r.Expected {
		return 0
	}
	return r.Expected - r.Delivered
}

// load is the state of a run shared by its connections.
type load struct {
	cfg     config
	url     string
	latency histogram

	published, acked, refused, delivered, outOfOrder atomic.Uint64
	dialErrors, subscribeErrors, errorEnvelopes      atomic.Uint64
	closedEarly, writeErrors                         atomic.Uint64
	pending                                          atomic.Int64 // publishes not yet acked or refused
	ackedBy                                          []atomic.Uint64
	closing                                          atomic.Bool
}

// payload is the data of a published message.
type payload struct {
	N uint64 `json:"n"` // 1, 2, ... per publisher
	T int64  `json:"t"` // when it was sent, Unix ns
}

// member is one connection of a run.
type member struct {
	conn      *websocket.Conn
	group     int
	publisher bool
	last      uint64 // the last n received; owned by the reader
}

func groupChannel(g int) string { return "load:g" + strconv.Itoa(g) }

// run connects, publishes for the configured time, drains, disconnects
// and reports. probe measures the server's memory; nil when unknown.
func run(ctx context.Context, cfg config, probe memProbe) (report, error) {
	l := &load{cfg: cfg, url: "ws://" + cfg.addr + "/ws"}
	groups := (cfg.conns + cfg.group - 1) / cfg.group
	l.ackedBy = make([]atomic.Uint64, groups)
	r := report{Target: cfg.addr, Conns: cfg.conns, Groups: groups, Publishers: groups, Subscribers: cfg.conns - groups, MemKnown: probe != nil}
	measure := func(gc bool) memStats {
		if probe == nil {
			return memStats{}
		}
		m, err := probe.mem(gc)
		if err != nil {
			r.MemKnown = false
		}
		return m
	}
	r.Baseline = measure(true)

	members := l.connect(ctx)
	var readers sync.WaitGroup
	for _, m := range members {
		readers.Go(func() { l.read(ctx, m) })
	}
	r.Connected = measure(true)

	// Publish, sampling the server's memory once a second.
	stop := make(chan struct{})
	var publishers sync.WaitGroup
	i := 0
	for _, m := range members {
		if m.publisher {
			offset := cfg.interval * time.Duration(i) / time.Duration(groups)
			i++
			publishers.Go(func() { l.publish(ctx, m, offset, stop) })
		}
	}
	start := time.Now()
	sample := time.NewTicker(time.Second)
	end := time.NewTimer(cfg.duration)
wait:
	for {
		select {
		case <-sample.C:
			m := measure(false)
			r.Peak.HeapAlloc = max(r.Peak.HeapAlloc, m.HeapAlloc)
			r.Peak.HeapInuse = max(r.Peak.HeapInuse, m.HeapInuse)
			r.Peak.RSS = max(r.Peak.RSS, m.RSS)
			r.Peak.Goroutines = max(r.Peak.Goroutines, m.Goroutines)
		case <-end.C:
			break wait
		case <-ctx.Done():
			break wait
		}
	}
	sample.Stop()
	close(stop)
	publishers.Wait()
	r.Duration = time.Since(start)

	// Drain: every publish answered, every acked message delivered.
	expected := func() uint64 {
		var n uint64
		for g := range l.ackedBy {
			n += l.ackedBy[g].Load() * uint64(groupSize(cfg, g)-1)
		}
		return n
	}
	deadline := time.Now().Add(drainTimeout)
	for (l.pending.Load() > 0 || l.delivered.Load() < expected()) && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	r.Last = measure(true)

	l.closing.Store(true)
	var closers sync.WaitGroup
	for _, m := range members {
		closers.Go(func() { m.conn.Close(websocket.StatusNormalClosure, "") })
	}
	closers.Wait()
	readers.Wait()

	r.Published, r.Acked, r.Refused = l.published.Load(), l.acked.Load(), l.refused.Load()
	r.Expected, r.Delivered, r.OutOfOrder = expected(), l.delivered.Load(), l.outOfOrder.Load()
	r.DialErrors, r.SubscribeErrors = l.dialErrors.Load(), l.subscribeErrors.Load()
	r.ErrorEnvelopes, r.ClosedEarly, r.WriteErrors = l.errorEnvelopes.Load(), l.closedEarly.Load(), l.writeErrors.Load()
	r.P50, r.P99, r.Max = l.latency.percentile(0.50), l.latency.percentile(0.99), time.Duration(l.latency.max.Load())
	return r, ctx.Err()
}

// groupSize is how many connections group g has; the last may be short.
func groupSize(cfg config, g int) int {
	return min(cfg.group, cfg.conns-g*cfg.group)
}

// connect dials every connection, cfg.dialers at a time, and subscribes
// the subscribers; a failure is counted and the connection left out.
func (l *load) connect(ctx context.Context) []*member {
	var (
		mu      sync.Mutex
		members []*member
		wg      sync.WaitGroup
	)
	next := make(chan int)
	for range l.cfg.dialers {
		wg.Go(func() {
			for i := range next {
				m := &member{group: i / l.cfg.group, publisher: i%l.cfg.group == 0}
				if err := l.join(ctx, m); err != nil {
					continue
				}
				mu.Lock()
				members = append(members, m)
				mu.Unlock()
			}
		})
	}
	for i := range l.cfg.conns {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	return members
}

// join dials one connection and, for a subscriber, subscribes to its
// group's channel and waits for the ack.
func (l *load) join(ctx context.Context, m *member) error {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	opts := &websocket.DialOptions{}
	if l.cfg.token != "" {
		opts.Subprotocols = []string{protocol.BearerPrefix + l.cfg.token}
	}
	conn, _, err := websocket.Dial(ctx, l.url, opts)
	if err != nil {
		l.dialErrors.Add(1)
		return err
	}
	conn.SetReadLimit(1 << 20)
	m.conn = conn
	if m.publisher {
		return nil
	}
	frame, _ := protocol.Encode(protocol.Envelope{Type: protocol.TypeSubscribe, Channel: groupChannel(m.group), Ref: "sub"})
	if err := conn.Write(ctx, websocket.MessageText, frame); err != nil {
		l.subscribeErrors.Add(1)
		conn.CloseNow()
		return err
	}
	for {
		_, b, err := conn.Read(ctx)
		if err != nil {
			l.subscribeErrors.Add(1)
			conn.CloseNow()
			return err
		}
		envs, _ := protocol.DecodeFrame(b)
		for _, e := range envs {
			switch {
			case e.Type == protocol.TypeAck && e.Ref == "sub":
				return nil
			case e.Type == protocol.TypeError:
				l.subscribeErrors.Add(1)
				conn.CloseNow()
				return e.Err()
			}
		}
	}
}

// publish sends a message every interval, from offset on, until stop.
func (l *load) publish(ctx context.Context, m *member, offset time.Duration, stop <-chan struct{}) {
	select {
	case <-time.After(offset):
	case <-stop:
		return
	}
	tick := time.NewTicker(l.cfg.interval)
	defer tick.Stop()
	channel := groupChannel(m.group)
	for n := uint64(1); ; n++ {
		data, _ := json.Marshal(payload{N: n, T: time.Now().UnixNano()})
		frame, _ := protocol.Encode(protocol.Envelope{Type: protocol.TypePublish, Channel: channel, Data: data, Ref: strconv.FormatUint(n, 10)})
		l.pending.Add(1)
		wctx, cancel := context.WithTimeout(ctx, opTimeout)
		err := m.conn.Write(wctx, websocket.MessageText, frame)
		cancel()
		if err != nil {
			l.pending.Add(-1)
			l.writeErrors.Add(1)
			return
		}
		l.published.Add(1)
		select {
		case <-tick.C:
		case <-stop:
			return
		}
	}
}

// read handles what the server sends one connection until it closes.
func (l *load) read(ctx context.Context, m *member) {
	for {
		_, b, err := m.conn.Read(ctx)
		if err != nil {
			if !l.closing.Load() {
				l.closedEarly.Add(1)
			}
			return
		}
		now := time.Now()
		envs, err := protocol.DecodeFrame(b)
		if err != nil {
			l.errorEnvelopes.Add(1)
		}
		for _, e := range envs {
			switch e.Type {
			case protocol.TypeMessage:
				var p payload
				if json.Unmarshal(e.Data, &p) != nil || m.publisher {
					l.errorEnvelopes.Add(1)
					continue
				}
				l.delivered.Add(1)
				l.latency.record(now.Sub(time.Unix(0, p.T)))
				if p.N != m.last+1 {
					l.outOfOrder.Add(1)
				}
				m.last = p.N
			case protocol.TypeAck:
				if m.publisher {
					l.acked.Add(1)
					l.ackedBy[m.group].Add(1)
					l.pending.Add(-1)
				}
			case protocol.TypeError:
				if m.publisher && e.Ref != "" {
					l.refused.Add(1)
					l.pending.Add(-1)
				} else {
					l.errorEnvelopes.Add(1)
				}
			}
		}
	}
}
