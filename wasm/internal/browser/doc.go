// Package browser hooks the runtime's clients to the page, in the browser
// only: the window's "online" and "pagehide", the document's
// "visibilitychange", input events. It uses syscall/js alone: the dom/v2
// package would link its wrapper of every DOM event type into the wasm
// files (270 KB of realtime.wasm's 5.5 MB) for these few listeners.
//
// Every function the runtime makes for JavaScript to call, but the fixed
// table of realtime.js's exports, comes from Func, which counts them until
// released: realtime.js's stats() shows the count, and a page that opened
// and closed its objects must be back to none.
package browser
