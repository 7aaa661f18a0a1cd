package jsbridge

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/matih-ai/realtime/wasm/protocol"
)

// ErrConfig is wrapped by every error about a configuration or an options
// object that the bridge finds itself; the runtime's own validation
// wraps ws.ErrConfig or sse.ErrConfig.
var ErrConfig = errors.New("realtime: invalid config")

// fields reads a JavaScript object sent as JSON, one typed field at a time,
// so that a wrong field gets a message naming it in JavaScript's terms.
// A field that is null or missing is absent. The first problem is kept;
// done reports it, or a field that nobody read (a typo).
type fields struct {
	what string // "config", "meta", ...
	m    map[string]json.RawMessage
	read map[string]bool
	err  error
}

// readFields parses raw, which must be a JSON object (or empty: none).
func readFields(what string, raw []byte) *fields {
	f := &fields{what: what, m: map[string]json.RawMessage{}, read: map[string]bool{}}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return f
	}
	if raw[0] != '{' || protocol.Unmarshal(raw, &f.m) != nil {
		f.err = fmt.Errorf("%w: %s must be an object", ErrConfig, what)
	}
	return f
}

func (f *fields) fail(name, format string, args ...any) {
	if f.err == nil {
		f.err = fmt.Errorf("%w: %s.%s %s", ErrConfig, f.what, name, fmt.Sprintf(format, args...))
	}
}

// get returns the raw value of name, or false when it is absent.
func (f *fields) get(name string) (json.RawMessage, bool) {
	f.read[name] = true
	v, ok := f.m[name]
	if !ok || string(v) == "null" {
		return nil, false
	}
	return v, true
}

func (f *fields) str(name string) (string, bool) {
	raw, ok := f.get(name)
	if !ok {
		return "", false
	}
	var s string
	if protocol.Unmarshal(raw, &s) != nil {
		f.fail(name, "must be a string, not %s", raw)
		return "", false
	}
	return s, true
}

func (f *fields) boolean(name string) (bool, bool) {
	raw, ok := f.get(name)
	if !ok {
		return false, false
	}
	var b bool
	if protocol.Unmarshal(raw, &b) != nil {
		f.fail(name, "must be true or false, not %s", raw)
		return false, false
	}
	return b, true
}

// num reads a number. realtime.js sends the numbers JSON cannot hold as the
// strings "Infinity", "-Infinity" and "NaN".
func (f *fields) num(name string) (float64, bool) {
	raw, ok := f.get(name)
	if !ok {
		return 0, false
	}
	var n float64
	if protocol.Unmarshal(raw, &n) == nil {
		return n, true
	}
	switch string(raw) {
	case `"Infinity"`:
		return math.Inf(1), true
	case `"-Infinity"`:
		return math.Inf(-1), true
	}
	f.fail(name, "must be a number, not %s", raw)
	return 0, false
}

// integer reads a whole number; Infinity reads as inf when inf is not 0.
func (f *fields) integer(name string, inf int) (int, bool) {
	n, ok := f.num(name)
	switch {
	case !ok:
		return 0, false
	case math.IsInf(n, 1) && inf != 0:
		return inf, true
	case n != math.Trunc(n) || math.Abs(n) > 1<<31:
		f.fail(name, "must be a whole number, not %v", n)
		return 0, false
	}
	return int(n), true
}

// maxMillis bounds a duration: a year is more than any delay means.
const maxMillis = 365 * 24 * 3600 * 1000

// millis reads a duration in milliseconds that must be above 0, or at
// least 0 when zero is allowed.
func (f *fields) millis(name string, zero bool) (time.Duration, bool) {
	n, ok := f.num(name)
	switch {
	case !ok:
		return 0, false
	case math.IsNaN(n) || n > maxMillis:
		f.fail(name, "must be a number of milliseconds up to a year, not %v", n)
		return 0, false
	case zero && n < 0:
		f.fail(name, "must be 0 or more milliseconds, not %v", n)
		return 0, false
	case !zero && n <= 0:
		f.fail(name, "must be more than 0 milliseconds, not %v", n)
		return 0, false
	}
	return time.Duration(n * float64(time.Millisecond)), true
}

// millisOrOff reads a duration in milliseconds where 0 means off, which
// the runtime's configs spell -1.
func (f *fields) millisOrOff(name string) (time.Duration, bool) {
	d, ok := f.millis(name, true)
	if ok && d == 0 {
		d = -1
	}
	return d, ok
}

// multiplier reads a finite factor of 1 or more.
func (f *fields) multiplier(name string) (float64, bool) {
	m, ok := f.num(name)
	if ok && (!(m >= 1) || math.IsInf(m, 1)) {
		f.fail(name, "must be a number of 1 or more, not %v", m)
		return 0, false
	}
	return m, ok
}

func (f *fields) strings(name string) ([]string, bool) {
	raw, ok := f.get(name)
	if !ok {
		return nil, false
	}
	var s []string
	if protocol.Unmarshal(raw, &s) != nil {
		f.fail(name, "must be an array of strings, not %s", raw)
		return nil, false
	}
	return s, true
}

func (f *fields) stringMap(name string) (map[string]string, bool) {
	raw, ok := f.get(name)
	if !ok {
		return nil, false
	}
	var m map[string]string
	if protocol.Unmarshal(raw, &m) != nil {
		f.fail(name, "must be an object of strings, not %s", raw)
		return nil, false
	}
	return m, true
}

// object reads a JSON object as a map.
func (f *fields) object(name string) (map[string]any, bool) {
	raw, ok := f.get(name)
	if !ok {
		return nil, false
	}
	var m map[string]any
	if protocol.Unmarshal(raw, &m) != nil {
		f.fail(name, "must be an object, not %s", raw)
		return nil, false
	}
	return m, true
}

// oneOf reads a string that must be one of allowed.
func (f *fields) oneOf(name string, allowed ...string) (string, bool) {
	s, ok := f.str(name)
	if ok && !slices.Contains(allowed, s) {
		f.fail(name, "must be one of %s, not %q", strings.Join(allowed, ", "), s)
		return "", false
	}
	return s, ok
}

// done reports the first problem, or a field that was never read.
func (f *fields) done() error {
	if f.err != nil {
		return f.err
	}
	var unknown []string
	for name := range f.m {
		if !f.read[name] {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return fmt.Errorf("%w: %s has unknown field %s", ErrConfig, f.what, strings.Join(unknown, ", "))
	}
	return nil
}
