// Package backoff computes reconnect delays: exponential, capped, with
// optional jitter. The WebSocket and SSE clients share it.
package backoff

import (
	"fmt"
	"math"
	"time"
)

// Backoff computes reconnect delays: Initial, then each one Multiplier times
// the last, capped at Max.
type Backoff struct {
	Initial    time.Duration
	Multiplier float64
	Max        time.Duration
	// Jitter spreads each delay uniformly by up to this fraction either way.
	Jitter float64
}

// Delay returns the delay before reconnect attempt n (1 is the first).
// random returns a number in [0, 1); it is used only when Jitter is set.
func (b Backoff) Delay(n int, random func() float64) time.Duration {
	if n < 1 {
		n = 1
	}
	d := float64(b.Initial) * math.Pow(b.Multiplier, float64(n-1))
	if b.Jitter > 0 && random != nil {
		d *= 1 + b.Jitter*(2*random()-1)
	}
	if d > float64(b.Max) || math.IsInf(d, 0) || math.IsNaN(d) {
		return b.Max
	}
	// Whole milliseconds, as a JavaScript timer would take them.
	return time.Duration(math.Round(d/float64(time.Millisecond))) * time.Millisecond
}

// Names are what a client calls its backoff settings, for its errors.
type Names struct{ Initial, Multiplier, Max, Jitter string }

// Normalize fills b's zero fields from def and checks the rest: no negative
// delay, a multiplier of at least 1, a cap not below the first delay, a
// jitter within [0, 1]. Its errors name the fields as names does.
func (b Backoff) Normalize(def Backoff, names Names) (Backoff, error) {
	if b.Initial < 0 {
		return b, fmt.Errorf("%s %v is negative", names.Initial, b.Initial)
	}
	if b.Initial == 0 {
		b.Initial = def.Initial
	}
	if b.Multiplier == 0 {
		b.Multiplier = def.Multiplier
	}
	if b.Multiplier < 1 {
		return b, fmt.Errorf("%s %v is below 1", names.Multiplier, b.Multiplier)
	}
	if b.Max == 0 {
		b.Max = def.Max
	}
	if b.Max < b.Initial {
		return b, fmt.Errorf("%s %v is below %s %v", names.Max, b.Max, names.Initial, b.Initial)
	}
	if b.Jitter < 0 || b.Jitter > 1 {
		return b, fmt.Errorf("%s %v is outside [0, 1]", names.Jitter, b.Jitter)
	}
	return b, nil
}
