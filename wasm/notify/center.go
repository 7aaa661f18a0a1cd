package notify

import (
	"errors"
	"fmt"
	"sync"

	"github.com/matih-ai/realtime/wasm/protocol"
	"github.com/matih-ai/realtime/wasm/ws"
)

// Envelope types of notifications; see the package doc of wasm/protocol.
const (
	TypeNew   = "notify.new"
	TypeSync  = "notify.sync"
	TypeBatch = "notify.batch"
)

// Channel is the channel of a user's notifications.
func Channel(user string) string { return "notifications:" + user }

// SyncData is the data of notify.sync: send what follows After.
type SyncData struct {
	After uint64 `json:"after"`
}

// BatchData is the data of notify.batch.
type BatchData struct {
	Items []Notification `json:"items"`
	// Lost says some notifications after the asked seq are no longer kept.
	Lost bool `json:"lost,omitempty"`
}

// CenterOptions tune a Center.
type CenterOptions struct {
	// Cap bounds the store. Default is DefaultCap.
	Cap int
	// Storage persists the store. Default is LocalStorage().
	Storage Storage
	// OnNew runs for each notification added, on the WebSocket client's
	// callback goroutine (show a toast).
	OnNew func(Notification)
	// OnError runs when the store cannot be saved or loaded, or the server
	// sends what cannot be read.
	OnError func(error)
}

// Center delivers one user's notifications into a Store: live ones as they
// come, and after every (re)connect the ones missed, each once.
type Center struct {
	client  *ws.Client
	channel string
	key     string
	opts    CenterOptions
	stop    []func()

	mu        sync.Mutex
	store     *Store
	listeners []func()
	// resume is the seq to sync after: every notification up to it has
	// come. A live one raises it only once a batch has come on the same
	// connection: one that came before may follow a gap the batch fills,
	// and if the connection ends first the next sync must still ask for
	// the gap.
	resume uint64
	synced bool // a batch came on the current connection
}

// NewCenter loads the user's saved store and starts receiving.
func NewCenter(c *ws.Client, user string, opts CenterOptions) (*Center, error) {
	if user == "" {
		return nil, errors.New("notify: a center needs a user")
	}
	if opts.Storage == nil {
		opts.Storage = LocalStorage()
	}
	if opts.OnNew == nil {
		opts.OnNew = func(Notification) {}
	}
	if opts.OnError == nil {
		opts.OnError = func(error) {}
	}
	n := &Center{client: c, channel: Channel(user), key: "realtime/notifications/" + user, opts: opts, store: NewStore(opts.Cap)}
	if err := n.store.Load(opts.Storage, n.key); err != nil {
		opts.OnError(err) // start empty rather than not at all
	}
	unsubscribe, err := c.Subscribe(n.channel, n.receive)
	if err != nil {
		return nil, fmt.Errorf("notify: failed to subscribe to %s: %w", n.channel, err)
	}
	n.resume = n.store.LastSeq()
	n.stop = append(n.stop, unsubscribe, c.OnStatus(func(s ws.Status) {
		if s == ws.StatusConnected {
			n.sync()
		}
	}))
	if c.Status() == ws.StatusConnected {
		n.sync()
	}
	return n, nil
}

// sync asks for what came after the last notification up to which none
// is missing. Status changes and the connection's envelopes reach the
// Center in order, so what follows a connected status is of that
// connection.
func (n *Center) sync() {
	n.mu.Lock()
	n.synced = false
	after := n.resume
	n.mu.Unlock()
	data, _ := protocol.Marshal(SyncData{After: after})
	n.client.Send(protocol.Envelope{Type: TypeSync, Channel: n.channel, Data: data})
}

func (n *Center) receive(e protocol.Envelope) {
	var items []Notification
	switch e.Type {
	case TypeNew:
		var item Notification
		if err := protocol.Unmarshal(e.Data, &item); err != nil {
			n.opts.OnError(fmt.Errorf("notify: unreadable notification: %w", err))
			return
		}
		items = []Notification{item}
	case TypeBatch:
		var b BatchData
		if err := protocol.Unmarshal(e.Data, &b); err != nil {
			n.opts.OnError(fmt.Errorf("notify: unreadable batch: %w", err))
			return
		}
		items = b.Items
	default:
		return
	}
	var added []Notification
	n.mu.Lock()
	if e.Type == TypeBatch {
		n.synced = true
	}
	for _, item := range items {
		if n.synced {
			n.resume = max(n.resume, item.Seq)
		}
		item.State = "" // read state is this client's, never the server's
		ok, err := n.store.Add(item)
		if err != nil {
			n.opts.OnError(err)
			continue
		}
		if ok {
			got, _ := n.store.Get(item.ID)
			added = append(added, got)
		}
	}
	n.mu.Unlock()
	if len(added) == 0 {
		return
	}
	n.changed()
	for _, item := range added {
		n.opts.OnNew(item)
	}
}

// Do runs f on the store, saves it and tells the listeners. Use it for the
// user's actions: mark read, archive, clear.
func (n *Center) Do(f func(*Store) error) error {
	n.mu.Lock()
	err := f(n.store)
	n.mu.Unlock()
	n.changed()
	return err
}

// View runs f on the store for reading.
func (n *Center) View(f func(*Store)) {
	n.mu.Lock()
	defer n.mu.Unlock()
	f(n.store)
}

// OnChange calls fn after every change of the store.
func (n *Center) OnChange(fn func()) (remove func()) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.listeners = append(n.listeners, fn)
	i := len(n.listeners) - 1
	return func() {
		n.mu.Lock()
		defer n.mu.Unlock()
		n.listeners[i] = nil
	}
}

func (n *Center) changed() {
	n.mu.Lock()
	err := n.store.Save(n.opts.Storage, n.key)
	fns := append([]func(){}, n.listeners...)
	n.mu.Unlock()
	if err != nil {
		n.opts.OnError(err)
	}
	for _, fn := range fns {
		if fn != nil {
			fn()
		}
	}
}

// Close stops receiving.
func (n *Center) Close() {
	for _, stop := range n.stop {
		stop()
	}
	n.stop = nil
}
