package protocol

import (
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"testing"
)

var objectCases = []string{
	`{"id":"r1","region":"EMEA","orders":42,"revenue":1234.5,"active":true,"note":null}`,
	` { "a" : [ 1 , "two" , { "b" : [] } , null ] , "c" : {} } `,
	`{"a":1,"a":2}`,
	`{"n":-0,"e":1e-7,"big":1e308,"huge":1e400}`,
	`{"s":"esc\"aped"}`,
	`{"s":"café ☕"}`,
	"{\"s\":\"bad \xff\"}",
	`{"a":01}`,
	`{"a":1,}`,
	`{"a":1} {}`,
	`[1]`,
	`{"deep":[[[[[[[[[[1]]]]]]]]]]}`,
	`{}`,
	``,
}

func checkObject(t *testing.T, in []byte) {
	t.Helper()
	var want map[string]any
	wantErr := json.Unmarshal(in, &want)
	got, ok := DecodeObject(in)
	if !ok {
		return // encoding/json decides
	}
	if wantErr != nil {
		t.Fatalf("%q: read fast, but encoding/json refuses it: %v", in, wantErr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: read fast as %#v, encoding/json reads %#v", in, got, want)
	}
}

// checkValue is checkObject for DecodeValue.
func checkValue(t *testing.T, in []byte) {
	t.Helper()
	var want any
	wantErr := json.Unmarshal(in, &want)
	got, ok := DecodeValue(in)
	if !ok {
		return
	}
	if wantErr != nil {
		t.Fatalf("%q: read fast as a value, but encoding/json refuses it: %v", in, wantErr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: read fast as %#v, encoding/json reads %#v", in, got, want)
	}
}

func TestDecodeObjectIsEncodingJSONs(t *testing.T) {
	for _, c := range objectCases {
		checkObject(t, []byte(c))
		checkValue(t, []byte(c))
	}
	for _, c := range []string{`"s"`, `[{"a":1},{"b":[true,false,null]}]`, `-1.5e3`, `null`, `[1,]`, `"\u00e9"`, `nul`} {
		checkValue(t, []byte(c))
	}
	if v, ok := DecodeValue([]byte(` [{"id":"a","n":1}] `)); !ok || !reflect.DeepEqual(v, []any{map[string]any{"id": "a", "n": 1.0}}) {
		t.Fatalf("an array of items: %#v, %v", v, ok)
	}
	if _, ok := DecodeObject([]byte(objectCases[0])); !ok {
		t.Fatal("a feed's usual item went to encoding/json")
	}
}

func FuzzDecodeObject(f *testing.F) {
	for _, c := range objectCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		checkObject(t, in)
		checkValue(t, in)
	})
}

// checkAppend checks that AppendObject writes what json.Marshal writes,
// for any object encoding/json decodes: every such object is of the types
// AppendObject takes.
func checkAppend(t *testing.T, in []byte) {
	t.Helper()
	var m map[string]any
	if json.Unmarshal(in, &m) != nil {
		return
	}
	want, err := json.Marshal(m)
	if err != nil {
		t.Fatalf("%q: json.Marshal: %v", in, err)
	}
	got, ok := AppendObject([]byte("x"), m)
	if !ok {
		t.Fatalf("%q: AppendObject refused %#v", in, m)
	}
	if string(got) != "x"+string(want) {
		t.Fatalf("%q: AppendObject wrote %s, json.Marshal %s", in, got[1:], want)
	}
}

var appendCases = []string{
	`{"id":"r1","region":"EMEA","orders":42,"revenue":1234.5,"active":true,"note":null}`,
	`{"b":1,"a":2,"A":3,"é":4,"":5}`,
	`{"html":"<a href=\"x\">&amp;</a>","ctl":"\u0001\n\t\r\b\f","sep":"\u2028\u2029","bad":"\ud800"}`,
	`{"n":-0,"tiny":1e-7,"small":0.000001,"big":1e21,"less":1e20,"neg":-1e-9,"max":1.7976931348623157e308}`,
	`{"list":[1,"two",[],{},null,[{"z":1,"y":[2]}]],"empty":{}}`,
}

func TestAppendObjectIsJSONMarshal(t *testing.T) {
	for _, c := range appendCases {
		checkAppend(t, []byte(c))
	}
	for _, m := range []map[string]any{
		nil,
		{"nilList": []any(nil), "nilMap": map[string]any(nil), "bad": "\xff\xfe"},
	} {
		want, _ := json.Marshal(m)
		if got, ok := AppendObject(nil, m); !ok || string(got) != string(want) {
			t.Errorf("%#v: wrote %s (%v), json.Marshal %s", m, got, ok, want)
		}
	}
	// What DecodeObject never makes goes to encoding/json.
	for _, m := range []map[string]any{{"int": 1}, {"nested": map[string]int{"a": 1}}, {"nan": math.NaN()}} {
		if _, ok := AppendObject(nil, m); ok {
			t.Errorf("%#v: written, want it left to encoding/json", m)
		}
	}
	cycle := map[string]any{}
	cycle["self"] = cycle
	if _, ok := AppendObject(nil, cycle); ok {
		t.Error("a cycle was written")
	}
}

func FuzzAppendObject(f *testing.F) {
	for _, c := range append(appendCases, objectCases...) {
		f.Add([]byte(c))
	}
	f.Fuzz(checkAppend)
}

func TestObjectFields(t *testing.T) {
	var got []string
	ok := ObjectFields([]byte(` {"seq": 7, "op":"upsert" ,"items":[{"a":1}], "x":{"y":[1,2]}} `), func(k, v []byte) bool {
		got = append(got, string(k)+"="+string(v))
		return true
	})
	want := []string{`seq=7`, `op="upsert"`, `items=[{"a":1}]`, `x={"y":[1,2]}`}
	if !ok || !reflect.DeepEqual(got, want) {
		t.Fatalf("fields %q (%v), want %q", got, ok, want)
	}
	for _, in := range []string{`{}`, ` { } `} {
		if !ObjectFields([]byte(in), func(k, v []byte) bool { t.Fatalf("%q: a field %s", in, k); return false }) {
			t.Errorf("%q refused", in)
		}
	}
	for _, in := range []string{``, `[]`, `{"a":1,}`, `{"a":1} x`, `{"a\n":1}`, `{"a":tru}`, `{"a":1`, `{a:1}`} {
		if ObjectFields([]byte(in), func(k, v []byte) bool { return true }) {
			t.Errorf("%q accepted", in)
		}
	}
	n := 0
	if ObjectFields([]byte(`{"a":1,"b":2}`), func(k, v []byte) bool { n++; return false }) || n != 1 {
		t.Errorf("a field's false did not stop the walk: %d calls", n)
	}
}

// FuzzObjectFields checks ObjectFields against encoding/json: what it
// accepts is an object encoding/json reads, with the same fields (the last
// of a repeated key winning).
func FuzzObjectFields(f *testing.F) {
	for _, c := range objectCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		got := map[string]string{}
		if !ObjectFields(in, func(k, v []byte) bool { got[string(k)] = string(v); return true }) {
			return
		}
		var want map[string]json.RawMessage
		if err := json.Unmarshal(in, &want); err != nil {
			t.Fatalf("%q: walked, but encoding/json refuses it: %v", in, err)
		}
		if len(got) != len(want) {
			t.Fatalf("%q: fields %q, encoding/json %q", in, got, want)
		}
		for k, v := range want {
			if got[k] != string(v) {
				t.Fatalf("%q: field %q is %q, encoding/json %q", in, k, got[k], v)
			}
		}
	})
}

func BenchmarkAppendObject(b *testing.B) {
	m, _ := DecodeObject([]byte(objectCases[0]))
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			buf, _ = AppendObject(buf[:0], m)
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(m); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkDecodeObject(b *testing.B) {
	in := []byte(objectCases[0])
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := DecodeObject(in); !ok {
				b.Fatal("refused")
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var m map[string]any
			if err := json.Unmarshal(in, &m); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// shortDecimal gives what strconv.ParseFloat gives, bit for bit.
func TestShortDecimalIsParseFloat(t *testing.T) {
	for _, s := range []string{"0", "-0", "7", "-12", "0.1", "0.3", "1.5", "-0.0", "12345.67", "999999999999999",
		"-999999999999999", "99999999999999.9", "0.00000000000001", "1234567890.12345", "4.35", "2.675", "0.07"} {
		want, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := shortDecimal([]byte(s))
		if !ok || math.Float64bits(got) != math.Float64bits(want) {
			t.Errorf("shortDecimal(%q) = %v, %v; ParseFloat gives %v", s, got, ok, want)
		}
	}
	for _, s := range []string{"1e5", "1E5", "1234567890123456", "0.1234567890123456", "-"} {
		if _, ok := shortDecimal([]byte(s)); ok {
			t.Errorf("shortDecimal(%q) took it", s)
		}
	}
}
