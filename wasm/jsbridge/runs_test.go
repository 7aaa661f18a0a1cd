package jsbridge

import (
	"fmt"
	"testing"
)

func TestParseRunsReadsWhatRealtimeJSWrites(t *testing.T) {
	runs, ok := parseRuns(nil, []byte("1 3 demo:a\n7 7 a channel with spaces\n"))
	if want := "[{demo:a 1 3} {a channel with spaces 7 7}]"; !ok || fmt.Sprint(runs) != want {
		t.Fatalf("runs %v, %v; want %s", runs, ok, want)
	}
	for _, bad := range []string{"", "1 3 demo:a", "1 3 \n", "x 3 demo:a\n", "1 -3 demo:a\n", "1 demo:a\n", "18446744073709551616 1 a\n"} {
		if runs, ok := parseRuns(nil, []byte(bad)); ok {
			t.Errorf("parseRuns(%q) = %v, want refused", bad, runs)
		}
	}
	// Reusing the runs of the last call, as relayNow does: same channels
	// are shared, others read afresh.
	again, ok := parseRuns(runs, []byte("4 4 demo:a\n9 9 demo:b\n10 12 demo:c\n"))
	if want := "[{demo:a 4 4} {demo:b 9 9} {demo:c 10 12}]"; !ok || fmt.Sprint(again) != want {
		t.Fatalf("runs again %v, %v; want %s", again, ok, want)
	}
	if n := testing.AllocsPerRun(100, func() { again, _ = parseRuns(again, []byte("5 5 demo:a\n")) }); n != 0 {
		t.Errorf("%v allocations reading a run of the same channel again", n)
	}
}
