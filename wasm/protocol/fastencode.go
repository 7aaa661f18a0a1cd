package protocol

import (
	"strconv"
	"unicode/utf8"
)

// encodeFast writes e as encoding/json would (same fields, same omitted
// zero values) without reflection. It reports false when e.Data is not
// compact, valid JSON free of what encoding/json escapes (<, >, &, U+2028,
// U+2029), and the caller falls back on Marshal, which validates, compacts
// and escapes it as encoding/json does.
func encodeFast(e Envelope) ([]byte, bool) {
	if len(e.Data) > 0 && !validData(e.Data) {
		return nil, false
	}
	return encodeEnvelope(e), true
}

// validData reports whether data is what encodeFast writes as it is.
func validData(data []byte) bool {
	p := parser{b: data}
	p.space()
	return p.value(0) && !p.spaced && p.i == len(data) && !needsEscape(data)
}

// encodeEnvelope writes e, its data as it is.
func encodeEnvelope(e Envelope) []byte {
	b := make([]byte, 0, 64+len(e.Type)+len(e.Channel)+len(e.Data)+len(e.ID)+len(e.Ref))
	b = append(b, `{"type":`...)
	b = AppendString(b, e.Type)
	if e.Channel != "" {
		b = append(b, `,"channel":`...)
		b = AppendString(b, e.Channel)
	}
	if e.ID != "" {
		b = append(b, `,"id":`...)
		b = AppendString(b, e.ID)
	}
	if e.Ref != "" {
		b = append(b, `,"ref":`...)
		b = AppendString(b, e.Ref)
	}
	if e.Timestamp != 0 {
		b = append(b, `,"timestamp":`...)
		b = strconv.AppendInt(b, e.Timestamp, 10)
	}
	if len(e.Data) > 0 {
		b = append(b, `,"data":`...)
		b = append(b, e.Data...)
	}
	return append(b, '}')
}

// needsEscape reports bytes encoding/json would escape in raw data.
func needsEscape(b []byte) bool {
	for i := 0; i < len(b); i++ {
		for ; i+8 <= len(b); i += 8 {
			x := word(b, i)
			if (has(x, '<')|has(x, '>')|has(x, '&')|has(x, 0xE2))&msb != 0 {
				break
			}
		}
		if i >= len(b) {
			break
		}
		switch c := b[i]; {
		case c == '<' || c == '>' || c == '&':
			return true
		case c == 0xE2 && i+2 < len(b) && b[i+1] == 0x80 && (b[i+2] == 0xA8 || b[i+2] == 0xA9):
			return true
		}
	}
	return false
}

const hexDigits = "0123456789abcdef"

// AppendString appends s quoted as encoding/json quotes it: control
// characters, the HTML-sensitive <, > and &, and U+2028/U+2029 escaped,
// invalid UTF-8 replaced by U+FFFD.
func AppendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if safe[c] {
				i = safeRun(s, i+1)
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
