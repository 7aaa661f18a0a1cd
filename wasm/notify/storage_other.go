//go:build !js

package notify

// LocalStorage is memory outside a browser.
func LocalStorage() Storage { return &MemoryStorage{} }
