// Package components holds the go-app components of the realtime runtime:
// the provider tree and its widgets.
//
// A WebSocketProvider owns one ws.Client for its subtree. Descendants reach
// it the way the spec's hooks do:
//
//   - useWebSocket: [WebSocket] returns the provider's client (send,
//     subscribe, connect, disconnect, reconnect).
//   - useWebSocketChannel: a [Channel] component placed in a component's
//     render tree subscribes while it is mounted and unsubscribes when it
//     dismounts; its handler runs on the UI goroutine.
//   - useWebSocketStatus: [ObserveWebSocket] keeps a ws.State field of the
//     component up to date and re-renders it on every change.
//
// go-app has no context that flows down the tree, so providers are found by
// name ("" is the default provider). A provider creates its client in OnInit,
// before its children exist, and connects in OnMount; go-app runs a parent's
// OnMount before its children's and dismounts children first, so children
// always find their provider.
package components
