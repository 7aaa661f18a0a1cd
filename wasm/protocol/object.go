package protocol

import (
	"slices"
	"strconv"
)

// DecodeObject is json.Unmarshal of a JSON object into a map[string]any
// (numbers as float64, arrays as []any), without encoding/json's
// reflection, for the common case: strings without escapes, numbers a
// float64 holds. It reports false on anything else, and the caller asks
// Unmarshal (or encoding/json), which decides; FuzzDecodeObject checks
// that it never accepts what encoding/json refuses and gives what it
// gives. A live feed decodes thousands of such items a second.
func DecodeObject(b []byte) (map[string]any, bool) {
	p := parser{b: b}
	p.space()
	if p.i >= len(p.b) || p.b[p.i] != '{' {
		return nil, false
	}
	m, ok := p.object(0)
	if !ok || !p.end() {
		return nil, false
	}
	return m, true
}

// object reads an object at p.i, whose first byte is '{'.
func (p *parser) object(depth int) (map[string]any, bool) {
	p.i++
	m := map[string]any{}
	p.space()
	if p.byte('}') {
		return m, true
	}
	for {
		s, e, ok := p.plainString()
		if !ok {
			return nil, false
		}
		key := string(p.b[s:e])
		p.space()
		if !p.byte(':') {
			return nil, false
		}
		p.space()
		v, ok := p.decodeAny(depth + 1)
		if !ok {
			return nil, false
		}
		m[key] = v // a key given twice: the last wins, as in encoding/json
		p.space()
		if p.byte('}') {
			return m, true
		}
		if !p.byte(',') {
			return nil, false
		}
		p.space()
	}
}

// decodeAny reads the value at p.i as encoding/json decodes it into an
// any.
func (p *parser) decodeAny(depth int) (any, bool) {
	if depth > maxDepth || p.i >= len(p.b) {
		return nil, false
	}
	switch c := p.b[p.i]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		p.i++
		list := []any{}
		p.space()
		if p.byte(']') {
			return list, true
		}
		for {
			v, ok := p.decodeAny(depth + 1)
			if !ok {
				return nil, false
			}
			list = append(list, v)
			p.space()
			if p.byte(']') {
				return list, true
			}
			if !p.byte(',') {
				return nil, false
			}
			p.space()
		}
	case c == '"':
		s, e, ok := p.plainString()
		return string(p.b[s:e]), ok
	case c == 't':
		return true, p.literal("true")
	case c == 'f':
		return false, p.literal("false")
	case c == 'n':
		return nil, p.literal("null")
	}
	start := p.i
	if !p.number() {
		return nil, false
	}
	if f, ok := shortDecimal(p.b[start:p.i]); ok {
		return f, true
	}
	f, err := strconv.ParseFloat(string(p.b[start:p.i]), 64)
	return f, err == nil // out of range: encoding/json's error
}

// pow10 are the powers of ten a float64 holds exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15}

// shortDecimal reads a valid JSON number of at most 15 digits and no
// exponent ("-12", "1234.56") as strconv.ParseFloat does, without its
// string: the digits and the power of ten are both exact in a float64, so
// one division rounds as ParseFloat would (Clinger's fast path). A live
// feed's items are mostly such numbers. It reports false for any other.
func shortDecimal(b []byte) (float64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	var n uint64
	digits, frac := 0, -1
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			n = n*10 + uint64(c-'0')
			digits++
			if frac >= 0 {
				frac++
			}
		case c == '.' && frac < 0:
			frac = 0
		default:
			return 0, false // an exponent
		}
	}
	if digits == 0 || digits > 15 {
		return 0, false
	}
	f := float64(n)
	if frac > 0 {
		f /= pow10[frac]
	}
	if neg {
		f = -f
	}
	return f, true
}

// DecodeValue is DecodeObject for any JSON value: an object, an array, a
// string, a number, true, false or null, as encoding/json decodes it into
// an any.
func DecodeValue(b []byte) (any, bool) {
	p := parser{b: b}
	p.space()
	v, ok := p.decodeAny(0)
	if !ok || !p.end() {
		return nil, false
	}
	return v, true
}

// ObjectFields calls field with each key of the JSON object b and its
// value as raw JSON, in order, and reports whether b is one whole, valid
// object whose keys are plain (no escapes, valid UTF-8) and field said
// true each time. A decoder by hand reads the fields it knows this way and
// leaves anything else to Unmarshal. key is a view of b.
//
// Its walk of the object is written out again, as in decodeFast,
// flatPlan.decode and object: one walk taking a closure per field made
// DecodeFrame and DecodeObject 20-30% slower under wasm.
func ObjectFields(b []byte, field func(key, value []byte) bool) bool {
	p := parser{b: b}
	p.space()
	if !p.byte('{') {
		return false
	}
	p.space()
	if p.byte('}') {
		return p.end()
	}
	for {
		s, e, ok := p.plainString()
		if !ok {
			return false
		}
		p.space()
		if !p.byte(':') {
			return false
		}
		p.space()
		start := p.i
		if !p.value(1) || !field(b[s:e], b[start:p.i]) {
			return false
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

// AppendObject appends m as json.Marshal writes it: keys sorted, strings
// quoted as AppendString quotes them, numbers as its float64 encoder
// writes them. It takes what DecodeObject makes (strings, float64s,
// bools, nils, and []any and map[string]any of those) and reports false
// on anything else, which the caller leaves to Marshal.
func AppendObject(b []byte, m map[string]any) ([]byte, bool) {
	return appendObject(b, m, 0)
}

func appendObject(b []byte, m map[string]any, depth int) ([]byte, bool) {
	if m == nil {
		return append(b, "null"...), true
	}
	if depth > maxDepth {
		return nil, false // a cycle, say: encoding/json reports it
	}
	var small [16]string
	keys := small[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendString(b, k)
		b = append(b, ':')
		var ok bool
		if b, ok = appendAny(b, m[k], depth+1); !ok {
			return nil, false
		}
	}
	return append(b, '}'), true
}

func appendAny(b []byte, v any, depth int) ([]byte, bool) {
	switch v := v.(type) {
	case string:
		return AppendString(b, v), true
	case float64:
		return appendFloat(b, v, 64)
	case bool:
		return strconv.AppendBool(b, v), true
	case nil:
		return append(b, "null"...), true
	case map[string]any:
		return appendObject(b, v, depth)
	case []any:
		if v == nil {
			return append(b, "null"...), true
		}
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			var ok bool
			if b, ok = appendAny(b, e, depth+1); !ok {
				return nil, false
			}
		}
		return append(b, ']'), true
	}
	return nil, false
}
