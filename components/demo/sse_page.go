package demo

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/matih-ai/realtime/components"
	"github.com/matih-ai/realtime/wasm/sse"
)

// SSEPage streams a ticker and a simulated answer over Server-Sent Events.
type SSEPage struct {
	app.Compo
	draft  string
	prompt string
	asked  int
}

func (p *SSEPage) ask(ctx app.Context, e app.Event) {
	e.PreventDefault()
	if q := strings.TrimSpace(p.draft); q != "" {
		p.prompt = q
		p.asked++
	}
}

func (p *SSEPage) Render() app.UI {
	token := app.Getenv(TokenEnv)
	return layout("/sse",
		app.H1().Text("Server-Sent Events"),
		app.P().Class("rt-lead").Text("Streams that resume where they stopped: drop the connection and the ticker goes on with no gap; the answer finishes with no token lost or repeated."),
		app.Div().Class("rt-grid").Body(
			&components.EventSource{
				Name:    "ticker",
				Config:  sse.Config{URL: "/sse/ticker", AuthToken: token},
				Content: []app.UI{&tickerPanel{}},
			},
			app.Section().Class("rt-panel").Body(
				app.H2().Text("Streaming answer"),
				app.Form().Class("rt-send").OnSubmit(p.ask).Body(
					app.Input().ID("prompt").Class("rt-input").Type("text").
						Placeholder("Ask about a query, a table, a dashboard").AutoComplete(false).
						Value(p.draft).OnInput(p.ValueTo(&p.draft)),
					app.Button().ID("ask").Class("rt-button", "rt-button--primary").Type("submit").Text("Ask"),
				),
				app.If(p.asked > 0, func() app.UI {
					body, _ := json.Marshal(map[string]any{"prompt": p.prompt, "ask": p.asked})
					return &components.EventSource{
						Name:    "answer",
						Config:  sse.Config{URL: "/sse/answer", Method: "POST", Body: body, AuthToken: token},
						Content: []app.UI{&answerPanel{}},
					}
				}).Else(func() app.UI {
					return app.P().Class("rt-hint").Text("The answer arrives token by token, as a language model's would.")
				}),
			),
		),
	)
}

// tickerPanel shows the ticker stream and checks it for gaps.
type tickerPanel struct {
	app.Compo
	state      sse.State
	last       int64
	received   int
	gaps       int
	lost       int
	reconnects int
	wasOpen    bool
	recent     []string
	dropping   bool
	problem    string
}

func (c *tickerPanel) OnMount(ctx app.Context) {
	components.ObserveEventSource(ctx, "ticker", &c.state).OnChange(func() {
		if c.state.Status == sse.StatusOpen {
			c.wasOpen = true
		} else if c.wasOpen && c.state.Status == sse.StatusConnecting {
			c.wasOpen = false
			c.reconnects++
		}
	})
}

func (c *tickerPanel) onTick(ctx app.Context, e sse.Event) {
	n, err := strconv.ParseInt(e.ID, 10, 64)
	if err != nil {
		c.problem = fmt.Sprintf("tick with id %q", e.ID)
		return
	}
	if c.last != 0 && n != c.last+1 {
		c.gaps++
	}
	c.last = n
	c.received++
	var d struct {
		At int64 `json:"at"`
	}
	json.Unmarshal([]byte(e.Data), &d)
	line := fmt.Sprintf("#%d at %s", n, time.UnixMilli(d.At).Format("15:04:05.000"))
	c.recent = append([]string{line}, c.recent...)
	if len(c.recent) > 6 {
		c.recent = c.recent[:6]
	}
}

// drop asks the server to cut every stream, as a network failure would.
func (c *tickerPanel) drop(ctx app.Context, e app.Event) {
	c.dropping = true
	ctx.Async(func() {
		err := postDemo("/sse/drop")
		ctx.Dispatch(func(app.Context) {
			c.dropping = false
			if err != nil {
				c.problem = err.Error()
			}
		})
	})
}

func (c *tickerPanel) Render() app.UI {
	errText := c.problem
	if errText == "" && c.state.Err != nil && c.state.Status != sse.StatusOpen {
		errText = c.state.Err.Error()
	}
	return app.Section().Class("rt-panel").Body(
		&components.SSEEvent{Source: "ticker", Event: "tick", OnEvent: c.onTick},
		&components.SSEEvent{Source: "ticker", Event: "history-lost", OnEvent: func(app.Context, sse.Event) { c.lost++ }},
		app.H2().Text("Ticker"),
		app.Div().ID("ticker-status").Body(components.StatusPill(string(c.state.Status), "")),
		app.Dl().Class("rt-stats").Body(
			stat("last-id", "Last event id", orDash(c.lastID())),
			stat("ticks", "Ticks received", fmt.Sprint(c.received)),
			stat("gaps", "Gaps", fmt.Sprint(c.gaps)),
			stat("reconnects", "Resumed after a drop", fmt.Sprint(c.reconnects)),
		),
		app.Div().Class("rt-actions").Body(
			app.Button().ID("drop").Class("rt-button").Text("Drop connection").
				Disabled(c.dropping).OnClick(c.drop),
		),
		app.If(c.lost > 0, func() app.UI {
			return app.P().ID("lost").Class("rt-problem").Text(fmt.Sprintf("History lost %d times: the server no longer had the missed events.", c.lost))
		}),
		app.If(errText != "", func() app.UI {
			return app.P().Class("rt-problem").Text(errText)
		}),
		app.Ol().ID("tick-log").Class("rt-log").Body(
			app.Range(c.recent).Slice(func(i int) app.UI {
				return app.Li().Class("rt-log__item").Body(app.Span().Class("rt-log__text").Text(c.recent[i]))
			}),
		),
	)
}

// answerPanel renders the answer as its tokens arrive.
type answerPanel struct {
	app.Compo
	state  sse.State
	text   strings.Builder
	tokens int
	done   bool
}

func (c *answerPanel) OnMount(ctx app.Context) {
	components.ObserveEventSource(ctx, "answer", &c.state)
}

func (c *answerPanel) onToken(ctx app.Context, e sse.Event) {
	var d struct {
		Text string `json:"text"`
	}
	if json.Unmarshal([]byte(e.Data), &d) == nil {
		c.text.WriteString(d.Text)
		c.tokens++
	}
}

func (c *answerPanel) onDone(ctx app.Context, e sse.Event) {
	c.done = true
	if s := components.EventSourceOf("answer"); s != nil {
		s.Close() // nothing more will come
	}
}

func (c *answerPanel) Render() app.UI {
	status := string(c.state.Status)
	if c.done {
		status = "done"
	}
	return app.Div().Class("rt-answer").Body(
		&components.SSEEvent{Source: "answer", Event: "token", OnEvent: c.onToken},
		&components.SSEEvent{Source: "answer", Event: "done", OnEvent: c.onDone},
		app.Div().Class("rt-answer__head").Body(
			app.Span().ID("answer-status").Body(components.StatusPill(status, "")),
			app.Span().ID("answer-tokens").Class("rt-hint").Text(fmt.Sprintf("%d tokens", c.tokens)),
		),
		app.P().ID("answer").Class("rt-answer__text").DataSet("done", c.done).Body(
			app.Text(c.text.String()),
			app.If(!c.done, func() app.UI { return app.Span().Class("rt-caret") }),
		),
	)
}

func (c *tickerPanel) lastID() string {
	if c.last == 0 {
		return ""
	}
	return strconv.FormatInt(c.last, 10)
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// postDemo makes a demo request to the server, with the page's token.
func postDemo(path string) error { return demoJSON("POST", path, nil, nil) }
