package protocol

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
	"unsafe"
)

func init() { UseFlatData() }

// flatAll has a field of every kind a flat struct may hold, and the tag
// forms encoding/json knows.
type flatAll struct {
	S      string  `json:"s"`
	B      bool    `json:"b,omitempty"`
	I      int     `json:"i"`
	I8     int8    `json:"i8,omitzero"`
	U      uint    `json:"u"`
	U16    uint16  `json:"u16,omitempty"`
	F      float64 `json:"f"`
	F32    float32 `json:"f32,omitempty"`
	Name   string  // no tag: named Name
	Skip   string  `json:"-"`
	Dash   int     `json:"-,"` // named "-"
	Kelvin string  `json:"k"`  // a key with the Kelvin sign folds to it
	hidden int
}

type named string

func TestFlatPlanTakesOnlyWhatEncodingJSONReadsPlainly(t *testing.T) {
	type embedded struct{ A int }
	for _, c := range []struct {
		name string
		v    any
		flat bool
	}{
		{"every basic kind", flatAll{}, true},
		{"named basic types", struct {
			N named
			D time.Duration
		}{}, true},
		{"empty", struct{}{}, true},
		{"embedded", struct{ embedded }{}, false},
		{",string", struct {
			N int `json:"n,string"`
		}{}, false},
		{"time.Time", struct{ T time.Time }{}, false},
		{"json.Number", struct{ N json.Number }{}, false},
		{"pointer", struct{ P *int }{}, false},
		{"slice", struct{ S []int }{}, false},
		{"names equal but for case", struct {
			A int `json:"x"`
			B int `json:"X"`
		}{}, false},
		{"a name to escape", struct {
			A int `json:"a<b"`
		}{}, false},
		{"not a struct", map[string]int{}, false},
		{"a type with MarshalJSON", json.RawMessage{}, false},
	} {
		if got := planOf(reflect.TypeOf(c.v)) != nil; got != c.flat {
			t.Errorf("%s: flat %v, want %v", c.name, got, c.flat)
		}
	}
}

var flatCases = []string{
	`{"s":"hi","b":true,"i":-42,"i8":127,"u":7,"u16":65535,"f":3.25,"f32":1.5,"Name":"n","-":3,"k":"kelvin"}`,
	` { "s" : "spaced" , "i" : 1 } `,
	`{"S":"case","NAME":"folded","I":2}`,
	`{"s":"first","s":"last"}`,
	`{"s":"kept","s":null,"i":null,"b":null,"f":null}`,
	`{"unknown":{"deep":[1,2,{"x":null}]},"s":"after"}`,
	`{"Skip":"not read","hidden":5}`,
	`{}`,
	`null`,
	`{"s":"esc\"aped"}`,
	`{"s":"caf\u00e9"}`,
	`{"s":"café ☕"}`,
	"{\"s\":\"bad \xff\"}",
	"{\"\u212a\":\"kelvin sign\"}",
	`{"i8":128}`,
	`{"i8":-129}`,
	`{"i8":-128,"u16":65536}`,
	`{"u16":65535,"u":18446744073709551615}`,
	`{"f32":1e-46}`,
	`{"u":-1}`,
	`{"u":-0}`,
	`{"i":-0}`,
	`{"i":1.5}`,
	`{"i":1e3}`,
	`{"i":9223372036854775808}`,
	`{"f":1e400}`,
	`{"f32":3.5e38}`,
	`{"f":-0}`,
	`{"f":01}`,
	`{"s":1}`,
	`{"b":"true"}`,
	`{"s":"x"} trailing`,
	`{"s":"x",}`,
	`{"s" "x"}`,
	`[1,2]`,
	`"text"`,
}

// checkFlatDecode checks that decodeData gives what json.Unmarshal does,
// and that the fast way never accepts what encoding/json refuses.
func checkFlatDecode(t *testing.T, in []byte) {
	t.Helper()
	var want flatAll
	wantErr := json.Unmarshal(in, &want)

	var fast flatAll
	if planOf(reflect.TypeFor[flatAll]()).decode(unsafe.Pointer(&fast), in) {
		if wantErr != nil {
			t.Fatalf("%q: read fast, but encoding/json refuses it: %v", in, wantErr)
		}
		if !reflect.DeepEqual(fast, want) {
			t.Fatalf("%q: read fast as %+v, encoding/json reads %+v", in, fast, want)
		}
	}

	got, err := decodeData[flatAll](in)
	if (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() {
		t.Fatalf("%q: error %v, encoding/json's %v", in, err, wantErr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: %+v, encoding/json reads %+v", in, got, want)
	}
}

func TestFlatDecodeIsEncodingJSONs(t *testing.T) {
	for _, c := range flatCases {
		checkFlatDecode(t, []byte(c))
	}
}

func TestFlatDecodeIsFastForTheCommonShape(t *testing.T) {
	var v flatAll
	if !planOf(reflect.TypeFor[flatAll]()).decode(unsafe.Pointer(&v), []byte(flatCases[0])) {
		t.Fatal("the common shape went to encoding/json")
	}
	if v.S != "hi" || v.I != -42 || v.U16 != 65535 || v.F32 != 1.5 || v.Dash != 3 || v.Kelvin != "kelvin" {
		t.Fatalf("read %+v", v)
	}
}

func FuzzFlatDecode(f *testing.F) {
	for _, c := range flatCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, in []byte) { checkFlatDecode(t, in) })
}

func checkFlatEncode(t *testing.T, v any) {
	t.Helper()
	want, wantErr := json.Marshal(v)
	got, err := EncodeData(v)
	if (err == nil) != (wantErr == nil) {
		t.Fatalf("%+v: error %v, encoding/json's %v", v, err, wantErr)
	}
	if string(got) != string(want) {
		t.Fatalf("%+v: %s, encoding/json writes %s", v, got, want)
	}
}

func TestFlatEncodeIsEncodingJSONs(t *testing.T) {
	for _, v := range []any{
		flatAll{S: "a<b>&\u2028\xff\"\\\n\x01", B: true, I: -1, I8: -128, U: 1 << 40, U16: 9, F: 1e21, F32: 1e-7, Name: "n", Skip: "x", Dash: 4, Kelvin: "k", hidden: 1},
		flatAll{},
		flatAll{F: math.Copysign(0, -1), F32: float32(math.Copysign(0, -1))},
		flatAll{F: 1e-7, F32: 123456789},
		flatAll{F: 0.000001, F32: 1e21},
		&flatAll{S: "pointer"},
		(*flatAll)(nil),
		flatAll{F: math.NaN()},
		flatAll{F32: float32(math.Inf(1))},
		struct{}{},
		// An interface holds a struct of one pointer as it is, not
		// through a pointer to a copy.
		struct{ p *int }{new(int)},
		&struct {
			N int `json:"n,omitempty"`
			p *int
		}{N: 2},
		map[string]int{"not": 1},
		nil,
	} {
		checkFlatEncode(t, v)
	}
}

func FuzzFlatEncode(f *testing.F) {
	f.Add("text<&>\u2028", int64(-5), uint64(7), 1.5, float32(2.5), true)
	f.Add("\xff", int64(math.MinInt64), uint64(math.MaxUint64), 1e-7, float32(1e21), false)
	f.Fuzz(func(t *testing.T, s string, i int64, u uint64, f64 float64, f32 float32, b bool) {
		checkFlatEncode(t, flatAll{S: s, B: b, I: int(i), I8: int8(i), U: uint(u), U16: uint16(u), F: f64, F32: f32, Name: s, Dash: int(i)})
	})
}

// The data of an echo in the benchmark suite, and of a burst's message.
type benchEcho struct {
	Seq  int    `json:"seq"`
	Text string `json:"text"`
}

func BenchmarkDecodeData(b *testing.B) {
	echo := Envelope{Data: json.RawMessage(`{"seq":123,"text":"` + strings.Repeat("x", 80) + `"}`)}
	small := Envelope{Data: json.RawMessage(`{"i":12345}`)}
	b.Run("echo/flat", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := DecodeData[benchEcho](echo); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("echo/encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var v benchEcho
			if err := json.Unmarshal(echo.Data, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
	type burst struct {
		I int `json:"i"`
	}
	b.Run("burst/flat", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := DecodeData[burst](small); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("burst/encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var v burst
			if err := json.Unmarshal(small.Data, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkEncodeData(b *testing.B) {
	v := benchEcho{Seq: 123, Text: strings.Repeat("x", 80)}
	b.Run("flat", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := EncodeData(v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(v); err != nil {
				b.Fatal(err)
			}
		}
	})
}
