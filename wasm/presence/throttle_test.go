package presence

import (
	"slices"
	"testing"
	"time"

	"github.com/matih-ai/realtime/wasm/clock"
)

func TestThrottleSendsFirstAtOnceThenTheLatestPerInterval(t *testing.T) {
	t.Parallel()
	c := clock.NewFake()
	var sent []int
	th := NewThrottle(c, 100*time.Millisecond, func(v int) { sent = append(sent, v) })

	th.Push(1)
	for v := 2; v <= 10; v++ { // a burst within the interval
		c.Advance(5 * time.Millisecond)
		th.Push(v)
	}
	if !slices.Equal(sent, []int{1}) {
		t.Fatalf("during the burst sent %v, want only the first", sent)
	}
	c.Advance(55 * time.Millisecond) // the interval ends 100ms after the first
	if !slices.Equal(sent, []int{1, 10}) {
		t.Fatalf("after the interval sent %v, want the first and the latest", sent)
	}
	c.Advance(time.Second)
	if !slices.Equal(sent, []int{1, 10}) {
		t.Fatalf("sent %v with nothing new", sent)
	}
	th.Push(11) // quiet long enough: straight through
	if !slices.Equal(sent, []int{1, 10, 11}) {
		t.Fatalf("sent %v, want 11 at once", sent)
	}
	th.Push(12)
	th.Flush()
	if !slices.Equal(sent, []int{1, 10, 11, 12}) {
		t.Fatalf("Flush sent %v", sent)
	}
	th.Push(13) // within the interval of 12
	th.Stop()
	c.Advance(time.Second)
	if !slices.Equal(sent, []int{1, 10, 11, 12}) {
		t.Fatalf("Stop let %v through", sent)
	}
}
