package components

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/matih-ai/realtime/wasm/live"
)

// LiveUpdates subscribes to a live feed over a WebSocketProvider above it
// and shares its state (items, live/stale/paused/polling) with its
// descendants. Renders are coalesced: at most one per frame, with the
// latest data.
type LiveUpdates struct {
	app.Compo

	// Provider names the WebSocketProvider. Default is "".
	Provider string
	// Name tells LiveUpdates providers apart. Default is the feed.
	Name string
	// Feed is the feed to follow ("orders", "metrics").
	Feed string
	// Options tune the feed. When PollURL is empty it is "/live/<feed>" on
	// the page's origin, the server's polling fallback.
	Options live.Options
	Content []app.UI

	feed *live.Feed
	stop []func()

	// On the UI goroutine: a state handed to go-app awaits its frame
	// (drawing), and when that frame began (drawFrom: this component's
	// Render, which go-app calls before its descendants').
	drawing  bool
	drawFrom time.Time
}

var feeds = registry[*live.Feed]{kind: "LiveUpdates"}

func (l *LiveUpdates) name() string {
	if l.Name == "" {
		return l.Feed
	}
	return l.Name
}

// LiveOf returns the feed of the named LiveUpdates provider, or nil.
func LiveOf(name string) *live.Feed { return feeds.get(name) }

// LiveKey is the go-app state under which the named provider publishes its
// live.State.
func LiveKey(name string) string { return "realtime/live/" + name }

// ObserveLive keeps *s up to date with the named provider's feed and
// re-renders the component of ctx on every (coalesced) change.
func ObserveLive(ctx app.Context, name string, s *live.State) app.Observer {
	return ctx.ObserveState(LiveKey(name), s)
}

func (l *LiveUpdates) CompoID() string { return l.Provider + "\x00" + l.name() + "\x00" + l.Feed }

func (l *LiveUpdates) OnInit() {
	if app.IsServer {
		return
	}
	client := WebSocket(l.Provider)
	if client == nil {
		app.Log(fmt.Errorf("components: LiveUpdates %q: no WebSocketProvider named %q above it", l.Feed, l.Provider))
		return
	}
	opts := l.Options
	if opts.PollURL == "" {
		opts.PollURL = resolveHTTPURL("/live/"+l.Feed, pageURL())
		if !strings.HasPrefix(opts.PollURL, "http") {
			opts.PollURL = "" // not in a page: no polling
		}
	}
	f, err := live.Subscribe(client, l.Feed, opts)
	if err != nil {
		app.Log(fmt.Errorf("components: LiveUpdates %q: %w", l.Feed, err))
		return
	}
	l.feed = f
	feeds.set(l.name(), f)
}

func (l *LiveUpdates) OnMount(ctx app.Context) {
	if l.feed == nil {
		return
	}
	key := LiveKey(l.name())
	f := l.feed
	ctx.SetState(key, f.State())
	l.stop = append(l.stop, f.OnChange(func(s live.State) {
		drawn := make(chan time.Duration, 1) // what drawing took; 0: not known
		ctx.Dispatch(func(ctx app.Context) {
			l.drawing, l.drawFrom = true, time.Time{}
			ctx.SetState(key, s)
			// Behind the dispatches SetState queued for the state's
			// observers, and then after the update cycle that draws them
			// (go-app draws its components in frames).
			ctx.Dispatch(func(ctx app.Context) {
				ctx.Defer(func(app.Context) {
					var took time.Duration
					if !l.drawFrom.IsZero() {
						took = time.Since(l.drawFrom)
					}
					l.drawing = false
					drawn <- took
				})
			})
		})
		// The feed's next render waits until this one is drawn, and keeps
		// apart from it by as long when drawing is slow (live.Coalescer):
		// a table slower to draw than its updates come would otherwise
		// keep the page from painting. What counts is the drawing, not
		// the wait for go-app's frame (some 8 ms, more than a quick
		// table's drawing): counted, it halved the frame rate. A
		// dismounted component's dispatch may never run: the wait is
		// bounded.
		select {
		case took := <-drawn:
			if took > 0 {
				f.RenderCost(took)
			}
		case <-time.After(maxDrawWait):
		}
	}))
}

// maxDrawWait bounds how long a feed's render waits for go-app to draw it.
const maxDrawWait = time.Second

func (l *LiveUpdates) OnDismount() {
	for _, stop := range l.stop {
		stop()
	}
	l.stop = nil
	if l.feed != nil {
		feeds.remove(l.name(), l.feed)
		l.feed.Close()
		l.feed = nil
	}
}

func (l *LiveUpdates) Render() app.UI {
	if l.drawing && l.drawFrom.IsZero() {
		l.drawFrom = time.Now() // the frame that draws the state began
	}
	return app.Div().Class("rt-live").Body(l.Content...)
}

// ILiveIndicator shows whether a feed is live, stale (with its age),
// paused or polling.
type ILiveIndicator interface {
	app.UI
	// Feed names the LiveUpdates provider.
	Feed(name string) ILiveIndicator
}

// LiveIndicator returns the indicator of a LiveUpdates provider.
func LiveIndicator() ILiveIndicator { return &liveIndicator{} }

type liveIndicator struct {
	app.Compo
	IFeed string

	state live.State
	now   time.Time
	mu    sync.Mutex
	quit  chan struct{}
}

func (i *liveIndicator) Feed(name string) ILiveIndicator { i.IFeed = name; return i }

// OnMount follows the feed, and ticks each second so a stale age counts.
func (i *liveIndicator) OnMount(ctx app.Context) {
	i.now = time.Now()
	ObserveLive(ctx, i.IFeed, &i.state)
	quit := make(chan struct{})
	i.mu.Lock()
	i.quit = quit
	i.mu.Unlock()
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case now := <-t.C:
				ctx.Dispatch(func(app.Context) { i.now = now })
			}
		}
	}()
}

func (i *liveIndicator) OnDismount() {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.quit != nil {
		close(i.quit)
		i.quit = nil
	}
}

func (i *liveIndicator) Render() app.UI { return LiveIndicatorView(i.state, i.now) }

// LiveIndicatorView renders a feed's status as a pill; a stale feed shows
// how long it has been stale.
func LiveIndicatorView(s live.State, now time.Time) app.UI {
	detail := ""
	if s.Status == live.StatusStale {
		if age := s.Age(now); age >= time.Second {
			detail = age.Round(time.Second).String()
		}
	}
	return app.Span().Class("rt-live-indicator").DataSet("seq", s.Seq).Body(StatusPill(string(s.Status), detail))
}

// ILiveChart draws a feed's items as a line.
type ILiveChart interface {
	app.UI
	// Feed names the LiveUpdates provider.
	Feed(name string) ILiveChart
	// Field is the numeric field to plot. Default is "v".
	Field(f string) ILiveChart
	// Size of the drawing, in CSS pixels. Default is 560x160.
	Size(w, h int) ILiveChart
}

// LiveChart returns a small SVG line chart bound to a LiveUpdates provider.
func LiveChart() ILiveChart { return &liveChart{IField: "v", IWidth: 560, IHeight: 160} }

type liveChart struct {
	app.Compo
	IFeed   string
	IField  string
	IWidth  int
	IHeight int

	state live.State
}

func (c *liveChart) Feed(name string) ILiveChart { c.IFeed = name; return c }
func (c *liveChart) Field(f string) ILiveChart   { c.IField = f; return c }
func (c *liveChart) Size(w, h int) ILiveChart    { c.IWidth, c.IHeight = w, h; return c }

func (c *liveChart) OnMount(ctx app.Context) { ObserveLive(ctx, c.IFeed, &c.state) }

func (c *liveChart) Render() app.UI {
	return app.Raw(LiveChartSVG(c.state, c.IField, c.IWidth, c.IHeight))
}

// LiveChartSVG draws the field of the items as a polyline scaled to the
// drawing, with the latest value labelled. It builds the SVG as text: one
// node for go-app to replace per frame instead of hundreds to diff.
func LiveChartSVG(s live.State, field string, w, h int) string {
	var vals []float64
	for _, it := range s.Items {
		if v, ok := it.Float(field); ok {
			vals = append(vals, v)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="rt-chart rt-chart--%s" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%d points" data-points="%d">`,
		s.Status, w, h, w, h, len(vals), len(vals))
	fmt.Fprintf(&b, `<rect class="rt-chart__bg" x="0" y="0" width="%d" height="%d" rx="6"/>`, w, h)
	if len(vals) > 1 {
		lo, hi := vals[0], vals[0]
		for _, v := range vals {
			lo, hi = min(lo, v), max(hi, v)
		}
		if hi == lo {
			hi, lo = hi+1, lo-1
		}
		const pad = 12.0
		n := len(vals)
		if s.Max > n {
			n = s.Max // keep the scale as the series fills
		}
		b.WriteString(`<polyline class="rt-chart__line" fill="none" points="`)
		var x, y float64
		for i, v := range vals {
			x = pad + float64(i)*(float64(w)-2*pad)/float64(max(n-1, 1))
			y = float64(h) - pad - (v-lo)/(hi-lo)*(float64(h)-2*pad)
			fmt.Fprintf(&b, "%.1f,%.1f ", x, y)
		}
		b.WriteString(`"/>`)
		fmt.Fprintf(&b, `<circle class="rt-chart__dot" cx="%.1f" cy="%.1f" r="3.5"/>`, x, y)
		fmt.Fprintf(&b, `<text class="rt-chart__label" x="%d" y="18" text-anchor="end">%.1f</text>`, w-int(pad), vals[len(vals)-1])
	}
	b.WriteString(`</svg>`)
	return b.String()
}
