package presence

// Sync is one client's view of a resource: the last full state and the
// diffs numbered after it. The server numbers each resource's changes; a
// state carries the number of the last change it includes, and each diff
// its own. Diffs that arrive before the state are held until it comes; a
// diff already in the state is ignored; a missing number means the view can
// no longer be trusted and a fresh state is needed.
type Sync struct {
	state     State
	seq       uint64
	haveState bool
	held      map[uint64]Diff
}

// State returns the current state (do not modify it).
func (s *Sync) State() State { return s.state }

// Ready reports whether a state has arrived since the last Reset.
func (s *Sync) Ready() bool { return s.haveState }

// ApplyState replaces the view with a full state whose last change is seq,
// then applies the held diffs that follow it.
func (s *Sync) ApplyState(seq uint64, st State) (Changes, error) {
	next, ch := SyncState(s.state, st)
	s.state, s.seq, s.haveState = next, seq, true
	more, err := s.drain()
	return merge(ch, more), err
}

// ApplyDiff applies diff number seq, or holds it until the state comes or
// the diffs before it arrive. It returns ErrGap when a diff is missing for
// too long (more than MaxHeld held): the caller should ask for a fresh state.
func (s *Sync) ApplyDiff(seq uint64, d Diff) (Changes, error) {
	if s.haveState && seq <= s.seq {
		return Changes{}, nil // already in the state
	}
	if s.held == nil {
		s.held = map[uint64]Diff{}
	}
	s.held[seq] = d
	if !s.haveState {
		if len(s.held) > MaxHeld {
			return Changes{}, ErrGap
		}
		return Changes{}, nil
	}
	return s.drain()
}

// drain applies held diffs in order while they follow on.
func (s *Sync) drain() (Changes, error) {
	var all Changes
	for seq := range s.held {
		if seq <= s.seq {
			delete(s.held, seq)
		}
	}
	for {
		d, ok := s.held[s.seq+1]
		if !ok {
			break
		}
		delete(s.held, s.seq+1)
		var ch Changes
		s.state, ch = SyncDiff(s.state, d)
		s.seq++
		all = merge(all, ch)
	}
	if len(s.held) > MaxHeld {
		return all, ErrGap
	}
	return all, nil
}

// Reset forgets the numbering, keeping the state on display until the next
// one replaces it (after a reconnect, so that nobody flickers out and in).
func (s *Sync) Reset() {
	s.haveState, s.seq, s.held = false, 0, nil
}

// MaxHeld bounds the diffs held while waiting for a state or a missing diff.
const MaxHeld = 64

// merge combines two successive changes: a user who joined then left
// appears in neither list.
func merge(a, b Changes) Changes {
	if a.Empty() {
		return b
	}
	if b.Empty() {
		return a
	}
	joined := setOf(a.Joined)
	left := setOf(a.Left)
	updated := setOf(a.Updated)
	for _, u := range b.Joined {
		if left[u] {
			delete(left, u)
			updated[u] = true // left and came back: changed, not new
		} else {
			joined[u] = true
		}
	}
	for _, u := range b.Left {
		switch {
		case joined[u]:
			delete(joined, u)
		default:
			delete(updated, u)
			left[u] = true
		}
	}
	for _, u := range b.Updated {
		if !joined[u] {
			updated[u] = true
		}
	}
	return Changes{Joined: sortedSet(joined), Left: sortedSet(left), Updated: sortedSet(updated)}
}
