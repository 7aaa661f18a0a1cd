// Package sse is the Server-Sent Events side of the realtime runtime: a
// parser that follows the WHATWG HTML standard's event stream
// interpretation, and a client that streams over package fetch and resumes
// after every drop without losing or repeating an event. It runs natively
// and in the browser (GOOS=js GOARCH=wasm).
//
// # Resuming
//
// The client keeps the last event id and sends it as Last-Event-ID on every
// reconnect. A connection that ends, breaks, or stays silent past
// IdleTimeout is reconnected after the retry delay (the server's "retry"
// field, or Config.RetryDelay), growing by ReconnectDelayMultiplier up to
// MaxRetryDelay, for at most MaxReconnectAttempts attempts in a row. The
// count starts again once a connection has delivered an event or stayed
// open StableAfter.
//
// # Failures
//
//   - 204 No Content: the stream is over; StatusClosed, no retry.
//   - 5xx or 429: retried with backoff, waiting at least Retry-After.
//   - Any other status, or a 200 that is not text/event-stream: StatusError
//     with a *ResponseError (status and the start of the body), no retry;
//     but a 401 with a TokenFunc is retried at once with a fresh token,
//     once.
//   - A line or event over MaxEventSize: StatusError with ErrTooLong.
//   - TokenFunc failing: StatusError with ErrToken.
//
// # Callbacks
//
// Handlers and listeners run one at a time, in order, on a goroutine owned
// by the client, never on the one reading the body: a slow handler delays
// other callbacks, not the stream. Each registration returns its remover.
//
// # In the browser
//
// Requests go through the browser's fetch API, so Method, Body, Headers and
// AuthToken work as natively (cross-origin, Authorization and Last-Event-ID make the
// browser send a CORS preflight). The client reconnects at once on the
// window's "online" event, and with CloseWhenHidden closes the stream while
// the page is hidden. Hidden tabs throttle timers, so the idle timeout may
// fire late there.
package sse
