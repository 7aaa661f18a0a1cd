package server

import (
	"errors"

	"github.com/matih-ai/realtime/wasm/protocol"
)

// handleQueryCancel cancels the query of a "query:<id>" channel and acks
// once its status is cancelled, which its subscribers get first. A query
// that had ended is refused with already_finished, naming how it ended.
func (c *client) handleQueryCancel(env protocol.Envelope) {
	if !c.validKind(env, kindQuery, "query:<id>") || !c.authorize(env, ActionCancel) {
		return
	}
	err := c.queries.cancel(queryID(env.Channel))
	switch {
	case errors.Is(err, errAlreadyFinished):
		c.refuse(env, protocol.CodeAlreadyFinished, err.Error())
	case err != nil:
		c.refuse(env, protocol.CodeUnknownQuery, err.Error())
	default:
		c.ack(env)
	}
}
