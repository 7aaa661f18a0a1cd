package jsbridge

import (
	"fmt"
	"strconv"
	"time"

	"github.com/matih-ai/realtime/wasm/live"
	"github.com/matih-ai/realtime/wasm/protocol"
)

const kindLive = "live"

// liveFeed is a live data feed opened by JavaScript.
type liveFeed struct {
	conn int
	feed *live.Feed
	stop []func()
}

func (*liveFeed) kind() string  { return kindLive }
func (l *liveFeed) parent() int { return l.conn }

func (l *liveFeed) close() {
	for _, stop := range l.stop {
		stop()
	}
	// Close waits for a poll under way, which in a browser needs the
	// event loop that a call from JavaScript holds: it must not wait here.
	go l.feed.Close()
}

// liveState is a live.State as JavaScript sees it; times in Unix ms, 0
// for none.
type liveState struct {
	Feed       string      `json:"feed"`
	Status     live.Status `json:"status"`
	Items      []live.Item `json:"items"`
	Key        string      `json:"key"`
	Max        int         `json:"max"`
	Seq        uint64      `json:"seq"`
	Updated    int64       `json:"updated"`
	StaleSince int64       `json:"staleSince"`
}

func unixMillis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// liveStateJSON is the JSON of s's liveState.
func liveStateJSON(s live.State) string {
	if b, ok := appendLiveState(make([]byte, 0, 256+64*len(s.Items)), s); ok {
		return string(b)
	}
	return liveStateMarshal(s)
}

// appendLiveState appends what liveStateMarshal writes, without
// encoding/json's reflection, and reports false when an item is not what
// a feed decodes (protocol.AppendObject): at a render per frame of a busy
// feed, encoding/json took a tenth of the page's main thread.
func appendLiveState(b []byte, s live.State) ([]byte, bool) {
	b = append(b, `{"feed":`...)
	b = protocol.AppendString(b, s.Feed)
	b = append(b, `,"status":`...)
	b = protocol.AppendString(b, string(s.Status))
	b = append(b, `,"items":[`...)
	for i, it := range s.Items {
		if i > 0 {
			b = append(b, ',')
		}
		var ok bool
		if b, ok = protocol.AppendObject(b, it); !ok {
			return nil, false
		}
	}
	b = append(b, `],"key":`...)
	b = protocol.AppendString(b, s.Key)
	b = append(b, `,"max":`...)
	b = strconv.AppendInt(b, int64(s.Max), 10)
	b = append(b, `,"seq":`...)
	b = strconv.AppendUint(b, s.Seq, 10)
	b = append(b, `,"updated":`...)
	b = strconv.AppendInt(b, unixMillis(s.Updated), 10)
	b = append(b, `,"staleSince":`...)
	b = strconv.AppendInt(b, unixMillis(s.StaleSince), 10)
	return append(b, '}'), true
}

// liveStateMarshal is liveStateJSON by encoding/json.
func liveStateMarshal(s live.State) string {
	items := s.Items
	if items == nil {
		items = []live.Item{}
	}
	return mustJSON(liveState{s.Feed, s.Status, items, s.Key, s.Max, s.Seq, unixMillis(s.Updated), unixMillis(s.StaleSince)})
}

// OpenLive makes live feed id of feed over connection conn. Options
// (JSON): frame, pollAfter and pollInterval in milliseconds,
// animationFrame, pauseWhenHidden, poll (poll beside the connection's
// address) and pollURL. Renders follow as KindLive events with the state
// as JSON and its error; problems as KindError. It returns the state now.
func (b *Bridge) OpenLive(id, conn int, feed string, options []byte, page string) (string, error) {
	client, err := b.client(conn)
	if err != nil {
		return "", err
	}
	f := readFields("options", options)
	var opts live.Options
	opts.Frame, _ = f.millis("frame", false)
	opts.AnimationFrame, _ = f.boolean("animationFrame")
	opts.PauseWhenHidden, _ = f.boolean("pauseWhenHidden")
	poll, _ := f.boolean("poll")
	if u, ok := f.str("pollURL"); ok {
		opts.PollURL = resolveURL(u, page, false)
	}
	opts.PollAfter, _ = f.millis("pollAfter", false)
	opts.PollInterval, _ = f.millis("pollInterval", false)
	if err := f.done(); err != nil {
		return "", err
	}
	if poll && opts.PollURL == "" {
		if opts.PollURL, err = live.PollURLFor(client.Config().URL, feed); err != nil {
			return "", fmt.Errorf("%w: %w", ErrConfig, err)
		}
	}
	lf, err := live.Subscribe(client, feed, opts)
	if err != nil {
		return "", err
	}
	l := &liveFeed{conn: conn, feed: lf}
	l.stop = append(l.stop,
		lf.OnChange(func(s live.State) {
			b.sink.Event(KindLive, id, liveStateJSON(s), errText(s.Err), Code(s.Err))
		}),
		lf.OnError(func(err error) { b.sink.Event(KindError, id, err.Error(), Code(err)) }),
	)
	if err := b.add(id, l); err != nil {
		l.close()
		return "", err
	}
	return liveStateJSON(lf.State()), nil
}

// LiveDo runs action on live feed id: "pause", "resume" or "resync".
func (b *Bridge) LiveDo(id int, action string) error {
	l, err := get[*liveFeed](b, id)
	if err != nil {
		return err
	}
	switch action {
	case "pause":
		l.feed.Pause()
	case "resume":
		l.feed.Resume()
	case "resync":
		l.feed.Resync()
	default:
		return fmt.Errorf("%w: unknown action %q", ErrArgument, action)
	}
	return nil
}

// LiveStats returns live feed id's counts, as JSON.
func (b *Bridge) LiveStats(id int) (string, error) {
	l, err := get[*liveFeed](b, id)
	if err != nil {
		return "", err
	}
	s := l.feed.Stats()
	return mustJSON(map[string]uint64{
		"snapshots": s.Snapshots,
		"deltas":    s.Deltas,
		"gaps":      s.Gaps,
		"resyncs":   s.Resyncs,
		"polls":     s.Polls,
		"renders":   s.Render.Renders,
		"coalesced": s.Render.Coalesced,
	}), nil
}
