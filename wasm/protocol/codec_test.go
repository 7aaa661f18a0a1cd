package protocol

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// The codec's types, shaped as the module's: named strings, pointers,
// embedded structs, maps of slices of structs, raw JSON, numbers, any.
type (
	codecKind   string
	codecAction struct {
		Label string `json:"label"`
		URL   string `json:"url"`
	}
	codecItem struct {
		ID     string       `json:"id"`
		Seq    uint64       `json:"seq"`
		Kind   codecKind    `json:"kind"`
		Body   string       `json:"body,omitempty"`
		Time   int64        `json:"time"`
		Action *codecAction `json:"action,omitempty"`
		Ratio  float64      `json:"ratio"`
		Small  float32      `json:"small,omitzero"`
		Tiny   int8         `json:"tiny"`
		Known  bool         `json:"known"`
	}
	codecMeta struct {
		Session string         `json:"session"`
		Extra   map[string]any `json:"extra,omitempty"`
		Skip    string         `json:"-"`
		Untaged int
		hidden  int
	}
	codecInner struct {
		Joins  map[string][]codecMeta `json:"joins,omitempty"`
		Leaves map[string][]codecMeta `json:"leaves,omitempty"`
	}
	codecOuter struct {
		Seq uint64 `json:"seq"`
		codecInner
		Raw    json.RawMessage   `json:"raw,omitempty"`
		Num    json.Number       `json:"num,omitempty"`
		Items  []codecItem       `json:"items"`
		Counts map[int]uint16    `json:"counts,omitempty"`
		Any    any               `json:"any"`
		Objs   []map[string]any  `json:"objs,omitempty"`
		Keys   [3]string         `json:"keys"`
		Ptrs   []*codecAction    `json:"ptrs,omitempty"`
		Raws   []json.RawMessage `json:"raws,omitempty"`
	}
	// codecTree refers to itself: its encoder is made while in use.
	codecTree struct {
		Name string                `json:"name"`
		Kids []codecTree           `json:"kids,omitempty"`
		Next *codecTree            `json:"next"`
		Tags map[string]*codecTree `json:"tags,omitempty"`
	}
	// codecTags has tag names encoding/json takes and one it ignores.
	codecTags struct {
		Odd   int `json:"a'b"`
		Fancy int `json:"é-1 $x"`
		Plain int `json:",omitempty"`
	}
	// codecTextKey writes itself as text, which encoding/json ignores
	// for a map key of kind string.
	codecTextKey string
	// codecSelf decodes itself, as live.Item does: objects only.
	codecSelf map[string]any
)

func (k codecTextKey) MarshalText() ([]byte, error) { return []byte("text:" + k), nil }

func (s *codecSelf) UnmarshalJSON(b []byte) error {
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil || m == nil {
		return &json.UnmarshalTypeError{Value: "not an object"}
	}
	*s = m
	return nil
}

// codecTypes are the types the differential tests try.
var codecTypes = []reflect.Type{
	reflect.TypeFor[codecOuter](),
	reflect.TypeFor[codecTree](),
	reflect.TypeFor[codecTags](),
	reflect.TypeFor[map[codecTextKey]int](),
	reflect.TypeFor[codecItem](),
	reflect.TypeFor[[]codecSelf](),
	reflect.TypeFor[map[string][]codecMeta](),
	reflect.TypeFor[any](),
	reflect.TypeFor[*codecAction](),
	reflect.TypeFor[[]string](),
	reflect.TypeFor[json.RawMessage](),
	reflect.TypeFor[map[string]json.RawMessage](),
	reflect.TypeFor[float64](),
	reflect.TypeFor[int32](),
	reflect.TypeFor[string](),
}

// randomValue fills a new value of t with random contents: strings with
// what JSON escapes, numbers at their limits, nils and empties.
func randomValue(r *rand.Rand, t reflect.Type, depth int) reflect.Value {
	v := reflect.New(t).Elem()
	switch {
	case t == reflect.TypeFor[json.RawMessage]():
		if r.IntN(4) == 0 {
			return v
		}
		raw, _ := json.MarshalIndent(randomAny(r, depth+1), "", strings.Repeat(" ", r.IntN(3)))
		v.SetBytes(raw)
		return v
	case t == reflect.TypeFor[json.Number]():
		v.SetString([]string{"", "0", "-1.5e-7", "12345678901234567890", "3.25"}[r.IntN(5)])
		return v
	}
	switch t.Kind() {
	case reflect.Bool:
		v.SetBool(r.IntN(2) == 1)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		bits := t.Bits()
		v.SetInt([]int64{0, 1, -1, 1<<(bits-1) - 1, -1 << (bits - 1), r.Int64N(1000)}[r.IntN(6)])
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint([]uint64{0, 1, 1<<t.Bits() - 1, r.Uint64N(1e6)}[r.IntN(4)])
	case reflect.Float32, reflect.Float64:
		v.SetFloat([]float64{0, -0.0, 1.5, -2e-7, 1e21, 123456789.125, math.MaxFloat32, r.NormFloat64() * 1e6}[r.IntN(8)])
	case reflect.String:
		v.SetString(randomString(r))
	case reflect.Interface:
		if a := randomAny(r, depth+1); a != nil {
			v.Set(reflect.ValueOf(a))
		}
	case reflect.Pointer:
		if r.IntN(3) > 0 && depth < 4 {
			p := reflect.New(t.Elem())
			p.Elem().Set(randomValue(r, t.Elem(), depth+1))
			v.Set(p)
		}
	case reflect.Slice:
		if r.IntN(4) == 0 || depth > 4 {
			return v // nil
		}
		n := r.IntN(4)
		s := reflect.MakeSlice(t, n, n)
		for i := range n {
			s.Index(i).Set(randomValue(r, t.Elem(), depth+1))
		}
		v.Set(s)
	case reflect.Array:
		for i := range t.Len() {
			v.Index(i).Set(randomValue(r, t.Elem(), depth+1))
		}
	case reflect.Map:
		if r.IntN(4) == 0 || depth > 4 {
			return v
		}
		m := reflect.MakeMap(t)
		for range r.IntN(4) {
			m.SetMapIndex(randomValue(r, t.Key(), depth+1), randomValue(r, t.Elem(), depth+1))
		}
		v.Set(m)
	case reflect.Struct:
		for i := range t.NumField() {
			if t.Field(i).IsExported() {
				v.Field(i).Set(randomValue(r, t.Field(i).Type, depth+1))
			}
		}
	}
	return v
}

func randomAny(r *rand.Rand, depth int) any {
	n := 6
	if depth > 3 {
		n = 4
	}
	switch r.IntN(n) {
	case 0:
		return nil
	case 1:
		return r.IntN(2) == 1
	case 2:
		return []float64{0, 1.5, -3, 1e-9, 2.5e25}[r.IntN(5)]
	case 3:
		return randomString(r)
	case 4:
		list := []any{}
		for range r.IntN(3) {
			list = append(list, randomAny(r, depth+1))
		}
		return list
	}
	m := map[string]any{}
	for range r.IntN(3) {
		m[randomString(r)] = randomAny(r, depth+1)
	}
	return m
}

func randomString(r *rand.Rand) string {
	parts := []string{"", "a", "Session", "SESSION", "é", "\u2028", "<b>&", "\"q\"", "\\", "\n\t", "\x01", "\U0001F600", "\xff", "k"}
	var s strings.Builder
	for range r.IntN(4) {
		s.WriteString(parts[r.IntN(len(parts))])
	}
	return s.String()
}

func TestMarshalAgreesWithEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, typ := range codecTypes {
		for range 300 {
			v := randomValue(r, typ, 0).Interface()
			want, wantErr := json.Marshal(v)
			got, err := Marshal(v)
			if (err != nil) != (wantErr != nil) || !bytes.Equal(got, want) {
				t.Fatalf("%v: Marshal(%#v) = %s, %v; encoding/json: %s, %v", typ, v, got, err, want, wantErr)
			}
		}
	}
}

// agree decodes b into a new value of typ with encoding/json and with
// Unmarshal, and reports where they differ: whether they fail, and what
// they give when both succeed.
func agree(t *testing.T, typ reflect.Type, b []byte) {
	t.Helper()
	want := reflect.New(typ)
	wantErr := json.Unmarshal(b, want.Interface())
	got := reflect.New(typ)
	err := Unmarshal(b, got.Interface())
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("%v from %.300q: error %v, encoding/json's %v", typ, b, err, wantErr)
	}
	if err == nil && !reflect.DeepEqual(got.Elem().Interface(), want.Elem().Interface()) {
		t.Fatalf("%v from %.300q:\n got %#v\nwant %#v", typ, b, got.Elem().Interface(), want.Elem().Interface())
	}
}

func TestUnmarshalAgreesWithEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, typ := range codecTypes {
		for range 300 {
			b, err := json.Marshal(randomValue(r, typ, 0).Interface())
			if err != nil {
				continue
			}
			for _, into := range codecTypes {
				agree(t, into, b)
			}
		}
	}
	for _, b := range []string{
		`{"session":"a","SESSION":"b","Untaged":1,"untaged":2,"Skip":"x","hidden":3}`,
		`{"seq":1,"joins":{"u":[{"session":"s","extra":{"x":[1,{"y":null}]}}]},"leaves":null,"counts":{"-1":2,"7":65535}}`,
		`{"seq":1,"counts":{"x":1}}`,
		`{"counts":{"1":65536}}`,
		`{"tiny":128}`, `{"tiny":-128}`, `{"tiny":1.0}`, `{"tiny":1e2}`, `{"seq":-1}`, `{"small":3.5e39}`,
		`{"id":"\u00e9\ud83d\ude00\ud83d\u0041\udc00x\\\/\b\f\n\r\t\"","kind":"\ud800"}`,
		`{"id":"` + "\xff\xfe" + `"}`,
		`{"raw": {"a" : [ 1, 2 ] }, "raws":[null, "x", {}], "num": 12.5e3, "any": {"k":[true,false,null,"s",1]}}`,
		`{"num":"12"}`, `{"keys":["a","b","c","d"]}`, `{"keys":["a"]}`, `{"items":[]}`, `{"items":null}`,
		`{"ptrs":[null,{"label":"l"}]}`, `{"action":null}`, `{"action":{"label":1}}`,
		`[{"a":1},{}]`, `[{"a":1},null]`, `[1]`, `{"objs":[{"a":1}]}`,
		`null`, `true`, `"s"`, `1.5`, `-0`, `1e400`, `[]`, `{}`, ` {"seq" : 2 } `,
		`{"Odd":1,"a'b":2,"é-1 $x":3,"plain":4}`,
		`{"seq":2} x`, `{"seq":}`, `{"a":"\x01"}`, `[1,]`, `{"a":1,}`, `{"seq":01}`, `"\u12"`,
		// encoding/json's nesting bound is 10,000, deeper than the
		// parser's own.
		strings.Repeat("[", 1500) + strings.Repeat("]", 1500),
		strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
	} {
		for _, into := range codecTypes {
			agree(t, into, []byte(b))
		}
	}
}

// FuzzCodecAgrees checks Unmarshal against encoding/json on any input,
// and Marshal of what they decode.
func FuzzCodecAgrees(f *testing.F) {
	for _, s := range []string{`{"seq":1,"items":[{"id":"x","action":{"label":"\u003c"}}],"any":[1,"a"]}`, `{"joins":{"u":[{"session":"s"}]}}`, `["\ud83d\ude00"]`, `{"raw":{ "a" : 1 }}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, typ := range codecTypes {
			agree(t, typ, b)
			v := reflect.New(typ)
			if json.Unmarshal(b, v.Interface()) != nil {
				continue
			}
			want, wantErr := json.Marshal(v.Elem().Interface())
			got, err := Marshal(v.Elem().Interface())
			if (err != nil) != (wantErr != nil) || !bytes.Equal(got, want) {
				t.Fatalf("%v: Marshal of %q's value = %s, %v; encoding/json: %s, %v", typ, b, got, err, want, wantErr)
			}
		}
	})
}

func TestCodecRefusesWhatItDoesNotWrite(t *testing.T) {
	// As in realtime.wasm, where nothing calls UseEncodingJSON.
	defer func(f func(any) ([]byte, error)) { fallback = f }(fallback)
	fallback = nil
	type withBytes struct{ B []byte }
	type withString struct {
		N int `json:",string"`
	}
	cycle := &codecTree{Name: "a"}
	cycle.Next = cycle
	for _, v := range []any{withBytes{B: []byte("x")}, withString{}, make(chan int), math.NaN(), cycle} {
		if b, err := Marshal(v); err == nil {
			t.Errorf("Marshal(%#v) = %s, want an error", v, b)
		}
	}
	// A string key's MarshalText is not asked: written without
	// encoding/json too.
	keys := map[codecTextKey]int{"a": 1}
	if got, err := Marshal(keys); err != nil || string(got) != `{"a":1}` {
		t.Errorf("Marshal(%v) = %s, %v; want {\"a\":1}", keys, got, err)
	}
	var s withString
	if err := Unmarshal([]byte(`{"N":"1"}`), &s); err == nil {
		t.Error("Unmarshal into a \",string\" field: no error")
	}
	var n int
	for _, bad := range []string{`{`, `1 2`, ``} {
		if err := Unmarshal([]byte(bad), &n); err == nil {
			t.Errorf("Unmarshal(%q): no error", bad)
		}
	}
	if err := Unmarshal([]byte(`1`), n); err == nil {
		t.Error("Unmarshal into a non-pointer: no error")
	}
}

// BenchmarkCodec times Marshal and Unmarshal of a module-shaped value
// against encoding/json's: natively, and under wasm with
//
//	GOOS=js GOARCH=wasm go test -c -o /tmp/protocol.test ./wasm/protocol
//	node "$(go env GOROOT)/lib/wasm/wasm_exec_node.js" /tmp/protocol.test -test.run '^$' -test.bench Codec
func BenchmarkCodec(b *testing.B) {
	v := codecOuter{Seq: 7, Items: []codecItem{{ID: "n1", Seq: 1, Kind: "info", Body: "a <b> body", Time: 1764240000000, Action: &codecAction{Label: "Open", URL: "/q/1"}, Ratio: 0.25}}}
	v.Joins = map[string][]codecMeta{"u1": {{Session: "s1", Extra: map[string]any{"cursor": []any{12.0, 40.0}, "page": "/a"}}}, "u2": {{Session: "s2"}}}
	data, err := json.Marshal(v)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("marshal", func(b *testing.B) {
		for b.Loop() {
			if _, err := Marshal(v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("marshal-encoding-json", func(b *testing.B) {
		for b.Loop() {
			if _, err := json.Marshal(v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("unmarshal", func(b *testing.B) {
		for b.Loop() {
			var out codecOuter
			if err := Unmarshal(data, &out); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("unmarshal-encoding-json", func(b *testing.B) {
		for b.Loop() {
			var out codecOuter
			if err := json.Unmarshal(data, &out); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestUseEncodingJSON: with it, what Marshal does not write itself goes
// to encoding/json, in place, as a program's own values in a presence
// session's Extra may need.
func TestUseEncodingJSON(t *testing.T) {
	defer func(f func(any) ([]byte, error)) { fallback = f }(fallback)
	UseEncodingJSON()
	type withString struct {
		N int `json:"n,string"`
	}
	for _, v := range []any{
		map[string]any{"bytes": []byte("<x>"), "n": 1},
		codecMeta{Session: "s", Extra: map[string]any{"at": withString{N: 7}, "ip": []byte{1, 2}}},
	} {
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Marshal(v)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("Marshal(%#v) = %s, %v; encoding/json: %s", v, got, err, want)
		}
	}
}
