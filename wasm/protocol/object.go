package protocol

import "strconv"

// DecodeObject is json.Unmarshal of a JSON object into a map[string]any
// (numbers as float64, arrays as []any), without encoding/json's
// reflection, for the common case: strings without escapes, numbers a
// float64 holds. It reports false on anything else, and the caller asks
// encoding/json, which decides; FuzzDecodeObject checks that it never
// accepts what encoding/json refuses and gives what it gives. A live feed
// decodes thousands of such items a second.
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
	f, err := strconv.ParseFloat(string(p.b[start:p.i]), 64)
	return f, err == nil // out of range: encoding/json's error
}
