package jsbridge

import (
	"bytes"
	"strconv"

	"github.com/matih-ai/realtime/wasm/ws"
)

// parseRuns reads the runs realtime.js writes for RelayNow: a line each,
// "<first id> <last id> <channel>", the channel last as it may hold
// spaces (not a newline: realtime.js checks).
func parseRuns(text []byte) ([]ws.RelayRun, bool) {
	var runs []ws.RelayRun
	for len(text) > 0 {
		line, rest, ok := bytes.Cut(text, []byte{'\n'})
		if !ok {
			return nil, false // every line ends with one
		}
		text = rest
		first, line, ok1 := bytes.Cut(line, []byte{' '})
		last, channel, ok2 := bytes.Cut(line, []byte{' '})
		f, err1 := strconv.ParseUint(string(first), 10, 64)
		l, err2 := strconv.ParseUint(string(last), 10, 64)
		if !ok1 || !ok2 || err1 != nil || err2 != nil || len(channel) == 0 {
			return nil, false
		}
		runs = append(runs, ws.RelayRun{Channel: string(channel), First: f, Last: l})
	}
	return runs, len(runs) > 0
}
