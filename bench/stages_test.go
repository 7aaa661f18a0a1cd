package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/matih-ai/realtime/internal/webtest"
)

// echoStages is where an echo's time goes in the page: trimmed means (the
// top and bottom tenth left out), in ms.
type echoStages struct {
	rtt     float64 // the round trip, as the echo rows time it
	hand    float64 // the message event's start to WebSocket.send
	send    float64 // WebSocket.send itself
	network float64 // the send's return to the next message event: the way there and back, the server and Chrome's other processes
	event   float64 // the whole message event
}

// stageProbe, added to every document of a stage tab before its own
// scripts run, wraps WebSocket.prototype.send and every message listener
// of the page's sockets with marks of performance.now(). It wraps the
// browser's API, not a client's code, so it times each client alike, and
// any version of one. Recording starts with __stages.reset().
const stageProbe = `(() => {
  const P = (globalThis.__stages = { hand: [], send: [], network: [], event: [], inEvent: 0, sentAt: 0 });
  P.reset = () => { P.hand = []; P.send = []; P.network = []; P.event = []; P.sentAt = 0; };
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    const start = performance.now();
    const r = send.call(this, data);
    const end = performance.now();
    if (P.inEvent > 0) { P.hand.push(start - P.inEvent); P.send.push(end - start); }
    P.sentAt = end;
    return r;
  };
  const wrapped = new WeakMap();
  const wrap = (fn) => {
    if (typeof fn !== "function") return fn;
    let w = wrapped.get(fn);
    if (w === undefined) {
      w = function (e) {
        const start = performance.now();
        if (P.sentAt > 0) { P.network.push(start - P.sentAt); P.sentAt = 0; }
        P.inEvent = start;
        try { return fn.call(this, e); } finally { P.event.push(performance.now() - start); P.inEvent = 0; }
      };
      wrapped.set(fn, w);
    }
    return w;
  };
  const add = WebSocket.prototype.addEventListener;
  const remove = WebSocket.prototype.removeEventListener;
  WebSocket.prototype.addEventListener = function (type, fn, opts) { return add.call(this, type, type === "message" ? wrap(fn) : fn, opts); };
  WebSocket.prototype.removeEventListener = function (type, fn, opts) { return remove.call(this, type, type === "message" ? wrap(fn) : fn, opts); };
  const on = Object.getOwnPropertyDescriptor(WebSocket.prototype, "onmessage");
  Object.defineProperty(WebSocket.prototype, "onmessage", {
    configurable: true, enumerable: on.enumerable,
    get() { return on.get.call(this); },
    set(fn) { on.set.call(this, wrap(fn)); },
  });
})()`

// benchStages measures echoStages for every client, in a tab of its own
// with stageProbe: apart from the other rows, whose pages run nothing but
// their own code. As there, the clients take turns, warm up first, and
// make cfg.echoN round trips in cfg.rounds rounds.
func benchStages(t *testing.T, cfg config, browserCtx context.Context, tabs []*benchTab, base string) {
	stages := make([]*benchTab, len(tabs))
	for i, tab := range tabs {
		s := &benchTab{t: t, cfg: cfg, client: tab.client}
		s.ctx, s.cancel = chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext())
		defer s.cancel()
		if _, err := chromedp.Call(s.ctx, network.Disable, cdp.Empty{}); err != nil {
			t.Fatal(err)
		}
		if err := call(s.ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: stageProbe}); err != nil {
			t.Fatal(err)
		}
		s.load(base + s.client.path)
		stages[i] = s
	}
	for round := -cfg.warmUp; round < cfg.rounds; round++ {
		for _, s := range inTurn(stages, round) {
			s.front()
			if round == 0 {
				webtest.Eval[bool](t, s.ctx, `__stages.reset(), true`)
			}
			s.echo(round, cfg.echoN/cfg.rounds)
		}
	}
	for i, s := range stages {
		var marks struct{ Hand, Send, Network, Event []float64 }
		if err := json.Unmarshal([]byte(webtest.Eval[string](t, s.ctx, `JSON.stringify(__stages)`)), &marks); err != nil {
			t.Fatal(err)
		}
		tabs[i].figs.stages = echoStages{
			rtt:     trimmedMean(s.rtt),
			hand:    trimmedMean(marks.Hand),
			send:    trimmedMean(marks.Send),
			network: trimmedMean(marks.Network),
			event:   trimmedMean(marks.Event),
		}
		// Each round's first publish is sent from the test's call, the
		// others from the echo before's message event.
		if n, want := len(marks.Hand), len(s.rtt)-cfg.rounds; n < want {
			t.Errorf("%s: %d sends from a message event, want %d or more: the probe did not see its socket", s.client.name, n, want)
		}
	}
}

// trimmedMean is the mean of v without its top and bottom tenth.
func trimmedMean(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := slices.Sorted(slices.Values(v))
	s = s[len(s)/10 : len(s)-len(s)/10]
	var sum float64
	for _, x := range s {
		sum += x
	}
	return sum / float64(len(s))
}

// stagesTable prints echoStages of every client, in µs, with the
// difference from plain JS's: a few microseconds, which a ratio hides.
func (r *report) stagesTable() string {
	t := table{header: []string{"an echo in the page (trimmed mean)"}}
	for _, c := range r.clients {
		t.header = append(t.header, c.name)
	}
	for _, row := range []struct {
		name  string
		value func(echoStages) float64
	}{
		{"the round trip", func(s echoStages) float64 { return s.rtt }},
		{"the message event's start to `WebSocket.send`", func(s echoStages) float64 { return s.hand }},
		{"`WebSocket.send`", func(s echoStages) float64 { return s.send }},
		{"the send's return to the next message event", func(s echoStages) float64 { return s.network }},
		{"the whole message event", func(s echoStages) float64 { return s.event }},
	} {
		cells := []string{row.name}
		base := row.value(r.clients[0].stages)
		for i, c := range r.clients {
			v := row.value(c.stages)
			cell := micros(v)
			if i > 0 && !math.IsNaN(v) && !math.IsNaN(base) {
				cell += fmt.Sprintf(" (%+.1f)", 1000*(v-base))
			}
			cells = append(cells, cell)
		}
		t.rows = append(t.rows, cells)
	}
	return t.markdown()
}

// micros prints ms as µs with a tenth.
func micros(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.1f µs", 1000*v)
}
