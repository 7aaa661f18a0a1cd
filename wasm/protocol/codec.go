package protocol

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Marshal and Unmarshal are encoding/json's, for the values this module's
// packages exchange with the server and with JavaScript: booleans,
// numbers, strings, structs (json tags with omitempty and omitzero,
// embedded structs), pointers, slices, arrays, maps with string or
// integer keys, interfaces, json.RawMessage, json.Number, and types with
// their own MarshalJSON or UnmarshalJSON. Anything else (a []byte, a
// ",string" field, a TextMarshaler, a channel) is an error, not a
// different encoding; Marshal hands it to encoding/json instead where
// the program has it (UseEncodingJSON: the components and native
// programs). They give encoding/json's bytes and values (FuzzCodecAgrees
// checks it) but not its error messages.
//
// Why not encoding/json: realtime.wasm, which must stay small, is 49 KB
// brotli smaller without it (1,016,177 -> 966,971 bytes; encoding/json
// alone was 109 KB of it), and these values are all the module encodes.
// User types sent through ws and the components still go through
// encoding/json (EncodeData, DecodeData). Under wasm (BenchmarkCodec, a
// presence-sized value) Unmarshal takes 27 µs where encoding/json takes
// 36, Marshal 10 where it takes 10.

// Marshal returns the JSON encoding of v, as json.Marshal does.
func Marshal(v any) ([]byte, error) {
	// Written into a buffer kept between calls, then copied out at its
	// size, as encoding/json does: the buffer is not grown again each
	// call, and a result kept in a queue keeps no spare room.
	buf := marshalBuffers.Get().(*[]byte)
	defer marshalBuffers.Put(buf)
	b, err := appendValue((*buf)[:0], reflect.ValueOf(v), 0)
	if err != nil {
		return nil, err
	}
	if cap(b) <= maxKeptBuffer {
		*buf = b
	}
	return bytes.Clone(b), nil
}

var marshalBuffers = sync.Pool{New: func() any { return new([]byte) }}

// maxKeptBuffer bounds the buffers Marshal keeps.
const maxKeptBuffer = 64 << 10

// Unmarshal decodes the JSON value b into the value v points to, as
// json.Unmarshal does. b must be one valid JSON value: nothing is stored
// otherwise.
func Unmarshal(b []byte, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("protocol: Unmarshal into %T, not a non-nil pointer", v)
	}
	if !Valid(b) {
		return errors.New("protocol: invalid JSON")
	}
	d := decoder{parser: parser{b: b}}
	d.space()
	return d.value(rv.Elem(), 0)
}

// UnmarshalData is DecodeData for the module's own types: it decodes e's
// data into v through Unmarshal, not encoding/json.
func UnmarshalData(e Envelope, v any) error {
	if len(e.Data) == 0 {
		return noData(e)
	}
	return dataError(e, Unmarshal(e.Data, v))
}

// Valid reports whether b is one valid JSON value, as json.Valid does.
func Valid(b []byte) bool {
	p := parser{b: b}
	p.space()
	// The walk starts below depth 0 so that the parser's maxDepth lets
	// encoding/json's nesting through.
	return p.value(maxDepth-jsonMaxDepth+1) && p.end()
}

// jsonMaxDepth is encoding/json's bound on nesting.
const jsonMaxDepth = 10000

var (
	rawMessageType    = reflect.TypeFor[json.RawMessage]()
	numberType        = reflect.TypeFor[json.Number]()
	marshalerType     = reflect.TypeFor[json.Marshaler]()
	unmarshalType     = reflect.TypeFor[json.Unmarshaler]()
	isZeroerType      = reflect.TypeFor[interface{ IsZero() bool }]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
)

// The methods by which a type chooses its own JSON.
const (
	valueMarshaler   = 1 << iota // MarshalJSON on T
	pointerMarshaler             // on *T only
	textMarshaler                // MarshalText on T or *T
	pointerOnly                  // MarshalText on *T only
)

// methodsOf finds them, for newEncoder.
func methodsOf(t reflect.Type) uint8 {
	var m uint8
	pt := reflect.PointerTo(t)
	switch {
	case t.Implements(marshalerType):
		m |= valueMarshaler
	case t.Kind() != reflect.Pointer && pt.Implements(marshalerType):
		m |= pointerMarshaler
	}
	switch {
	case t.Implements(textMarshalerType):
		m |= textMarshaler
	case t.Kind() != reflect.Pointer && pt.Implements(textMarshalerType):
		m |= textMarshaler | pointerOnly
	}
	return m
}

func unsupported(t reflect.Type) error {
	return fmt.Errorf("protocol: cannot encode or decode a %v", t)
}

// encoderFunc appends v, of the type it was made for, to b.
type encoderFunc func(b []byte, v reflect.Value, depth int) ([]byte, error)

var encoders sync.Map // reflect.Type -> encoderFunc

// encoderOf returns t's encoder, made once, as encoding/json makes them:
// asking each value's type about its methods and fields took Marshal
// twice encoding/json's time under wasm.
func encoderOf(t reflect.Type) encoderFunc {
	if f, ok := encoders.Load(t); ok {
		return f.(encoderFunc)
	}
	// A recursive type meets itself while its encoder is made, and
	// another goroutine may ask for it then: both get one that waits for
	// the real one.
	var (
		made sync.WaitGroup
		f    encoderFunc
	)
	made.Add(1)
	later := encoderFunc(func(b []byte, v reflect.Value, depth int) ([]byte, error) {
		made.Wait()
		return f(b, v, depth)
	})
	if fi, loaded := encoders.LoadOrStore(t, later); loaded {
		return fi.(encoderFunc)
	}
	f = newEncoder(t, true)
	made.Done()
	encoders.Store(t, f)
	return f
}

// appendValue appends v's JSON to b.
func appendValue(b []byte, v reflect.Value, depth int) ([]byte, error) {
	if !v.IsValid() {
		return append(b, "null"...), nil
	}
	return encoderOf(v.Type())(b, v, depth)
}

// newEncoder makes t's encoder; allowAddr, when an addressable value may
// use a MarshalJSON on *T.
func newEncoder(t reflect.Type, allowAddr bool) encoderFunc {
	switch t {
	case rawMessageType:
		return encodeRawMessage
	case numberType:
		return encodeNumber
	}
	m := methodsOf(t)
	switch {
	case m&valueMarshaler != 0:
		return encodeMarshaler
	case m&pointerMarshaler != 0 && allowAddr:
		return addrOr(encodeAddrMarshaler, newEncoder(t, false))
	case m&textMarshaler != 0 && m&pointerOnly == 0:
		return unsupportedEncoder(t) // encoding/json's MarshalText
	case m&textMarshaler != 0 && allowAddr:
		return addrOr(unsupportedEncoder(t), newEncoder(t, false))
	}
	switch t.Kind() {
	case reflect.Bool:
		return func(b []byte, v reflect.Value, _ int) ([]byte, error) { return strconv.AppendBool(b, v.Bool()), nil }
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return func(b []byte, v reflect.Value, _ int) ([]byte, error) { return strconv.AppendInt(b, v.Int(), 10), nil }
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return func(b []byte, v reflect.Value, _ int) ([]byte, error) {
			return strconv.AppendUint(b, v.Uint(), 10), nil
		}
	case reflect.Float32, reflect.Float64:
		bits := t.Bits()
		return func(b []byte, v reflect.Value, _ int) ([]byte, error) {
			out, ok := appendFloat(b, v.Float(), bits)
			if !ok {
				return nil, fmt.Errorf("protocol: unsupported value %v", v.Float())
			}
			return out, nil
		}
	case reflect.String:
		return func(b []byte, v reflect.Value, _ int) ([]byte, error) { return AppendString(b, v.String()), nil }
	case reflect.Interface:
		return func(b []byte, v reflect.Value, depth int) ([]byte, error) {
			if v.IsNil() {
				return append(b, "null"...), nil
			}
			return deeper(b, v.Elem(), depth, encoderOf(v.Elem().Type()))
		}
	case reflect.Pointer:
		elem := encoderOf(t.Elem())
		return func(b []byte, v reflect.Value, depth int) ([]byte, error) {
			if v.IsNil() {
				return append(b, "null"...), nil
			}
			return deeper(b, v.Elem(), depth, elem)
		}
	case reflect.Struct:
		return newStructEncoder(t)
	case reflect.Map:
		return newMapEncoder(t)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return unsupportedEncoder(t) // encoding/json's base64
		}
		elem := encoderOf(t.Elem())
		return func(b []byte, v reflect.Value, depth int) ([]byte, error) {
			if v.IsNil() {
				return append(b, "null"...), nil
			}
			return appendArray(b, v, depth, elem)
		}
	case reflect.Array:
		elem := encoderOf(t.Elem())
		return func(b []byte, v reflect.Value, depth int) ([]byte, error) { return appendArray(b, v, depth, elem) }
	}
	return unsupportedEncoder(t)
}

// deeper encodes v one level down, bounded as encoding/json bounds
// nesting (a cycle, mostly).
func deeper(b []byte, v reflect.Value, depth int, enc encoderFunc) ([]byte, error) {
	if depth >= jsonMaxDepth {
		return nil, fmt.Errorf("protocol: %v nested too deep (a cycle?)", v.Type())
	}
	return enc(b, v, depth+1)
}

// unsupportedEncoder is for a type Marshal does not write itself: an
// error, or encoding/json's encoding where the program has it
// (UseEncodingJSON).
func unsupportedEncoder(t reflect.Type) encoderFunc {
	return func(b []byte, v reflect.Value, _ int) ([]byte, error) {
		if fallback == nil {
			return nil, unsupported(t)
		}
		raw, err := fallback(v.Interface())
		if err != nil {
			return nil, err
		}
		return append(b, raw...), nil
	}
}

// fallback is json.Marshal once UseEncodingJSON was called.
var fallback func(any) ([]byte, error)

// UseEncodingJSON makes Marshal hand a value of a type it does not write
// itself (a []byte, a TextMarshaler, a ",string" field) to encoding/json,
// as part of the whole, rather than fail. A program's own values can get
// into what the runtime encodes (a presence session's Extra): the go-app
// components call it, and native programs have it from the start. Left
// uncalled, encoding/json's encoder is not linked in: realtime.wasm's
// values all come from JSON, which Marshal writes itself.
func UseEncodingJSON() { fallback = json.Marshal }

// addrOr uses addr for an addressable value, else other.
func addrOr(addr, other encoderFunc) encoderFunc {
	return func(b []byte, v reflect.Value, depth int) ([]byte, error) {
		if v.CanAddr() {
			return addr(b, v, depth)
		}
		return other(b, v, depth)
	}
}

func encodeRawMessage(b []byte, v reflect.Value, _ int) ([]byte, error) {
	if v.Len() == 0 {
		return append(b, "null"...), nil // its MarshalJSON's
	}
	return appendCompact(b, v.Bytes())
}

func encodeNumber(b []byte, v reflect.Value, _ int) ([]byte, error) {
	n := v.String()
	if n == "" {
		n = "0"
	}
	if !isNumber(n) {
		return nil, fmt.Errorf("protocol: invalid number %q", n)
	}
	return append(b, n...), nil
}

// isNumber reports a JSON number, whole.
func isNumber(s string) bool {
	p := parser{b: []byte(s)}
	return p.number() && p.i == len(s)
}

func encodeMarshaler(b []byte, v reflect.Value, _ int) ([]byte, error) {
	if v.Kind() == reflect.Pointer && v.IsNil() {
		return append(b, "null"...), nil
	}
	return appendMarshaler(b, v.Interface().(json.Marshaler))
}

func encodeAddrMarshaler(b []byte, v reflect.Value, _ int) ([]byte, error) {
	return appendMarshaler(b, v.Addr().Interface().(json.Marshaler))
}

func appendMarshaler(b []byte, m json.Marshaler) ([]byte, error) {
	raw, err := m.MarshalJSON()
	if err != nil {
		return nil, err
	}
	return appendCompact(b, raw)
}

func appendArray(b []byte, v reflect.Value, depth int, elem encoderFunc) ([]byte, error) {
	b = append(b, '[')
	for i := range v.Len() {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = deeper(b, v.Index(i), depth, elem); err != nil {
			return nil, err
		}
	}
	return append(b, ']'), nil
}

func newStructEncoder(t reflect.Type) encoderFunc {
	fields, err := fieldsOf(t)
	if err != nil {
		return unsupportedEncoder(t) // a ",string" field, say
	}
	encs := make([]encoderFunc, len(fields))
	for i, f := range fields {
		encs[i] = encoderOf(t.FieldByIndex(f.index).Type)
	}
	return func(b []byte, v reflect.Value, depth int) ([]byte, error) {
		b = append(b, '{')
		first := true
		for i := range fields {
			f := &fields[i]
			fv := v.FieldByIndex(f.index)
			if f.omitEmpty && emptyValue(fv) || f.omitZero && zeroValue(fv) {
				continue
			}
			if !first {
				b = append(b, ',')
			}
			first = false
			b = append(b, f.key...)
			var err error
			if b, err = deeper(b, fv, depth, encs[i]); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	}
}

func newMapEncoder(t reflect.Type) encoderFunc {
	// encoding/json writes a string key as it is, an integer one through
	// its MarshalText if it has one.
	if !keyKind(t.Key()) || t.Key().Kind() != reflect.String && methodsOf(t.Key())&textMarshaler != 0 {
		return unsupportedEncoder(t)
	}
	elem := encoderOf(t.Elem())
	return func(b []byte, v reflect.Value, depth int) ([]byte, error) {
		if v.IsNil() {
			return append(b, "null"...), nil
		}
		type entry struct {
			key string
			v   reflect.Value
		}
		entries := make([]entry, 0, v.Len())
		for it := v.MapRange(); it.Next(); {
			entries = append(entries, entry{mapKey(it.Key()), it.Value()})
		}
		slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.key, b.key) })
		b = append(b, '{')
		for i, e := range entries {
			if i > 0 {
				b = append(b, ',')
			}
			b = AppendString(b, e.key)
			b = append(b, ':')
			var err error
			if b, err = deeper(b, e.v, depth, elem); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	}
}

// mapKey is a map key (of a kind keyKind takes) as encoding/json writes
// it.
func mapKey(k reflect.Value) string {
	switch k.Kind() {
	case reflect.String:
		return k.String()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(k.Int(), 10)
	}
	return strconv.FormatUint(k.Uint(), 10)
}

// keyKind reports a map key type of a kind the codec reads and writes: a
// string or an integer.
func keyKind(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.String,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return true
	}
	return false
}

// emptyValue is omitempty's test.
func emptyValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64,
		reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

// zeroValue is omitzero's test: the type's IsZero method, else the zero
// value.
func zeroValue(v reflect.Value) bool {
	if v.Type().Implements(isZeroerType) {
		if v.Kind() == reflect.Pointer && v.IsNil() {
			return true
		}
		return v.Interface().(interface{ IsZero() bool }).IsZero()
	}
	return v.IsZero()
}

// appendCompact appends the JSON value raw without its insignificant
// spaces, with <, >, &, U+2028 and U+2029 escaped, as encoding/json
// writes a RawMessage or what a MarshalJSON returns.
func appendCompact(b []byte, raw []byte) ([]byte, error) {
	if !Valid(raw) {
		return nil, errors.New("protocol: a raw JSON value is not valid JSON")
	}
	if validData(raw) {
		return append(b, raw...), nil // compact already, nothing to escape
	}
	inString := false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case inString && c == '\\':
			b = append(b, c, raw[i+1])
			i++
			continue
		case c == '"':
			inString = !inString
		case !inString && isWhite[c]:
			continue
		case c == '<' || c == '>' || c == '&':
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			continue
		case c == 0xE2 && i+2 < len(raw) && raw[i+1] == 0x80 && raw[i+2]&^1 == 0xA8:
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[raw[i+2]&0xf])
			i += 2
			continue
		}
		b = append(b, c)
	}
	return b, nil
}

// field is a struct field that encoding/json reads and writes.
type field struct {
	name      string
	key       string // the name quoted, and a colon: what Marshal writes
	index     []int
	omitEmpty bool
	omitZero  bool
	tagged    bool
}

var fieldCache sync.Map // reflect.Type -> []field

// fieldsOf lists t's fields as encoding/json sees them, embedded structs'
// promoted, in order.
func fieldsOf(t reflect.Type) ([]field, error) {
	if f, ok := fieldCache.Load(t); ok {
		return f.([]field), nil
	}
	var all []field
	if err := collectFields(t, nil, &all, 0); err != nil {
		return nil, err
	}
	// Of the fields that share a name, the shallowest wins, if it is the
	// only one so deep or the only one tagged there; else none does.
	var fields []field
	for i, f := range all {
		winner, ties := true, 0
		for j, g := range all {
			if g.name != f.name || i == j {
				continue
			}
			switch {
			case len(g.index) < len(f.index):
				winner = false
			case len(g.index) == len(f.index):
				if g.tagged && !f.tagged {
					winner = false
				}
				if g.tagged == f.tagged {
					ties++
				}
			}
		}
		if winner && ties == 0 {
			fields = append(fields, f)
		}
	}
	fieldCache.Store(t, fields)
	return fields, nil
}

func collectFields(t reflect.Type, index []int, out *[]field, depth int) error {
	if depth > 10 {
		return unsupported(t)
	}
	for i := range t.NumField() {
		sf := t.Field(i)
		tag, hasTag := sf.Tag.Lookup("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if !validTagName(name) {
			name = "" // encoding/json ignores it
		}
		idx := append(index[:len(index):len(index)], i)
		if sf.Anonymous && name == "" {
			ft := sf.Type
			if ft.Kind() == reflect.Pointer {
				return unsupported(t) // encoding/json allocates it on decode
			}
			if ft.Kind() == reflect.Struct {
				if err := collectFields(ft, idx, out, depth+1); err != nil {
					return err
				}
				continue
			}
		}
		if !sf.IsExported() {
			continue
		}
		f := field{name: sf.Name, index: idx, tagged: hasTag && name != ""}
		if name != "" {
			f.name = name
		}
		f.key = string(append(AppendString(nil, f.name), ':'))
		for opts != "" {
			var opt string
			opt, opts, _ = strings.Cut(opts, ",")
			switch opt {
			case "omitempty":
				f.omitEmpty = true
			case "omitzero":
				f.omitZero = true
			case "string":
				return unsupported(t)
			}
		}
		*out = append(*out, f)
	}
	return nil
}

// validTagName is encoding/json's test of a json tag's name.
func validTagName(s string) bool {
	for _, c := range s {
		if !strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c) && !unicode.IsLetter(c) && !unicode.IsDigit(c) {
			return false
		}
	}
	return true
}

// decoder decodes a valid JSON value (Unmarshal checked it) into Go
// values.
type decoder struct{ parser }

func typeError(what string, t reflect.Type) error {
	return fmt.Errorf("protocol: cannot decode a JSON %s into a %v", what, t)
}

// value decodes the value at d.i into v.
func (d *decoder) value(v reflect.Value, depth int) error {
	if depth > jsonMaxDepth {
		return errors.New("protocol: JSON nested too deep")
	}
	null := d.b[d.i] == 'n'
	u, v, err := indirect(v, null)
	if err != nil {
		return err
	}
	start := d.i
	if u != nil {
		d.value0()
		return u.UnmarshalJSON(d.b[start:d.i])
	}
	switch c := d.b[d.i]; {
	case c == 'n':
		d.i += len("null")
		switch v.Kind() {
		case reflect.Interface, reflect.Pointer, reflect.Map, reflect.Slice:
			v.SetZero()
		}
		return nil
	case c == 't' || c == 'f':
		d.value0()
		b := c == 't'
		switch {
		case v.Kind() == reflect.Bool:
			v.SetBool(b)
		case v.Kind() == reflect.Interface && v.NumMethod() == 0:
			v.Set(reflect.ValueOf(b))
		default:
			return typeError("boolean", v.Type())
		}
		return nil
	case c == '"':
		s := d.stringValue()
		switch {
		case v.Type() == numberType:
			if !isNumber(s) {
				return typeError("string", v.Type())
			}
			v.SetString(s) // a number in a string, as encoding/json takes it
		case v.Kind() == reflect.String:
			v.SetString(s)
		case v.Kind() == reflect.Interface && v.NumMethod() == 0:
			v.Set(reflect.ValueOf(s))
		default:
			return typeError("string", v.Type())
		}
		return nil
	case c == '{':
		return d.object(v, depth)
	case c == '[':
		return d.array(v, depth)
	}
	d.value0()
	return setNumber(v, string(d.b[start:d.i]))
}

// indirect is encoding/json's: it follows v through pointers (made where
// nil) and interfaces holding pointers to what the value is stored in,
// and stops at an Unmarshaler; for a null, at the first pointer it can
// set to nil.
func indirect(v reflect.Value, null bool) (json.Unmarshaler, reflect.Value, error) {
	v0 := v
	haveAddr := false
	if v.Kind() != reflect.Pointer && v.Type().Name() != "" && v.CanAddr() {
		haveAddr = true
		v = v.Addr()
	}
	for {
		if v.Kind() == reflect.Interface && !v.IsNil() {
			if e := v.Elem(); e.Kind() == reflect.Pointer && !e.IsNil() && (!null || e.Elem().Kind() == reflect.Pointer) {
				haveAddr = false
				v = e
				continue
			}
		}
		if v.Kind() != reflect.Pointer || null && v.CanSet() {
			break
		}
		if v.Elem().Kind() == reflect.Interface && v.Elem().Elem().Equal(v) {
			v = v.Elem()
			break
		}
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		if v.Type().NumMethod() > 0 && v.CanInterface() {
			if u, ok := v.Interface().(json.Unmarshaler); ok {
				return u, reflect.Value{}, nil
			}
			if _, ok := v.Interface().(encoding.TextUnmarshaler); ok && !null {
				return nil, v, unsupported(v.Type())
			}
		}
		if haveAddr {
			v, haveAddr = v0, false
		} else {
			v = v.Elem()
		}
	}
	return nil, v, nil
}

// value0 skips the value at d.i, known valid.
func (d *decoder) value0() { d.parser.value(maxDepth - jsonMaxDepth + 1) }

func setNumber(v reflect.Value, n string) error {
	if v.Type() == numberType {
		v.SetString(n)
		return nil
	}
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, err := strconv.ParseInt(n, 10, 64)
		if err != nil || v.OverflowInt(i) {
			return typeError("number "+n, v.Type())
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		u, err := strconv.ParseUint(n, 10, 64)
		if err != nil || v.OverflowUint(u) {
			return typeError("number "+n, v.Type())
		}
		v.SetUint(u)
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(n, v.Type().Bits())
		if err != nil || v.OverflowFloat(f) {
			return typeError("number "+n, v.Type())
		}
		v.SetFloat(f)
	case reflect.Interface:
		if v.NumMethod() != 0 {
			return typeError("number", v.Type())
		}
		f, err := strconv.ParseFloat(n, 64)
		if err != nil {
			return typeError("number "+n, v.Type())
		}
		v.Set(reflect.ValueOf(f))
	default:
		return typeError("number", v.Type())
	}
	return nil
}

// object decodes the object at d.i into v: a struct, a map or an empty
// interface.
func (d *decoder) object(v reflect.Value, depth int) error {
	var fields []field
	switch v.Kind() {
	case reflect.Struct:
		var err error
		if fields, err = fieldsOf(v.Type()); err != nil {
			return err
		}
	case reflect.Map:
		if !keyKind(v.Type().Key()) {
			return unsupported(v.Type())
		}
		if v.IsNil() {
			v.Set(reflect.MakeMap(v.Type()))
		}
	case reflect.Interface:
		if v.NumMethod() != 0 {
			return typeError("object", v.Type())
		}
		m := map[string]any{}
		if err := d.object(reflect.ValueOf(&m).Elem(), depth); err != nil {
			return err
		}
		v.Set(reflect.ValueOf(m))
		return nil
	default:
		return typeError("object", v.Type())
	}
	d.i++ // '{'
	d.space()
	if d.byte('}') {
		return nil
	}
	for {
		key := d.stringValue()
		d.space()
		d.i++ // ':'
		d.space()
		var err error
		if v.Kind() == reflect.Struct {
			err = d.structField(v, fields, key, depth)
		} else {
			err = d.mapEntry(v, key, depth)
		}
		if err != nil {
			return err
		}
		d.space()
		if d.byte('}') {
			return nil
		}
		d.i++ // ','
		d.space()
	}
}

// structField decodes the value at d.i into the field of v named key:
// the one of that name, else one whose name folds to it; none, skipped.
func (d *decoder) structField(v reflect.Value, fields []field, key string, depth int) error {
	var f *field
	for i := range fields {
		if fields[i].name == key {
			f = &fields[i]
			break
		}
	}
	if f == nil {
		for i := range fields {
			if strings.EqualFold(fields[i].name, key) {
				f = &fields[i]
				break
			}
		}
	}
	if f == nil {
		d.value0()
		return nil
	}
	return d.value(v.FieldByIndex(f.index), depth+1)
}

func (d *decoder) mapEntry(m reflect.Value, key string, depth int) error {
	t := m.Type()
	kv := reflect.New(t.Key()).Elem()
	switch kv.Kind() {
	case reflect.String:
		kv.SetString(key)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(key, 10, 64)
		if err != nil || kv.OverflowInt(n) {
			return typeError("number "+key, t.Key())
		}
		kv.SetInt(n)
	default:
		n, err := strconv.ParseUint(key, 10, 64)
		if err != nil || kv.OverflowUint(n) {
			return typeError("number "+key, t.Key())
		}
		kv.SetUint(n)
	}
	// A fresh element, as encoding/json decodes into one (an existing
	// entry is replaced, not merged).
	ev := reflect.New(t.Elem()).Elem()
	if err := d.value(ev, depth+1); err != nil {
		return err
	}
	m.SetMapIndex(kv, ev)
	return nil
}

// array decodes the array at d.i into v: a slice (its length reset to 0
// first, its array reused), an array (zeroed past the last element) or an
// empty interface.
func (d *decoder) array(v reflect.Value, depth int) error {
	switch v.Kind() {
	case reflect.Interface:
		if v.NumMethod() != 0 {
			return typeError("array", v.Type())
		}
		list := []any{}
		if err := d.array(reflect.ValueOf(&list).Elem(), depth); err != nil {
			return err
		}
		v.Set(reflect.ValueOf(list))
		return nil
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return unsupported(v.Type()) // encoding/json's base64; a RawMessage decodes itself
		}
	case reflect.Array:
	default:
		return typeError("array", v.Type())
	}
	d.i++ // '['
	d.space()
	n := 0
	if !d.byte(']') {
		for {
			switch {
			case v.Kind() == reflect.Slice:
				if n >= v.Cap() {
					v.Grow(1)
				}
				v.SetLen(n + 1)
				el := v.Index(n)
				el.SetZero()
				if err := d.value(el, depth+1); err != nil {
					return err
				}
			case n < v.Len():
				if err := d.value(v.Index(n), depth+1); err != nil {
					return err
				}
			default:
				d.value0() // past the array's length: dropped
			}
			n++
			d.space()
			if d.byte(']') {
				break
			}
			d.i++ // ','
			d.space()
		}
	}
	switch v.Kind() {
	case reflect.Slice:
		if n == 0 {
			v.Set(reflect.MakeSlice(v.Type(), 0, 0)) // [] is empty, not nil
		} else {
			v.SetLen(n)
		}
	case reflect.Array:
		for i := n; i < v.Len(); i++ {
			v.Index(i).SetZero()
		}
	}
	return nil
}

// stringValue reads the string at d.i, known valid, with its escapes
// undone and invalid UTF-8 replaced by U+FFFD, as encoding/json does.
func (d *decoder) stringValue() string {
	start := d.i + 1
	d.str()
	raw := d.b[start : d.i-1]
	if bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) {
		return string(raw)
	}
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' {
			r, size := utf8.DecodeRune(raw[i:])
			if r == utf8.RuneError && size == 1 {
				out = utf8.AppendRune(out, utf8.RuneError)
			} else {
				out = append(out, raw[i:i+size]...)
			}
			i += size
			continue
		}
		i++
		switch raw[i] {
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r := hex4(raw[i+1:])
			i += 4
			if utf16.IsSurrogate(r) {
				// A pair takes the escape that follows; a lone half is
				// U+FFFD, and what follows is read on its own.
				r2 := utf8.RuneError
				if i+6 < len(raw) && raw[i+1] == '\\' && raw[i+2] == 'u' {
					r2 = hex4(raw[i+3:])
				}
				if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
					r = dec
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			out = utf8.AppendRune(out, r)
		default: // " \ /
			out = append(out, raw[i])
		}
		i++
	}
	return string(out)
}

// hex4 reads four hex digits, known valid.
func hex4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		default:
			c -= 'A' - 10
		}
		r = r<<4 | rune(c)
	}
	return r
}
