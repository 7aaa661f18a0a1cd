package server

import "github.com/matih-ai/realtime/wasm/protocol"

// subscribeLive subscribes c to a "live:<feed>" channel and sends it the
// feed's snapshot; an unknown feed is errUnknownFeed, and c is not
// subscribed.
func (c *client) subscribeLive(channel string) error {
	f, err := c.feeds.get(liveName(channel))
	if err != nil {
		return err
	}
	return f.subscribe(c)
}

// handleLiveResync answers live.resync with a fresh live.snapshot, queued
// ahead of every later delta: a client that saw a gap in the seqs starts
// again from it.
func (c *client) handleLiveResync(env protocol.Envelope) {
	if !c.validKind(env, kindLive, "live:<feed>") || !c.authorize(env, ActionSubscribe) {
		return
	}
	f, err := c.feeds.get(liveName(env.Channel))
	if err != nil {
		c.refuse(env, protocol.CodeUnknownFeed, err.Error())
		return
	}
	f.resync(c)
	c.ack(env)
}
