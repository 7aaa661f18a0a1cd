//go:build !js

package presence

import "time"

func watchActivity(*Tracker, time.Duration) func() { return func() {} }
