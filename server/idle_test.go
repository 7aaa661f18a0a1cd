package server

import (
	"testing"
	"time"

	"github.com/matih-ai/realtime/wasm/clock"
	"github.com/matih-ai/realtime/wasm/presence"
	"github.com/matih-ai/realtime/wasm/protocol"
)

// TestIdleTimeoutClosesSilentConnection: a connection that sends nothing
// for IdleTimeout is closed with 1001, however long it was busy before;
// its presence then goes after the grace, as a closed laptop's should.
func TestIdleTimeoutClosesSilentConnection(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake()
	s, hs := newTestServer(t, Options{Clock: clk})
	const ch = "presence:doc"
	w := dial(t, hs, "", nil)
	w.subscribeState(ch)
	laptop := dial(t, hs, "", nil)
	laptop.send(protocol.Envelope{Type: presence.TypeJoin, Channel: ch, Data: rawData(t, presence.Meta{Session: "l1", User: "lee"}), Ref: "j"})
	laptop.expect(protocol.TypeAck, ch, "j")
	w.expectDiff(ch, 1)

	for range 3 { // traffic keeps both open
		clk.Advance(DefaultIdleTimeout - time.Second)
		laptop.roundTrip()
		w.roundTrip()
	}
	// The laptop's lid closes; w goes on pinging.
	clk.Advance(DefaultIdleTimeout / 2)
	w.roundTrip()
	clk.Advance(DefaultIdleTimeout - DefaultIdleTimeout/2)
	w.roundTrip()
	laptop.expectClose(protocol.CloseGoingAway)

	waitFor(t, "the laptop's session to wait for it", func() bool { return s.rooms.graceSessions() == 1 })
	clk.Advance(DefaultPresenceGrace)
	if d := w.expectDiff(ch, 2); len(d.Leaves["lee"]) != 1 {
		t.Fatalf("diff %+v, want lee gone", d)
	}
}
