// Package leaktest fails a test binary whose tests leave goroutines
// running: every goroutine a test starts must have an owner that stops it.
package leaktest

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"testing"
	"time"
)

// Main runs the tests of m and exits. When they pass but more goroutines
// run than before them, still after grace, it prints their stacks and
// fails. A -fuzz run is not checked: its coordinator starts a goroutine of
// its own.
func Main(m *testing.M, grace time.Duration) {
	before := runtime.NumGoroutine()
	code := m.Run()
	if code == 0 && !fuzzing() {
		if err := Wait(before, grace); err != nil {
			fmt.Fprintln(os.Stderr, err)
			pprof.Lookup("goroutine").WriteTo(os.Stderr, 1)
			code = 1
		}
	}
	os.Exit(code)
}

// Wait polls until at most n goroutines run, or fails after grace.
func Wait(n int, grace time.Duration) error {
	deadline := time.Now().Add(grace)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			return fmt.Errorf("goroutine leak: %d running, want at most %d", runtime.NumGoroutine(), n)
		}
		time.Sleep(time.Millisecond)
	}
	return nil
}

func fuzzing() bool {
	f := flag.Lookup("test.fuzz")
	return f != nil && f.Value.String() != ""
}
