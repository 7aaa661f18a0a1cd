package jsbridge

import (
	"context"

	"github.com/matih-ai/realtime/wasm/internal/weburl"
	"github.com/matih-ai/realtime/wasm/protocol"
	"github.com/matih-ai/realtime/wasm/sse"
	"github.com/matih-ai/realtime/wasm/ws"
)

// WebSocketConfig turns the JSON of a WebSocketConfig (realtime.d.ts) into
// a ws.Config. Durations are in milliseconds. An absent field takes the
// runtime's default; the values JavaScript users write for "none" are
// honoured where ws.Config spells them differently: autoReconnect false and
// maxReconnectAttempts 0 mean no reconnect, maxReconnectAttempts -1 or
// Infinity no limit, pingInterval 0 no heartbeat. A url that is not
// absolute is resolved against page, http becoming ws. getToken true (a
// function in JavaScript, which JSON cannot hold) makes askToken the
// config's TokenFunc.
func WebSocketConfig(raw []byte, page string, askToken func(context.Context) (string, error)) (ws.Config, error) {
	f := readFields("config", raw)
	var c ws.Config
	c.URL, _ = f.str("url")
	c.URL = resolveURL(c.URL, page, true)
	c.Protocols, _ = f.strings("protocols")
	c.Headers, _ = f.stringMap("headers")
	c.AuthToken, _ = f.str("authToken")
	if ask, _ := f.boolean("getToken"); ask {
		c.TokenFunc = askToken
	}
	if on, ok := f.boolean("autoReconnect"); ok && !on {
		c.DisableReconnect = true
	}
	if n, ok := f.integer("maxReconnectAttempts", -1); ok {
		switch {
		case n == 0:
			c.DisableReconnect = true
		case n < -1:
			f.fail("maxReconnectAttempts", "must be 0 or more (-1 or Infinity: no limit), not %d", n)
		default:
			c.MaxReconnectAttempts = n
		}
	}
	c.ReconnectDelay, _ = f.millis("reconnectDelay", false)
	c.ReconnectDelayMultiplier, _ = f.multiplier("reconnectDelayMultiplier")
	c.MaxReconnectDelay, _ = f.millis("maxReconnectDelay", false)
	if j, ok := f.num("reconnectJitter"); ok {
		if !(j >= 0 && j <= 1) {
			f.fail("reconnectJitter", "must be between 0 and 1, not %v", j)
		}
		c.ReconnectJitter = j
	}
	c.PingInterval, _ = f.millisOrOff("pingInterval")
	c.PingTimeout, _ = f.millis("pingTimeout", false)
	if n, ok := f.integer("queueSize", 0); ok {
		if n < 1 {
			f.fail("queueSize", "must be 1 or more, not %d", n)
		}
		c.QueueSize = n
	}
	if n, ok := f.integer("maxMessageSize", -1); ok {
		if n < -1 || n == 0 {
			f.fail("maxMessageSize", "must be a number of bytes (-1 or Infinity: no limit), not %d", n)
		}
		c.MaxMessageSize = n
	}
	c.DialTimeout, _ = f.millis("dialTimeout", false)
	if err := f.done(); err != nil {
		return ws.Config{}, err
	}
	return c, nil
}

// EventSourceConfig turns the JSON of an EventSourceConfig (realtime.d.ts)
// into an sse.Config. Durations are in milliseconds; idleTimeout 0 turns
// the idle check off and maxReconnectAttempts -1 or Infinity means no
// limit. A body that is not a string is sent as its JSON. getToken true
// makes askToken the config's TokenFunc, as for a WebSocket.
func EventSourceConfig(raw []byte, page string, askToken func(context.Context) (string, error)) (sse.Config, error) {
	f := readFields("config", raw)
	var c sse.Config
	c.URL, _ = f.str("url")
	c.URL = resolveURL(c.URL, page, false)
	if ask, _ := f.boolean("getToken"); ask {
		c.TokenFunc = askToken
	}
	c.Method, _ = f.str("method")
	if body, ok := f.get("body"); ok {
		var s string
		if protocol.Unmarshal(body, &s) == nil {
			c.Body = []byte(s)
		} else {
			c.Body = body
		}
	}
	c.Headers, _ = f.stringMap("headers")
	c.AuthToken, _ = f.str("authToken")
	c.LastEventID, _ = f.str("lastEventId")
	c.RetryDelay, _ = f.millis("retryDelay", false)
	c.ReconnectDelayMultiplier, _ = f.multiplier("reconnectDelayMultiplier")
	c.MaxRetryDelay, _ = f.millis("maxRetryDelay", false)
	if n, ok := f.integer("maxReconnectAttempts", -1); ok {
		if n < -1 || n == 0 {
			f.fail("maxReconnectAttempts", "must be 1 or more (-1 or Infinity: no limit), not %d", n)
		}
		c.MaxReconnectAttempts = n
	}
	c.IdleTimeout, _ = f.millisOrOff("idleTimeout")
	if n, ok := f.integer("maxEventSize", 0); ok {
		if n < 1 {
			f.fail("maxEventSize", "must be 1 or more bytes, not %d", n)
		}
		c.MaxEventSize = n
	}
	c.CloseWhenHidden, _ = f.boolean("closeWhenHidden")
	if err := f.done(); err != nil {
		return sse.Config{}, err
	}
	return c, nil
}

// resolveURL makes raw absolute against page, as a browser resolves a link:
// "/ws" on http://host/app becomes http://host/ws, then ws://host/ws for a
// WebSocket. An absolute URL, an empty one, one that does not parse, and
// any URL on a page without a host (about:blank) are returned as they
// are, for the runtime to judge.
func resolveURL(raw, page string, websocket bool) string {
	if raw == "" || page == "" {
		return raw
	}
	u, err := weburl.Parse(raw)
	if err != nil || u.IsAbs() {
		return raw
	}
	base, err := weburl.Parse(page)
	if err != nil || !base.IsAbs() || base.Host == "" {
		return raw
	}
	abs := base.ResolveReference(u)
	abs.Fragment, abs.HasFragment = "", false
	if websocket {
		switch abs.Scheme { // in lower case
		case "http":
			abs.Scheme = "ws"
		case "https":
			abs.Scheme = "wss"
		}
	}
	return abs.String()
}
