package presence

import "time"

// DefaultIdleAfter is how long without input makes a visible session idle.
const DefaultIdleAfter = 60 * time.Second

// WatchActivity keeps t's status in step with the person at the page:
// active on input, idle after idleAfter without any (DefaultIdleAfter when
// <= 0), away while the page is hidden; and leaves on pagehide, so a closed
// tab disappears at once instead of after the server's grace. Outside a
// browser there is nothing to watch. It returns the function that stops it.
func WatchActivity(t *Tracker, idleAfter time.Duration) (stop func()) {
	if idleAfter <= 0 {
		idleAfter = DefaultIdleAfter
	}
	return watchActivity(t, idleAfter)
}
