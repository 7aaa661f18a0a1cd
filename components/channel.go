package components

import (
	"fmt"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/matih-ai/realtime/wasm/protocol"
)

// A go-app screen decodes each message's data in Go (protocol.DecodeData)
// and encodes what it publishes: flat structs then skip encoding/json's
// reflection, its largest cost in the browser. And the application's own
// values the runtime encodes (a presence session's Extra) may be of any
// type encoding/json writes: app.wasm links encoding/json for go-app
// anyway.
func init() {
	protocol.UseFlatData()
	protocol.UseEncodingJSON()
}

// Channel subscribes to a channel of a provider while it is mounted (the
// spec's useWebSocketChannel). Put it in a component's render tree: it
// renders nothing visible, and its subscription ends when the component
// that rendered it goes away.
type Channel struct {
	app.Compo

	// Provider names the WebSocketProvider. Default is "".
	Provider string
	// Name is the channel, "kind:name".
	Name string
	// OnMessage runs on the UI goroutine for each message; the component
	// that rendered the Channel is updated after it.
	OnMessage func(ctx app.Context, msg protocol.Envelope)
	// OnError runs when the subscription cannot be made. Default logs.
	OnError func(ctx app.Context, err error)

	unsubscribe func()
	subscribed  string // provider and channel of the live subscription
}

func (c *Channel) OnMount(ctx app.Context) { c.subscribe(ctx) }

// OnUpdate follows a change of channel or provider.
func (c *Channel) OnUpdate(ctx app.Context) {
	if c.subscribed != c.Provider+"\x00"+c.Name {
		c.subscribe(ctx)
	}
}

func (c *Channel) OnDismount() { c.close() }

func (c *Channel) close() {
	if c.unsubscribe != nil {
		c.unsubscribe()
		c.unsubscribe, c.subscribed = nil, ""
	}
}

func (c *Channel) subscribe(ctx app.Context) {
	c.close()
	client := WebSocket(c.Provider)
	if client == nil {
		c.fail(ctx, fmt.Errorf("components: channel %q: no WebSocketProvider named %q is mounted", c.Name, c.Provider))
		return
	}
	// Dispatch only queues for the UI goroutine: the handler may run as
	// the frame arrives (ws.Client.SubscribeInline).
	unsubscribe, err := client.SubscribeInline(c.Name, func(msg protocol.Envelope) {
		ctx.Dispatch(func(ctx app.Context) {
			if c.OnMessage != nil && c.Mounted() {
				c.OnMessage(ctx, msg)
			}
		})
	})
	if err != nil {
		c.fail(ctx, err)
		return
	}
	c.unsubscribe, c.subscribed = unsubscribe, c.Provider+"\x00"+c.Name
}

func (c *Channel) fail(ctx app.Context, err error) {
	if c.OnError != nil {
		c.OnError(ctx, err)
		return
	}
	app.Log(err)
}

func (c *Channel) Render() app.UI {
	return app.Span().Hidden(true).DataSet("channel", c.Name)
}
