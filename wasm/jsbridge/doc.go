// Package jsbridge lets JavaScript drive the realtime runtime: it is what
// web/realtime.js talks to inside web/realtime.wasm (wasm/cmd/module).
//
// # Shape
//
// A [Bridge] holds the objects JavaScript opened (WebSocket connections,
// SSE streams, presence trackers, notification centers, query trackers) by
// ids that JavaScript chooses, so that an event can never reach JavaScript
// before the object it is about is known there. Its methods take and return
// plain Go values; the *_js.go files only convert arguments and results.
// Everything the runtime tells JavaScript goes through one [Sink]: a
// channel's messages with [Sink.Message], everything else with
// [Sink.Event].
//
// # Crossing the boundary
//
// A call from JavaScript into Go is the expensive direction (about 10 us),
// so the bridge makes no js.Func per object: a fixed table of functions is
// made at start and released by Shutdown. Calls from Go into JavaScript go
// to one dispatch function that only queues; realtime.js runs the handlers
// from a microtask. So no JavaScript handler ever runs inside a Go call,
// while Go holds a lock: a handler may call back into the bridge freely,
// and a handler that throws cannot unwind through Go.
//
// Messages cross as their fields: the data stays JSON text, which
// JavaScript's JSON.parse turns into plain objects far faster than
// encoding/json and js.ValueOf would. Subscribers of one channel share one
// Go subscription: JavaScript fans a message out to them.
//
// # Errors
//
// A failed call returns an error that realtime.js throws (or rejects with)
// as a RealtimeError whose message is the Go error's and whose code is
// [Code] of it. Configurations are checked field by field, with the
// names and units of realtime.d.ts, then by the runtime's own validation.
package jsbridge
