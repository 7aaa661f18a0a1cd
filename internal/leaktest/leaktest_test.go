package leaktest

import (
	"runtime"
	"testing"
	"time"
)

func TestWaitSeesAGoroutineLeftRunning(t *testing.T) {
	before := runtime.NumGoroutine()
	release := make(chan struct{})
	done := make(chan struct{})
	go func() {
		<-release
		close(done)
	}()
	if err := Wait(before, 50*time.Millisecond); err == nil {
		t.Fatal("a goroutine left running was not reported")
	}
	close(release)
	<-done
	if err := Wait(before, 5*time.Second); err != nil {
		t.Fatalf("after it ended: %v", err)
	}
}
