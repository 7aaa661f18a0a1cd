package backoff_test

import (
	"testing"
	"time"

	"github.com/matih-ai/realtime/wasm/backoff"
)

func TestBackoffFollowsTheSpecTable(t *testing.T) {
	t.Parallel()
	b := backoff.Backoff{Initial: time.Second, Multiplier: 1.5, Max: 30 * time.Second}
	want := []time.Duration{1000, 1500, 2250, 3375, 5063, 7594, 11391, 17086, 25629, 30000, 30000}
	for i, w := range want {
		if got := b.Delay(i+1, nil); got != w*time.Millisecond {
			t.Errorf("attempt %d: delay %v, want %v", i+1, got, w*time.Millisecond)
		}
	}
	if got := b.Delay(1000, nil); got != 30*time.Second {
		t.Errorf("attempt 1000: delay %v, want the 30s cap", got)
	}
}

func TestBackoffJitterStaysWithinItsFraction(t *testing.T) {
	t.Parallel()
	b := backoff.Backoff{Initial: time.Second, Multiplier: 2, Max: time.Minute, Jitter: 0.2}
	for _, r := range []float64{0, 0.25, 0.5, 0.999} {
		got := b.Delay(2, func() float64 { return r })
		if got < 1600*time.Millisecond || got > 2400*time.Millisecond {
			t.Errorf("random %v: delay %v outside 2s ±20%%", r, got)
		}
	}
	if a, z := b.Delay(2, func() float64 { return 0 }), b.Delay(2, func() float64 { return 0.999 }); a == z {
		t.Errorf("jitter does not spread delays: both %v", a)
	}
}
