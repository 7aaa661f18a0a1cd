package protocol

import (
	"bytes"
	"strings"
	"unsafe"
)

// Head is what ScanHeads reads of a message: its channel and id.
type Head struct {
	Channel, ID string
}

// headStart is how every message this package encodes starts.
const headStart = `{"type":"message","channel":"`

// ScanHeads appends the channel and id of every line of frame to heads
// when each line is a message as this package encodes it (Encode writes
// data last): {"type":"message","channel":"<c>","id":"<digits>", then
// anything up to a final '}', the channel without escapes. It reads
// nothing past the id: the timestamp and data are left to whoever parses
// the lines for their subscribers (realtime.js, with JSON.parse, which
// checks them as DecodeFrame would). It reports false when a line is
// anything else (blank, another type, another order of the fields), and
// the caller decodes the frame instead.
//
// A key that comes again later in the line (JSON allows it; this
// package's encoders never write one) would win in JSON.parse: a line
// with a second "id" is read here with its first. That is the sender's
// doing, as any id it chooses would be.
//
// Like DecodeFrame it takes frame over: the strings are views of it.
func ScanHeads(heads []Head, frame []byte) ([]Head, bool) {
	if len(frame) == 0 {
		return heads, false
	}
	s := unsafe.String(unsafe.SliceData(frame), len(frame))
	for len(s) > 0 {
		line := s
		if i := bytes.IndexByte(frame[len(frame)-len(s):], '\n'); i >= 0 {
			line, s = s[:i], s[i+1:]
			if len(s) == 0 {
				return heads, false // a blank last line
			}
		} else {
			s = ""
		}
		h, ok := scanHead(line)
		if !ok {
			return heads, false
		}
		heads = append(heads, h)
	}
	return heads, true
}

func scanHead(line string) (Head, bool) {
	if !strings.HasPrefix(line, headStart) || line[len(line)-1] != '}' {
		return Head{}, false
	}
	rest := line[len(headStart):]
	i := plainRun(rest, 0)
	if i == 0 || i >= len(rest) || rest[i] != '"' {
		return Head{}, false // empty, escaped, not ASCII, or cut
	}
	channel := rest[:i]
	rest = rest[i+1:]
	const idStart = `,"id":"`
	if !strings.HasPrefix(rest, idStart) {
		return Head{}, false
	}
	rest = rest[len(idStart):]
	i = 0
	for i < len(rest) && '0' <= rest[i] && rest[i] <= '9' {
		i++
	}
	if i == 0 || i+1 >= len(rest) || rest[i] != '"' || rest[i+1] != ',' && rest[i+1] != '}' {
		return Head{}, false
	}
	return Head{Channel: channel, ID: rest[:i]}, true
}
