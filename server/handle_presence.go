package server

import (
	"errors"
	"fmt"

	"github.com/matih-ai/realtime/wasm/presence"
	"github.com/matih-ai/realtime/wasm/protocol"
)

// maxMetaBytes bounds one session's meta: every subscriber of a resource
// gets every session's meta in its state.
const maxMetaBytes = 4 << 10

// handlePresence serves presence.join, update, leave and sync on a
// "presence:<resource>" channel. A connection need not follow the channel
// to be present on it (a count-only viewer may still be counted).
func (c *client) handlePresence(env protocol.Envelope) {
	if !c.validKind(env, kindPresence, presence.Channel("<resource>")) {
		return
	}
	if action, ok := presenceActions[env.Type]; ok && !c.authorize(env, action) {
		return
	}
	resource := presenceResource(env.Channel)
	var err error
	switch env.Type {
	case presence.TypeJoin, presence.TypeUpdate:
		var meta presence.Meta
		meta, err = protocol.DecodeData[presence.Meta](env)
		switch {
		case len(env.Data) > maxMetaBytes:
			err = fmt.Errorf("%w: meta of %d bytes, the most is %d", errBadPresence, len(env.Data), maxMetaBytes)
		case err != nil:
			err = fmt.Errorf("%w: %w", errBadPresence, err)
		case c.identity.User != "" && meta.User != c.identity.User:
			c.refuse(env, protocol.CodeForbidden,
				fmt.Sprintf("%s as user %.64q is not allowed: the connection is %.64q", env.Type, meta.User, c.identity.User))
			return
		case env.Type == presence.TypeJoin:
			err = c.rooms.join(c, resource, meta)
		default:
			err = c.rooms.update(c, resource, meta)
		}
	case presence.TypeLeave:
		var d presence.LeaveData
		d, err = protocol.DecodeData[presence.LeaveData](env)
		if err != nil {
			err = fmt.Errorf("%w: %w", errBadPresence, err)
		} else {
			err = c.rooms.leave(c, resource, d.Session)
		}
	case presence.TypeSync:
		if frame := c.rooms.stateFrame(resource); frame != nil {
			c.enqueueReply(frame)
		}
	}
	if err != nil {
		c.refuse(env, presenceCode(err), err.Error())
		return
	}
	c.ack(env)
}

// presenceActions are what the presence requests ask the Authorizer for;
// a leave is never refused.
var presenceActions = map[string]Action{
	presence.TypeJoin:   ActionPresence,
	presence.TypeUpdate: ActionPresence,
	presence.TypeSync:   ActionSubscribe,
}

// presenceCode is the wire code of a refused presence request.
func presenceCode(err error) string {
	switch {
	case errors.Is(err, errRoomFull):
		return protocol.CodeRoomFull
	case errors.Is(err, errNotJoined):
		return protocol.CodeNotJoined
	default:
		return protocol.CodeBadPresence
	}
}
