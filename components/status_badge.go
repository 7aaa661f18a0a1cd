package components

import (
	"fmt"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/matih-ai/realtime/wasm/ws"
)

// IStatusBadge shows the status of a WebSocketProvider.
type IStatusBadge interface {
	app.UI
	// Provider names the provider to show. Default is "".
	Provider(name string) IStatusBadge
	// Detailed adds the reconnect attempt, its delay and the queue length.
	// Default is false.
	Detailed(v bool) IStatusBadge
}

// StatusBadge returns a badge that follows a provider's status.
func StatusBadge() IStatusBadge { return &statusBadge{} }

type statusBadge struct {
	app.Compo

	IProvider string
	IDetailed bool

	state ws.State
}

func (b *statusBadge) Provider(name string) IStatusBadge { b.IProvider = name; return b }
func (b *statusBadge) Detailed(v bool) IStatusBadge      { b.IDetailed = v; return b }

func (b *statusBadge) OnMount(ctx app.Context) {
	ObserveWebSocket(ctx, b.IProvider, &b.state)
}

func (b *statusBadge) Render() app.UI {
	return StatusView(b.state, b.IDetailed)
}

// StatusPill renders a status word as a coloured pill, with an optional
// detail; the colours follow the statuses of every provider (connected and
// open are good, connecting and reconnecting wait, error is bad).
func StatusPill(status, detail string) app.UI {
	if status == "" {
		status = "disconnected"
	}
	return app.Span().
		Class("rt-status", "rt-status--"+status).
		DataSet("status", status).
		Aria("live", "polite").
		Body(
			app.Span().Class("rt-status__dot"),
			app.Span().Class("rt-status__label").Text(status),
			app.If(detail != "", func() app.UI {
				return app.Span().Class("rt-status__detail").Text(detail)
			}),
		)
}

// StatusView renders a ws.State as a badge; it holds no state of its own,
// so it can be tested without a connection.
func StatusView(s ws.State, detailed bool) app.UI {
	status := s.Status
	if status == "" {
		status = ws.StatusDisconnected
	}
	return app.Span().
		Class("rt-status", "rt-status--"+string(status)).
		DataSet("status", string(status)).
		Aria("live", "polite").
		Body(
			app.Span().Class("rt-status__dot"),
			app.Span().Class("rt-status__label").Text(string(status)),
			app.If(detailed && s.Status == ws.StatusReconnecting, func() app.UI {
				if s.NextDelay == 0 {
					return app.Span().Class("rt-status__detail").Text(fmt.Sprintf("attempt %d, dialing", s.Attempt))
				}
				return app.Span().Class("rt-status__detail").Text(fmt.Sprintf("attempt %d in %s", s.Attempt, s.NextDelay.Round(time.Millisecond)))
			}),
			app.If(detailed && s.Queued > 0, func() app.UI {
				return app.Span().Class("rt-status__detail").Text(fmt.Sprintf("%d queued", s.Queued))
			}),
		)
}
