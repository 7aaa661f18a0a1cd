//go:build !js

package sse

// watchBrowser has nothing to watch outside a browser.
func watchBrowser(*Client) (stop func()) { return func() {} }
