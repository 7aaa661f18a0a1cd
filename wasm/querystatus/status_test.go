package querystatus

import (
	"errors"
	"testing"
	"time"
)

func TestEveryTransition(t *testing.T) {
	t.Parallel()
	// allowed[from] lists where a query may go from there (staying put
	// aside); everything else is refused.
	allowed := map[State][]State{
		Queued:    {Planning, Running, Finishing, Succeeded, Failed, Cancelled},
		Planning:  {Running, Finishing, Succeeded, Failed, Cancelled},
		Running:   {Finishing, Succeeded, Failed, Cancelled},
		Finishing: {Succeeded, Failed, Cancelled},
		Succeeded: nil,
		Failed:    nil,
		Cancelled: nil,
	}
	for _, from := range States {
		for _, to := range States {
			ok := from == to
			for _, a := range allowed[from] {
				ok = ok || a == to
			}
			err := CanMove(from, to)
			if ok && err != nil {
				t.Errorf("%s -> %s refused: %v", from, to, err)
			}
			if !ok && !errors.Is(err, ErrTransition) {
				t.Errorf("%s -> %s allowed, want refused", from, to)
			}
		}
	}
	if err := CanMove(Running, "exploded"); !errors.Is(err, ErrTransition) {
		t.Errorf("unknown state accepted: %v", err)
	}
	for _, s := range States {
		if s.Final() != (s == Succeeded || s == Failed || s == Cancelled) {
			t.Errorf("%s final = %v", s, s.Final())
		}
	}
}

func st(state State, version uint64, percent float64, known bool) Status {
	return Status{ID: "q1", State: state, Version: version, Progress: Progress{Percent: percent, Known: known}}
}

func TestApplyNeverMovesBackwards(t *testing.T) {
	t.Parallel()
	var s Status
	steps := []struct {
		name    string
		update  Status
		applied bool
		err     error
		state   State
		percent float64
	}{
		{"first", st(Queued, 1, 0, false), true, nil, Queued, 0},
		{"running, total unknown", st(Running, 3, 0, false), true, nil, Running, 0},
		{"late planning update ignored", st(Planning, 2, 0, false), false, nil, Running, 0},
		{"progress known", st(Running, 4, 40, true), true, nil, Running, 40},
		{"duplicate ignored", st(Running, 4, 40, true), false, nil, Running, 40},
		{"a lower estimate keeps the bar", st(Running, 5, 35, true), true, nil, Running, 40},
		{"newer version going back refused", st(Planning, 6, 0, false), false, ErrTransition, Running, 40},
		{"succeeded fills the bar", st(Succeeded, 7, 98, true), true, nil, Succeeded, 100},
		{"nothing leaves a final state", st(Running, 8, 50, true), false, ErrTransition, Succeeded, 100},
		{"not even to another final one", st(Cancelled, 9, 0, false), false, ErrTransition, Succeeded, 100},
	}
	for _, step := range steps {
		applied, err := s.Apply(step.update)
		if applied != step.applied || !errors.Is(err, step.err) {
			t.Fatalf("%s: applied %v err %v, want %v %v", step.name, applied, err, step.applied, step.err)
		}
		if s.State != step.state || s.Progress.Percent != step.percent {
			t.Fatalf("%s: %s at %v%%, want %s at %v%%", step.name, s.State, s.Progress.Percent, step.state, step.percent)
		}
	}
	if _, err := s.Apply(Status{ID: "q2", Version: 99, State: Running}); err == nil {
		t.Fatal("an update of another query was applied")
	}
}

func TestElapsedAndTimeLeft(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	ms := func(d time.Duration) int64 { return start.Add(d).UnixMilli() }
	s := Status{ID: "q1", State: Running, StartedAt: start.UnixMilli(), SubmittedAt: ms(-time.Second)}

	if got := s.Elapsed(start.Add(90 * time.Second)); got != 90*time.Second {
		t.Fatalf("elapsed %v, want 90s", got)
	}
	if _, ok := s.Remaining(start.Add(10 * time.Second)); ok {
		t.Fatal("an estimate before the total is known")
	}
	s.Progress = Progress{Known: true, Percent: 0}
	s.UpdatedAt = ms(10 * time.Second)
	if _, ok := s.Remaining(start.Add(10 * time.Second)); ok {
		t.Fatal("an estimate before progress moved")
	}
	// A quarter done in 30 s: 90 s to go at that pace.
	s.Progress.Percent, s.UpdatedAt = 25, ms(30*time.Second)
	if got, ok := s.Remaining(start.Add(30 * time.Second)); !ok || got != 90*time.Second {
		t.Fatalf("time left %v %v, want 90s", got, ok)
	}
	// 10 s with no update: 10 s less to go, the pace unchanged.
	if got, _ := s.Remaining(start.Add(40 * time.Second)); got != 80*time.Second {
		t.Fatalf("time left after 10 quiet seconds %v, want 80s", got)
	}
	// Far past the estimate: never negative.
	if got, _ := s.Remaining(start.Add(time.Hour)); got != 0 {
		t.Fatalf("time left %v, want 0", got)
	}
	// Ended: elapsed stops at the end, no estimate.
	s.State, s.FinishedAt = Succeeded, ms(2*time.Minute)
	if got := s.Elapsed(start.Add(time.Hour)); got != 2*time.Minute {
		t.Fatalf("elapsed of a finished query %v, want 2m", got)
	}
	if _, ok := s.Remaining(start.Add(time.Hour)); ok {
		t.Fatal("an estimate for a finished query")
	}
	// Queued, not started: elapsed counts from submission.
	q := Status{ID: "q2", State: Queued, SubmittedAt: start.UnixMilli()}
	if got := q.Elapsed(start.Add(3 * time.Second)); got != 3*time.Second {
		t.Fatalf("elapsed of a queued query %v", got)
	}
}
