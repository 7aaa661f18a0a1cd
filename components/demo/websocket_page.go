package demo

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/matih-ai/realtime/components"
	"github.com/matih-ai/realtime/wasm/protocol"
	"github.com/matih-ai/realtime/wasm/ws"
)

// Channels of the WebSocket demo.
const (
	echoChannel  = "echo:demo"  // the server answers the sender only
	lobbyChannel = "demo:lobby" // every open tab
	maxLogLines  = 50
)

// WebSocketPage shows one live connection and what it does.
type WebSocketPage struct {
	app.Compo
	config pageConfig
}

func (p *WebSocketPage) Render() app.UI {
	return layout("/websocket",
		app.H1().Text("WebSocket"),
		app.P().Class("rt-lead").Text("One connection with auto-reconnect, an offline queue, heartbeats and channels. Stop the server, send a few messages, start it again: they arrive once, in order."),
		&components.WebSocketProvider{Config: p.config.ws(), Content: []app.UI{&webSocketPanel{}}},
	)
}

// chatMessage is what the demo publishes.
type chatMessage struct {
	Text string `json:"text"`
	From string `json:"from,omitempty"`
}

type logLine struct {
	At      time.Time
	Channel string
	ID      string
	Text    string
}

// webSocketPanel is a descendant of the provider: it reads the provider's
// state and uses its client, as an application screen would.
type webSocketPanel struct {
	app.Compo

	state    ws.State
	draft    string
	log      []logLine
	sent     int
	received int
	problem  string
	tab      string
	stop     func()
	muted    bool // lobby unsubscribed
}

func (c *webSocketPanel) OnMount(ctx app.Context) {
	components.ObserveWebSocket(ctx, "", &c.state)
	c.tab = fmt.Sprintf("tab-%04d", time.Now().UnixNano()/1000%10000)
	if client := components.WebSocket(""); client != nil {
		c.stop = client.OnError(func(err error) {
			ctx.Dispatch(func(app.Context) { c.problem = err.Error() })
		})
	}
}

func (c *webSocketPanel) OnDismount() {
	if c.stop != nil {
		c.stop()
	}
}

func (c *webSocketPanel) onMessage(ctx app.Context, msg protocol.Envelope) {
	m, err := protocol.DecodeData[chatMessage](msg)
	text := m.Text
	if err != nil {
		text = string(msg.Data)
	} else if m.From != "" && m.From != c.tab {
		text = m.From + ": " + text
	}
	c.received++
	c.log = append([]logLine{{At: time.Now(), Channel: msg.Channel, ID: msg.ID, Text: text}}, c.log...)
	if len(c.log) > maxLogLines {
		c.log = c.log[:maxLogLines]
	}
}

func (c *webSocketPanel) send(channel string) app.EventHandler {
	return func(ctx app.Context, e app.Event) {
		e.PreventDefault()
		text := strings.TrimSpace(c.draft)
		if text == "" {
			return
		}
		client := components.WebSocket("")
		if client == nil {
			c.problem = "no connection"
			return
		}
		data, _ := json.Marshal(chatMessage{Text: text, From: c.tab})
		if err := client.Publish(channel, json.RawMessage(data)); err != nil {
			c.problem = err.Error()
			return
		}
		c.sent++
		c.problem = ""
		c.draft = ""
		// ValueTo updates the field without a render, so the rendered value
		// is still "": clear the element itself.
		app.Window().GetElementByID("message").Set("value", "")
	}
}

func (c *webSocketPanel) control(action func(*ws.Client)) app.EventHandler {
	return func(ctx app.Context, e app.Event) {
		if client := components.WebSocket(""); client != nil {
			action(client)
		}
	}
}

func (c *webSocketPanel) Render() app.UI {
	s := c.state
	errText := c.problem
	if errText == "" && s.Err != nil {
		errText = s.Err.Error()
	}
	return app.Div().Class("rt-grid").Body(
		&components.Channel{Name: echoChannel, OnMessage: c.onMessage},
		// Unchecking "listen" dismounts the Channel, which unsubscribes.
		app.If(!c.muted, func() app.UI {
			return &components.Channel{Name: lobbyChannel, OnMessage: c.onMessage}
		}),

		app.Section().Class("rt-panel").Body(
			app.H2().Text("Connection"),
			app.Div().ID("status").Body(components.StatusView(s, true)),
			app.Dl().Class("rt-stats").Body(
				stat("attempt", "Reconnect attempt", attemptText(s)),
				stat("queued", "Queued while offline", fmt.Sprint(s.Queued)),
				stat("sent", "Sent", fmt.Sprint(c.sent)),
				stat("received", "Received", fmt.Sprint(c.received)),
			),
			app.Div().Class("rt-actions").Body(
				app.Button().ID("connect").Class("rt-button").Text("Connect").
					Disabled(s.Status != ws.StatusDisconnected && s.Status != ws.StatusError).
					OnClick(c.control((*ws.Client).Connect)),
				app.Button().ID("disconnect").Class("rt-button").Text("Disconnect").
					Disabled(s.Status == ws.StatusDisconnected).
					OnClick(c.control((*ws.Client).Disconnect)),
				app.Button().ID("reconnect").Class("rt-button").Text("Reconnect now").
					OnClick(c.control((*ws.Client).Reconnect)),
			),
			app.If(errText != "", func() app.UI {
				return app.P().ID("problem").Class("rt-problem").Text(errText)
			}),
		),

		app.Section().Class("rt-panel").Body(
			app.H2().Text("Messages"),
			app.Form().Class("rt-send").OnSubmit(c.send(echoChannel)).Body(
				app.Input().ID("message").Class("rt-input").Type("text").
					Placeholder("Type a message").AutoComplete(false).
					Value(c.draft).OnInput(c.ValueTo(&c.draft)),
				app.Button().ID("send").Class("rt-button", "rt-button--primary").Type("submit").Text("Echo"),
				app.Button().ID("broadcast").Class("rt-button").Type("button").Text("Broadcast to tabs").
					OnClick(c.send(lobbyChannel)),
			),
			app.P().Class("rt-hint").Text("Echo goes to "+echoChannel+" and comes back to this tab only; broadcast goes to every tab on "+lobbyChannel+"."),
			app.Label().Class("rt-toggle").Body(
				app.Input().ID("listen").Type("checkbox").Checked(!c.muted).
					OnChange(func(ctx app.Context, e app.Event) { c.muted = !ctx.JSSrc().Get("checked").Bool() }),
				app.Text("Listen to "+lobbyChannel),
			),
			app.Ol().ID("log").Class("rt-log").Body(
				app.If(len(c.log) == 0, func() app.UI {
					return app.Li().Class("rt-log__empty").Text("No messages yet.")
				}),
				app.Range(c.log).Slice(func(i int) app.UI {
					l := c.log[i]
					return app.Li().Class("rt-log__item").DataSet("channel", l.Channel).Body(
						app.Time().Class("rt-log__time").Text(l.At.Format("15:04:05")),
						app.Span().Class("rt-log__channel").Text(l.Channel),
						app.Span().Class("rt-log__text").Text(l.Text),
						app.If(l.ID != "", func() app.UI {
							return app.Span().Class("rt-log__id").Text("#" + l.ID)
						}),
					)
				}),
			),
		),
	)
}

func stat(id, label, value string) app.UI {
	return app.Div().Class("rt-stat").Body(
		app.Dt().Text(label),
		app.Dd().ID(id).Text(value),
	)
}

func attemptText(s ws.State) string {
	switch {
	case s.Status != ws.StatusReconnecting:
		return "—"
	case s.NextDelay == 0:
		return fmt.Sprintf("%d, dialing", s.Attempt)
	default:
		return fmt.Sprintf("%d, next in %s", s.Attempt, s.NextDelay.Round(time.Millisecond))
	}
}
