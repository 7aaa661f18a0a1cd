//go:build !js

package notify

// PauseWhenHidden has no page to watch outside a browser.
func PauseWhenHidden(*Toaster) (stop func()) { return func() {} }
