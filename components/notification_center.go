package components

import (
	"fmt"
	"sync"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/matih-ai/realtime/wasm/clock"
	"github.com/matih-ai/realtime/wasm/notify"
)

// NotificationCenter delivers a user's notifications, over a
// WebSocketProvider above it, into a store kept in localStorage, and shows
// new ones as toasts. Descendants read it with ObserveNotifications and act
// on it through NotificationsOf.
type NotificationCenter struct {
	app.Compo

	// Provider names the WebSocketProvider. Default is "".
	Provider string
	// Name tells NotificationCenters apart. Default is "".
	Name string
	// User whose notifications these are. Required.
	User string
	// ToastLife is how long a toast stays. Default is 4s; errors stay
	// until dismissed.
	ToastLife time.Duration
	Content   []app.UI

	center  *notify.Center
	toaster *notify.Toaster
	stop    []func()

	mu       sync.Mutex
	dispatch func(func(app.Context)) // set while mounted
}

// Notifications is what a NotificationCenter publishes to its descendants.
type Notifications struct {
	Items  []notify.Notification // newest first, archived ones included
	Unread notify.Counts
	Toasts []notify.Notification // shown now, oldest first
	Queued int                   // toasts waiting for room
}

// NotificationCenterHandle is what NotificationsOf returns: the store's
// actions and the toasts.
type NotificationCenterHandle struct {
	Center  *notify.Center
	Toaster *notify.Toaster
}

var centers = registry[NotificationCenterHandle]{kind: "NotificationCenter"}

// NotificationsOf returns the named NotificationCenter; its fields are nil
// when none is mounted.
func NotificationsOf(name string) NotificationCenterHandle { return centers.get(name) }

// NotificationsKey is the go-app state of the named NotificationCenter.
func NotificationsKey(name string) string { return "realtime/notifications/" + name }

// ObserveNotifications keeps *n up to date and re-renders the component of
// ctx on every change.
func ObserveNotifications(ctx app.Context, name string, n *Notifications) app.Observer {
	return ctx.ObserveState(NotificationsKey(name), n)
}

// CompoID remounts the center when the user changes.
func (c *NotificationCenter) CompoID() string {
	return c.Provider + "\x00" + c.Name + "\x00" + c.User
}

func (c *NotificationCenter) OnInit() {
	if app.IsServer {
		return
	}
	client := WebSocket(c.Provider)
	if client == nil {
		app.Log(fmt.Errorf("components: NotificationCenter: no WebSocketProvider named %q above it", c.Provider))
		return
	}
	c.toaster = notify.NewToaster(clock.Real, c.ToastLife, 0, c.changed)
	center, err := notify.NewCenter(client, c.User, notify.CenterOptions{
		OnNew:   c.toaster.Show,
		OnError: func(err error) { app.Log(err) },
	})
	if err != nil {
		c.toaster.Stop()
		app.Log(fmt.Errorf("components: NotificationCenter: %w", err))
		return
	}
	c.center = center
	centers.set(c.Name, NotificationCenterHandle{Center: center, Toaster: c.toaster})
}

func (c *NotificationCenter) OnMount(ctx app.Context) {
	if c.center == nil {
		return
	}
	c.mu.Lock()
	c.dispatch = ctx.Dispatch
	c.mu.Unlock()
	c.stop = append(c.stop, c.center.OnChange(c.changed), notify.PauseWhenHidden(c.toaster))
	c.changed()
}

// changed publishes a snapshot; it runs on any goroutine.
func (c *NotificationCenter) changed() {
	c.mu.Lock()
	dispatch := c.dispatch
	c.mu.Unlock()
	if dispatch == nil || c.center == nil {
		return
	}
	var n Notifications
	c.center.View(func(s *notify.Store) {
		n.Items = s.List(notify.Filter{States: []notify.State{notify.Unseen, notify.Seen, notify.Read, notify.Archived}})
		n.Unread = s.Unread()
	})
	n.Toasts, n.Queued = c.toaster.Visible(), c.toaster.Queued()
	key := NotificationsKey(c.Name)
	dispatch(func(ctx app.Context) { ctx.SetState(key, n) })
}

func (c *NotificationCenter) OnDismount() {
	c.mu.Lock()
	c.dispatch = nil
	c.mu.Unlock()
	for _, stop := range c.stop {
		stop()
	}
	c.stop = nil
	if c.center != nil {
		centers.remove(c.Name, NotificationCenterHandle{Center: c.center, Toaster: c.toaster})
		c.center.Close()
		c.toaster.Stop()
		c.center = nil
	}
}

func (c *NotificationCenter) Render() app.UI {
	return app.Div().Class("rt-notifications").Body(c.Content...)
}
