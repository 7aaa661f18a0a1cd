package jsbridge

import (
	"fmt"
	"testing"
)

func TestParseRunsReadsWhatRealtimeJSWrites(t *testing.T) {
	runs, ok := parseRuns([]byte("1 3 demo:a\n7 7 a channel with spaces\n"))
	if want := "[{demo:a 1 3} {a channel with spaces 7 7}]"; !ok || fmt.Sprint(runs) != want {
		t.Fatalf("runs %v, %v; want %s", runs, ok, want)
	}
	for _, bad := range []string{"", "1 3 demo:a", "1 3 \n", "x 3 demo:a\n", "1 -3 demo:a\n", "1 demo:a\n", "18446744073709551616 1 a\n"} {
		if runs, ok := parseRuns([]byte(bad)); ok {
			t.Errorf("parseRuns(%q) = %v, want refused", bad, runs)
		}
	}
}
