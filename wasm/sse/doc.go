// Package sse is the Server-Sent Events side of the realtime runtime.
package sse
