// Package live keeps live data feeds: a snapshot, then numbered deltas, over
// the WebSocket client, rendered at most once per frame.
//
// A feed is an ordered list of items (JSON objects) identified by a key
// field. On the channel "live:<feed>" the server sends a subscriber a
// live.snapshot, then every change as a live.delta numbered one by one:
// append (then trim to the feed's max), upsert by key, remove by key, or
// replace all. See [Snapshot] and [Delta] for the JSON.
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
