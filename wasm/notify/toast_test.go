package notify

import (
	"slices"
	"testing"
	"time"

	"github.com/matih-ai/realtime/wasm/clock"
)

func visibleIDs(t *Toaster) []string { return ids(t.Visible()) }

func TestToastsAutoDismissButErrorsStay(t *testing.T) {
	t.Parallel()
	c := clock.NewFake()
	changes := 0
	ts := NewToaster(c, 0, 0, func() { changes++ })
	ts.Show(note(1, Info))
	ts.Show(note(2, Error))
	c.Advance(DefaultToastLife - time.Millisecond)
	if got := visibleIDs(ts); !slices.Equal(got, []string{"n1", "n2"}) {
		t.Fatalf("before 4s: %v", got)
	}
	c.Advance(time.Millisecond)
	if got := visibleIDs(ts); !slices.Equal(got, []string{"n2"}) {
		t.Fatalf("after 4s: %v, want the error only", got)
	}
	c.Advance(time.Hour)
	ts.Dismiss("n2")
	if len(ts.Visible()) != 0 || changes != 4 {
		t.Fatalf("after dismissing the error: %v, %d changes", visibleIDs(ts), changes)
	}
}

func TestAtMostThreeToastsTheRestQueued(t *testing.T) {
	t.Parallel()
	c := clock.NewFake()
	ts := NewToaster(c, 0, 0, nil)
	for i := uint64(1); i <= 5; i++ {
		ts.Show(note(i, Info))
	}
	if got := visibleIDs(ts); !slices.Equal(got, []string{"n1", "n2", "n3"}) || ts.Queued() != 2 {
		t.Fatalf("visible %v queued %d", got, ts.Queued())
	}
	ts.Dismiss("n2") // the first queued takes its place
	if got := visibleIDs(ts); !slices.Equal(got, []string{"n1", "n3", "n4"}) || ts.Queued() != 1 {
		t.Fatalf("after a dismiss: %v queued %d", got, ts.Queued())
	}
	c.Advance(DefaultToastLife) // n1, n3 and n4 go; n5 comes with a full life
	if got := visibleIDs(ts); !slices.Equal(got, []string{"n5"}) || ts.Queued() != 0 {
		t.Fatalf("after 4s: %v queued %d", got, ts.Queued())
	}
	c.Advance(DefaultToastLife)
	if got := visibleIDs(ts); len(got) != 0 {
		t.Fatalf("after 8s: %v", got)
	}
}

func TestToastsPauseWhileHoveredOrHidden(t *testing.T) {
	t.Parallel()
	c := clock.NewFake()
	ts := NewToaster(c, 0, 0, nil)
	ts.Show(note(1, Info))
	c.Advance(3 * time.Second)
	ts.Pause("hover")
	ts.Pause("hidden")
	c.Advance(time.Minute)
	ts.Resume("hover") // still hidden
	c.Advance(time.Minute)
	if got := visibleIDs(ts); !slices.Equal(got, []string{"n1"}) {
		t.Fatalf("paused toast dismissed: %v", got)
	}
	ts.Resume("hidden")
	c.Advance(time.Second - time.Millisecond)
	if len(ts.Visible()) != 1 {
		t.Fatal("the countdown did not resume where it stopped")
	}
	c.Advance(time.Millisecond)
	if len(ts.Visible()) != 0 {
		t.Fatal("the toast outlived its remaining second")
	}
	// A toast shown while paused waits too.
	ts.Pause("hidden")
	ts.Show(note(2, Info))
	c.Advance(time.Hour)
	if len(ts.Visible()) != 1 {
		t.Fatal("a toast shown while hidden went away unseen")
	}
}
