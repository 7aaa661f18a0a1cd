package server

import (
	"time"

	"github.com/matih-ai/realtime/wasm/clock"
)

// floodFactor is how many times its rate a connection must send, for a
// second, to be closed as a flood: the refusals of one second past
// (floodFactor-1) times the rate.
const floodFactor = 5

// rateLimiter is the token bucket of one connection: rate requests a
// second, up to burst at once. It is owned by the connection's reader.
type rateLimiter struct {
	clock  clock.Clock
	rate   float64 // per second; 0 means no limit
	burst  float64
	tokens float64
	last   time.Time

	// Refusals in the window that started at the first refusal after the
	// previous window ended.
	windowStart time.Time
	refused     int
}

func newRateLimiter(clk clock.Clock, rate, burst int) *rateLimiter {
	if rate <= 0 {
		return &rateLimiter{}
	}
	return &rateLimiter{clock: clk, rate: float64(rate), burst: float64(burst), tokens: float64(burst), last: clk.Now()}
}

// allow takes a token for one request. ok is false when none is left, and
// flood is true once the refusals of the current second show the client
// sending at floodFactor times its rate or more.
func (l *rateLimiter) allow() (ok, flood bool) {
	if l.rate == 0 {
		return true, false
	}
	now := l.clock.Now()
	if d := now.Sub(l.last); d > 0 {
		l.tokens = min(l.burst, l.tokens+d.Seconds()*l.rate)
		l.last = now
	}
	if l.tokens >= 1 {
		l.tokens--
		return true, false
	}
	if l.refused == 0 || now.Sub(l.windowStart) >= time.Second {
		l.windowStart, l.refused = now, 0
	}
	l.refused++
	return false, float64(l.refused) > (floodFactor-1)*l.rate
}
