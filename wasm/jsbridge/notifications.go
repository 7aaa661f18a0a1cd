package jsbridge

import (
	"fmt"
	"slices"

	"github.com/matih-ai/realtime/wasm/clock"
	"github.com/matih-ai/realtime/wasm/notify"
)

const kindNotifications = "notifications"

var noteStates = []notify.State{notify.Unseen, notify.Seen, notify.Read, notify.Archived}

// notifications is a notification center opened by JavaScript, with its
// toasts.
type notifications struct {
	conn    int
	center  *notify.Center
	toaster *notify.Toaster // nil without toasts
	stop    []func()
}

func (*notifications) kind() string  { return kindNotifications }
func (n *notifications) parent() int { return n.conn }

func (n *notifications) close() {
	for _, stop := range n.stop {
		stop()
	}
	n.center.Close()
	if n.toaster != nil {
		n.toaster.Stop()
	}
}

// OpenNotifications makes notification center id for user over connection
// conn. Options (JSON): cap, toasts (default true), toastLife in
// milliseconds, maxToasts. Store changes follow as KindNotifications
// events, each new notification as a KindNotification, toast changes as
// KindToasts and problems as KindError.
func (b *Bridge) OpenNotifications(id, conn int, user string, options []byte) error {
	client, err := b.client(conn)
	if err != nil {
		return err
	}
	f := readFields("options", options)
	var opts notify.CenterOptions
	if n, ok := f.integer("cap", 0); ok {
		if n < 1 {
			f.fail("cap", "must be 1 or more, not %d", n)
		}
		opts.Cap = n
	}
	toasts, ok := f.boolean("toasts")
	if !ok {
		toasts = true
	}
	life, _ := f.millis("toastLife", false)
	maxToasts, ok := f.integer("maxToasts", 0)
	if ok && maxToasts < 1 {
		f.fail("maxToasts", "must be 1 or more, not %d", maxToasts)
	}
	if err := f.done(); err != nil {
		return err
	}
	n := &notifications{conn: conn}
	if toasts {
		n.toaster = notify.NewToaster(clock.Real, life, maxToasts, func() { b.sink.Event(KindToasts, id) })
	}
	opts.OnNew = func(item notify.Notification) {
		if n.toaster != nil {
			n.toaster.Show(item)
		}
		b.sink.Event(KindNotification, id, mustJSON(item))
	}
	opts.OnError = func(err error) { b.sink.Event(KindError, id, err.Error(), Code(err)) }
	center, err := notify.NewCenter(client, user, opts)
	if err != nil {
		return err
	}
	n.center = center
	n.stop = append(n.stop, center.OnChange(func() { b.sink.Event(KindNotifications, id) }))
	if n.toaster != nil {
		n.stop = append(n.stop, notify.PauseWhenHidden(n.toaster))
	}
	if err := b.add(id, n); err != nil {
		n.close()
		return err
	}
	return nil
}

// NotificationsDo runs action on center id: "markSeen", "markRead" (arg:
// the notification id), "markAllRead", "archive" (arg), "clear", and for
// toasts "dismissToast" (arg), "pauseToasts" and "resumeToasts" (arg: the
// reason, such as "hover").
func (b *Bridge) NotificationsDo(id int, action, arg string) error {
	n, err := get[*notifications](b, id)
	if err != nil {
		return err
	}
	switch action {
	case "markSeen":
		return n.center.Do(func(s *notify.Store) error { s.MarkSeen(); return nil })
	case "markRead":
		return n.center.Do(func(s *notify.Store) error { return s.MarkRead(arg) })
	case "markAllRead":
		return n.center.Do(func(s *notify.Store) error { s.MarkAllRead(); return nil })
	case "archive":
		return n.center.Do(func(s *notify.Store) error { return s.Archive(arg) })
	case "clear":
		return n.center.Do(func(s *notify.Store) error { s.Clear(); return nil })
	}
	if n.toaster == nil {
		return fmt.Errorf("%w: %s: the center was opened with toasts: false", ErrArgument, action)
	}
	switch action {
	case "dismissToast":
		n.toaster.Dismiss(arg)
	case "pauseToasts":
		n.toaster.Pause(arg)
	case "resumeToasts":
		n.toaster.Resume(arg)
	default:
		return fmt.Errorf("%w: unknown action %q", ErrArgument, action)
	}
	return nil
}

// NotificationsView reads center id, as JSON: "list" (arg: the JSON of a
// NotificationFilter), "get" (arg: the id; null when not held), "unread"
// and "toasts".
func (b *Bridge) NotificationsView(id int, what string, arg []byte) (string, error) {
	n, err := get[*notifications](b, id)
	if err != nil {
		return "", err
	}
	switch what {
	case "list":
		ff := readFields("filter", arg)
		sev, _ := ff.strings("severity")
		st, _ := ff.strings("state")
		if err := ff.done(); err != nil {
			return "", err
		}
		filter := notify.Filter{}
		for _, s := range sev {
			if !slices.Contains(notify.Severities, notify.Severity(s)) {
				return "", fmt.Errorf("%w: filter.severity has %q", ErrConfig, s)
			}
			filter.Severities = append(filter.Severities, notify.Severity(s))
		}
		for _, s := range st {
			if !slices.Contains(noteStates, notify.State(s)) {
				return "", fmt.Errorf("%w: filter.state has %q", ErrConfig, s)
			}
			filter.States = append(filter.States, notify.State(s))
		}
		var list []notify.Notification
		n.center.View(func(s *notify.Store) { list = s.List(filter) })
		if list == nil {
			list = []notify.Notification{}
		}
		return mustJSON(list), nil
	case "get":
		var (
			item notify.Notification
			ok   bool
		)
		n.center.View(func(s *notify.Store) { item, ok = s.Get(string(arg)) })
		if !ok {
			return "null", nil
		}
		return mustJSON(item), nil
	case "unread":
		var c notify.Counts
		n.center.View(func(s *notify.Store) { c = s.Unread() })
		return mustJSON(struct {
			Total      int                     `json:"total"`
			BySeverity map[notify.Severity]int `json:"bySeverity"`
		}{c.Total, c.BySeverity}), nil
	case "toasts":
		if n.toaster == nil {
			return `{"visible":[],"queued":0}`, nil
		}
		visible := n.toaster.Visible()
		return mustJSON(struct {
			Visible []notify.Notification `json:"visible"`
			Queued  int                   `json:"queued"`
		}{visible, n.toaster.Queued()}), nil
	}
	return "", fmt.Errorf("%w: unknown view %q", ErrArgument, what)
}
