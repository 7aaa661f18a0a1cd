package live

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/matih-ai/realtime/wasm/protocol"
)

var deltaCases = []string{
	`{"seq":12,"op":"upsert","items":[{"id":"r1","region":"EMEA","orders":42,"revenue":1234.5}]}`,
	`{"seq":13,"op":"remove","keys":["r1","r2"]}`,
	`{"seq":14,"op":"replace","items":[]}`,
	`{"seq":15,"op":"append","items":[{"id":"a","tags":["x",{"y":null}]}],"extra":{"ignored":[1,2]}}`,
	` { "seq" : 16 , "op" : "upsert" , "items" : null , "keys" : null } `,
	`{"seq":1,"items":[{"a":1}],"items":[{"b":2}]}`,
	`{"SEQ":17,"op":"upsert"}`,
	`{"seq":18,"Op":"upsert","ſeq":3}`,
	`{"seq":1.0,"op":"upsert"}`,
	`{"seq":-1}`,
	`{"seq":18446744073709551616}`,
	`{"seq":null,"op":null}`,
	`{"seq":19,"op":"upsert","items":[1]}`,
	`{"seq":20,"op":"upsert","items":[{"s":"esc\"aped"}]}`,
	`{"seq":21,"keys":["a",1]}`,
	`{"seq":22,"op":"up\u0073ert"}`,
	`{"seq":23}x`,
	`[]`,
	``,
}

// checkDelta checks decodeDelta against json.Unmarshal into a Delta.
func checkDelta(t *testing.T, in []byte) {
	t.Helper()
	got, gotErr := decodeDelta(protocol.Envelope{Type: TypeDelta, Channel: "live:t", Data: in})
	var want Delta
	wantErr := json.Unmarshal(in, &want)
	if (gotErr == nil) != (wantErr == nil) {
		t.Fatalf("%q: decodeDelta's error %v, encoding/json's %v", in, gotErr, wantErr)
	}
	if gotErr == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: decodeDelta gave %#v, encoding/json %#v", in, got, want)
	}
}

func TestDecodeDeltaIsEncodingJSONs(t *testing.T) {
	for _, c := range deltaCases {
		checkDelta(t, []byte(c))
	}
	// The server's deltas take the fast way.
	for _, c := range deltaCases[:5] {
		var d Delta
		if !protocol.ObjectFields([]byte(c), d.field) {
			t.Errorf("%s went to encoding/json", c)
		}
	}
}

func FuzzDecodeDelta(f *testing.F) {
	for _, c := range deltaCases {
		f.Add([]byte(c))
	}
	f.Fuzz(checkDelta)
}

func BenchmarkDecodeDelta(b *testing.B) {
	e := protocol.Envelope{Type: TypeDelta, Channel: "live:t", Data: []byte(deltaCases[0])}
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := decodeDelta(e); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := protocol.DecodeData[Delta](e); err != nil {
				b.Fatal(err)
			}
		}
	})
}
