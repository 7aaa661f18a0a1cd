package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/matih-ai/realtime/wasm/protocol"
)

// Action is what a connection asks to do on a channel, for an [Authorizer].
type Action string

// Actions of the protocol. Requests that read a channel ask for
// ActionSubscribe; leaving (unsubscribe, presence.leave) is never refused.
const (
	// ActionSubscribe: subscribe, and the requests that read what a
	// subscription would: presence.sync, notify.sync, live.resync; also
	// GET /live/<feed>, on "live:<feed>".
	ActionSubscribe Action = "subscribe"
	// ActionPublish: publish a message to the channel's subscribers.
	ActionPublish Action = "publish"
	// ActionPresence: presence.join and presence.update, being seen on
	// "presence:<resource>".
	ActionPresence Action = "presence"
	// ActionCancel: query.cancel on "query:<id>".
	ActionCancel Action = "cancel"
)

// Authorizer decides who may do what on which channel. It is called for
// every request of a connection that Auth accepted, on the connection's
// reading goroutine, so it must be quick (a lookup, not a network call per
// message). A nil error allows the request; an error refuses it with an
// error envelope of code "forbidden" that names the channel and carries
// the error's text, so it must not say more than the client may know.
type Authorizer interface {
	Authorize(ctx context.Context, id Identity, action Action, channel string) error
}

// AuthorizerFunc adapts a function to [Authorizer].
type AuthorizerFunc func(ctx context.Context, id Identity, action Action, channel string) error

// Authorize calls f.
func (f AuthorizerFunc) Authorize(ctx context.Context, id Identity, action Action, channel string) error {
	return f(ctx, id, action, channel)
}

// ErrNotYourInbox refuses, by [DefaultAuthorizer], a user reading another
// user's notifications.
var ErrNotYourInbox = errors.New("server: notifications of another user")

// DefaultAuthorizer is the policy of a server whose [Options.Authorizer] is
// nil: everything is allowed, except that an identity with a User reads
// only its own "notifications:<user>". An identity without a User (no
// Auth, or a shared [StaticToken]) may read any. An Authorizer of one's
// own can call it to keep that rule.
var DefaultAuthorizer Authorizer = AuthorizerFunc(func(_ context.Context, id Identity, action Action, channel string) error {
	if action == ActionSubscribe && id.User != "" &&
		protocol.ChannelKind(channel) == kindNotifications && notifyUser(channel) != id.User {
		return ErrNotYourInbox
	}
	return nil
})

// serverOwned reports whether only the server may send on a channel of
// kind: its messages are the server's state (presence, notifications,
// live feeds, query status), which a client's publish would forge.
func serverOwned(kind string) bool {
	switch kind {
	case kindPresence, kindPresenceCount, kindNotifications, kindLive, kindQuery:
		return true
	}
	return false
}

// errServerOwned refuses a publish on a server-owned channel.
var errServerOwned = errors.New("server: only the server sends on this channel")

// authorize asks the Authorizer whether c may do action on env's channel,
// and answers forbidden, naming the channel, when it may not.
func (c *client) authorize(env protocol.Envelope, action Action) bool {
	err := c.authorizer.Authorize(c.ctx, c.identity, action, env.Channel)
	if err == nil {
		return true
	}
	c.log.Debug("request forbidden", "action", action, "channel", env.Channel, "err", err)
	c.refuse(env, protocol.CodeForbidden, fmt.Sprintf("%s on %q is not allowed: %v", action, env.Channel, err))
	return false
}

// authorizeHTTP asks the Authorizer whether id may do action on channel
// through an HTTP endpoint, and answers 403 when it may not.
func (s *Server) authorizeHTTP(w http.ResponseWriter, r *http.Request, id Identity, action Action, channel string) bool {
	err := s.opts.Authorizer.Authorize(r.Context(), id, action, channel)
	if err == nil {
		return true
	}
	s.log.Info("request forbidden", "remote", r.RemoteAddr, "path", r.URL.Path, "err", err)
	http.Error(w, fmt.Sprintf("%s on %q is not allowed: %v", action, channel, err), http.StatusForbidden)
	return false
}
