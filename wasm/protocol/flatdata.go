package protocol

import (
	"encoding"
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"
)

// The data of most messages is a flat struct: a few fields of strings,
// numbers and booleans. encoding/json reflects on every call, and under
// wasm that costs more than the rest of a message's way: some 15 µs to
// decode a 100-byte object in node, twice that in a page's round trip.
// A flat struct's fields are looked up once (flatPlan) and its data then
// read and written without that. Anything else, and any input the fast
// way is unsure of, goes to encoding/json, which decides: the results are
// encoding/json's (FuzzFlatDecode and FuzzFlatEncode check it).

// flatData is planOf once UseFlatData was called; nil before.
var flatData func(reflect.Type) *flatPlan

// UseFlatData makes DecodeData and EncodeData (and so ws.Client's
// Publish) read and write flat structs without encoding/json's reflection
// per call. The results do not change, only the time. It must be called
// before they are, from an init function or main: the go-app components
// call it. Left uncalled, its code is not linked in: realtime.wasm, whose
// data is decoded by JavaScript, does not carry it (its size has a limit).
func UseFlatData() { flatData = planOf }

// flatField is a field that encoding/json reads and writes.
type flatField struct {
	name   string // its JSON name
	index  int
	offset uintptr // in the struct, for decode
	kind   reflect.Kind
	omit   bool // omitempty or omitzero: left out when zero
}

// flatPlan lists the fields of a flat struct type; nil for other types.
type flatPlan struct{ fields []flatField }

// flatPlans holds the plans made, read without a lock: a sync.Map's
// lookup hashes its key, which under wasm cost more than decoding a small
// message. A program has few data types; past maxFlatPlans they are
// planned on each call.
var (
	flatPlans   atomic.Pointer[[]flatEntry]
	flatPlansMu sync.Mutex
)

const maxFlatPlans = 256

type flatEntry struct {
	t reflect.Type
	p *flatPlan
}

func planOf(t reflect.Type) *flatPlan {
	if p, ok := findPlan(t); ok {
		return p
	}
	flatPlansMu.Lock()
	defer flatPlansMu.Unlock()
	if p, ok := findPlan(t); ok {
		return p
	}
	p := newFlatPlan(t)
	var plans []flatEntry
	if old := flatPlans.Load(); old != nil {
		plans = *old
	}
	if len(plans) < maxFlatPlans {
		plans = append(plans[:len(plans):len(plans)], flatEntry{t, p})
		flatPlans.Store(&plans)
	}
	return p
}

func findPlan(t reflect.Type) (*flatPlan, bool) {
	if plans := flatPlans.Load(); plans != nil {
		for _, e := range *plans {
			if e.t == t {
				return e.p, true
			}
		}
	}
	return nil, false
}

var (
	jsonNumber = reflect.TypeFor[json.Number]()
	// Types with these methods choose their own JSON.
	customJSON = []reflect.Type{
		reflect.TypeFor[json.Marshaler](), reflect.TypeFor[json.Unmarshaler](),
		reflect.TypeFor[encoding.TextMarshaler](), reflect.TypeFor[encoding.TextUnmarshaler](),
		reflect.TypeFor[interface{ IsZero() bool }](), // omitzero asks it
	}
)

func custom(t reflect.Type) bool {
	for _, i := range customJSON {
		if t.Implements(i) || reflect.PointerTo(t).Implements(i) {
			return true
		}
	}
	return false
}

// newFlatPlan returns t's plan when t is a struct of which encoding/json
// sees only fields of basic kinds, none embedded, with plain names that
// no two share even with case folded, and no ",string" option; else nil.
func newFlatPlan(t reflect.Type) *flatPlan {
	if t.Kind() != reflect.Struct || custom(t) {
		return nil
	}
	p := &flatPlan{}
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous {
			return nil // embedding has rules of its own
		}
		tag := f.Tag.Get("json")
		if !f.IsExported() || tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		if !plainName(name) || f.Type == jsonNumber || custom(f.Type) {
			return nil
		}
		field := flatField{name: name, index: i, offset: f.Offset, kind: f.Type.Kind()}
		for opts != "" {
			var opt string
			opt, opts, _ = strings.Cut(opts, ",")
			switch opt {
			case "omitempty", "omitzero": // the same for basic kinds
				field.omit = true
			case "string":
				return nil
			}
		}
		if (field.kind == reflect.Int || field.kind == reflect.Uint) && f.Type.Size() != 8 {
			return nil // store writes them as 64 bits
		}
		switch field.kind {
		case reflect.String, reflect.Bool,
			reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
			reflect.Float32, reflect.Float64:
		default:
			return nil
		}
		for _, g := range p.fields {
			if strings.EqualFold(g.name, name) {
				return nil // encoding/json's rules for clashes
			}
		}
		p.fields = append(p.fields, field)
	}
	return p
}

// plainName reports a name of ASCII letters, digits, '_' and '-': one
// that encoding/json takes from a tag as it is and writes unescaped.
func plainName(s string) bool {
	for i := range len(s) {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return s != ""
}

// field returns the field a key names, or nil: encoding/json matches
// names exactly or, failing that, as bytes.EqualFold does (the Kelvin sign
// to k); the fields' folded names are distinct.
func (p *flatPlan) field(key []byte) *flatField {
	for i := range p.fields {
		if p.fields[i].name == string(key) {
			return &p.fields[i]
		}
	}
	for i := range p.fields {
		if strings.EqualFold(p.fields[i].name, string(key)) {
			return &p.fields[i]
		}
	}
	return nil
}

// decode reads b into the struct of plan p at v as json.Unmarshal would,
// and reports true; or it reports false, having perhaps set some fields,
// and the caller starts over with encoding/json. It writes the fields
// through their offsets: a reflect.Value of the struct would move it to
// the heap, an allocation for each message.
func (p *flatPlan) decode(v unsafe.Pointer, b []byte) bool {
	r := parser{b: b}
	r.space()
	if !r.byte('{') {
		return false
	}
	r.space()
	if r.byte('}') {
		return r.end()
	}
	for {
		ks, ke, ok := r.plainString()
		if !ok {
			return false
		}
		f := p.field(b[ks:ke])
		r.space()
		if !r.byte(':') {
			return false
		}
		r.space()
		switch {
		case f == nil: // encoding/json skips a key it does not know
			if !r.value(0) {
				return false
			}
		case r.literal("null"): // leaves a field of a basic kind as it is
		default:
			if !r.store(unsafe.Add(v, f.offset), f.kind) {
				return false
			}
		}
		r.space()
		if r.byte('}') {
			return r.end()
		}
		if !r.byte(',') {
			return false
		}
		r.space()
	}
}

// store reads a value of kind into the field at v; false where
// encoding/json would fail or convert (escapes in a string, a fraction for
// an integer, a number out of the field's range).
func (p *parser) store(v unsafe.Pointer, kind reflect.Kind) bool {
	switch kind {
	case reflect.String:
		s, e, ok := p.plainString()
		if ok {
			*(*string)(v) = string(p.b[s:e])
		}
		return ok
	case reflect.Bool:
		switch {
		case p.literal("true"):
			*(*bool)(v) = true
		case p.literal("false"):
			*(*bool)(v) = false
		default:
			return false
		}
		return true
	case reflect.Float32, reflect.Float64:
		start := p.i
		if !p.number() {
			return false
		}
		bits := 64
		if kind == reflect.Float32 {
			bits = 32
		}
		// For 32 bits, ParseFloat fails on what float32 cannot hold.
		f, err := strconv.ParseFloat(string(p.b[start:p.i]), bits)
		if err != nil {
			return false
		}
		if kind == reflect.Float32 {
			*(*float32)(v) = float32(f)
		} else {
			*(*float64)(v) = f
		}
		return true
	}
	unsigned := kind >= reflect.Uint && kind <= reflect.Uint64
	if unsigned && p.i < len(p.b) && p.b[p.i] == '-' {
		return false // strconv.ParseUint refuses a sign, even on 0
	}
	n, ok := p.int64()
	if !ok {
		return false
	}
	switch kind {
	case reflect.Int, reflect.Int64: // int is 64 bits here (newFlatPlan)
		return put[int64](v, n)
	case reflect.Int32:
		return put[int32](v, n)
	case reflect.Int16:
		return put[int16](v, n)
	case reflect.Int8:
		return put[int8](v, n)
	case reflect.Uint, reflect.Uint64:
		return put[uint64](v, n)
	case reflect.Uint32:
		return put[uint32](v, n)
	case reflect.Uint16:
		return put[uint16](v, n)
	}
	return put[uint8](v, n)
}

// put writes n as a T at v and reports whether T holds it (out of range,
// the caller starts over anyway).
func put[T int8 | int16 | int32 | int64 | uint8 | uint16 | uint32 | uint64](v unsafe.Pointer, n int64) bool {
	*(*T)(v) = T(n)
	return int64(T(n)) == n
}

// encode appends the struct of plan p at v as json.Marshal writes it;
// false for a float that is not finite (json.Marshal's error). It reads
// the fields through their offsets, as decode writes them: a
// reflect.Value per field cost an echo more than the rest of its encoding.
func (p *flatPlan) encode(b []byte, v unsafe.Pointer) ([]byte, bool) {
	b = append(b, '{')
	first := true
	for i := range p.fields {
		f := &p.fields[i]
		at := unsafe.Add(v, f.offset)
		if f.omit && zeroAt(at, f.kind) {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, '"')
		b = append(b, f.name...)
		b = append(b, '"', ':')
		switch f.kind {
		case reflect.String:
			b = AppendString(b, *(*string)(at))
		case reflect.Bool:
			b = strconv.AppendBool(b, *(*bool)(at))
		case reflect.Float32, reflect.Float64:
			var ok bool
			if b, ok = appendFloatAt(b, at, f.kind); !ok {
				return nil, false
			}
		default:
			if n, signed := intAt(at, f.kind); signed {
				b = strconv.AppendInt(b, int64(n), 10)
			} else {
				b = strconv.AppendUint(b, n, 10)
			}
		}
	}
	return append(b, '}'), true
}

// intAt reads the integer of kind at v: its bits, and whether it is
// signed (then int64 of the bits is its value).
func intAt(v unsafe.Pointer, kind reflect.Kind) (n uint64, signed bool) {
	switch kind {
	case reflect.Int, reflect.Int64: // int is 64 bits here (newFlatPlan)
		return uint64(*(*int64)(v)), true
	case reflect.Int32:
		return uint64(*(*int32)(v)), true
	case reflect.Int16:
		return uint64(*(*int16)(v)), true
	case reflect.Int8:
		return uint64(*(*int8)(v)), true
	case reflect.Uint, reflect.Uint64:
		return *(*uint64)(v), false
	case reflect.Uint32:
		return uint64(*(*uint32)(v)), false
	case reflect.Uint16:
		return uint64(*(*uint16)(v)), false
	}
	return uint64(*(*uint8)(v)), false
}

func appendFloatAt(b []byte, v unsafe.Pointer, kind reflect.Kind) ([]byte, bool) {
	if kind == reflect.Float32 {
		return appendFloat(b, float64(*(*float32)(v)), 32)
	}
	return appendFloat(b, *(*float64)(v), 64)
}

// zeroAt reports whether the field of kind at v is its zero value, as
// reflect.Value.IsZero does and so omitempty and omitzero (-0 is zero).
func zeroAt(v unsafe.Pointer, kind reflect.Kind) bool {
	switch kind {
	case reflect.String:
		return len(*(*string)(v)) == 0
	case reflect.Bool:
		return !*(*bool)(v)
	case reflect.Float32:
		return *(*float32)(v) == 0
	case reflect.Float64:
		return *(*float64)(v) == 0
	}
	n, _ := intAt(v, kind)
	return n == 0
}

// size guesses the bytes of the JSON of the struct at v: enough for most,
// so that encode seldom grows its buffer.
func (p *flatPlan) size(v unsafe.Pointer) int {
	n := 2
	for _, f := range p.fields {
		n += len(f.name) + 4
		if f.kind == reflect.String {
			n += len(*(*string)(unsafe.Add(v, f.offset))) + 2
		} else {
			n += 20
		}
	}
	return n
}

// appendFloat writes f as encoding/json does: as ECMAScript formats a
// number, with exponents past its cutoffs.
func appendFloat(b []byte, f float64, bits int) ([]byte, bool) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, false
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	b = strconv.AppendFloat(b, f, format, -1, bits)
	if format == 'e' { // e-09 to e-9
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, true
}

// EncodeData encodes v as json.Marshal does, without its reflection per
// call when v is a flat struct or a pointer to one.
func EncodeData(v any) ([]byte, error) { return AppendData(nil, v) }

// AppendData appends v to b as EncodeData encodes it. On an error b is
// returned as it was.
func AppendData(b []byte, v any) ([]byte, error) {
	if p, at := flatValue(v); p != nil {
		if b == nil {
			b = make([]byte, 0, p.size(at))
		}
		if out, ok := p.encode(b, at); ok {
			return out, nil
		}
	}
	j, err := json.Marshal(v)
	if err != nil {
		return b, err
	}
	return append(b, j...), nil
}

// flatValue returns the plan of v's type when v is a flat struct or a
// non-nil pointer to one, and the struct's address; else nil. An
// interface holds a pointer as it is and any other value as a pointer to
// a copy; a struct with a plan of at least one field is never held as it
// is (only a struct of a single pointer is), and one with none is not
// read.
func flatValue(v any) (*flatPlan, unsafe.Pointer) {
	t := reflect.TypeOf(v)
	if t == nil || flatData == nil {
		return nil, nil
	}
	at := (*[2]unsafe.Pointer)(unsafe.Pointer(&v))[1]
	if t.Kind() == reflect.Pointer {
		if at == nil {
			return nil, nil
		}
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil, nil
	}
	return flatData(t), at
}

// decodeData is json.Unmarshal into a new T.
func decodeData[T any](b []byte) (T, error) {
	var v T
	if flatData != nil {
		if p := flatData(reflect.TypeFor[T]()); p != nil && p.decode(unsafe.Pointer(&v), b) {
			return v, nil
		}
	}
	return unmarshalData[T](b) // encoding/json starts over
}

// unmarshalData is apart so that decodeData's T stays off the heap:
// json.Unmarshal's would not.
func unmarshalData[T any](b []byte) (T, error) {
	var v T
	err := json.Unmarshal(b, &v)
	return v, err
}
