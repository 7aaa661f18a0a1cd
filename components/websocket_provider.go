package components

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/matih-ai/realtime/wasm/ws"
)

// WebSocketProvider owns one WebSocket client, shared by its descendants.
// Its client connects when it mounts and is closed when it dismounts.
type WebSocketProvider struct {
	app.Compo

	// Name tells providers apart; descendants find this one by it.
	// Default is "" (the default provider).
	Name string
	// Config configures the client. A URL starting with "/" is resolved
	// against the page ("/ws" on http://host becomes ws://host/ws). It is
	// read at mount; a provider whose URL or token changes is remounted.
	Config ws.Config
	// Content is the subtree that uses the connection.
	Content []app.UI

	client *ws.Client
	stop   []func()
}

// CompoID makes go-app remount the provider, and so redial, when the
// address or credentials change.
func (p *WebSocketProvider) CompoID() string {
	return p.Name + "\x00" + p.Config.URL + "\x00" + p.Config.AuthToken
}

// OnInit creates the client before the children render, so they can reach
// it from their own OnMount.
func (p *WebSocketProvider) OnInit() {
	if app.IsServer {
		return // pre-rendering: no connections
	}
	cfg := p.Config
	cfg.URL = resolveWebSocketURL(cfg.URL, pageURL())
	c, err := ws.New(cfg)
	if err != nil {
		app.Log(fmt.Errorf("components: WebSocketProvider %q: %w", p.Name, err))
		return
	}
	p.client = c
	clients.set(p.Name, c)
}

// OnMount publishes the client's state and connects.
func (p *WebSocketProvider) OnMount(ctx app.Context) {
	if p.client == nil {
		ctx.SetState(StateKey(p.Name), ws.State{Status: ws.StatusError, Err: fmt.Errorf("components: no client: invalid config")})
		return
	}
	key := StateKey(p.Name)
	ctx.SetState(key, p.client.State())
	p.stop = append(p.stop, p.client.OnState(func(s ws.State) {
		ctx.Dispatch(func(ctx app.Context) { ctx.SetState(key, s) })
	}))
	p.client.Connect()
}

// OnDismount closes the client; its children have dismounted already.
func (p *WebSocketProvider) OnDismount() {
	for _, stop := range p.stop {
		stop()
	}
	p.stop = nil
	if p.client != nil {
		clients.remove(p.Name, p.client)
		p.client.Close()
		p.client = nil
	}
}

// Render shows the content.
func (p *WebSocketProvider) Render() app.UI {
	return app.Div().Class("rt-provider").Body(p.Content...)
}

// StateKey is the go-app state under which the named provider publishes its
// ws.State.
func StateKey(provider string) string { return "realtime/ws/" + provider }

// ObserveWebSocket keeps *s up to date with the named provider's state and
// re-renders the component of ctx on every change (the spec's
// useWebSocketStatus).
func ObserveWebSocket(ctx app.Context, provider string, s *ws.State) app.Observer {
	return ctx.ObserveState(StateKey(provider), s)
}

var clients = registry[*ws.Client]{kind: "WebSocket"}

// WebSocket returns the client of the named provider, or nil when none is
// mounted (the spec's useWebSocket).
func WebSocket(provider string) *ws.Client { return clients.get(provider) }

// pageURL is the address of the page, or nil outside a browser.
func pageURL() *url.URL {
	if !app.IsClient {
		return nil
	}
	u, err := url.Parse(app.Window().Get("location").Get("href").String())
	if err != nil {
		return nil
	}
	return u
}

// resolveWebSocketURL turns a path into a ws:// or wss:// URL on the page's
// host; other URLs are returned as they are, for ws.New to check.
func resolveWebSocketURL(raw string, page *url.URL) string {
	if page == nil || !strings.HasPrefix(raw, "/") || strings.HasPrefix(raw, "//") {
		return raw
	}
	scheme := "ws"
	if page.Scheme == "https" {
		scheme = "wss"
	}
	return scheme + "://" + page.Host + raw
}
