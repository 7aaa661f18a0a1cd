package protocol

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// decodeFast parses the common shape of an envelope without reflection:
// an object whose known fields hold plain strings (no escapes), an integer
// timestamp and any valid data. It reports false on anything else
// (escapes, other types, case variants of the field names, syntax errors,
// trailing bytes), and the caller falls back on Unmarshal, which decides
// as encoding/json does. So it never accepts what encoding/json would
// refuse, and gives the same envelope when it accepts; FuzzFastDecode
// checks both.
//
// With view, s holds the bytes of b (DecodeFrame's frame, which it owns):
// the strings are substrings of s and Data a subslice of b, so nothing is
// allocated. Without, they are copies, as Decode's caller may reuse b.
//
// encoding/json costs about 6 us a small envelope in the browser (it
// reflects); this costs a fraction of that.
//
// It fills *e, which the caller has zeroed, in place: an envelope is big
// enough that copies of it show under wasm. On false, *e is partly set.
func decodeFast(e *Envelope, b []byte, s string, view bool) bool {
	if decodeMessage(e, b, s, view) {
		return true
	}
	*e = Envelope{}
	p := parser{b: b}
	text := func(start, end int) string {
		if view {
			return s[start:end]
		}
		return string(b[start:end])
	}
	p.space()
	if !p.byte('{') {
		return false
	}
	p.space()
	if p.byte('}') {
		return p.end()
	}
	for {
		ks, ke, ok := p.plainString()
		if !ok {
			return false
		}
		key := b[ks:ke]
		p.space()
		if !p.byte(':') {
			return false
		}
		p.space()
		switch string(key) {
		case "type", "channel", "id", "ref":
			vs, ve, ok := p.plainString()
			if !ok {
				return false
			}
			switch key[0] {
			case 't':
				if e.Type = knownType(b[vs:ve]); e.Type == "" {
					e.Type = text(vs, ve)
				}
			case 'c':
				e.Channel = text(vs, ve)
			case 'i':
				e.ID = text(vs, ve)
			default:
				e.Ref = text(vs, ve)
			}
		case "timestamp":
			n, ok := p.int64()
			if !ok {
				return false // a fraction, an exponent, out of range, or not a number
			}
			e.Timestamp = n
		case "data":
			start := p.i
			if !p.value(0) {
				return false
			}
			// encoding/json keeps a null as the bytes "null" in a RawMessage.
			if view {
				// Capped, so that an append to Data cannot write over
				// the rest of the frame.
				e.Data = b[start:p.i:p.i]
			} else {
				e.Data = append(json.RawMessage(nil), b[start:p.i]...)
			}
		default:
			if foldsToField(key) {
				return false // encoding/json matches field names case-insensitively
			}
			if !p.value(0) {
				return false
			}
		}
		p.space()
		if p.byte('}') {
			return p.end()
		}
		if !p.byte(',') {
			return false
		}
		p.space()
	}
}

// decodeMessage is decodeFast for a message as this package's encoders
// write it (see ScanHeads), which is what a client receives all day:
// {"type":"message","channel":<c>,"id":<id>[,"timestamp":<n>][,"data":<v>]}
// in that order, without spaces. The fields are checked in place rather
// than each key read and looked up: under wasm a burst's frame decoded in
// 55-75% of the time (BenchmarkDecodeFrame). It reports false for
// anything else, having set some of *e, and decodeFast's loop reads the
// line; when it reports true *e is what that loop makes of it.
func decodeMessage(e *Envelope, b []byte, s string, view bool) bool {
	p := parser{b: b}
	if !p.literal(`{"type":"message","channel":`) {
		return false
	}
	cs, ce, ok := p.plainString()
	if !ok || !p.literal(`,"id":`) {
		return false
	}
	is, ie, ok := p.plainString()
	if !ok {
		return false
	}
	if p.literal(`,"timestamp":`) {
		if e.Timestamp, ok = p.int64(); !ok {
			return false
		}
	}
	if p.literal(`,"data":`) {
		start := p.i
		if !p.value(0) {
			return false
		}
		if view {
			e.Data = b[start:p.i:p.i] // capped, as decodeFast's
		} else {
			e.Data = append(json.RawMessage(nil), b[start:p.i]...)
		}
	}
	if !p.byte('}') || !p.end() {
		return false
	}
	e.Type = TypeMessage
	if view {
		e.Channel, e.ID = s[cs:ce], s[is:ie]
	} else {
		e.Channel, e.ID = string(b[cs:ce]), string(b[is:ie])
	}
	return true
}

// knownType returns the constant of a core type, so that no string is
// made for it nor a frame kept alive by it, or "" for another type.
func knownType(v []byte) string {
	switch string(v) {
	case TypeMessage:
		return TypeMessage
	case TypeAck:
		return TypeAck
	case TypePong:
		return TypePong
	case TypePing:
		return TypePing
	case TypeError:
		return TypeError
	case TypePublish:
		return TypePublish
	case TypeSubscribe:
		return TypeSubscribe
	case TypeUnsubscribe:
		return TypeUnsubscribe
	}
	return ""
}

// int64 reads an integer where number and strconv.ParseInt(text, 10, 64)
// together would accept one, in one pass and without a string.
func (p *parser) int64() (int64, bool) {
	b, i := p.b, p.i
	neg := i < len(b) && b[i] == '-'
	if neg {
		i++
	}
	start := i
	var n uint64
	for ; i < len(b); i++ {
		d := b[i] - '0'
		if d > 9 {
			break
		}
		n = n*10 + uint64(d) // 19 digits cannot wrap: see below
	}
	digits := i - start
	switch {
	case digits == 0, digits > 1 && b[start] == '0', digits > 19:
		return 0, false // not JSON, or out of range
	case i < len(b) && (b[i] == '.' || b[i] == 'e' || b[i] == 'E'):
		return 0, false
	case neg && n > 1<<63, !neg && n > 1<<63-1:
		return 0, false
	}
	p.i = i
	if neg {
		return -int64(n), true // -(1<<63) wraps to itself, the minimum
	}
	return int64(n), true
}

var fieldNames = [][]byte{[]byte("type"), []byte("channel"), []byte("id"), []byte("ref"), []byte("timestamp"), []byte("data")}

func foldsToField(key []byte) bool {
	for _, f := range fieldNames {
		if bytes.EqualFold(key, f) {
			return true
		}
	}
	// encoding/json also folds the Kelvin sign and the long s.
	return bytes.ContainsAny(key, "\u212a\u017f")
}

// parser is a strict JSON scanner over one value.
type parser struct {
	b []byte
	i int
	// spaced records that whitespace stood between tokens: such data is
	// not compact.
	spaced bool
}

// maxDepth bounds nesting in data: deeper input goes to Unmarshal, which
// has encoding/json's limit.
const maxDepth = 1000

func (p *parser) space() {
	for p.i < len(p.b) && isWhite[p.b[p.i]] {
		p.i++
		p.spaced = true
	}
}

// isWhite marks JSON's whitespace. A lookup, not a switch: fewer branches,
// which cost under wasm.
var isWhite = [256]bool{' ': true, '\t': true, '\n': true, '\r': true}

func (p *parser) byte(c byte) bool {
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *parser) end() bool {
	p.space()
	return p.i == len(p.b)
}

// plainString reads a string without escapes, in valid UTF-8, and returns
// where its bytes start and end.
func (p *parser) plainString() (start, end int, ok bool) {
	// Locals, not p's fields, in the loop: the wasm backend keeps fields
	// in memory. And a lookup, not bytes.IndexByte: 15% faster under wasm
	// for short strings.
	b, i := p.b, p.i
	if i >= len(b) || b[i] != '"' {
		return 0, 0, false
	}
	i++
	start = i
	i = plainRun(b, i)
	if i < len(b) && b[i] == '"' { // the usual: ASCII only
		p.i = i + 1
		return start, i, true
	}
	for ; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			p.i = i + 1
			if !utf8.Valid(b[start:i]) {
				return 0, 0, false // encoding/json would replace bytes
			}
			return start, i, true
		case c == '\\' || c < 0x20:
			return 0, 0, false
		}
	}
	return 0, 0, false
}

// plain marks the bytes that stand for themselves in a JSON string and
// are ASCII.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// str skips any valid string, escapes included.
func (p *parser) str() bool {
	b, i := p.b, p.i
	if i >= len(b) || b[i] != '"' {
		return false
	}
	i++
	for {
		i = stringRun(b, i)
		if i >= len(b) {
			return false
		}
		switch b[i] {
		case '"':
			p.i = i + 1
			return true
		case '\\':
			i++
			if i >= len(b) {
				return false
			}
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i++
			case 'u':
				if i+4 >= len(b) {
					return false
				}
				for _, h := range b[i+1 : i+5] {
					if !isHex(h) {
						return false
					}
				}
				i += 5
			default:
				return false
			}
		default: // a control character
			return false
		}
	}
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// number skips a number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (p *parser) number() bool {
	b, i := p.b, p.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i = skipDigits(b, i)
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		if j := skipDigits(b, i+1); j > i+1 {
			i = j
		} else {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if j := skipDigits(b, i); j > i {
			i = j
		} else {
			return false
		}
	}
	p.i = i
	return true
}

// skipDigits returns the index of the first byte from i on that is not a
// digit.
func skipDigits(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}

func (p *parser) literal(word string) bool {
	if bytes.HasPrefix(p.b[p.i:], []byte(word)) {
		p.i += len(word)
		return true
	}
	return false
}

// value skips any JSON value.
func (p *parser) value(depth int) bool {
	if depth > maxDepth || p.i >= len(p.b) {
		return false
	}
	switch c := p.b[p.i]; {
	case c == '"':
		return p.str()
	case c == '{':
		p.i++
		p.space()
		if p.byte('}') {
			return true
		}
		for {
			if !p.str() {
				return false
			}
			p.space()
			if !p.byte(':') {
				return false
			}
			p.space()
			if !p.value(depth + 1) {
				return false
			}
			p.space()
			if p.byte('}') {
				return true
			}
			if !p.byte(',') {
				return false
			}
			p.space()
		}
	case c == '[':
		p.i++
		p.space()
		if p.byte(']') {
			return true
		}
		for {
			if !p.value(depth + 1) {
				return false
			}
			p.space()
			if p.byte(']') {
				return true
			}
			if !p.byte(',') {
				return false
			}
			p.space()
		}
	case c == 't':
		return p.literal("true")
	case c == 'f':
		return p.literal("false")
	case c == 'n':
		return p.literal("null")
	default:
		return p.number()
	}
}
