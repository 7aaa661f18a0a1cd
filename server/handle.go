package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/matih-ai/realtime/wasm/notify"
	"github.com/matih-ai/realtime/wasm/presence"
	"github.com/matih-ai/realtime/wasm/protocol"
)

// handleFrame serves every envelope of a text frame in order. A bad line is
// answered with bad_frame and does not hide the lines around it.
func (c *client) handleFrame(frame []byte) {
	for line := range bytes.Lines(frame) {
		if c.isClosing() {
			return // a flood, or a token that expired, ends the frame
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		env, err := protocol.Decode(line)
		if !c.admit(env.Ref) {
			continue
		}
		if err == nil && !utf8.Valid(line) {
			// Data is passed on as sent, and a browser fails the whole
			// connection on a text frame that is not UTF-8.
			err = fmt.Errorf("%w: not valid UTF-8", protocol.ErrMalformed)
		}
		if err != nil {
			c.reply(protocol.NewError("", protocol.CodeBadFrame, err.Error()))
			continue
		}
		c.handle(env)
	}
}

// admit takes one request out of the connection's rate limit. A request
// past it is answered rate_limited, with its ref, and a connection that
// goes on flooding is closed with 4008.
func (c *client) admit(ref string) bool {
	ok, flood := c.limiter.allow()
	switch {
	case ok:
		return true
	case flood:
		c.log.Info("websocket flood", "rate", c.limiter.rate)
		c.closeWith(protocol.CloseFlood, "policy violation: flood")
	default:
		c.reply(protocol.NewError(ref, protocol.CodeRateLimited,
			fmt.Sprintf("more than %g requests a second", c.limiter.rate)))
	}
	return false
}

// handle serves one request envelope.
func (c *client) handle(env protocol.Envelope) {
	switch env.Type {
	case protocol.TypeSubscribe:
		c.handleSubscribe(env)
	case protocol.TypeUnsubscribe:
		c.handleUnsubscribe(env)
	case protocol.TypePublish:
		c.handlePublish(env)
	case protocol.TypePing:
		c.reply(protocol.Envelope{Type: protocol.TypePong, Ref: env.Ref, Timestamp: env.Timestamp})
	case presence.TypeJoin, presence.TypeUpdate, presence.TypeLeave, presence.TypeSync:
		c.handlePresence(env)
	case notify.TypeSync:
		c.handleNotifySync(env)
	case typeLiveResync:
		c.handleLiveResync(env)
	case typeQueryCancel:
		c.handleQueryCancel(env)
	default:
		c.reply(protocol.NewError(env.Ref, protocol.CodeUnknownType, fmt.Sprintf("unknown type %.64q", env.Type)))
	}
}

func (c *client) handleSubscribe(env protocol.Envelope) {
	if !c.validChannel(env) || !c.authorize(env, ActionSubscribe) {
		return
	}
	var err error
	switch protocol.ChannelKind(env.Channel) {
	case kindPresence, kindPresenceCount:
		err = c.rooms.subscribe(c, env.Channel) // and sends the state or count
	case kindLive:
		err = c.subscribeLive(env.Channel) // and sends the snapshot
	case kindQuery:
		err = c.queries.subscribe(c, queryID(env.Channel)) // and sends the status
	case kindNotifications, kindEcho:
		err = c.hub.subscribe(c, env.Channel)
	default:
		c.subscribeMessages(env)
		return
	}
	switch {
	case errors.Is(err, errTooManyChannels):
		c.refuse(env, protocol.CodeTooManyChannel,
			fmt.Sprintf("a connection may join at most %d channels", c.hub.maxSubs))
	case errors.Is(err, errUnknownFeed):
		c.refuse(env, protocol.CodeUnknownFeed, err.Error())
	case errors.Is(err, errUnknownQuery):
		c.refuse(env, protocol.CodeUnknownQuery, err.Error())
	case err != nil:
		c.refuse(env, protocol.CodeBadChannel, err.Error())
	default:
		c.ack(env)
	}
}

// subscribeMessages joins a channel of published messages, first sending
// the messages after the subscribe's since, and acks with the id of the
// channel's latest message when it joined.
func (c *client) subscribeMessages(env protocol.Envelope) {
	var since *uint64
	if len(env.Data) > 0 {
		d, err := protocol.DecodeData[protocol.SubscribeData](env)
		if err == nil && d.Since != "" {
			var id uint64
			id, err = strconv.ParseUint(d.Since, 10, 64)
			since = &id
		}
		if err != nil {
			c.refuse(env, protocol.CodeBadFrame, fmt.Sprintf(`subscribe data must be {"since":"<message id>"}, not %.64s`, env.Data))
			return
		}
	}
	last, err := c.hub.join(c, env.Channel, since)
	switch {
	case errors.Is(err, errTooManyChannels):
		c.refuse(env, protocol.CodeTooManyChannel,
			fmt.Sprintf("a connection may join at most %d channels", c.hub.maxSubs))
	case err != nil:
		c.log.Error("failed to read the history", "channel", env.Channel, "err", err)
		c.refuse(env, protocol.CodeUnavailable, "the channel's history cannot be read")
	case env.Ref != "":
		ack := protocol.Envelope{Type: protocol.TypeAck, Ref: env.Ref, Channel: env.Channel}
		if last > 0 {
			ack.ID = strconv.FormatUint(last, 10)
		}
		c.reply(ack)
	}
}

func (c *client) handleUnsubscribe(env protocol.Envelope) {
	if !c.validChannel(env) {
		return
	}
	if !c.hub.unsubscribe(c, env.Channel) {
		c.reply(protocol.NewError(env.Ref, protocol.CodeNotSubscribed, fmt.Sprintf("not subscribed to %q", env.Channel)))
		return
	}
	if protocol.ChannelKind(env.Channel) == kindPresence {
		c.rooms.unsubscribed(c, presenceResource(env.Channel))
	}
	c.ack(env)
}

// handlePublish fans the message out before acking, so a subscribed sender
// sees its message before the ack.
func (c *client) handlePublish(env protocol.Envelope) {
	if !c.validChannel(env) {
		return
	}
	if serverOwned(protocol.ChannelKind(env.Channel)) {
		c.refuse(env, protocol.CodeForbidden, fmt.Sprintf("publish on %q is not allowed: %v", env.Channel, errServerOwned))
		return
	}
	if !c.authorize(env, ActionPublish) {
		return
	}
	if protocol.ChannelKind(env.Channel) == kindEcho {
		err := c.echo(env.Channel, env.Data)
		switch {
		case errors.Is(err, errTooManyChannels):
			c.refuse(env, protocol.CodeTooManyChannel,
				fmt.Sprintf("a connection may use at most %d echo channels", c.maxEcho))
		case err != nil:
			c.log.Error("failed to echo", "channel", env.Channel, "err", err)
			c.refuse(env, protocol.CodeBadFrame, "the message could not be encoded")
		default:
			c.ack(env)
		}
		return
	}
	publisher, seq, err := parsePublishID(env.ID)
	if err != nil {
		c.refuse(env, protocol.CodeBadFrame, err.Error())
		return
	}
	// A repeat (dup) is acked like the first: its sender lost the ack.
	if _, err := c.hub.publish(env.Channel, env.Data, publisher, seq); err != nil {
		c.log.Error("failed to publish", "channel", env.Channel, "err", err)
		c.refuse(env, protocol.CodeUnavailable, "the message could not be kept")
		return
	}
	c.ack(env)
}

// kindEcho is the channel kind whose messages go back to their sender only.
const kindEcho = protocol.KindEcho

// echo sends a message back to its sender. Echo messages are private to a
// connection, so their ids count per connection and channel.
func (c *client) echo(name string, data json.RawMessage) error {
	seq, ok := c.echoSeq[name]
	if !ok && len(c.echoSeq) >= c.maxEcho {
		return errTooManyChannels
	}
	seq++
	frame, err := encodeMessage(name, HistoryMessage{ID: seq, Data: data, Timestamp: c.clock.Now().UnixMilli()})
	if err != nil {
		return err
	}
	c.echoSeq[name] = seq
	c.enqueueReply(frame)
	return nil
}

// validChannel answers bad_channel and reports false for a malformed name.
func (c *client) validChannel(env protocol.Envelope) bool {
	if err := protocol.ValidChannel(env.Channel); err != nil {
		c.reply(protocol.NewError(env.Ref, protocol.CodeBadChannel, err.Error()))
		return false
	}
	return true
}

// validKind answers bad_channel and reports false unless the channel is
// well formed and of kind; form names the channel wanted, for the message.
func (c *client) validKind(env protocol.Envelope, kind, form string) bool {
	if !c.validChannel(env) {
		return false
	}
	if protocol.ChannelKind(env.Channel) != kind {
		c.reply(protocol.NewError(env.Ref, protocol.CodeBadChannel,
			fmt.Sprintf("%s needs a %s channel, not %q", env.Type, form, env.Channel)))
		return false
	}
	return true
}

// refuse answers a request with an error that names its channel, so a
// client can tell which of its features it concerns.
func (c *client) refuse(env protocol.Envelope, code, message string) {
	e := protocol.NewError(env.Ref, code, message)
	e.Channel = env.Channel
	c.reply(e)
}

// ack acknowledges a request; a request without a ref is not acknowledged.
func (c *client) ack(env protocol.Envelope) {
	if env.Ref != "" {
		c.reply(protocol.Envelope{Type: protocol.TypeAck, Ref: env.Ref, Channel: env.Channel})
	}
}

// reply queues an envelope for this client only.
func (c *client) reply(env protocol.Envelope) {
	frame, err := protocol.Encode(env)
	if err != nil {
		c.log.Error("failed to encode reply", "type", env.Type, "err", err)
		return
	}
	c.enqueueReply(frame)
}
