package live

import (
	"errors"
	"fmt"
	"path"
	"time"

	"github.com/matih-ai/realtime/wasm/clock"
	"github.com/matih-ai/realtime/wasm/fetch"
	"github.com/matih-ai/realtime/wasm/internal/weburl"
)

// Options tune a Feed; a zero field takes its default.
type Options struct {
	// Frame is the least time between two renders (OnChange calls).
	// Default is DefaultFrame.
	Frame time.Duration
	// AnimationFrame renders on the browser's animation frames instead
	// of every Frame. Browser only; default is off.
	AnimationFrame bool
	// PauseWhenHidden pauses the feed while the page is hidden (the data
	// keeps up; only rendering stops). Browser only; default is off.
	PauseWhenHidden bool

	// PollURL is the feed's HTTP address (http://host/live/<feed>, see
	// PollURLFor), polled when the WebSocket cannot connect at all.
	// Default is none: no polling.
	PollURL string
	// PollAfter is how long the WebSocket may fail to connect, from the
	// feed's start, before polling begins. Default is 5s.
	PollAfter time.Duration
	// PollInterval is the time between two polls. Default is 2s.
	PollInterval time.Duration
	// AuthToken is sent with polls as "Authorization: Bearer <token>".
	// Default is the WebSocket client's AuthToken.
	AuthToken string
	// Fetch makes the polls. Default is fetch.Do (the browser's fetch API;
	// natively net/http's DefaultClient).
	Fetch fetch.Func

	// Clock tells time and runs timers. Default is the wall clock.
	Clock clock.Clock
}

// Defaults of Options.
const (
	DefaultPollAfter    = 5 * time.Second
	DefaultPollInterval = 2 * time.Second
)

// ErrOptions is wrapped by every error about Options.
var ErrOptions = errors.New("live: invalid options")

func (o Options) withDefaults(token string) (Options, error) {
	if o.Frame < 0 {
		return o, fmt.Errorf("%w: frame %v is negative", ErrOptions, o.Frame)
	}
	if o.PollAfter < 0 || o.PollInterval < 0 {
		return o, fmt.Errorf("%w: pollAfter %v and pollInterval %v may not be negative", ErrOptions, o.PollAfter, o.PollInterval)
	}
	if o.PollURL != "" {
		u, err := weburl.Parse(o.PollURL)
		if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
			return o, fmt.Errorf("%w: pollURL %q is not an http:// or https:// address", ErrOptions, o.PollURL)
		}
	}
	if o.Frame == 0 {
		o.Frame = DefaultFrame
	}
	if o.PollAfter == 0 {
		o.PollAfter = DefaultPollAfter
	}
	if o.PollInterval == 0 {
		o.PollInterval = DefaultPollInterval
	}
	if o.AuthToken == "" {
		o.AuthToken = token
	}
	if o.Fetch == nil {
		o.Fetch = fetch.Do
	}
	if o.Clock == nil {
		o.Clock = clock.Real
	}
	return o, nil
}

// PollURLFor returns the polling address of feed beside a WebSocket
// address: the last element of the path becomes live/<feed> and ws becomes
// http, so ws://host/ws gives http://host/live/<feed> and
// wss://host/rt/ws gives https://host/rt/live/<feed>.
func PollURLFor(wsURL, feed string) (string, error) {
	u, err := weburl.Parse(wsURL)
	if err != nil {
		return "", fmt.Errorf("live: failed to parse %q: %w", wsURL, err)
	}
	switch u.Scheme {
	case "ws":
		u.Scheme = "http"
	case "wss":
		u.Scheme = "https"
	default:
		return "", fmt.Errorf("live: %q is not a ws:// or wss:// address", wsURL)
	}
	u.Path = path.Join(path.Dir(u.Path), "live", weburl.PathEscape(feed))
	u.Query, u.HasQuery, u.Fragment, u.HasFragment = "", false, "", false
	return u.String(), nil
}
