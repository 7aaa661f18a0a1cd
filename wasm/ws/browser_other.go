//go:build !js

package ws

// watchBrowser has nothing to watch outside a browser.
func watchBrowser(*Client) (stop func()) { return func() {} }
