package protocol

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// decodeFast parses the common shape of an envelope without reflection:
// an object whose known fields hold plain strings (no escapes), an integer
// timestamp and any valid data. It reports false on anything else
// (escapes, other types, case variants of the field names, syntax errors,
// trailing bytes), and the caller falls back on encoding/json, which
// decides. So it never accepts what encoding/json would refuse, and gives
// the same envelope when it accepts; FuzzFastDecode checks both.
//
// encoding/json costs about 6 us a small envelope in the browser (it
// reflects); this costs a fraction of that.
func decodeFast(b []byte) (Envelope, bool) {
	var e Envelope
	p := parser{b: b}
	p.space()
	if !p.byte('{') {
		return e, false
	}
	p.space()
	if p.byte('}') {
		return e, p.end()
	}
	for {
		key, ok := p.plainString()
		if !ok {
			return e, false
		}
		p.space()
		if !p.byte(':') {
			return e, false
		}
		p.space()
		switch string(key) {
		case "type":
			v, ok := p.plainString()
			if !ok {
				return e, false
			}
			e.Type = string(v)
		case "channel":
			v, ok := p.plainString()
			if !ok {
				return e, false
			}
			e.Channel = string(v)
		case "id":
			v, ok := p.plainString()
			if !ok {
				return e, false
			}
			e.ID = string(v)
		case "ref":
			v, ok := p.plainString()
			if !ok {
				return e, false
			}
			e.Ref = string(v)
		case "timestamp":
			start := p.i
			if !p.number() {
				return e, false
			}
			n, err := strconv.ParseInt(string(b[start:p.i]), 10, 64)
			if err != nil {
				return e, false // a fraction, an exponent, or out of range
			}
			e.Timestamp = n
		case "data":
			start := p.i
			if !p.value(0) {
				return e, false
			}
			// encoding/json keeps a null as the bytes "null" in a RawMessage.
			e.Data = append(json.RawMessage(nil), b[start:p.i]...)
		default:
			if foldsToField(key) {
				return e, false // encoding/json matches field names case-insensitively
			}
			if !p.value(0) {
				return e, false
			}
		}
		p.space()
		if p.byte('}') {
			return e, p.end()
		}
		if !p.byte(',') {
			return e, false
		}
		p.space()
	}
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

// maxDepth bounds nesting in data: deeper input goes to encoding/json,
// which has its own limit.
const maxDepth = 1000

func (p *parser) space() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
			p.spaced = true
		default:
			return
		}
	}
}

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
// its bytes.
func (p *parser) plainString() ([]byte, bool) {
	if !p.byte('"') {
		return nil, false
	}
	start := p.i
	ascii := true
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			s := p.b[start:p.i]
			p.i++
			if !ascii && !utf8.Valid(s) {
				return nil, false // encoding/json would replace bytes
			}
			return s, true
		case c == '\\' || c < 0x20:
			return nil, false
		case c >= 0x80:
			ascii = false
		}
		p.i++
	}
	return nil, false
}

// str skips any valid string, escapes included.
func (p *parser) str() bool {
	if !p.byte('"') {
		return false
	}
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			p.i++
			return true
		case c < 0x20:
			return false
		case c == '\\':
			p.i++
			if p.i >= len(p.b) {
				return false
			}
			switch p.b[p.i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				p.i++
			case 'u':
				if p.i+4 >= len(p.b) {
					return false
				}
				for _, h := range p.b[p.i+1 : p.i+5] {
					if !isHex(h) {
						return false
					}
				}
				p.i += 5
			default:
				return false
			}
		default:
			p.i++
		}
	}
	return false
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// number skips a number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (p *parser) number() bool {
	p.byte('-')
	switch {
	case p.byte('0'):
	case p.i < len(p.b) && p.b[p.i] >= '1' && p.b[p.i] <= '9':
		p.digits()
	default:
		return false
	}
	if p.byte('.') && !p.digits() {
		return false
	}
	if p.i < len(p.b) && (p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		p.i++
		if !p.byte('+') {
			p.byte('-')
		}
		if !p.digits() {
			return false
		}
	}
	return true
}

func (p *parser) digits() bool {
	start := p.i
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		p.i++
	}
	return p.i > start
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
