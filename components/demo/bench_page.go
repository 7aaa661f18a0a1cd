package demo

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/matih-ai/realtime/components"
	"github.com/matih-ai/realtime/wasm/live"
	"github.com/matih-ai/realtime/wasm/protocol"
	"github.com/matih-ai/realtime/wasm/ws"
)

// BenchPath is the page of the benchmark suite; the navigation does not
// list it.
const BenchPath = "/bench"

// BenchFeed is the live feed that the benchmark page renders.
const BenchFeed = "bench"

// benchTimeout bounds one workload of the benchmark page.
const benchTimeout = 5 * time.Minute

// BenchPage is the go-app side of the benchmark suite (bench/), which
// measures it against a plain JavaScript client and realtime.js. While it is
// mounted, window.realtimeBench runs the suite's workloads through
// components.WebSocket(""), as a screen of an application would:
//
//	echo(channel, n)  n round trips of a ~100-byte message, one at a time;
//	                  resolves with {"rtt":[ms, ...]} (JSON)
//	burst(channel, m) subscribes now; resolves once m messages arrived, each
//	                  decoded, with {"count":m,"ms":first to last} (JSON)
//	live(on)          mounts or unmounts a LiveUpdates of BenchFeed with a LiveTable
//	columns(fields)   shows the table's columns of those fields alone
//	                  (space-separated; "" for all)
//	liveStats()       {"seq":N,"deltas":N,"renders":N,"coalesced":N} (JSON);
//	                  seq is the feed's sequence in the table drawn last
//	timer(channel, ms) publishes one message on an echo channel, whose
//	                  inline handler sets a timer of ms; resolves with
//	                  {"ms":the time from the handler to the timer's call}
//	connectedAt       performance.now() when the provider first connected
type BenchPage struct {
	app.Compo
	config pageConfig
}

func (p *BenchPage) Render() app.UI {
	return app.Main().Class("rt-main").Body(
		&components.WebSocketProvider{Config: p.config.ws(), Content: []app.UI{
			components.StatusBadge(),
			&benchPanel{},
		}},
	)
}

// benchMessage is the data of an echo, about 100 bytes as JSON.
type benchMessage struct {
	Seq  int    `json:"seq"`
	Text string `json:"text"`
}

// benchBurstData is the data of a burst message.
type benchBurstData struct {
	I int `json:"i"`
}

type benchPanel struct {
	app.Compo
	live   bool
	fields []string      // the table's columns, by field; all when empty
	drawn  atomic.Uint64 // the feed's seq the table last drew (benchSeq)

	funcs []app.Func
	stop  func()
}

func (c *benchPanel) OnMount(ctx app.Context) {
	client := components.WebSocket("")
	if client == nil {
		return
	}
	api := app.Window().Get("Object").New()
	api.Set("connectedAt", 0)
	connected := func(s ws.Status) {
		if s == ws.StatusConnected && api.Get("connectedAt").Float() == 0 {
			api.Set("connectedAt", now())
		}
	}
	c.stop = client.OnStatus(connected)
	connected(client.Status())

	c.export(api, "echo", func(args []app.Value) any {
		channel, n := args[0].String(), args[1].Int()
		return promise(func() (string, error) { return benchEcho(client, channel, n) })
	})
	c.export(api, "burst", func(args []app.Value) any {
		wait, err := benchBurst(client, args[0].String(), args[1].Int())
		if err != nil {
			return promise(func() (string, error) { return "", err })
		}
		return promise(wait)
	})
	c.export(api, "timer", func(args []app.Value) any {
		channel, ms := args[0].String(), args[1].Int()
		return promise(func() (string, error) { return benchTimer(client, channel, ms) })
	})
	c.export(api, "live", func(args []app.Value) any {
		on := args[0].Truthy()
		ctx.Dispatch(func(app.Context) { c.live = on })
		return nil
	})
	c.export(api, "columns", func(args []app.Value) any {
		fields := strings.Fields(args[0].String())
		ctx.Dispatch(func(app.Context) { c.fields = fields })
		return nil
	})
	c.export(api, "liveStats", func([]app.Value) any {
		stats := map[string]uint64{}
		if f := components.LiveOf(BenchFeed); f != nil {
			s := f.Stats()
			stats["seq"] = c.drawn.Load()
			stats["deltas"] = s.Deltas
			stats["renders"] = s.Render.Renders
			stats["coalesced"] = s.Render.Coalesced
		}
		return benchJSON(stats)
	})
	app.Window().Set("realtimeBench", api)
}

// export sets api[name] to fn, released on dismount.
func (c *benchPanel) export(api app.Value, name string, fn func(args []app.Value) any) {
	f := app.FuncOf(func(_ app.Value, args []app.Value) any { return fn(args) })
	c.funcs = append(c.funcs, f)
	api.Set(name, f)
}

func (c *benchPanel) OnDismount() {
	app.Window().Delete("realtimeBench")
	for _, f := range c.funcs {
		f.Release()
	}
	c.funcs = nil
	if c.stop != nil {
		c.stop()
	}
}

func (c *benchPanel) Render() app.UI {
	return app.Div().ID("bench").Body(
		app.If(c.live, func() app.UI {
			return &components.LiveUpdates{Feed: BenchFeed, Content: []app.UI{
				&benchSeq{drawn: &c.drawn},
				components.LiveTable().Feed(BenchFeed).Columns(c.columns()...),
			}}
		}),
	)
}

// benchColumns are the columns of the bench page's table.
var benchColumns = []components.Column{
	{Field: "id", Label: "Row"},
	{Field: "region", Label: "Region"},
	{Field: "plan", Label: "Plan"},
	{Field: "orders", Label: "Orders", Numeric: true},
	{Field: "revenue", Label: "Revenue", Numeric: true, Format: money},
}

// columns are the table's columns: those of c.fields, in their order,
// when columns(fields) set them (for a test of LiveTable).
func (c *benchPanel) columns() []components.Column {
	if len(c.fields) == 0 {
		return benchColumns
	}
	var cols []components.Column
	for _, f := range c.fields {
		for _, col := range benchColumns {
			if col.Field == f {
				cols = append(cols, col)
			}
		}
	}
	return cols
}

// benchSeq notes the seq of each state of the bench feed that go-app
// draws: it renders in the frame that draws the table beside it.
type benchSeq struct {
	app.Compo
	drawn *atomic.Uint64

	state live.State
}

func (s *benchSeq) OnMount(ctx app.Context) { components.ObserveLive(ctx, BenchFeed, &s.state) }

func (s *benchSeq) Render() app.UI {
	s.drawn.Store(s.state.Seq)
	return app.Span().Hidden(true)
}

// benchEcho publishes n messages on an echo channel, each after the echo
// of the one before, and returns the round trips in milliseconds. As in
// bench/testdata/harness.js, the subscriber publishes the next message:
// a round trip is from Publish to the subscriber's decoded message.
func benchEcho(client *ws.Client, channel string, n int) (string, error) {
	// The clock is the monotonic one alone, as performance.now() in
	// harness.js: time.Now would also read the wall clock, a call into
	// JavaScript that makes a Date, on every echo. As there, it is read
	// once a round trip (an echo's arrival is the next publish's start):
	// each read is a call out of Go's wasm into JavaScript, 1-1.5 µs in
	// the page where JavaScript's own read takes a tenth of that.
	var (
		rtt    = make([]float64, 0, n)
		msg    = benchMessage{Text: strings.Repeat("x", 80)}
		origin = time.Now()
		start  time.Duration // since origin
		done   = make(chan error, 1)
	)
	finish := func(err error) {
		select {
		case done <- err:
		default: // finished already
		}
	}
	send := func(now time.Duration) {
		msg.Seq = len(rtt)
		start = now
		// A pointer, as a struct in an interface is a copy on the heap.
		if err := client.Publish(channel, &msg); err != nil {
			finish(err)
		}
	}
	// The handler waits for nothing (a publish on an open browser socket
	// is written at once), so it may run as the frame arrives.
	unsubscribe, err := client.SubscribeInline(channel, func(e protocol.Envelope) {
		m, err := protocol.DecodeData[benchMessage](e)
		switch {
		case len(rtt) == n:
			return // a stray echo after the last
		case err != nil:
			finish(err)
			return
		case m.Seq != len(rtt):
			finish(fmt.Errorf("echo %d came back as %d", len(rtt), m.Seq))
			return
		}
		now := time.Since(origin)
		rtt = append(rtt, float64((now-start).Nanoseconds())/1e6)
		if len(rtt) < n {
			send(now)
			return
		}
		finish(nil)
	})
	if err != nil {
		return "", err
	}
	defer unsubscribe()
	send(time.Since(origin))
	select {
	case err := <-done:
		if err != nil {
			return "", err
		}
	case <-time.After(benchTimeout):
		return "", fmt.Errorf("%d of %d round trips after %v", len(rtt), n, benchTimeout)
	}
	return benchJSON(map[string][]float64{"rtt": rtt}), nil
}

// benchTimer publishes one message on an echo channel and returns, in
// milliseconds, how long after the subscriber's inline handler set a
// timer of ms the timer called its function. The handler runs in the
// export that took the frame, after which Go runs no goroutine and arms
// no timer until the page resumes it (see web/realtime-socket.js).
func benchTimer(client *ws.Client, channel string, ms int) (string, error) {
	fired := make(chan time.Duration, 1)
	var once sync.Once
	unsubscribe, err := client.SubscribeInline(channel, func(protocol.Envelope) {
		once.Do(func() {
			set := time.Now()
			time.AfterFunc(time.Duration(ms)*time.Millisecond, func() { fired <- time.Since(set) })
		})
	})
	if err != nil {
		return "", err
	}
	defer unsubscribe()
	if err := client.Publish(channel, &benchMessage{Text: "timer"}); err != nil {
		return "", err
	}
	select {
	case took := <-fired:
		return benchJSON(map[string]float64{"ms": float64(took.Microseconds()) / 1000}), nil
	case <-time.After(benchTimeout):
		return "", fmt.Errorf("the timer set in the handler did not fire in %v", benchTimeout)
	}
}

// benchBurst subscribes to channel now and returns the wait for m
// messages, each decoded as an application would.
func benchBurst(client *ws.Client, channel string, m int) (wait func() (string, error), err error) {
	var (
		count       atomic.Int64
		first, last time.Time
		done        = make(chan struct{})
	)
	unsubscribe, err := client.SubscribeInline(channel, func(msg protocol.Envelope) {
		if _, err := protocol.DecodeData[benchBurstData](msg); err != nil {
			return
		}
		// The clock only where the figure needs it: in Go it costs two
		// calls into JavaScript.
		c := count.Add(1)
		if c == 1 {
			first = time.Now()
		}
		if c == int64(m) {
			last = time.Now()
			close(done)
		}
	})
	if err != nil {
		return nil, err
	}
	return func() (string, error) {
		defer unsubscribe()
		select {
		case <-done:
		case <-time.After(benchTimeout):
			return "", fmt.Errorf("%d of %d messages after %v", count.Load(), m, benchTimeout)
		}
		return benchJSON(map[string]float64{"count": float64(m), "ms": float64(last.Sub(first).Nanoseconds()) / 1e6}), nil
	}, nil
}

// promise runs work on a goroutine and returns a Promise of its result.
func promise(work func() (string, error)) app.Value {
	executor := app.FuncOf(func(_ app.Value, args []app.Value) any {
		resolve, reject := args[0], args[1]
		go func() {
			v, err := work()
			if err != nil {
				reject.Invoke(app.Window().Get("Error").New(err.Error()))
				return
			}
			resolve.Invoke(v)
		}()
		return nil
	})
	defer executor.Release() // the Promise constructor calls it at once
	return app.Window().Get("Promise").New(executor)
}

// now is performance.now(), the clock of the benchmark's figures.
func now() float64 { return app.Window().Get("performance").Call("now").Float() }

// benchJSON encodes figures: finite numbers, which cannot fail.
func benchJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
