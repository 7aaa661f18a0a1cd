// Package server is the realtime backend: an http.Handler that serves the
// WebSocket pub/sub endpoint /ws with presence, notifications, live data
// feeds and the status of simulated SQL queries, server-sent event
// streams, a health check and the application pages.
//
// # Endpoints
//
//   - /ws: the WebSocket protocol of package protocol (subscribe,
//     unsubscribe, publish, ping), one hub of channels shared by every
//     connection, each with a history to resume from (see below), with
//     presence on "presence:<resource>" and
//     "presence-count:<resource>", notifications on
//     "notifications:<user>", live feeds on "live:<feed>" and query
//     status on "query:<id>" (see below). With ?frames=binary the
//     connection gets frames of 512 bytes or more as binary messages,
//     the same bytes (see package protocol's Frames).
//   - GET /sse/ticker: a numbered ticker, one "tick" event per
//     [Options.TickInterval], data {"n":<n>,"at":<unix ms>}.
//   - GET /sse/answer?prompt=... or POST /sse/answer {"prompt":"..."}: a
//     simulated streaming answer, "token" events with ids 0..n-1, data
//     {"index":<i>,"text":"<token>"}, then a "done" event with id n, data
//     {"tokens":<n>}, and the end of the response. The tokens depend on
//     the prompt only. A missing, blank or over 4 KiB prompt gets 400.
//   - POST /sse/drop: ends every open SSE stream at once (see
//     [Server.DropStreams]) and answers 204, so a demo can show a resume.
//   - POST /notifications/demo?user=<u>&severity=<s>: sends user a demo
//     notification of severity s (info, success, warning or error), or one
//     of each when s is empty, through [Server.Notify], and answers 200
//     with the JSON array of what was sent. A missing user or an unknown
//     severity gets 400.
//   - GET /live/<feed>: the feed's snapshot, {"seq":N,"key":"id",
//     "items":[...],"max":M}, for a client that polls because its
//     WebSocket cannot connect; 404 for an unknown feed.
//   - POST /live/burst?feed=<f>&n=<n>: n (1 to 10000) demo changes of a
//     demo feed (upserts on "orders", appends on "metrics") as fast as its
//     subscribers take them, then 200 {"seq":N}, the feed's seq after the
//     last one. A missing feed or a bad n gets 400, an unknown feed 404.
//   - POST /queries {"sql":"...","kind":"short|medium|long|failing"}:
//     starts a simulated query (medium when kind is empty) and answers
//     201 {"id":"q-1001"}. A bad body gets 400, a query past
//     [Options.MaxQueries] running 429 with Retry-After.
//   - GET /queries: 200 with the statuses of the latest 50 queries, newest
//     first. A request that accepts text/html (a browser navigating
//     there) gets [Options.Pages] instead, when there are pages: the demo
//     page has the same path.
//   - GET /healthz: 200 "ok", for load balancers and scripts.
//   - /web/: the static files of [Options.WebDir] (scripts, styles, wasm).
//   - everything else: [Options.Pages] (the go-app handler).
//
// The JSON answers of /live/ and /queries are not cached (Cache-Control:
// no-store).
//
// # Authentication
//
// With [Options.Auth] set, every endpoint but the pages, /web/ and
// /healthz needs a valid token: /ws, the SSE streams, POST /sse/drop,
// POST /notifications/demo, /live/ and /queries. A WebSocket offers it
// as the subprotocol "bearer.<token>", ?token= or an Authorization header;
// a plain request as "Authorization: Bearer <token>" or ?token=. A refused
// request gets 401 with a plain text reason ("unauthorized: missing
// token", "unauthorized: invalid token" or "token expired").
//
// An [Identity] may carry an expiry. When it passes, on [Options.Clock],
// the WebSocket is closed with 4401 "token expired" and an SSE stream
// ends; the client comes back, with the same token it gets 401 (or a 4401
// at once), with a fresh one it is served. The Go client asks the app for
// a fresh token through ws.Config.TokenFunc and reconnects at once.
//
// # Authorization
//
// [Options.Authorizer] decides, for an authenticated identity, each
// request on a channel: [ActionSubscribe] (subscribe, presence.sync,
// notify.sync, live.resync, GET /live/<feed>), [ActionPublish],
// [ActionPresence] (presence.join and presence.update) and [ActionCancel]
// (query.cancel). Unsubscribing and leaving are never refused. A refusal
// is an error envelope of code forbidden that names the channel and
// carries the ref, never silence (a 403 for GET /live/<feed>). The
// default, [DefaultAuthorizer], allows everything except reading another
// user's "notifications:<user>" when the identity has a User.
//
// Two rules hold whatever the Authorizer: a client may not publish on
// the channels the server speaks on ("presence:", "presence-count:",
// "notifications:", "live:", "query:"), and a connection whose identity
// has a User may join or update presence only as that user; both are
// refused with forbidden. [StaticToken] names no user, so behind it the
// per-user rules do not apply (the demo pages make their people up).
//
// # Limits
//
// A connection may send [Options.RateLimit] requests a second (100), with
// bursts of [Options.RateBurst] (200); a request past it is dropped and
// answered with rate_limited and its ref. One that goes on sending at
// five times the rate (more than four times the rate refused within a
// second) is closed with 4008. A connection joins at most
// [Options.MaxSubscriptions] channels (1000); a subscribe past it is
// refused with too_many_channels and the channel. A frame over
// [Options.ReadLimit] (64 KiB) closes with 1009. Pages on other origins
// may open a WebSocket only when their host matches [Options.Origins]; a
// foreign Origin gets 403.
//
// # Close codes
//
// A browser cannot read the HTTP status of a failed WebSocket handshake, so
// a client with a missing, wrong or expired token is accepted and then
// closed with 4401, as is one whose token expires; it must not reconnect
// with the same token. A client too slow to read its messages is closed
// with 1013, a frame over the read limit with 1009, a flood with 4008
// ("policy violation: flood"), one that sent no frame for
// [Options.IdleTimeout] (75 s; clients ping every 30 s) with 1001, and
// [Server.Shutdown] closes everyone with 1012: after those the client
// reconnects with backoff.
//
// # Security headers
//
// Every response carries a Content-Security-Policy
// ([Options.ContentSecurityPolicy], by default
// [DefaultContentSecurityPolicy], which lets go-app's scripts compile
// the wasm and nothing run inline), X-Content-Type-Options: nosniff,
// Referrer-Policy: same-origin and X-Frame-Options: DENY. What the pages
// handler serves (the pages, go-app's app.js with the development token,
// wasm_exec.js, the manifest) is Cache-Control: no-store; the files of
// /web/ keep their validators, as the wasm is large.
//
// # History
//
// Every message published on a channel (but echo channels) is numbered
// and kept in [Options.History] before it is delivered, and so are
// notifications. A subscribe with data {"since":"<id>"} gets the messages
// after id, then the live ones: the replay and the joining are one step
// under the channel's lock, so nothing falls between them and nothing
// comes twice. Its ack carries the id of the latest message. Past the
// history, or with an id the history never issued, the subscriber first
// gets an error of code history_lost naming the channel, then every
// message kept. A publish's id "<publisher>:<n>" raises the publisher's
// mark on the channel; one at or below the mark is acked and dropped, so
// that a client that sends a publish again after a lost ack has it
// delivered once.
//
// The default, a [MemoryHistory], keeps the latest 100 messages of each of
// the latest 10000 channels published on, and is lost on restart: a
// channel starts again from the time in microseconds, and clients that
// resume get history_lost. A [FileHistory] in a directory carries ids,
// messages and publishers' marks across restarts: servers started one
// after the other on it go on where the last one stopped.
//
// # Presence
//
// Subscribing to "presence:<resource>" sends the subscriber the state,
// presence.state {"seq":N,"state":{user:[meta...]}}, and from then on
// every change as presence.diff {"seq":N+1,"joins":...,"leaves":...},
// numbered one by one per resource. presence.join (data: a meta with a
// session and a user) adds a session tied to the connection, or takes back
// one of the same user's; presence.update changes a session the connection
// holds; presence.leave {"session":s} removes it, as does unsubscribing
// from the channel. presence.sync asks for the state again. Requests with
// a ref are acked; refusals are error envelopes, with the channel, of code
// bad_presence, room_full (past [Options.MaxPresence] sessions) or
// not_joined. A join or update that changes nothing sends no diff.
//
// A connection that ends without leaving keeps its sessions for
// [Options.PresenceGrace]; a rejoin within it (the client reconnected) is
// no leave and no join, and after it the sessions leave in a diff.
// Subscribers of "presence-count:<resource>" get presence.count
// {"users":U,"sessions":S} on subscribe and after every join and leave.
//
// # Notifications
//
// [Server.Notify] numbers a user's notifications, keeps the latest in
// [Options.History] on the channel "notifications:<user>" and sends each
// as notify.new to its subscribers. notify.sync {"after":K} is answered
// with notify.batch {"items":[...],"lost":bool}: the kept notifications
// after K, oldest first, and whether some after K are no longer kept, or
// K is a seq this history never issued. A client sends it after every
// (re)connect with the highest seq it holds. Read state is the client's.
// [Server.Publish] and [Server.PublishAll] refuse notification channels.
//
// # Live feeds
//
// A feed ([Server.NewFeed], and the demo feeds) is an ordered list of JSON
// objects, each identified by the string in its key field. Subscribing to
// "live:<feed>" sends the subscriber live.snapshot {"seq":N,"key":"id",
// "items":[...],"max":M} and from then on every change as live.delta
// {"seq":N+1,"op":...}, numbered one by one per feed: op "append" (items
// at the end, then the oldest dropped past max), "upsert" (items replaced
// in place by key, or appended), "remove" ({"keys":[...]}) or "replace"
// (items become the whole list). Max is left out when the feed has none.
// The snapshot and the subscription are one step, so the deltas that
// follow it are exactly those after it. live.resync is answered with a
// fresh snapshot, ahead of every later delta, and an ack: a client that
// saw a gap sends it. An unknown feed is refused with unknown_feed, with the
// channel.
//
// The demo feeds start when first asked for and change every
// [Options.LiveInterval], on [Options.Clock]: "metrics", a series of
// points {"id":"<n>","t":<unix ms>,"v":<float>}, one appended a tick, the
// latest 120 kept; "orders", a table of about 12 rows {"id":"r1",
// "region":"EMEA","plan":"Pro","orders":123,"revenue":4567.8,
// "updatedAt":<unix ms>}, one upserted a tick, and every 16 ticks one
// removed and a new one added.
//
// Deltas are queued to every subscriber without waiting, like every
// fan-out: a client whose send buffer fills is closed with 1013, then
// reconnects and gets a fresh snapshot. A burst is bigger than that
// buffer, so it waits, after every quarter of a buffer, until no
// subscriber has more than half of its own queued, for at most
// [Options.WriteTimeout] per wait.
//
// # Queries
//
// POST /queries starts a simulated query that goes through queued,
// planning, running and finishing to succeeded, in steps of 100 ms
// divided by [Options.QuerySpeed], on [Options.Clock]: a short one takes
// 1.5 s, a medium one 5 s, a long one 15 s, and a failing one fails after
// 2.6 s, while running, with an engine's error code and message. For the
// first 30% of running the total is unknown (known false, percent 0);
// then percent grows to 100 with rows and bytes.
//
// Subscribing to "query:<id>" sends the subscriber query.status with the
// current status, and every change after it; each change bumps the
// status's version. query.cancel on "query:<id>" cancels a query that has
// not ended: its subscribers get the cancelled status, then the requester
// its ack. A query that had ended is refused with already_finished and
// the message "query q-1001 already succeeded" (or failed, cancelled); an
// unknown or forgotten one, to subscribe as to cancel, with
// unknown_query. The server keeps the latest 50 queries, and older ones
// while they run.
//
// # Server-sent events
//
// Every stream (the endpoints above and [Server.StreamHandler]) starts with
// a retry field ([Options.SSERetry]), flushes each event, and sends a
// ": keep-alive" comment after [Options.KeepAlive] of silence. Its headers
// keep proxies from buffering it (Cache-Control: no-cache, no-transform;
// X-Accel-Buffering: no).
//
// A client resumes with the Last-Event-ID header, or ?lastEventId= where it
// cannot set headers, and gets exactly the events after that id. When they
// are gone from the replay window ([Options.ReplayWindow]), or the id is
// malformed or one the stream never issued, it first gets a "history-lost"
// event without an id, data {"lastEventId":"<sent>","oldest":"<oldest
// held, or empty>"}, and then the oldest events held, or the live ones. A
// client that resumes after the last event of a stream that ended, such as
// an answer's done, gets 204, which stops every EventSource.
//
// The token comes from an "Authorization: Bearer" header or ?token= and is
// checked by [Options.Auth]; a refused one gets 401 with a plain text
// reason, and a stream ends when its token expires. [Server.DropStreams]
// and [Server.Shutdown] end the responses of open streams, and their
// clients reconnect.
//
// # Scale
//
// The hub is in memory and single node; its history is [Options.History]
// (see History). Presence is in memory too: a restart loses it (the
// clients rejoin). Notifications live in the history: a [FileHistory]
// keeps them across restarts; with the default, seqs start again from the
// time in microseconds, so they keep growing and ids stay unique.
// Channels are authorized by [Options.Authorizer]: by default any
// connection that passed Auth may follow any presence, live or query
// channel and cancel any query, and reads only its own notifications when
// its identity names a user. Feeds and queries are in
// memory too: after a restart feeds start again (a client that
// reconnects gets a fresh snapshot) and query ids start again at q-1001.
// The ticker and the answers keep nothing: their events are computed, so
// servers that share [Options.TickEpoch] serve the same ones and a client
// resumes across a restart or to another node. A [MemoryStream] is single
// node, like the hub.
package server
