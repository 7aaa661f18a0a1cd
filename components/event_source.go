package components

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/matih-ai/realtime/wasm/sse"
)

// EventSource owns one Server-Sent Events stream, shared by its
// descendants: it opens when it mounts and closes when it dismounts. A
// stream that drops resumes with Last-Event-ID, so nothing is lost.
type EventSource struct {
	app.Compo

	// Name tells EventSources apart; descendants find this one by it.
	// Default is "".
	Name string
	// Config configures the stream. A URL starting with "/" is resolved
	// against the page. It is read at mount; a change of URL, method, body
	// or token remounts the provider.
	Config  sse.Config
	Content []app.UI

	client *sse.Client
	stop   []func()
}

var streams = registry[*sse.Client]{kind: "EventSource"}

// EventSourceOf returns the stream of the named provider, or nil.
func EventSourceOf(name string) *sse.Client { return streams.get(name) }

// EventSourceKey is the go-app state under which the named provider
// publishes its sse.State.
func EventSourceKey(name string) string { return "realtime/sse/" + name }

// ObserveEventSource keeps *s up to date with the named provider's state
// and re-renders the component of ctx on every change.
func ObserveEventSource(ctx app.Context, name string, s *sse.State) app.Observer {
	return ctx.ObserveState(EventSourceKey(name), s)
}

func (p *EventSource) CompoID() string {
	return strings.Join([]string{p.Name, p.Config.URL, p.Config.Method, string(p.Config.Body), p.Config.AuthToken}, "\x00")
}

func (p *EventSource) OnInit() {
	if app.IsServer {
		return
	}
	cfg := p.Config
	cfg.URL = resolveHTTPURL(cfg.URL, pageURL())
	c, err := sse.New(cfg)
	if err != nil {
		app.Log(fmt.Errorf("components: EventSource %q: %w", p.Name, err))
		return
	}
	p.client = c
	streams.set(p.Name, c)
}

func (p *EventSource) OnMount(ctx app.Context) {
	key := EventSourceKey(p.Name)
	if p.client == nil {
		ctx.SetState(key, sse.State{Status: sse.StatusError, Err: fmt.Errorf("components: no stream: invalid config")})
		return
	}
	ctx.SetState(key, p.client.State())
	p.stop = append(p.stop, p.client.OnState(func(s sse.State) {
		ctx.Dispatch(func(ctx app.Context) { ctx.SetState(key, s) })
	}))
	p.client.Open()
}

func (p *EventSource) OnDismount() {
	for _, stop := range p.stop {
		stop()
	}
	p.stop = nil
	if p.client != nil {
		streams.remove(p.Name, p.client)
		p.client.Close()
		p.client = nil
	}
}

func (p *EventSource) Render() app.UI {
	return app.Div().Class("rt-event-source").Body(p.Content...)
}

// SSEEvent calls OnEvent for the events of a stream while it is mounted:
// the named ones, or every event when Event is empty. Put it in a
// component's render tree; it renders nothing visible.
type SSEEvent struct {
	app.Compo

	// Source names the EventSource provider. Default is "".
	Source string
	// Event is the event type to receive; "" receives every event.
	Event string
	// OnEvent runs on the UI goroutine; the component that rendered the
	// SSEEvent is updated after it.
	OnEvent func(ctx app.Context, e sse.Event)

	remove     func()
	subscribed string
}

func (s *SSEEvent) OnMount(ctx app.Context) { s.listen(ctx) }

func (s *SSEEvent) OnUpdate(ctx app.Context) {
	if s.subscribed != s.Source+"\x00"+s.Event {
		s.listen(ctx)
	}
}

func (s *SSEEvent) OnDismount() { s.close() }

func (s *SSEEvent) close() {
	if s.remove != nil {
		s.remove()
		s.remove, s.subscribed = nil, ""
	}
}

func (s *SSEEvent) listen(ctx app.Context) {
	s.close()
	c := EventSourceOf(s.Source)
	if c == nil {
		app.Log(fmt.Errorf("components: SSEEvent %q: no EventSource named %q is mounted", s.Event, s.Source))
		return
	}
	fn := func(e sse.Event) {
		ctx.Dispatch(func(ctx app.Context) {
			if s.OnEvent != nil && s.Mounted() {
				s.OnEvent(ctx, e)
			}
		})
	}
	if s.Event == "" {
		s.remove = c.OnMessage(fn)
	} else {
		s.remove = c.On(s.Event, fn)
	}
	s.subscribed = s.Source + "\x00" + s.Event
}

func (s *SSEEvent) Render() app.UI {
	return app.Span().Hidden(true).DataSet("sse-event", s.Event)
}

// resolveHTTPURL turns a path into an absolute URL on the page's origin.
func resolveHTTPURL(raw string, page *url.URL) string {
	if page == nil || !strings.HasPrefix(raw, "/") || strings.HasPrefix(raw, "//") {
		return raw
	}
	return page.Scheme + "://" + page.Host + raw
}
