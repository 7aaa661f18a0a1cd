package server

import (
	"github.com/matih-ai/realtime/wasm/notify"
	"github.com/matih-ai/realtime/wasm/protocol"
)

// handleNotifySync answers notify.sync with a notify.batch of the user's
// kept notifications after the seq the client holds. The client is
// expected to follow the channel already, so nothing falls between the
// batch and the live ones; a notification in both is dropped by the
// client as a repeat.
func (c *client) handleNotifySync(env protocol.Envelope) {
	if !c.validKind(env, kindNotifications, notify.Channel("<user>")) || !c.authorize(env, ActionSubscribe) {
		return
	}
	d, err := protocol.DecodeData[notify.SyncData](env)
	if err != nil {
		c.refuse(env, protocol.CodeBadNotify, err.Error())
		return
	}
	batch, err := c.inboxes.since(notifyUser(env.Channel), d.After)
	if err != nil {
		c.log.Error("failed to read the history", "channel", env.Channel, "err", err)
		c.refuse(env, protocol.CodeUnavailable, "the notifications cannot be read")
		return
	}
	frame, err := encodeEnvelope(notify.TypeBatch, env.Channel, batch, c.clock.Now())
	if err != nil {
		c.log.Error("failed to encode a notification batch", "channel", env.Channel, "err", err)
		return
	}
	c.enqueueReply(frame)
	c.ack(env)
}
