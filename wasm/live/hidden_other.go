//go:build !js

package live

// watchHidden has no page to watch outside a browser.
func watchHidden(*Feed) (stop func()) { return func() {} }
