package jsbridge

import (
	"testing"
	"time"

	"github.com/matih-ai/realtime/wasm/live"
	"github.com/matih-ai/realtime/wasm/protocol"
)

func item(t *testing.T, js string) live.Item {
	t.Helper()
	m, ok := protocol.DecodeObject([]byte(js))
	if !ok {
		t.Fatalf("%s: not decoded", js)
	}
	return m
}

// TestLiveStateJSONIsEncodingJSONs checks the hand-written state against
// encoding/json's, byte for byte, and that a feed's usual state is
// written by hand.
func TestLiveStateJSONIsEncodingJSONs(t *testing.T) {
	at := time.UnixMilli(1_700_000_000_123)
	states := []live.State{
		{},
		{Feed: "sales", Status: live.StatusLive, Key: "id", Max: 100, Seq: 1 << 60, Updated: at,
			Items: []live.Item{
				item(t, `{"id":"r1","region":"EMEA","orders":42,"revenue":1234.5,"active":true,"note":null}`),
				item(t, `{"id":"r2","tags":["a",{"b":[]}],"tiny":1e-9,"big":1e22}`),
				{"html": "<b>&</b>", "ctl": "\x01\n", "sep": "\u2028", "bad": "\xff"},
			}},
		{Feed: "f<&>\"", Status: live.StatusStale, StaleSince: at, Items: []live.Item{}},
	}
	for _, s := range states {
		b, ok := appendLiveState(nil, s)
		if !ok {
			t.Errorf("%+v: left to encoding/json", s)
			continue
		}
		if want := liveStateMarshal(s); string(b) != want {
			t.Errorf("wrote %s\nencoding/json %s", b, want)
		}
	}
	// Items a feed does not decode (Go code's own numbers) go to
	// encoding/json, with the same result.
	s := live.State{Feed: "go", Items: []live.Item{{"n": 3}}}
	if _, ok := appendLiveState(nil, s); ok {
		t.Error("an int item was written by hand")
	}
	if got, want := liveStateJSON(s), liveStateMarshal(s); got != want {
		t.Errorf("wrote %s, encoding/json %s", got, want)
	}
}
