package presence

import "errors"

// ErrGap reports diffs missing from a resource's numbering: the view needs
// a fresh state.
var ErrGap = errors.New("presence: diffs are missing; a fresh state is needed")
