package protocol_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/matih-ai/realtime/wasm/protocol"
)

func TestScanHeadsReadsWhatEncodeWrites(t *testing.T) {
	var lines []string
	var want []protocol.Head
	for i, data := range []string{`{"v":1}`, `"a \"quoted\" }"`, `[1,{"id":"9"}]`, ``} {
		e := protocol.Envelope{Type: protocol.TypeMessage, Channel: "demo:a-b_c.d", ID: fmt.Sprint(100 + i), Timestamp: 1764240000000 + int64(i)}
		if data != "" {
			e.Data = json.RawMessage(data)
		}
		b, err := protocol.Encode(e)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, string(b))
		want = append(want, protocol.Head{Channel: e.Channel, ID: e.ID})
	}
	heads, ok := protocol.ScanHeads(nil, []byte(strings.Join(lines, "\n")))
	if !ok || fmt.Sprint(heads) != fmt.Sprint(want) {
		t.Fatalf("ScanHeads = %v, %v; want %v", heads, ok, want)
	}
	// It appends.
	heads, ok = protocol.ScanHeads(heads, []byte(lines[0]))
	if !ok || len(heads) != 5 || heads[4] != want[0] {
		t.Fatalf("appending: %v, %v", heads, ok)
	}
}

func TestScanHeadsRefusesAnythingElse(t *testing.T) {
	good := `{"type":"message","channel":"demo:a","id":"7","data":1}`
	for _, frame := range []string{
		"",
		good + "\n",
		good + "\n\n" + good,
		good + "\n" + `{"type":"ack","channel":"demo:a","ref":"r"}`,
		`{"type":"message","channel":"demo:a","data":1,"id":"7"}`,
		`{"type":"message","channel":"demo\u003aa","id":"7"}`,
		`{"type":"message","channel":"démo:a","id":"7"}`,
		`{"type":"message","channel":"","id":"7"}`,
		`{"type":"message","channel":"demo:a","id":"7x"}`,
		`{"type":"message","channel":"demo:a","id":""}`,
		`{"type":"message","channel":"demo:a","id":"7"`,
		`{"type":"message","channel":"demo:a","id":"7"} `,
		` {"type":"message","channel":"demo:a","id":"7"}`,
		`{"type":"message","channel":"demo:a"`,
		`{"type":"message","channel":"demo:a","id":"7`,
	} {
		if heads, ok := protocol.ScanHeads(nil, []byte(frame)); ok {
			t.Errorf("ScanHeads(%q) = %v, true; want false", frame, heads)
		}
	}
}

// Whatever ScanHeads accepts that is JSON, JSON.parse reads the same
// type, channel and id from (but for a key written twice: see ScanHeads).
func FuzzScanHeads(f *testing.F) {
	f.Add([]byte(`{"type":"message","channel":"demo:a","id":"7","timestamp":1,"data":{"x":"}"}}` + "\n" + `{"type":"message","channel":"b:c","id":"8"}`))
	f.Add([]byte(`{"type":"message","channel":"demo:a","id":"7","data":1}`))
	f.Fuzz(func(t *testing.T, frame []byte) {
		heads, ok := protocol.ScanHeads(nil, append([]byte(nil), frame...))
		if !ok {
			return
		}
		lines := bytes.Split(frame, []byte("\n"))
		if len(lines) != len(heads) {
			t.Fatalf("%d heads of %d lines", len(heads), len(lines))
		}
		for i, line := range lines {
			typ, channel, id, repeated, ok := parseHead(line)
			if !ok || repeated {
				continue // JSON.parse refuses it (realtime.js reports it), or see ScanHeads
			}
			if typ != protocol.TypeMessage || channel != heads[i].Channel || id != heads[i].ID {
				t.Fatalf("line %d: head %+v, JSON.parse would read %q %q %q", i, heads[i], typ, channel, id)
			}
		}
	})
}

// parseHead reads line as JSON.parse would (keys matched exactly) and
// returns its type, channel and id, and whether one of them came twice.
func parseHead(line []byte) (typ, channel, id string, repeated, ok bool) {
	if !json.Valid(line) {
		return "", "", "", false, false
	}
	d := json.NewDecoder(bytes.NewReader(line))
	if tok, err := d.Token(); err != nil || tok != json.Delim('{') {
		return "", "", "", false, false
	}
	seen := map[string]bool{}
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			return "", "", "", false, false
		}
		key, _ := tok.(string)
		var value json.RawMessage
		if err := d.Decode(&value); err != nil {
			return "", "", "", false, false
		}
		var text string
		_ = json.Unmarshal(value, &text)
		switch key {
		case "type":
			typ = text
		case "channel":
			channel = text
		case "id":
			id = text
		default:
			continue
		}
		repeated = repeated || seen[key]
		seen[key] = true
	}
	return typ, channel, id, repeated, true
}
