// Package notify is the client side of the NotificationCenter: a store of
// notifications with their read state and unread counts, and a toast queue.
// Both are pure code on an injected clock; the browser persists the store
// in localStorage so a reload keeps what was read.
package notify

import (
	"errors"
	"fmt"
	"slices"
)

// Severity ranks a notification.
type Severity string

// Severities.
const (
	Info    Severity = "info"
	Success Severity = "success"
	Warning Severity = "warning"
	Error   Severity = "error"
)

// Severities lists every severity, mildest first.
var Severities = []Severity{Info, Success, Warning, Error}

// State is where a notification is in its life.
type State string

// States. A notification moves forward only: unseen -> seen -> read ->
// archived, skipping steps as it may; archived is final.
const (
	Unseen   State = "unseen"   // arrived, not shown in the panel yet
	Seen     State = "seen"     // shown in the panel, not acted on
	Read     State = "read"     // opened or marked read
	Archived State = "archived" // put away
)

func (s State) order() int { return slices.Index([]State{Unseen, Seen, Read, Archived}, s) }

// Action is an optional link a notification offers.
type Action struct {
	Label string `json:"label"`
	URL   string `json:"url"`
}

// Notification is one notification. The server numbers a user's
// notifications; Seq orders them and lets a client ask for what it missed.
type Notification struct {
	ID       string   `json:"id"`
	Seq      uint64   `json:"seq"`
	Severity Severity `json:"severity"`
	Title    string   `json:"title"`
	Body     string   `json:"body,omitempty"`
	Time     int64    `json:"time"` // Unix milliseconds
	Action   *Action  `json:"action,omitempty"`
	State    State    `json:"state,omitempty"`
}

// Validate checks what the store relies on.
func (n Notification) Validate() error {
	switch {
	case n.ID == "":
		return errors.New("notify: notification without id")
	case !slices.Contains(Severities, n.Severity):
		return fmt.Errorf("notify: notification %s has severity %q", n.ID, n.Severity)
	case n.Title == "":
		return fmt.Errorf("notify: notification %s has no title", n.ID)
	}
	return nil
}

// Errors of the store.
var (
	ErrNotFound    = errors.New("notify: no such notification")
	ErrBackwards   = errors.New("notify: a notification's state only moves forward")
	ErrInvalidData = errors.New("notify: invalid notification")
)

// DefaultCap is how many notifications a store keeps by default.
const DefaultCap = 200

// Store keeps notifications, newest first, at most Cap of them. It is not
// safe for concurrent use: the UI goroutine owns it.
type Store struct {
	cap   int
	items []Notification // newest (highest Seq) first
	last  uint64         // highest Seq ever added: Clear and the cap keep it
}

// NewStore returns an empty store keeping at most cap notifications
// (DefaultCap when cap <= 0).
func NewStore(cap int) *Store {
	if cap <= 0 {
		cap = DefaultCap
	}
	return &Store{cap: cap}
}

// Add stores n as unseen. It reports false for a notification already held
// (same id): a replay after a reconnect adds nothing twice. Past the cap the
// oldest archived, then read, then any notifications go first.
func (s *Store) Add(n Notification) (bool, error) {
	if err := n.Validate(); err != nil {
		return false, fmt.Errorf("%w: %w", ErrInvalidData, err)
	}
	if s.index(n.ID) >= 0 {
		return false, nil
	}
	if n.State == "" {
		n.State = Unseen
	}
	i, _ := slices.BinarySearchFunc(s.items, n, func(a, b Notification) int {
		switch {
		case a.Seq > b.Seq:
			return -1
		case a.Seq < b.Seq:
			return 1
		}
		return 0
	})
	s.items = slices.Insert(s.items, i, n)
	s.last = max(s.last, n.Seq)
	s.trim()
	return s.index(n.ID) >= 0, nil
}

func (s *Store) trim() {
	for _, st := range []State{Archived, Read, Seen, Unseen} {
		for i := len(s.items) - 1; i >= 0 && len(s.items) > s.cap; i-- {
			if s.items[i].State == st {
				s.items = slices.Delete(s.items, i, i+1)
			}
		}
	}
}

func (s *Store) index(id string) int {
	return slices.IndexFunc(s.items, func(n Notification) bool { return n.ID == id })
}

// Get returns the notification with id.
func (s *Store) Get(id string) (Notification, bool) {
	if i := s.index(id); i >= 0 {
		return s.items[i], true
	}
	return Notification{}, false
}

// Len counts the notifications held, archived ones included.
func (s *Store) Len() int { return len(s.items) }

// LastSeq is the highest Seq the store has held: what to resume after.
// Notifications cleared or dropped past the cap still count, so that a
// resume does not bring them back.
func (s *Store) LastSeq() uint64 { return s.last }

// move sets the state of id, forward only; moving to the state it has is
// not an error.
func (s *Store) move(id string, to State) error {
	i := s.index(id)
	if i < 0 {
		return fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	from := s.items[i].State
	if to.order() < from.order() {
		return fmt.Errorf("%w: %s is %s, cannot become %s", ErrBackwards, id, from, to)
	}
	s.items[i].State = to
	return nil
}

// MarkSeen marks the unseen notifications seen (the panel was opened).
func (s *Store) MarkSeen() {
	for i := range s.items {
		if s.items[i].State == Unseen {
			s.items[i].State = Seen
		}
	}
}

// MarkRead marks one notification read.
func (s *Store) MarkRead(id string) error { return s.move(id, Read) }

// MarkAllRead marks every unread notification read.
func (s *Store) MarkAllRead() {
	for i := range s.items {
		if s.items[i].State.order() < Read.order() {
			s.items[i].State = Read
		}
	}
}

// Archive puts one notification away; it leaves the unread counts.
func (s *Store) Archive(id string) error { return s.move(id, Archived) }

// Clear removes every notification. LastSeq stays, so resuming after it
// does not bring them back; the ids are forgotten, so a replay from before
// it would.
func (s *Store) Clear() (lastSeq uint64) {
	s.items = nil
	return s.last
}

// Counts are unread counts: unseen and seen notifications.
type Counts struct {
	Total      int
	BySeverity map[Severity]int
}

// Unread counts the notifications not yet read or archived.
func (s *Store) Unread() Counts {
	c := Counts{BySeverity: map[Severity]int{}}
	for _, n := range s.items {
		if n.State == Unseen || n.State == Seen {
			c.Total++
			c.BySeverity[n.Severity]++
		}
	}
	return c
}

// Filter selects notifications; zero fields select everything. Archived
// notifications are listed only when States asks for them.
type Filter struct {
	Severities []Severity
	States     []State
}

// List returns the notifications that pass f, newest first.
func (s *Store) List(f Filter) []Notification {
	var out []Notification
	for _, n := range s.items {
		if len(f.Severities) > 0 && !slices.Contains(f.Severities, n.Severity) {
			continue
		}
		if len(f.States) > 0 && !slices.Contains(f.States, n.State) {
			continue
		}
		if len(f.States) == 0 && n.State == Archived {
			continue
		}
		out = append(out, n)
	}
	return out
}
