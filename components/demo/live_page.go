package demo

import (
	"fmt"
	"math"
	"strconv"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/matih-ai/realtime/components"
	"github.com/matih-ai/realtime/wasm/live"
)

// LivePage binds a live table and a live chart to the server's demo feeds.
type LivePage struct {
	app.Compo
	config pageConfig
}

func (p *LivePage) Render() app.UI {
	return layout("/live",
		app.H1().Text("Live updates"),
		app.P().Class("rt-lead").Text("A snapshot, then numbered deltas; a gap or a reconnect brings a fresh snapshot, so the view is never silently wrong. Bursts render at most once per frame."),
		&components.WebSocketProvider{Config: p.config.ws(), Content: []app.UI{
			app.Div().Class("rt-toolbar").Body(
				app.Span().Class("rt-toolbar__spacer"),
				components.StatusBadge(),
			),
			&components.LiveUpdates{Feed: "metrics", Content: []app.UI{&metricsPanel{}}},
			&components.LiveUpdates{Feed: "orders", Content: []app.UI{&ordersPanel{}}},
		}},
	)
}

type metricsPanel struct{ app.Compo }

func (c *metricsPanel) Render() app.UI {
	return app.Section().Class("rt-panel", "rt-live-panel").Body(
		app.Div().Class("rt-live-panel__head").Body(
			app.H2().Text("Warehouse load"),
			components.LiveIndicator().Feed("metrics"),
		),
		components.LiveChart().Feed("metrics").Size(1000, 160),
	)
}

type ordersPanel struct {
	app.Compo
	state    live.State
	paused   bool
	bursting bool
	problem  string
}

func (c *ordersPanel) OnMount(ctx app.Context) { components.ObserveLive(ctx, "orders", &c.state) }

func (c *ordersPanel) togglePause(ctx app.Context, e app.Event) {
	f := components.LiveOf("orders")
	if f == nil {
		return
	}
	if c.paused {
		f.Resume()
	} else {
		f.Pause()
	}
	c.paused = !c.paused
}

func (c *ordersPanel) burst(ctx app.Context, e app.Event) {
	c.bursting = true
	ctx.Async(func() {
		err := demoJSON("POST", "/live/burst?feed=orders&n=1000", nil, nil)
		ctx.Dispatch(func(app.Context) {
			c.bursting = false
			c.problem = ""
			if err != nil {
				c.problem = err.Error()
			}
		})
	})
}

func (c *ordersPanel) Render() app.UI {
	var stats live.Stats
	if f := components.LiveOf("orders"); f != nil {
		stats = f.Stats()
	}
	pause := "Pause"
	if c.paused {
		pause = "Resume"
	}
	return app.Section().Class("rt-panel", "rt-live-panel").Body(
		app.Div().Class("rt-live-panel__head").Body(
			app.H2().Text("Orders by region"),
			components.LiveIndicator().Feed("orders"),
			app.Span().Class("rt-toolbar__spacer"),
			app.Button().ID("pause").Class("rt-button").Text(pause).OnClick(c.togglePause),
			app.Button().ID("burst").Class("rt-button", "rt-button--primary").Text("Burst 1,000 updates").
				Disabled(c.bursting).OnClick(c.burst),
		),
		app.If(c.problem != "", func() app.UI { return app.P().Class("rt-problem").Text(c.problem) }),
		app.Div().ID("orders").Body(
			components.LiveTable().Feed("orders").Columns(
				components.Column{Field: "id", Label: "Row"},
				components.Column{Field: "region", Label: "Region"},
				components.Column{Field: "plan", Label: "Plan"},
				components.Column{Field: "orders", Label: "Orders", Numeric: true},
				components.Column{Field: "revenue", Label: "Revenue", Numeric: true, Format: money},
			),
		),
		app.Dl().Class("rt-stats", "rt-stats--wide").Body(
			stat("seq", "Sequence", strconv.FormatUint(c.state.Seq, 10)),
			stat("deltas", "Deltas received", strconv.FormatUint(stats.Deltas, 10)),
			stat("renders", "Renders", strconv.FormatUint(stats.Render.Renders, 10)),
			stat("resyncs", "Resyncs", strconv.FormatUint(stats.Resyncs, 10)),
		),
	)
}

func money(v any) string {
	f, ok := v.(float64)
	if !ok {
		return ""
	}
	cents := int64(math.Round(f * 100))
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return fmt.Sprintf("%s$%s.%02d", sign, components.GroupDigits(cents/100), cents%100)
}
