// Package protocol is the wire protocol shared by the realtime server, the Go
// client and the JavaScript module. It is the reference for the protocol.
//
// # Frames
//
// Every WebSocket message is a UTF-8 text frame holding one or more JSON
// envelopes separated by '\n'. A busy sender batches several envelopes into
// one frame so a burst costs one frame, not one per message. A client sends
// text frames only: the server refuses binary ones (CodeBinaryFrame).
//
// A client that connects with the query parameter frames=binary
// (FramesParam, FramesBinary) takes the server's frames as binary messages
// too: the server may then send any frame as one, with the same UTF-8
// bytes a text frame would hold, and sends its long frames so. A Go program
// in a browser page asks for it: a binary message reaches it as bytes it
// copies as they are, where a text message becomes a string that it must
// encode back into UTF-8 (a burst's frames cost the page a quarter as
// much so). The bytes are not checked as UTF-8 by the browser then; the
// decoders here keep invalid bytes out of strings anyway.
//
// # Envelope
//
//	{"type":"message","channel":"dashboard:updates","id":"42","ref":"7","timestamp":1764240000000,"data":{...}}
//
// The order of the fields is free; encoders here write data last, so that
// a receiver can read a message's channel and id without scanning its data
// (ScanHeads). Its fields:
//
//   - type: what the envelope is (see the Type constants). Required.
//   - channel: "kind:name", for example "dashboard:updates" or "echo:demo".
//   - data: any JSON value, the payload.
//   - id: on a message the server fans out, its number on the channel,
//     one more than the one before, so a client can detect gaps and resume
//     (see Resume). On a publish, chosen by the client, "<publisher>:<n>",
//     so that the server can tell a publish sent again from a new one.
//   - ref: chosen by the client on a request; the server answers with an
//     ack or an error carrying the same ref.
//   - timestamp: Unix milliseconds.
//
// # Client to server
//
//	{"type":"subscribe","channel":"c","ref":"1"}     -> ack (ref 1, id: the latest message) or error
//	{"type":"subscribe","channel":"c","ref":"1","data":{"since":"41"}}
//	    -> the messages after 41, then live ones, and the ack (see Resume)
//	{"type":"unsubscribe","channel":"c","ref":"2"}   -> ack or error
//	{"type":"publish","channel":"c","data":...,"id":"k3x9:7","ref":"3"}
//	    -> "message" to every subscriber of c (the sender too, when it is
//	       subscribed), then an ack. On an "echo:*" channel the message goes
//	       back to the sender only.
//	{"type":"ping","timestamp":1764240000000}        -> {"type":"pong","timestamp":1764240000000}
//
// A ref is optional; without one a success is not acknowledged, but errors
// are still reported.
//
// # Resume
//
// The server keeps the latest messages of every channel (100 on the
// bundled server; with a file store, across restarts). Their ids grow by
// one per channel; a channel the server has no history of starts at the
// time in microseconds, so ids keep growing across a restart that lost
// the history. The ack of a subscribe carries, as its id, the id of the
// channel's latest message when the subscription began.
//
// A client remembers the latest id it got on each channel it follows (a
// message's, or a subscribe ack's when higher) and subscribes again after
// a reconnect with data {"since":"<id>"}. The server sends the messages
// after it, then the live ones, with no gap and no repeat between them,
// and the ack. When some after since are no longer kept, or since is one
// it never issued (another server's history), it first sends an error of
// code history_lost that names the channel, without a ref, then every
// message it keeps. The client takes a message only when its id is above
// the latest one it got, and after history_lost starts the channel again
// from what follows. Echo channels, whose ids count per connection, and
// the channels of presence, notifications, live feeds and queries (which
// have their own resync) ignore since.
//
// A publish's id is "<publisher>:<n>", n a whole number above 0 that grows
// with each publish of the publisher (the Go client numbers every publish
// it sends). The server keeps the highest n it accepted from each
// publisher on each channel, with the history: a publish at or below it is
// a repeat, acked and not delivered again. A client that lost its
// connection before a publish's ack sends it again, with the same id and
// ref, on the next connection, so that a publish it was told was accepted
// is delivered once, and one it was told failed (the request timed out)
// was at most delivered once. A publish id of another form is refused with
// bad_frame.
//
// # Server to client
//
//	{"type":"message","channel":"c","id":"17","timestamp":...,"data":...}
//	{"type":"ack","ref":"3","channel":"c"}
//	{"type":"error","ref":"3","data":{"code":"unknown_type","message":"..."}}
//	{"type":"pong","timestamp":...}
//
// An error envelope's data is an [ErrorData]; its code is one of the Code
// constants. A malformed or unknown envelope is answered with an error and
// never closes the connection. An error about a request on a channel
// names the channel, so a client can tell which feature it concerns:
//
//   - bad_frame, unknown_type, binary_frame: the request could not be read.
//   - bad_channel, not_subscribed: the channel is malformed, or was never
//     joined.
//   - forbidden: the server's authorizer refused the request (a subscribe,
//     a publish, a presence join), or it would forge what only the server
//     sends: a publish on a presence, presence-count, notifications, live
//     or query channel, or presence as another user than the token's.
//   - too_many_channels: a subscribe past the most channels one
//     connection may join (1000 on the bundled server).
//   - rate_limited: the request came past the connection's rate limit
//     (100 a second, bursts of 200, on the bundled server) and was
//     dropped; the client may send it again later.
//   - history_lost: messages after a subscribe's since are no longer kept
//     (see Resume); the kept ones and the live ones follow.
//   - unavailable: the server's history store failed; the request was
//     not served and may be sent again later.
//
// # Presence, notifications, live feeds, query status
//
// Other capabilities use namespaced types on their own channels; a client
// delivers them to the subscribers of the channel, like messages. Their
// data are the Go types of packages presence and notify; the server's
// package doc describes each exchange.
//
//	presence:<resource>        presence.state, presence.diff (numbered per resource),
//	                           presence.join, presence.update, presence.leave, presence.sync
//	presence-count:<resource>  presence.count {"users":U,"sessions":S}
//	notifications:<user>       notify.new, notify.sync {"after":K}, notify.batch
//	live:<feed>                live.snapshot, live.delta (numbered per feed), live.resync
//	query:<id>                 query.status (versioned), query.cancel
//
// Their error codes: bad_presence, room_full, not_joined, bad_notify,
// unknown_feed, unknown_query, already_finished.
//
// # Heartbeat
//
// The client sends a ping every pingInterval; the server answers with a pong
// echoing the timestamp. The client consumes pongs (they never reach
// subscribers) and treats a connection that carries no traffic for a deadline
// after a ping as dead.
//
// # Close codes
//
// Browsers let a client close only with 1000 or 3000-4999. The server closes
// with [CloseUnauthorized] (4401: a missing, wrong or expired token; the
// reason "token expired" when it expired) and [CloseForbidden] (4403),
// after which a client must not reconnect with the same token, and with
// 1009 (frame too big), 1011 (internal error), 1012 (restart), 1013 (try
// again later: the client was too slow to read), 1001 (the connection was
// silent past the server's idle timeout) and [CloseFlood] (4008, "policy
// violation: flood": the client went on sending at five times its rate
// limit), after which it reconnects with backoff. See [IsFinal].
//
// # Authentication
//
// A token travels as the WebSocket subprotocol "bearer.<token>" (browsers
// cannot set headers on a WebSocket) or as the query parameter "token". The
// server echoes the bearer subprotocol it accepted.
//
// A client that can get a fresh token (the Go client's TokenFunc) asks for
// one before every dial, and after a 4401 asks again and reconnects at
// once, once: a second 4401 before the new connection is stable is final.
package protocol
