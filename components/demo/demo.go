// Package demo holds the demo pages that `make run` serves: one page per
// component, against the bundled server. Both the wasm app (which renders
// them) and the server (which pre-renders them) register its routes.
package demo

import (
	"strconv"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/matih-ai/realtime/wasm/ws"
)

// Routes registers the demo pages with go-app, and the page of the
// benchmark suite, which the index does not list.
func Routes() {
	app.Route("/", func() app.Composer { return &IndexPage{} })
	app.Route("/websocket", func() app.Composer { return &WebSocketPage{} })
	app.Route("/sse", func() app.Composer { return &SSEPage{} })
	app.Route("/presence", func() app.Composer { return &PresencePage{} })
	app.Route("/notifications", func() app.Composer { return &NotificationsPage{} })
	app.Route("/queries", func() app.Composer { return &QueriesPage{} })
	app.Route("/live", func() app.Composer { return &LivePage{} })
	app.Route(BenchPath, func() app.Composer { return &BenchPage{} })
}

// TokenEnv is the go-app environment variable through which the server
// hands the demo pages its development token.
const TokenEnv = "REALTIME_TOKEN"

// wsConfig is the connection every demo page uses: the server's /ws with its
// development token. Query parameters of the page tune it, to try other
// settings without a rebuild: reconnectDelay, maxReconnectDelay and
// pingInterval in milliseconds, maxReconnectAttempts.
func wsConfig() ws.Config {
	q := app.Window().URL().Query()
	ms := func(name string) time.Duration {
		n, _ := strconv.Atoi(q.Get(name))
		return time.Duration(n) * time.Millisecond
	}
	attempts, _ := strconv.Atoi(q.Get("maxReconnectAttempts"))
	return ws.Config{
		URL:                  "/ws",
		AuthToken:            app.Getenv(TokenEnv),
		ReconnectDelay:       ms("reconnectDelay"),
		MaxReconnectDelay:    max(ms("maxReconnectDelay"), ms("reconnectDelay")),
		PingInterval:         ms("pingInterval"),
		MaxReconnectAttempts: attempts,
	}
}

// pageConfig is a page's WebSocket config, read from its URL on the
// page's first render only: a page renders again whenever a component
// under it dispatches (go-app updates the dispatching component's
// ancestors too), and reading the URL is calls into JavaScript and a
// parse, some 200 µs a render, a tenth of go-app's updates of the live
// table at 5,000 deltas a second.
type pageConfig struct{ cfg *ws.Config }

func (p *pageConfig) ws() ws.Config {
	if p.cfg == nil {
		cfg := wsConfig()
		p.cfg = &cfg
	}
	return *p.cfg
}

type page struct {
	path, title, summary string
}

// embedPage is the plain HTML demo of the JavaScript module: a page of the
// server, not of this app.
var embedPage = page{"/embed", "JavaScript module", "The same primitives from a plain page with no go-app: realtime.js loads realtime.wasm and returns a typed API."}

// fullLoad follows a link with a page load: go-app would look for the path
// among its own routes.
func fullLoad(path string) app.EventHandler {
	return func(ctx app.Context, e app.Event) {
		e.PreventDefault()
		app.Window().Get("location").Set("href", path)
	}
}

var pages = []page{
	{"/websocket", "WebSocket", "A live connection: status, echo, pub/sub between tabs, offline queue, reconnect with backoff."},
	{"/sse", "Server-Sent Events", "A ticker and a streaming answer that resume after a drop with no event lost or repeated."},
	{"/presence", "Presence", "Who is on a document: each tab a person, with active, idle and away, no flicker on reconnect."},
	{"/notifications", "Notifications", "Live notifications with a bell, unread counts, filters, toasts, and read state kept across reloads."},
	{"/live", "Live updates", "A live table and chart from snapshot + deltas, coalesced to one render per frame, with live, stale and paused."},
	{"/queries", "Query status", "Long SQL queries with phases, progress, rows, elapsed and time left; cancel one."},
}

// layout frames a demo page: header, navigation, content.
func layout(current string, content ...app.UI) app.UI {
	return app.Div().Class("rt-page").Body(
		app.Header().Class("rt-header").Body(
			app.A().Class("rt-brand").Href("/").Body(
				app.Span().Class("rt-brand__mark").Text("◆"),
				app.Text("Realtime workbench"),
			),
			app.Nav().Class("rt-nav").Body(
				app.Range(pages).Slice(func(i int) app.UI {
					p := pages[i]
					link := app.A().Href(p.path).Class("rt-nav__link").Text(p.title)
					if p.path == current {
						link = link.Class("rt-nav__link--current").Aria("current", "page")
					}
					return link
				}),
				// A plain page, not one of go-app's routes: as /embed's own
				// navigation lists it.
				app.A().Href(embedPage.path).Class("rt-nav__link").OnClick(fullLoad(embedPage.path)).Text(embedPage.title),
			),
		),
		app.Main().Class("rt-main").Body(content...),
	)
}

// IndexPage lists the demos.
type IndexPage struct{ app.Compo }

func (p *IndexPage) Render() app.UI {
	return layout("/",
		app.H1().Text("Realtime primitives"),
		app.P().Class("rt-lead").Text("Go compiled to WebAssembly, running in this page. Each demo talks to the server that serves it."),
		app.Div().Class("rt-cards").Body(
			app.Range(pages).Slice(func(i int) app.UI {
				p := pages[i]
				return app.A().Class("rt-card").Href(p.path).Body(
					app.H2().Text(p.title),
					app.P().Text(p.summary),
				)
			}),
			app.A().ID("embed-card").Class("rt-card").Href(embedPage.path).OnClick(fullLoad(embedPage.path)).Body(
				app.H2().Text(embedPage.title),
				app.P().Text(embedPage.summary),
			),
		),
	)
}
