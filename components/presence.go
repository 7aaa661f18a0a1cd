package components

import (
	"fmt"
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/matih-ai/realtime/wasm/presence"
)

// Presence makes this page present on a resource, over a WebSocketProvider
// above it, and shares who else is there with its descendants. It joins
// when it mounts, tracks activity (active, idle, away), leaves on pagehide
// and when it dismounts.
type Presence struct {
	app.Compo

	// Provider names the WebSocketProvider. Default is "".
	Provider string
	// Name tells Presence providers apart. Default is "".
	Name string
	// Resource is what the page is on: "doc-42", "dashboard-7".
	Resource string
	// Me is this session's metadata; Me.User is required.
	Me presence.Meta
	// IdleAfter is how long without input makes this session idle.
	// Default is presence.DefaultIdleAfter.
	IdleAfter time.Duration
	Content   []app.UI

	tracker *presence.Tracker
	stop    []func()
}

var trackers = registry[*presence.Tracker]{kind: "Presence"}

// PresenceOf returns the tracker of the named Presence provider, or nil.
func PresenceOf(name string) *presence.Tracker { return trackers.get(name) }

// PresenceKey is the go-app state under which the named Presence provider
// publishes its []presence.Person.
func PresenceKey(name string) string { return "realtime/presence/" + name }

// ObservePresence keeps *people up to date with the named provider's
// resource and re-renders the component of ctx on every change.
func ObservePresence(ctx app.Context, name string, people *[]presence.Person) app.Observer {
	return ctx.ObserveState(PresenceKey(name), people)
}

// CompoID remounts the provider when the resource or user changes.
func (p *Presence) CompoID() string {
	return p.Provider + "\x00" + p.Name + "\x00" + p.Resource + "\x00" + p.Me.User
}

func (p *Presence) OnInit() {
	if app.IsServer {
		return
	}
	client := WebSocket(p.Provider)
	if client == nil {
		app.Log(fmt.Errorf("components: Presence on %q: no WebSocketProvider named %q above it", p.Resource, p.Provider))
		return
	}
	t, err := presence.Join(client, p.Resource, p.Me, presence.Options{})
	if err != nil {
		app.Log(fmt.Errorf("components: Presence on %q: %w", p.Resource, err))
		return
	}
	p.tracker = t
	trackers.set(p.Name, t)
}

func (p *Presence) OnMount(ctx app.Context) {
	if p.tracker == nil {
		return
	}
	key := PresenceKey(p.Name)
	ctx.SetState(key, p.tracker.People())
	p.stop = append(p.stop,
		p.tracker.OnChange(func(st presence.State, _ presence.Changes) {
			people := st.People()
			ctx.Dispatch(func(ctx app.Context) { ctx.SetState(key, people) })
		}),
		presence.WatchActivity(p.tracker, p.IdleAfter),
	)
}

func (p *Presence) OnDismount() {
	for _, stop := range p.stop {
		stop()
	}
	p.stop = nil
	if p.tracker != nil {
		trackers.remove(p.Name, p.tracker)
		p.tracker.Leave()
		p.tracker = nil
	}
}

func (p *Presence) Render() app.UI {
	return app.Div().Class("rt-presence").Body(p.Content...)
}

// IAvatarStack shows the people on a Presence provider's resource.
type IAvatarStack interface {
	app.UI
	// Presence names the Presence provider. Default is "".
	Presence(name string) IAvatarStack
	// Max is how many avatars show before "+N". Default is 5.
	Max(n int) IAvatarStack
	// Me marks this user's avatar as "you". Default is none.
	Me(user string) IAvatarStack
}

// AvatarStack returns an avatar stack following a Presence provider.
func AvatarStack() IAvatarStack { return &avatarStack{IMax: 5} }

type avatarStack struct {
	app.Compo
	IPresence string
	IMax      int
	IMe       string

	people []presence.Person
}

func (a *avatarStack) Presence(name string) IAvatarStack { a.IPresence = name; return a }
func (a *avatarStack) Max(n int) IAvatarStack            { a.IMax = n; return a }
func (a *avatarStack) Me(user string) IAvatarStack       { a.IMe = user; return a }

func (a *avatarStack) OnMount(ctx app.Context) {
	ObservePresence(ctx, a.IPresence, &a.people)
}

func (a *avatarStack) Render() app.UI { return AvatarsView(a.people, a.IMe, a.IMax) }

// AvatarsView renders people as overlapping avatars, at most max of them
// then "+N"; it holds no state, so it can be tested without a connection.
func AvatarsView(people []presence.Person, me string, max int) app.UI {
	if max <= 0 {
		max = 5
	}
	shown, more := people, 0
	if len(people) > max {
		shown, more = people[:max], len(people)-max
	}
	return app.Div().Class("rt-avatars").DataSet("count", len(people)).Body(
		app.Range(shown).Slice(func(i int) app.UI {
			p := shown[i]
			label := p.Name
			if p.User == me {
				label += " (you)"
			}
			title := fmt.Sprintf("%s: %s", label, p.Status)
			if p.Sessions > 1 {
				title += fmt.Sprintf(", %d tabs", p.Sessions)
			}
			return app.Span().Class("rt-avatar", "rt-avatar--"+string(p.Status)).
				DataSet("user", p.User).Title(title).Aria("label", title).
				Style("background", SafeColor(p.Color)).
				Body(
					app.Text(initials(p.Name)),
					app.Span().Class("rt-avatar__status"),
				)
		}),
		app.If(more > 0, func() app.UI {
			return app.Span().Class("rt-avatar", "rt-avatar--more").Text(fmt.Sprintf("+%d", more))
		}),
	)
}

func initials(name string) string {
	var out []rune
	for _, w := range strings.Fields(name) {
		out = append(out, []rune(strings.ToUpper(w))[0])
		if len(out) == 2 {
			break
		}
	}
	if len(out) == 0 {
		return "?"
	}
	return string(out)
}

// SafeColor returns c when it is a hex colour, else a neutral grey: a
// colour comes from other users and goes into a style.
func SafeColor(c string) string {
	if len(c) < 4 || len(c) > 9 || c[0] != '#' || strings.Trim(c[1:], "0123456789abcdefABCDEF") != "" {
		return "#6b7280"
	}
	return c
}
