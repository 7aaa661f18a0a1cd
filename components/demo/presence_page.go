package demo

import (
	"fmt"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/matih-ai/realtime/components"
	"github.com/matih-ai/realtime/wasm/presence"
)

// presenceResource is the document every tab of the demo is on.
const presenceResource = "doc-42"

// PresencePage puts each open tab on the same document as a different
// person.
type PresencePage struct {
	app.Compo
	me     identity
	config pageConfig
}

func (p *PresencePage) OnInit() {
	p.me = loadIdentity("sessionStorage", "realtime/demo/presence-identity")
}

func (p *PresencePage) Render() app.UI {
	body := []app.UI{
		app.H1().Text("Presence"),
		app.P().Class("rt-lead").Text("Each open tab is a different person on the same document. Open another tab, switch away from this one, or close it: the others follow."),
	}
	if p.me.ID == "" { // pre-rendering: nobody is here yet
		return layout("/presence", body...)
	}
	me := presence.Meta{User: p.me.ID, Name: p.me.Name, Color: p.me.Color}
	body = append(body, &components.WebSocketProvider{Config: p.config.ws(), Content: []app.UI{
		&components.Presence{Resource: presenceResource, Me: me, Content: []app.UI{
			&presencePanel{Me: p.me},
		}},
	}})
	return layout("/presence", body...)
}

type presencePanel struct {
	app.Compo
	Me identity

	people []presence.Person
	draft  string
}

func (c *presencePanel) OnMount(ctx app.Context) {
	components.ObservePresence(ctx, "", &c.people)
}

func (c *presencePanel) rename(ctx app.Context, e app.Event) {
	e.PreventDefault()
	name := strings.TrimSpace(c.draft)
	if t := components.PresenceOf(""); t != nil && name != "" {
		t.Update(func(m *presence.Meta) { m.Name = name })
	}
}

func (c *presencePanel) Render() app.UI {
	return app.Div().Body(
		app.Div().Class("rt-toolbar").Body(
			components.AvatarStack().Me(c.Me.ID).Max(6),
			app.Span().ID("people-count").Class("rt-hint").Text(fmt.Sprintf("%d %s on %s", len(c.people), plural(len(c.people), "person", "people"), presenceResource)),
			app.Span().Class("rt-toolbar__spacer"),
			components.StatusBadge(),
		),
		app.Div().Class("rt-grid").Body(
			app.Section().Class("rt-panel").Body(
				app.H2().Text("Who is here"),
				app.Ul().ID("people").Class("rt-people").Body(
					app.Range(c.people).Slice(func(i int) app.UI {
						p := c.people[i]
						name := p.Name
						if p.User == c.Me.ID {
							name += " (you)"
						}
						detail := string(p.Status)
						if p.Sessions > 1 {
							detail += fmt.Sprintf(" · %d tabs", p.Sessions)
						}
						return app.Li().DataSet("user", p.User).DataSet("status", string(p.Status)).Body(
							app.Span().Class("rt-people__swatch").Style("background", components.SafeColor(p.Color)),
							app.Span().Class("rt-people__name").Text(name),
							app.Span().Class("rt-people__status").Text(detail),
						)
					}),
				),
				app.Form().Class("rt-send").Style("margin-top", "1rem").OnSubmit(c.rename).Body(
					app.Input().ID("my-name").Class("rt-input").Type("text").Placeholder("Your name: "+c.Me.Name).
						Value(c.draft).OnInput(c.ValueTo(&c.draft)),
					app.Button().ID("rename").Class("rt-button").Type("submit").Text("Rename"),
				),
			),
			app.Section().Class("rt-panel", "rt-doc").Body(
				app.H3().Text("Q3 revenue review"),
				app.P().Text("Revenue grew 14% quarter over quarter, led by the enterprise tier. The dashboard below breaks it down by region and by plan."),
				app.P().Text("Open questions: why did EMEA self-serve flatten in August, and is the warehouse refresh fast enough for the Monday review?"),
				app.P().Class("rt-hint").Text("Switch to another tab and back: your status goes away, then active. Leave the page idle for a minute: idle."),
			),
		),
	)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
