package jsbridge

import (
	"bytes"

	"github.com/matih-ai/realtime/wasm/protocol"
	"github.com/matih-ai/realtime/wasm/ws"
)

// parseRuns appends to runs[:0] the runs realtime.js writes for
// RelayNow: a line each, "<first id> <last id> <channel>", the channel
// last as it may hold spaces (not a newline: realtime.js checks). A
// caller may pass the runs of its last call: RelayNow keeps none.
func parseRuns(runs []ws.RelayRun, text []byte) ([]ws.RelayRun, bool) {
	runs = runs[:0]
	for len(text) > 0 {
		end := bytes.IndexByte(text, '\n')
		if end < 0 {
			return nil, false // every line ends with one
		}
		line := text[:end]
		text = text[end+1:]
		var ids [2]uint64
		for i := range ids {
			sp := bytes.IndexByte(line, ' ')
			n, ok := protocol.ParseID(string(line[:max(sp, 0)]))
			if sp < 0 || !ok {
				return nil, false
			}
			ids[i], line = n, line[sp+1:]
		}
		if len(line) == 0 {
			return nil, false
		}
		// The last call's channel at this place, when it is the same one
		// (a page's batches come on a few channels): no string to make.
		var channel string
		if i := len(runs); i < cap(runs) && runs[:i+1][i].Channel == string(line) {
			channel = runs[:i+1][i].Channel
		} else {
			channel = string(line)
		}
		runs = append(runs, ws.RelayRun{Channel: channel, First: ids[0], Last: ids[1]})
	}
	return runs, len(runs) > 0
}
