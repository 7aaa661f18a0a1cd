package jsbridge

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/matih-ai/realtime/wasm/protocol"
	"github.com/matih-ai/realtime/wasm/ws"
)

const kindConnection = "connection"

// conn is a WebSocket connection opened by JavaScript.
type conn struct {
	id     int
	client *ws.Client
	stop   []func() // listeners
	tokens *tokens

	mu    sync.Mutex
	chans map[string]func() // channel -> unsubscribe, one per channel
}

func (*conn) kind() string { return kindConnection }

func (c *conn) channels() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.chans)
}

func (c *conn) close() {
	c.mu.Lock()
	chans := c.chans
	c.chans = nil
	c.mu.Unlock()
	for _, unsubscribe := range chans {
		unsubscribe()
	}
	for _, stop := range c.stop {
		stop()
	}
	c.client.Close()
}

// OpenWebSocket makes connection id from the JSON of a WebSocketConfig and
// starts connecting; state changes and errors follow as KindState and
// KindError events.
func (b *Bridge) OpenWebSocket(id int, config []byte, page string) error {
	t := &tokens{sink: b.sink, id: id}
	cfg, err := WebSocketConfig(config, page, t.ask)
	if err != nil {
		return err
	}
	client, err := ws.New(cfg)
	if err != nil {
		return err
	}
	c := &conn{id: id, client: client, chans: map[string]func(){}, tokens: t}
	if err := b.add(id, c); err != nil {
		client.Close()
		return err
	}
	c.stop = append(c.stop,
		client.OnState(func(s ws.State) {
			b.sink.Event(KindState, id, string(s.Status), s.Attempt, millis(s.NextDelay), s.Queued, errText(s.Err), Code(s.Err))
		}),
		client.OnError(func(err error) { b.sink.Event(KindError, id, err.Error(), Code(err)) }),
	)
	client.Connect()
	return nil
}

// Connect, Disconnect and Reconnect are the connection's own.
func (b *Bridge) Connect(id int) error    { return b.withClient(id, (*ws.Client).Connect) }
func (b *Bridge) Disconnect(id int) error { return b.withClient(id, (*ws.Client).Disconnect) }
func (b *Bridge) Reconnect(id int) error  { return b.withClient(id, (*ws.Client).Reconnect) }

func (b *Bridge) withClient(id int, f func(*ws.Client)) error {
	c, err := get[*conn](b, id)
	if err != nil {
		return err
	}
	f(c.client)
	return nil
}

// Send sends e on connection id, or queues it while offline. A message
// needs a type; a channel, when it has one, must be well formed.
func (b *Bridge) Send(id int, e protocol.Envelope) error {
	c, err := b.sender(id, e)
	if err != nil {
		return err
	}
	return c.client.Send(e)
}

// sender returns connection id, to send e on: e's channel, when it has
// one, must be well formed.
func (b *Bridge) sender(id int, e protocol.Envelope) (*conn, error) {
	c, err := get[*conn](b, id)
	if err != nil {
		return nil, err
	}
	if e.Channel != "" {
		if err := protocol.ValidChannel(e.Channel); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrArgument, err)
		}
	}
	return c, nil
}

// SendNow is Send when it can finish at once (ws.Client.SendNow), for
// realtime.js's wasm export: it reports false, having changed nothing,
// when Send must be called instead (which also reports any error).
func (b *Bridge) SendNow(id int, e protocol.Envelope) bool {
	c, err := b.sender(id, e)
	return err == nil && c.client.SendNow(e)
}

// Socket and NumberNow are ws.Client's, for realtime.js's publishes
// written by JavaScript itself (see the module's wasm exports): 0 when
// connection id is unknown, or when it cannot be done now.
func (b *Bridge) Socket(id int) int {
	c, err := get[*conn](b, id)
	if err != nil {
		return 0
	}
	return c.client.Socket()
}

// connOfSocket returns the connection whose client is on socket, 0 if
// none.
func (b *Bridge) connOfSocket(socket int) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	on := func(id int) bool {
		c, ok := b.objects[id].(*conn)
		return ok && c.client.Socket() == socket
	}
	if b.lastSocket != 0 && on(b.lastSocket) {
		return b.lastSocket
	}
	for id := range b.children { // the connections' ids
		if on(id) {
			b.lastSocket = id
			return id
		}
	}
	return 0
}

// NumberNow: see Socket.
func (b *Bridge) NumberNow(id, socket, maxBytes int) uint64 {
	c, err := get[*conn](b, id)
	if err != nil {
		return 0
	}
	return c.client.NumberNow(socket, maxBytes)
}

// Publisher is the part of connection id's publish ids before the ":".
func (b *Bridge) Publisher(id int) (string, error) {
	c, err := get[*conn](b, id)
	if err != nil {
		return "", err
	}
	return c.client.Publisher(), nil
}

// Request sends e with a fresh ref and settles request req with the
// server's answer (KindReply with the ack as JSON) or its error, or a
// timeout error after timeout.
func (b *Bridge) Request(id, req int, e protocol.Envelope, timeout time.Duration) error {
	c, err := b.sender(id, e)
	if err != nil {
		return err
	}
	if timeout <= 0 {
		return fmt.Errorf("%w: timeout %v", ErrArgument, timeout)
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		ack, err := c.client.Request(ctx, e)
		if err != nil {
			b.sink.Event(KindReply, req, "", err.Error(), Code(err))
			return
		}
		raw, err := protocol.Encode(ack)
		b.sink.Event(KindReply, req, string(raw), errText(err), Code(err))
	}()
	return nil
}

// Subscribe makes connection id deliver the envelopes of channel to
// JavaScript (Sink.Message), now and after every reconnect; subscribing
// twice does nothing. Errors the server sends about the channel are
// reported as KindError events, not as messages.
func (b *Bridge) Subscribe(id int, channel string) error {
	c, err := get[*conn](b, id)
	if err != nil {
		return err
	}
	if err := protocol.ValidChannel(channel); err != nil {
		return fmt.Errorf("%w: %w", ErrArgument, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.chans == nil {
		return fmt.Errorf("%w: connection %d", ErrClosed, id)
	}
	if _, ok := c.chans[channel]; ok {
		return nil
	}
	// The sink never blocks, and only hands JavaScript each message's text:
	// when JavaScript has a frame's text, it reads the messages itself.
	unsubscribe, err := c.client.SubscribeRelay(channel, func(e protocol.Envelope) {
		if e.Type != protocol.TypeError {
			b.sink.Message(id, e)
		}
	})
	if err != nil {
		return fmt.Errorf("failed to subscribe to %q: %w", channel, err)
	}
	c.chans[channel] = unsubscribe
	return nil
}

// Unsubscribe stops what Subscribe started. Other users of the channel on
// the same connection (a presence tracker, say) keep theirs.
func (b *Bridge) Unsubscribe(id int, channel string) error {
	c, err := get[*conn](b, id)
	if err != nil {
		return err
	}
	c.mu.Lock()
	unsubscribe := c.chans[channel]
	delete(c.chans, channel)
	c.mu.Unlock()
	if unsubscribe != nil {
		unsubscribe()
	}
	return nil
}

// client returns the client of connection id, for the objects that work
// over one.
func (b *Bridge) client(id int) (*ws.Client, error) {
	c, err := get[*conn](b, id)
	if err != nil {
		return nil, err
	}
	return c.client, nil
}
