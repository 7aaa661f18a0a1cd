//go:build !js

package live

// animationFrames has no browser to ask outside one: the clock is used.
func animationFrames() func(f func()) (cancel func()) { return nil }
