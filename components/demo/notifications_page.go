package demo

import (
	"fmt"
	"net/url"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/matih-ai/realtime/components"
	"github.com/matih-ai/realtime/wasm/notify"
)

// NotificationsPage delivers a user's notifications live, with a bell, a
// panel and toasts; buttons make the server send some.
type NotificationsPage struct {
	app.Compo
	me     identity
	config pageConfig
}

func (p *NotificationsPage) OnInit() {
	p.me = loadIdentity("localStorage", "realtime/demo/notifications-identity")
}

func (p *NotificationsPage) Render() app.UI {
	body := []app.UI{
		app.H1().Text("Notifications"),
		app.P().Class("rt-lead").Text("Delivered live on your own channel, replayed once after a reconnect, kept with their read state across reloads."),
	}
	if p.me.ID == "" { // pre-rendering
		return layout("/notifications", body...)
	}
	body = append(body, &components.WebSocketProvider{Config: p.config.ws(), Content: []app.UI{
		&components.NotificationCenter{User: p.me.ID, Content: []app.UI{
			&notificationsPanel{User: p.me.ID},
			components.Toasts(),
		}},
	}})
	return layout("/notifications", body...)
}

type notificationsPanel struct {
	app.Compo
	User string

	state   components.Notifications
	sending bool
	problem string
}

func (c *notificationsPanel) OnMount(ctx app.Context) {
	components.ObserveNotifications(ctx, "", &c.state)
}

func (c *notificationsPanel) send(severity string) app.EventHandler {
	return func(ctx app.Context, e app.Event) {
		c.sending = true
		q := url.Values{"user": {c.User}}
		if severity != "" {
			q.Set("severity", severity)
		}
		ctx.Async(func() {
			err := postDemo("/notifications/demo?" + q.Encode())
			ctx.Dispatch(func(app.Context) {
				c.sending = false
				c.problem = ""
				if err != nil {
					c.problem = err.Error()
				}
			})
		})
	}
}

func (c *notificationsPanel) Render() app.UI {
	u := c.state.Unread
	return app.Div().Body(
		app.Div().Class("rt-toolbar").Body(
			components.NotificationBell(),
			app.Span().ID("unread-summary").Class("rt-hint").Text(fmt.Sprintf("%d unread", u.Total)),
			app.Span().Class("rt-toolbar__spacer"),
			components.StatusBadge(),
		),
		app.Section().Class("rt-panel").Body(
			app.H2().Text("Make the server send"),
			app.Div().Class("rt-actions").Body(
				app.Range(notify.Severities).Slice(func(i int) app.UI {
					s := string(notify.Severities[i])
					return app.Button().ID("send-" + s).Class("rt-button").Disabled(c.sending).
						Text("Send " + s).OnClick(c.send(s))
				}),
				app.Button().ID("send-all").Class("rt-button", "rt-button--primary").Disabled(c.sending).
					Text("One of each").OnClick(c.send("")),
			),
			app.Dl().Class("rt-stats").Body(
				app.Range(notify.Severities).Slice(func(i int) app.UI {
					s := notify.Severities[i]
					return stat("unread-"+string(s), "Unread "+string(s), fmt.Sprint(u.BySeverity[s]))
				}),
			),
			app.P().Class("rt-hint").Text("Errors stay until dismissed; other toasts leave after 4 s, and wait while the pointer is over them or the page is hidden. Open the bell to read, archive or filter."),
			app.If(c.problem != "", func() app.UI { return app.P().Class("rt-problem").Text(c.problem) }),
		),
	)
}
