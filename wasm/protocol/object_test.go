package protocol

import (
	"encoding/json"
	"reflect"
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

func TestDecodeObjectIsEncodingJSONs(t *testing.T) {
	for _, c := range objectCases {
		checkObject(t, []byte(c))
	}
	if _, ok := DecodeObject([]byte(objectCases[0])); !ok {
		t.Fatal("a feed's usual item went to encoding/json")
	}
}

func FuzzDecodeObject(f *testing.F) {
	for _, c := range objectCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, in []byte) { checkObject(t, in) })
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
