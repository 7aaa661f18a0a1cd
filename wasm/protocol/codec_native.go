//go:build !js

package protocol

// Native programs do not count their bytes: Marshal writes what it does
// not itself through encoding/json there.
func init() { UseEncodingJSON() }
