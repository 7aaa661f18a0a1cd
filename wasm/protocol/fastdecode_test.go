package protocol

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unsafe"
)

// slowDecode is what Decode did before the fast path: encoding/json.
func slowDecode(b []byte) (Envelope, error) {
	var e Envelope
	err := json.Unmarshal(b, &e)
	return e, err
}

// fastDecode is decodeFast returning its envelope.
func fastDecode(b []byte, s string, view bool) (Envelope, bool) {
	var e Envelope
	ok := decodeFast(&e, b, s, view)
	return e, ok
}

// checkSame checks decodeFast against encoding/json, copying (Decode) and
// viewing (DecodeFrame), and DecodeFrame of in as a one-line frame.
func checkSame(t *testing.T, in []byte) {
	t.Helper()
	slow, err := slowDecode(in)
	for _, view := range []bool{false, true} {
		fast, ok := fastDecode(in, string(in), view)
		if !ok {
			continue // the fallback decides: same as slow by construction
		}
		if err != nil {
			t.Fatalf("fast path (view %v) accepted %q, encoding/json refused it: %v", view, in, err)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("%q (view %v): fast %+v, encoding/json %+v", in, view, fast, slow)
		}
		if !view && len(fast.Data) > 0 && aliases(fast.Data, in) {
			t.Fatalf("%q: Decode's data aliases its input", in)
		}
	}
	if bytes.IndexByte(in, '\n') >= 0 {
		return
	}
	frame := bytes.Clone(in) // DecodeFrame owns it
	envs, ferr := DecodeFrame(frame)
	switch {
	case len(bytes.TrimSpace(in)) == 0:
		if envs != nil || ferr != nil {
			t.Fatalf("DecodeFrame(%q) of a blank line = %+v, %v", in, envs, ferr)
		}
	case err != nil || slow.Type == "":
		if envs != nil || ferr == nil {
			t.Fatalf("DecodeFrame(%q) = %+v, %v; want an error", in, envs, ferr)
		}
	default:
		if len(envs) != 1 || ferr != nil {
			t.Fatalf("DecodeFrame(%q) = %+v, %v; want one envelope", in, envs, ferr)
		}
		got := envs[0]
		if raw := bytes.Trim(in, " \t\r"); !bytes.Equal(got.Raw, raw) || !aliases(got.Raw, frame) {
			t.Fatalf("DecodeFrame(%q): Raw %q, want a view of %q", in, got.Raw, raw)
		}
		got.Raw = nil
		if !reflect.DeepEqual(got, slow) {
			t.Fatalf("DecodeFrame(%q) = %+v, encoding/json %+v", in, got, slow)
		}
	}
}

// aliases reports whether sub lies within b.
func aliases(sub, b []byte) bool {
	if len(sub) == 0 || len(b) == 0 {
		return false
	}
	p, lo := uintptr(unsafe.Pointer(&sub[0])), uintptr(unsafe.Pointer(&b[0]))
	return p >= lo && p < lo+uintptr(len(b))
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
	`{"type":"x","timestamp":9223372036854775807}`,
	`{"type":"x","timestamp":-9223372036854775808}`,
	`{"type":"x","timestamp":9223372036854775808}`,
	`{"type":"x","timestamp":-9223372036854775809}`,
	`{"type":"x","timestamp":10000000000000000000}`,
	`{"type":"x","timestamp":-0}`,
	`{"type":"x","timestamp":007}`,
	`{"type":"x","timestamp":-}`,
	`{"type":"x","timestamp":1E3}`,
	`{"type":"x","timestamp":"1"}`,
	`{"type":"subscribe","channel":"a:é\"b"}`,
	`{"type":"unsubscribe","id":"aé"}`,
	"\t{\"type\":\"ack\"}\r ",
	// Messages as Encode writes them (decodeMessage), and near misses.
	`{"type":"message","channel":"bench:burst","id":"12345","timestamp":1764240000000,"data":{"i":12345}}`,
	`{"type":"message","channel":"a:b","id":"x-1"}`,
	`{"type":"message","channel":"a:b","id":"1","data":"é \u00e9 \n"} `,
	`{"type":"message","channel":"a:b","id":"1","timestamp":1,"data":1,"id":"2"}`,
	`{"type":"message","channel":"a:b","id":"1","data":1,"Data":2}`,
	`{"type":"message","channel":"a\"b","id":"1","data":1}`,
	`{"type":"message","channel":"a:b","id":"1","timestamp":1.5,"data":1}`,
	`{"type":"message","channel":"a:b","id":"1","data":[1,}`,
	`{"type":"message","channel":"a:b","id":"1","data":1}x`,
	`{"type":"message","channel":"a:b","id":1,"data":1}`,
	`{"type":"message","channel":"a:b","id":"1","ref":"r","data":1}`,
}

func TestFastDecodeAgreesWithEncodingJSON(t *testing.T) {
	t.Parallel()
	accepted := 0
	for _, c := range fastCases {
		checkSame(t, []byte(c))
		if _, ok := fastDecode([]byte(c), "", false); ok {
			accepted++
		}
	}
	if accepted < 6 {
		t.Fatalf("the fast path took only %d of the common cases", accepted)
	}
	// The usual envelopes take the fast path.
	for _, c := range fastCases[:4] {
		if _, ok := fastDecode([]byte(c), "", false); !ok {
			t.Errorf("a common envelope fell back: %s", c)
		}
	}
	// Messages as Encode writes them take decodeMessage.
	for _, c := range []string{
		`{"type":"message","channel":"bench:burst","id":"12345","timestamp":1764240000000,"data":{"i":12345}}`,
		`{"type":"message","channel":"a:b","id":"x-1"}`,
	} {
		if !decodeMessage(&Envelope{}, []byte(c), c, true) {
			t.Errorf("a message as Encode writes it missed decodeMessage: %s", c)
		}
	}
	// So do timestamps at the ends of int64's range.
	for _, c := range []string{`{"type":"x","timestamp":9223372036854775807}`, `{"type":"x","timestamp":-9223372036854775808}`} {
		if _, ok := fastDecode([]byte(c), "", false); !ok {
			t.Errorf("a timestamp in range fell back: %s", c)
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

// burstFrame is a frame of n message envelopes as the server batches them.
func burstFrame(n int) []byte {
	var b []byte
	for i := range n {
		if i > 0 {
			b = append(b, '\n')
		}
		b = fmt.Appendf(b, `{"type":"message","channel":"bench:burst","id":"%d","timestamp":%d,"data":{"i":%d}}`, 12345+i, 1764240000000+int64(i), 12345+i)
	}
	return b
}

func BenchmarkDecodeFrame(b *testing.B) {
	const n = 300
	// DecodeFrame owns its frame; reusing it is fine here, as nothing
	// keeps the envelopes of an earlier round.
	frame := burstFrame(n)
	for b.Loop() {
		envs, err := DecodeFrame(frame)
		if err != nil || len(envs) != n {
			b.Fatal(len(envs), err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/envelope")
}

func BenchmarkScanHeads(b *testing.B) {
	const n = 300
	var frame []byte
	for i := range n {
		if i > 0 {
			frame = append(frame, '\n')
		}
		e, err := Encode(Envelope{Type: TypeMessage, Channel: "bench:burst", ID: fmt.Sprint(12345 + i), Timestamp: 1764240000000 + int64(i), Data: []byte(fmt.Sprintf(`{"i":%d}`, 12345+i))})
		if err != nil {
			b.Fatal(err)
		}
		frame = append(frame, e...)
	}
	var heads []Head
	for b.Loop() {
		var ok bool
		heads, ok = ScanHeads(heads[:0], frame)
		if !ok || len(heads) != n {
			b.Fatal(len(heads), ok)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/line")
}
