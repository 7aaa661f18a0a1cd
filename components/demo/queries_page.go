package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/matih-ai/realtime/components"
	"github.com/matih-ai/realtime/wasm/fetch"
)

// QueriesPage starts simulated SQL queries of different lengths and shows
// their progress live.
type QueriesPage struct {
	app.Compo
	config pageConfig
}

func (p *QueriesPage) Render() app.UI {
	return layout("/queries",
		app.H1().Text("Query status"),
		app.P().Class("rt-lead").Text("Long SQL queries report their phase, progress, rows and time left as they run. Start a few, cancel one: states only move forward."),
		&components.WebSocketProvider{Config: p.config.ws(), Content: []app.UI{
			&components.QueryStatus{Content: []app.UI{&queriesPanel{}}},
		}},
	)
}

var demoQueries = []struct{ kind, label, sql string }{
	{"short", "Short query", "select region, sum(revenue) from orders group by region"},
	{"medium", "Medium query", "select plan, date_trunc('day', created_at) d, count(*) from events group by 1, 2"},
	{"long", "Long query", "select * from clickstream c join sessions s using (session_id) where c.ts > now() - interval '90 days'"},
	{"failing", "Failing query", "select regon, count(*) from orders group by regon"},
}

type queriesPanel struct {
	app.Compo
	starting bool
	problem  string
}

// OnMount tracks the queries the server already knows, so a reload shows
// them again.
func (c *queriesPanel) OnMount(ctx app.Context) {
	ctx.Async(func() {
		var recent []struct {
			ID string `json:"id"`
		}
		if err := demoJSON("GET", "/queries", nil, &recent); err != nil {
			ctx.Dispatch(func(app.Context) { c.problem = err.Error() })
			return
		}
		if t := components.QueriesOf(""); t != nil {
			for i := len(recent) - 1; i >= 0; i-- { // oldest first: the list shows newest first
				t.Track(recent[i].ID)
			}
		}
	})
}

func (c *queriesPanel) start(kind, sql string) app.EventHandler {
	return func(ctx app.Context, e app.Event) {
		c.starting = true
		ctx.Async(func() {
			var out struct {
				ID string `json:"id"`
			}
			err := demoJSON("POST", "/queries", map[string]string{"sql": sql, "kind": kind}, &out)
			if err == nil {
				if t := components.QueriesOf(""); t != nil {
					err = t.Track(out.ID)
				}
			}
			ctx.Dispatch(func(app.Context) {
				c.starting = false
				c.problem = ""
				if err != nil {
					c.problem = err.Error()
				}
			})
		})
	}
}

func (c *queriesPanel) Render() app.UI {
	return app.Div().Body(
		app.Div().Class("rt-toolbar").Body(
			app.Range(demoQueries).Slice(func(i int) app.UI {
				q := demoQueries[i]
				cls := "rt-button"
				if i == 0 {
					cls = "rt-button rt-button--primary"
				}
				return app.Button().ID("run-" + q.kind).Class(cls).Disabled(c.starting).
					Text(q.label).OnClick(c.start(q.kind, q.sql))
			}),
			app.Span().Class("rt-toolbar__spacer"),
			components.StatusBadge(),
		),
		app.If(c.problem != "", func() app.UI { return app.P().Class("rt-problem").Text(c.problem) }),
		components.QueryList(),
	)
}

// demoJSON makes a JSON request to the demo server with the page's token.
func demoJSON(method, path string, in, out any) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	u := app.Window().URL()
	req := &fetch.Request{Method: method, URL: u.Scheme + "://" + u.Host + path, Header: map[string]string{
		"Content-Type": "application/json",
		"Accept":       "application/json", // GET /queries is also the page
	}}
	if in != nil {
		body, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
		req.Body = body
	}
	if tok := app.Getenv(TokenEnv); tok != "" {
		req.Header["Authorization"] = "Bearer " + tok
	}
	resp, err := fetch.Do(ctx, req)
	if err != nil {
		return fmt.Errorf("failed to reach the server: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: the server answered %s", method, path, resp.Status)
	}
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			return fmt.Errorf("%s %s: unreadable answer: %w", method, path, err)
		}
	}
	return nil
}
