package protocol

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// slowDecode is what Decode did before the fast path: encoding/json.
func slowDecode(b []byte) (Envelope, error) {
	var e Envelope
	err := json.Unmarshal(b, &e)
	return e, err
}

func checkSame(t *testing.T, in []byte) {
	t.Helper()
	fast, ok := decodeFast(in)
	slow, err := slowDecode(in)
	if !ok {
		return // the fallback decides: same as slow by construction
	}
	if err != nil {
		t.Fatalf("fast path accepted %q, encoding/json refused it: %v", in, err)
	}
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("%q: fast %+v, encoding/json %+v", in, fast, slow)
	}
}

var fastCases = []string{
	`{"type":"message","channel":"dashboard:updates","data":{"a":[1,2.5e3,-0.1,true,false,null,"x\"y"]},"id":"42","ref":"7","timestamp":1764240000000}`,
	` { "type" : "pong" , "timestamp" : 17 } `,
	`{"type":"message","data":null}`,
	`{"type":"message","data":"text with \u00e9 and \n"}`,
	`{"type":"x","extra":{"nested":[[[]]]},"more":[1,{"a":"b"}]}`,
	`{"type":"héllo","channel":"日本:語"}`,
	`{}`,
	`{"type":"a","type":"b"}`,
	`{"Type":"message"}`,
	`{"type":"a\"b"}`,
	`{"type":1}`,
	`{"timestamp":1.5,"type":"x"}`,
	`{"timestamp":1e3,"type":"x"}`,
	`{"timestamp":99999999999999999999,"type":"x"}`,
	`{"type":"x"} trailing`,
	`{"type":"x",}`,
	`{"type":"x","data":01}`,
	`{"type":"x","data":[1,]}`,
	`{"type":"x","data":tru}`,
	`{"type":"\xff"}`,
	`{"type":"x","data":"\xff"}`,
	`{"type":"x","data":"\u12"}`,
	"{\"type\":\"x\",\"data\":\"a\tb\"}",
	`[]`,
	`null`,
	``,
}

func TestFastDecodeAgreesWithEncodingJSON(t *testing.T) {
	t.Parallel()
	accepted := 0
	for _, c := range fastCases {
		checkSame(t, []byte(c))
		if _, ok := decodeFast([]byte(c)); ok {
			accepted++
		}
	}
	if accepted < 6 {
		t.Fatalf("the fast path took only %d of the common cases", accepted)
	}
	// The usual envelopes take the fast path.
	for _, c := range fastCases[:4] {
		if _, ok := decodeFast([]byte(c)); !ok {
			t.Errorf("a common envelope fell back: %s", c)
		}
	}
	deep := `{"type":"x","data":` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `}`
	checkSame(t, []byte(deep))
}

func FuzzFastDecode(f *testing.F) {
	for _, c := range fastCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, in []byte) { checkSame(t, in) })
}

func BenchmarkDecode(b *testing.B) {
	in := []byte(`{"type":"message","channel":"dashboard:updates","data":{"row":42,"value":3.14,"label":"p99"},"id":"42","timestamp":1764240000000}`)
	b.Run("fast", func(b *testing.B) {
		for b.Loop() {
			if _, err := Decode(in); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		for b.Loop() {
			if _, err := slowDecode(in); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func checkEncode(t *testing.T, e Envelope) {
	t.Helper()
	fast, ok := encodeFast(e)
	slow, err := json.Marshal(e)
	if !ok {
		return
	}
	if err != nil {
		t.Fatalf("fast encoder took %+v, encoding/json refused it: %v", e, err)
	}
	if string(fast) != string(slow) {
		t.Fatalf("%+v:\nfast %s\njson %s", e, fast, slow)
	}
}

func TestFastEncodeWritesWhatEncodingJSONWrites(t *testing.T) {
	t.Parallel()
	cases := []Envelope{
		{Type: "message", Channel: "a:b", Data: json.RawMessage(`{"x":[1,2]}`), ID: "4", Ref: "r1", Timestamp: 17},
		{Type: "ping", Timestamp: -3},
		{Type: "t<>&\"\\\n\r\t\x01\u2028\u2029é\xff", Channel: "日本"},
		{Type: "x", Data: json.RawMessage(`null`)},
		{Type: "x", Data: json.RawMessage("{\n}")}, // not compact: falls back
		{Type: "x", Data: json.RawMessage(`{bad`)}, // invalid: falls back, and errs
	}
	for _, e := range cases {
		checkEncode(t, e)
	}
	if _, ok := encodeFast(cases[0]); !ok {
		t.Fatal("a common envelope fell back")
	}
}

func FuzzFastEncode(f *testing.F) {
	f.Add("message", "a:b", []byte(`{"x":1}`), "1", "r", int64(5))
	f.Add("t<\u2028\xff", "", []byte(`"s\n"`), "", "", int64(0))
	f.Fuzz(func(t *testing.T, typ, channel string, data []byte, id, ref string, ts int64) {
		checkEncode(t, Envelope{Type: typ, Channel: channel, Data: data, ID: id, Ref: ref, Timestamp: ts})
	})
}
