// Package live keeps live data feeds: a snapshot, then numbered deltas, over
// the WebSocket client, rendered at most once per frame.
//
// # Wire contract
//
// A feed is an ordered list of items (JSON objects) identified by a key
// field named in its snapshot; key values are strings. On the channel
// "live:<feed>":
//
//	subscribe      -> {"type":"live.snapshot","channel":c,"data":{"seq":N,"key":"id","items":[...],"max":M}}
//	every change   -> {"type":"live.delta","channel":c,"data":{"seq":N+1,"op":"append","items":[...]}}
//	                  op: append (then trim to max from the front), upsert
//	                  (in place, or appended), remove ({"keys":[...]}),
//	                  replace (the whole list)
//	{"type":"live.resync","channel":c} -> a fresh live.snapshot to the requester
//	unknown feed   -> an error envelope with code "unknown_feed" and the channel
//
// N is the number of the last delta a snapshot includes; max (0 = none)
// bounds the items. A subscription restored after a reconnect brings a
// fresh snapshot. When the WebSocket cannot connect at all,
// GET /live/<feed> (Authorization: Bearer <token>) answers the snapshot's
// JSON, or 404 for an unknown feed.
//
// The package has three parts:
//
//   - [View] is the pure model: it applies a snapshot, then deltas, and
//     says when one is missing ([ErrGap]) or bad ([ErrBadData]).
//   - [Coalescer] turns hundreds of updates a second into at most one
//     render per frame, with the latest state.
//   - [Feed] ties a View to a ws.Client: it asks for a fresh snapshot
//     (live.resync) after a gap, keeps its data marked stale while
//     disconnected, can be paused, and polls GET /live/<feed> when the
//     WebSocket cannot connect at all.
//
// The view is never silently wrong: while it waits for a fresh snapshot
// its state says stale, with the time it stopped being live.
package live
