package components

import (
	"fmt"
	"slices"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/matih-ai/realtime/wasm/notify"
)

// INotificationBell is a bell with the unread count that opens the
// notification panel.
type INotificationBell interface {
	app.UI
	// Center names the NotificationCenter. Default is "".
	Center(name string) INotificationBell
}

// NotificationBell returns a bell following a NotificationCenter.
func NotificationBell() INotificationBell { return &notificationBell{} }

type notificationBell struct {
	app.Compo
	ICenter string

	state    Notifications
	open     bool
	severity notify.Severity // "" is every severity
	view     string          // "unread", "read", "archived" or "all"
}

func (b *notificationBell) Center(name string) INotificationBell { b.ICenter = name; return b }

func (b *notificationBell) OnMount(ctx app.Context) {
	ObserveNotifications(ctx, b.ICenter, &b.state)
}

// act runs an action on the store.
func (b *notificationBell) act(f func(*notify.Store) error) {
	if h := NotificationsOf(b.ICenter); h.Center != nil {
		if err := h.Center.Do(f); err != nil {
			app.Log(err)
		}
	}
}

func (b *notificationBell) toggle(ctx app.Context, e app.Event) {
	b.open = !b.open
	if b.open {
		b.act(func(s *notify.Store) error { s.MarkSeen(); return nil })
	}
}

func (b *notificationBell) Render() app.UI {
	unread := b.state.Unread.Total
	label := "Notifications"
	if unread > 0 {
		label = fmt.Sprintf("Notifications, %d unread", unread)
	}
	return app.Div().Class("rt-bell").Body(
		app.Button().ID("bell").Class("rt-bell__button").Aria("label", label).Aria("expanded", b.open).
			OnClick(b.toggle).Body(
			app.Raw(`<svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true"><path fill="currentColor" d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2Z"/></svg>`),
			app.If(unread > 0, func() app.UI {
				return app.Span().ID("unread").Class("rt-bell__badge").Text(badge(unread))
			}),
		),
		app.If(b.open, b.panel),
	)
}

func badge(n int) string {
	if n > 99 {
		return "99+"
	}
	return fmt.Sprint(n)
}

var views = []struct{ key, label string }{
	{"unread", "Unread"}, {"read", "Read"}, {"archived", "Archived"}, {"all", "All"},
}

func (b *notificationBell) filter() notify.Filter {
	var f notify.Filter
	if b.severity != "" {
		f.Severities = []notify.Severity{b.severity}
	}
	switch b.view {
	case "", "unread":
		f.States = []notify.State{notify.Unseen, notify.Seen}
	case "read":
		f.States = []notify.State{notify.Read}
	case "archived":
		f.States = []notify.State{notify.Archived}
	default:
		f.States = []notify.State{notify.Unseen, notify.Seen, notify.Read, notify.Archived}
	}
	return f
}

func (b *notificationBell) panel() app.UI {
	f := b.filter()
	var items []notify.Notification
	for _, n := range b.state.Items {
		if (len(f.Severities) == 0 || slices.Contains(f.Severities, n.Severity)) && slices.Contains(f.States, n.State) {
			items = append(items, n)
		}
	}
	view := b.view
	if view == "" {
		view = "unread"
	}
	return app.Div().ID("panel").Class("rt-panel", "rt-notif-panel").Body(
		app.Div().Class("rt-notif-panel__head").Body(
			app.H2().Text("Notifications"),
			app.Button().ID("mark-all-read").Class("rt-link").Text("Mark all read").
				OnClick(func(app.Context, app.Event) {
					b.act(func(s *notify.Store) error { s.MarkAllRead(); return nil })
				}),
			app.Button().ID("clear").Class("rt-link").Text("Clear").
				OnClick(func(app.Context, app.Event) {
					b.act(func(s *notify.Store) error { s.Clear(); return nil })
				}),
		),
		app.Div().Class("rt-chips").Body(
			app.Range(views).Slice(func(i int) app.UI {
				v := views[i]
				return chip("view-"+v.key, v.label, view == v.key, func() { b.view = v.key })
			}),
		),
		app.Div().Class("rt-chips").Body(
			chip("sev-all", "Any severity", b.severity == "", func() { b.severity = "" }),
			app.Range(notify.Severities).Slice(func(i int) app.UI {
				s := notify.Severities[i]
				label := string(s)
				if n := b.state.Unread.BySeverity[s]; n > 0 {
					label = fmt.Sprintf("%s %d", s, n)
				}
				return chip("sev-"+string(s), label, b.severity == s, func() { b.severity = s })
			}),
		),
		app.Ul().ID("notification-list").Class("rt-notif-list").Body(
			app.If(len(items) == 0, func() app.UI {
				return app.Li().Class("rt-notif-list__empty").Text("Nothing here.")
			}),
			app.Range(items).Slice(func(i int) app.UI {
				n := items[i]
				return NotificationView(n, func(a string) {
					b.act(func(s *notify.Store) error {
						if a == "read" {
							return s.MarkRead(n.ID)
						}
						return s.Archive(n.ID)
					})
				})
			}),
		),
	)
}

func chip(id, label string, on bool, pick func()) app.UI {
	return app.Button().ID(id).Class("rt-chip").Aria("pressed", on).Text(label).
		OnClick(func(app.Context, app.Event) { pick() })
}

// NotificationView renders one notification; act receives "read" or
// "archive" when the user asks.
func NotificationView(n notify.Notification, act func(string)) app.UI {
	return app.Li().Class("rt-notif", "rt-notif--"+string(n.Severity), "rt-notif--"+string(n.State)).
		DataSet("id", n.ID).DataSet("state", string(n.State)).Body(
		app.Div().Class("rt-notif__main").Body(
			app.Div().Class("rt-notif__title").Text(n.Title),
			app.If(n.Body != "", func() app.UI { return app.Div().Class("rt-notif__body").Text(n.Body) }),
			app.Div().Class("rt-notif__meta").Body(
				app.Span().Class("rt-notif__severity").Text(string(n.Severity)),
				app.Time().Text(time.UnixMilli(n.Time).Format("15:04:05")),
				app.If(n.Action != nil, func() app.UI {
					return app.A().Class("rt-link").Href(n.Action.URL).Text(n.Action.Label)
				}),
			),
		),
		app.Div().Class("rt-notif__actions").Body(
			app.If(n.State == notify.Unseen || n.State == notify.Seen, func() app.UI {
				return app.Button().Class("rt-link", "rt-notif__read").Text("Mark read").
					OnClick(func(app.Context, app.Event) { act("read") })
			}),
			app.If(n.State != notify.Archived, func() app.UI {
				return app.Button().Class("rt-link", "rt-notif__archive").Text("Archive").
					OnClick(func(app.Context, app.Event) { act("archive") })
			}),
		),
	)
}

// IToasts shows a NotificationCenter's toasts.
type IToasts interface {
	app.UI
	// Center names the NotificationCenter. Default is "".
	Center(name string) IToasts
}

// Toasts returns the toast stack of a NotificationCenter.
func Toasts() IToasts { return &toasts{} }

type toasts struct {
	app.Compo
	ICenter string
	state   Notifications
}

func (t *toasts) Center(name string) IToasts { t.ICenter = name; return t }

func (t *toasts) OnMount(ctx app.Context) { ObserveNotifications(ctx, t.ICenter, &t.state) }

func (t *toasts) Render() app.UI {
	toaster := func() *notifyToaster { return (*notifyToaster)(NotificationsOf(t.ICenter).Toaster) }
	return app.Div().ID("toasts").Class("rt-toasts").Aria("live", "polite").
		OnMouseEnter(func(app.Context, app.Event) { toaster().pause("hover") }).
		OnMouseLeave(func(app.Context, app.Event) { toaster().resume("hover") }).
		Body(
			app.Range(t.state.Toasts).Slice(func(i int) app.UI {
				n := t.state.Toasts[i]
				return app.Div().Class("rt-toast", "rt-toast--"+string(n.Severity)).DataSet("id", n.ID).Body(
					app.Div().Class("rt-toast__title").Text(n.Title),
					app.If(n.Body != "", func() app.UI { return app.Div().Class("rt-toast__body").Text(n.Body) }),
					app.Button().Class("rt-toast__close").Aria("label", "Dismiss").Text("×").
						OnClick(func(app.Context, app.Event) { toaster().dismiss(n.ID) }),
				)
			}),
			app.If(t.state.Queued > 0, func() app.UI {
				return app.Div().Class("rt-toasts__more").Text(fmt.Sprintf("%d more", t.state.Queued))
			}),
		)
}

// notifyToaster is a nil-safe view of a toaster for event handlers that may
// run after the center went away.
type notifyToaster notify.Toaster

func (t *notifyToaster) pause(reason string) {
	if t != nil {
		(*notify.Toaster)(t).Pause(reason)
	}
}

func (t *notifyToaster) resume(reason string) {
	if t != nil {
		(*notify.Toaster)(t).Resume(reason)
	}
}

func (t *notifyToaster) dismiss(id string) {
	if t != nil {
		(*notify.Toaster)(t).Dismiss(id)
	}
}
