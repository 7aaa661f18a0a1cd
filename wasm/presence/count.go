package presence

import (
	"fmt"

	"github.com/matih-ai/realtime/wasm/protocol"
	"github.com/matih-ai/realtime/wasm/ws"
)

// WatchCount follows only how many people are on resource, without their
// list: the mode for large rooms, where a full state and its diffs would
// cost every viewer. fn runs on the WebSocket client's callback goroutine
// after every change, and at once when the subscription starts.
func WatchCount(c *ws.Client, resource string, fn func(CountData)) (stop func(), err error) {
	channel := CountChannel(resource)
	stop, err = c.Subscribe(channel, func(e protocol.Envelope) {
		if e.Type != TypeCount {
			return
		}
		var d CountData
		if protocol.Unmarshal(e.Data, &d) == nil {
			fn(d)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("presence: failed to watch %s: %w", channel, err)
	}
	return stop, nil
}
