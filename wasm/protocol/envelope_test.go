package protocol_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/matih-ai/realtime/wasm/protocol"
)

func TestDecode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    protocol.Envelope
		wantErr bool
	}{
		{
			name: "every field",
			in:   `{"type":"message","channel":"dashboard:updates","data":{"v":1},"id":"42","ref":"7","timestamp":1764240000000}`,
			want: protocol.Envelope{Type: "message", Channel: "dashboard:updates", Data: json.RawMessage(`{"v":1}`), ID: "42", Ref: "7", Timestamp: 1764240000000},
		},
		{name: "type only", in: `{"type":"ping"}`, want: protocol.Envelope{Type: "ping"}},
		{name: "unknown fields are ignored", in: `{"type":"ack","ref":"1","extra":[1,2]}`, want: protocol.Envelope{Type: "ack", Ref: "1"}},
		{name: "namespaced type", in: `{"type":"presence.state","channel":"presence:doc-42"}`, want: protocol.Envelope{Type: "presence.state", Channel: "presence:doc-42"}},
		{name: "surrounding whitespace", in: " \t{\"type\":\"pong\",\"timestamp\":5}\r ", want: protocol.Envelope{Type: "pong", Timestamp: 5}},
		{name: "missing type", in: `{"channel":"a:b"}`, wantErr: true},
		{name: "empty type", in: `{"type":""}`, wantErr: true},
		{name: "not json", in: `{bad json`, wantErr: true},
		{name: "empty", in: ``, wantErr: true},
		{name: "array", in: `[1,2]`, wantErr: true},
		{name: "null", in: `null`, wantErr: true},
		{name: "type of the wrong kind", in: `{"type":1}`, wantErr: true},
		{name: "timestamp of the wrong kind", in: `{"type":"ping","timestamp":"now"}`, wantErr: true},
		{name: "trailing garbage", in: `{"type":"ping"}x`, wantErr: true},
		{name: "two envelopes on one line", in: `{"type":"ping"}{"type":"ping"}`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := protocol.Decode([]byte(tt.in))
			if tt.wantErr {
				if !errors.Is(err, protocol.ErrMalformed) {
					t.Fatalf("Decode(%q) = %+v, %v; want an error wrapping ErrMalformed", tt.in, got, err)
				}
				if !reflect.DeepEqual(got, protocol.Envelope{}) {
					t.Fatalf("Decode(%q) returned %+v with its error, want the zero envelope", tt.in, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("Decode(%q): %v", tt.in, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Decode(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestDecodeFrame(t *testing.T) {
	t.Parallel()
	ping := protocol.Envelope{Type: "ping", Timestamp: 1}
	msg := func(d string) protocol.Envelope {
		return protocol.Envelope{Type: "message", Channel: "x:y", Data: json.RawMessage(d)}
	}
	tests := []struct {
		name     string
		in       string
		want     []protocol.Envelope
		wantErrs int // how many lines are reported malformed
	}{
		{name: "empty frame", in: ``},
		{name: "blank lines only", in: "\n \n\t\r\n"},
		{name: "one envelope", in: `{"type":"ping","timestamp":1}`, want: []protocol.Envelope{ping}},
		{name: "one envelope and a final newline", in: "{\"type\":\"ping\",\"timestamp\":1}\n", want: []protocol.Envelope{ping}},
		{
			name: "several in order",
			in:   `{"type":"message","channel":"x:y","data":1}` + "\n" + `{"type":"message","channel":"x:y","data":2}` + "\n" + `{"type":"message","channel":"x:y","data":3}`,
			want: []protocol.Envelope{msg("1"), msg("2"), msg("3")},
		},
		{
			name: "blank and CRLF lines between",
			in:   "\n{\"type\":\"message\",\"channel\":\"x:y\",\"data\":1}\r\n\r\n  \n{\"type\":\"message\",\"channel\":\"x:y\",\"data\":2}\n\n",
			want: []protocol.Envelope{msg("1"), msg("2")},
		},
		{
			name:     "one malformed line among good ones",
			in:       `{"type":"message","channel":"x:y","data":1}` + "\n{bad json\n" + `{"type":"message","channel":"x:y","data":2}`,
			want:     []protocol.Envelope{msg("1"), msg("2")},
			wantErrs: 1,
		},
		{
			name:     "missing type among good ones",
			in:       `{"channel":"x:y"}` + "\n" + `{"type":"ping","timestamp":1}`,
			want:     []protocol.Envelope{ping},
			wantErrs: 1,
		},
		{
			name:     "an envelope split across lines is two bad lines",
			in:       "{\"type\":\n\"ping\"}",
			wantErrs: 2,
		},
		{name: "only bad lines", in: "[]\nnull\n{", wantErrs: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := protocol.DecodeFrame([]byte(tt.in))
			checkRaw(t, []byte(tt.in), got)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("DecodeFrame(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
			if tt.wantErrs == 0 {
				if err != nil {
					t.Fatalf("DecodeFrame(%q): %v", tt.in, err)
				}
				return
			}
			if !errors.Is(err, protocol.ErrMalformed) {
				t.Fatalf("DecodeFrame(%q) error %v, want one wrapping ErrMalformed", tt.in, err)
			}
			var joined interface{ Unwrap() []error }
			if !errors.As(err, &joined) || len(joined.Unwrap()) != tt.wantErrs {
				t.Fatalf("DecodeFrame(%q) error %v, want %d joined errors", tt.in, err, tt.wantErrs)
			}
		})
	}
}

// checkRaw checks that each envelope's Raw is its line of frame, trimmed
// of whitespace, then clears Raw for comparisons.
func checkRaw(t *testing.T, frame []byte, envs []protocol.Envelope) {
	t.Helper()
	var lines [][]byte
	for l := range bytes.SplitSeq(frame, []byte("\n")) {
		if _, err := protocol.Decode(l); err == nil {
			lines = append(lines, bytes.Trim(l, " \t\r"))
		}
	}
	if len(envs) != len(lines) {
		t.Fatalf("DecodeFrame(%q) gave %d envelopes, want %d", frame, len(envs), len(lines))
	}
	for i := range envs {
		if !bytes.Equal(envs[i].Raw, lines[i]) {
			t.Fatalf("DecodeFrame(%q) envelope %d: Raw %q, want %q", frame, i, envs[i].Raw, lines[i])
		}
		envs[i].Raw = nil
	}
}

func TestDecodeFrameViewsTheFrame(t *testing.T) {
	t.Parallel()
	frame := []byte(" {\"type\":\"message\",\"channel\":\"a:b\",\"data\":[1,2],\"id\":\"7\"}\r\n{\"type\":\"ack\",\"ref\":\"r\"}")
	envs, err := protocol.DecodeFrame(frame)
	if err != nil || len(envs) != 2 {
		t.Fatalf("DecodeFrame: %+v, %v", envs, err)
	}
	if got, want := string(envs[0].Raw), `{"type":"message","channel":"a:b","data":[1,2],"id":"7"}`; got != want {
		t.Fatalf("Raw %s, want %s", got, want)
	}
	if got, want := string(envs[1].Raw), `{"type":"ack","ref":"r"}`; got != want {
		t.Fatalf("Raw %s, want %s", got, want)
	}
	// Data and the strings are views, but for the core types: constants,
	// which keep no frame alive.
	if &envs[0].Data[0] != &frame[bytes.IndexByte(frame, '[')] {
		t.Fatal("Data is a copy, want a view of the frame")
	}
	if unsafe.StringData(envs[0].Channel) != &frame[bytes.Index(frame, []byte("a:b"))] {
		t.Fatal("Channel is a copy, want a view of the frame")
	}
	if unsafe.StringData(envs[0].Type) != unsafe.StringData(protocol.TypeMessage) {
		t.Fatal("the type message is not the constant")
	}
	// Appending to Data or Raw leaves the frame be: they are capped.
	before := string(frame)
	_ = append(envs[0].Data, "xxxxxxxx"...)
	_ = append(envs[0].Raw, "xxxxxxxx"...)
	if string(frame) != before {
		t.Fatalf("appending to Data or Raw wrote over the frame: %q", frame)
	}

	// Decode copies: its caller may reuse the buffer.
	line := []byte(`{"type":"message","data":[1,2]}`)
	e, err := protocol.Decode(line)
	if err != nil {
		t.Fatal(err)
	}
	copy(line, bytes.Repeat([]byte("z"), len(line)))
	if string(e.Data) != "[1,2]" || e.Type != "message" || e.Raw != nil {
		t.Fatalf("Decode's envelope changed with its input: %+v", e)
	}
}

func TestDecodeFrameAllocatesOnlyItsResult(t *testing.T) {
	var frame []byte
	for i := range 50 {
		frame = fmt.Appendf(frame, `{"type":"message","channel":"bench:burst","data":{"i":%d},"id":"%d","timestamp":1764240000000}`+"\n", i, i)
	}
	frame = append(frame, `{"type":"pong","timestamp":-5}`...)
	allocs := testing.AllocsPerRun(20, func() {
		if envs, err := protocol.DecodeFrame(frame); err != nil || len(envs) != 51 {
			t.Fatal(len(envs), err)
		}
	})
	if allocs != 1 {
		t.Fatalf("DecodeFrame of 51 envelopes made %v allocations, want 1 (the result)", allocs)
	}
}

func TestParseID(t *testing.T) {
	for _, id := range []string{
		"0", "7", "42", "007", "0000", "1764240000000123",
		"18446744073709551615", "018446744073709551615", // the maximum
		"18446744073709551616", "18446744073709551620", "99999999999999999999", "184467440737095516150", // overflow
		"", "+1", "-1", "-0", " 1", "1 ", "1a", "a1", "1_000", "0x10", "1.0", "1e3", "\u0661",
	} {
		want, err := strconv.ParseUint(id, 10, 64)
		got, ok := protocol.ParseID(id)
		if ok != (err == nil) || got != want && ok {
			t.Errorf("ParseID(%q) = %d, %v; strconv.ParseUint: %d, %v", id, got, ok, want, err)
		}
	}
	if allocs := testing.AllocsPerRun(10, func() { protocol.ParseID("1764240000000123") }); allocs != 0 {
		t.Fatalf("ParseID made %v allocations", allocs)
	}
}

func FuzzParseID(f *testing.F) {
	f.Add("42")
	f.Add("18446744073709551616")
	f.Add("+1")
	f.Fuzz(func(t *testing.T, id string) {
		got, ok := protocol.ParseID(id)
		want, err := strconv.ParseUint(id, 10, 64)
		digits := id != "" && strings.Trim(id, "0123456789") == ""
		if ok != (err == nil && digits) || ok && got != want {
			t.Fatalf("ParseID(%q) = %d, %v; strconv.ParseUint: %d, %v", id, got, ok, want, err)
		}
	})
}

func TestEncode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      protocol.Envelope
		want    string // exact output; empty to check only the round trip
		wantErr bool
	}{
		{
			name: "empty fields are left out",
			in:   protocol.Envelope{Type: "ping", Timestamp: 7},
			want: `{"type":"ping","timestamp":7}`,
		},
		{
			name: "every field",
			in:   protocol.Envelope{Type: "message", Channel: "a:b", Data: json.RawMessage(`{"v":1}`), ID: "3", Ref: "r1", Timestamp: 9},
			want: `{"type":"message","channel":"a:b","id":"3","ref":"r1","timestamp":9,"data":{"v":1}}`,
		},
		{
			name: "strings with newlines in data",
			in:   protocol.Envelope{Type: "publish", Channel: "chat:room", Data: mustMarshal(t, map[string]string{"text": "line 1\nline 2\r\n"})},
		},
		{
			name: "data indented over several lines",
			in:   protocol.Envelope{Type: "publish", Channel: "chat:room", Data: json.RawMessage("{\n  \"a\": [\n    1,\n    2\n  ]\n}\n")},
			want: `{"type":"publish","channel":"chat:room","data":{"a":[1,2]}}`,
		},
		{
			name: "newlines in the other fields",
			in:   protocol.Envelope{Type: "x\ny", Channel: "a\nb", ID: "\n", Ref: "\r\n"},
		},
		{
			name: "raw is not encoded",
			in:   protocol.Envelope{Type: "ping", Timestamp: 7, Raw: []byte(`{"type":"other"}`)},
			want: `{"type":"ping","timestamp":7}`,
		},
		{
			name: "raw is not encoded by encoding/json either",
			in:   protocol.Envelope{Type: "x", Data: json.RawMessage("{\n}"), Raw: []byte(`{"type":"other"}`)},
			want: `{"type":"x","data":{}}`,
		},
		{name: "missing type", in: protocol.Envelope{Channel: "a:b", Data: json.RawMessage(`1`)}, wantErr: true},
		{name: "data is not JSON", in: protocol.Envelope{Type: "publish", Data: json.RawMessage(`{bad`)}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, err := protocol.Encode(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("Encode(%+v) = %s, want an error", tt.in, b)
				}
				return
			}
			if err != nil {
				t.Fatalf("Encode(%+v): %v", tt.in, err)
			}
			if bytes.ContainsAny(b, "\n") {
				t.Fatalf("Encode(%+v) = %q holds a newline: it would split a batched frame", tt.in, b)
			}
			if tt.want != "" && string(b) != tt.want {
				t.Fatalf("Encode(%+v) = %s, want %s", tt.in, b, tt.want)
			}
			got, err := protocol.Decode(b)
			if err != nil {
				t.Fatalf("Decode(Encode(%+v)): %v", tt.in, err)
			}
			assertSameEnvelope(t, got, tt.in)
		})
	}

	t.Run("missing type wraps ErrMalformed", func(t *testing.T) {
		t.Parallel()
		if _, err := protocol.Encode(protocol.Envelope{}); !errors.Is(err, protocol.ErrMalformed) {
			t.Fatalf("Encode of an envelope without type: %v, want ErrMalformed", err)
		}
	})
}

func TestEncodedEnvelopesJoinIntoOneFrame(t *testing.T) {
	t.Parallel()
	in := []protocol.Envelope{
		{Type: "message", Channel: "x:y", Data: mustMarshal(t, "a\nb"), ID: "1"},
		{Type: "message", Channel: "x:y", Data: json.RawMessage("[\n1\n]"), ID: "2"},
		{Type: "ack", Ref: "3"},
	}
	var lines [][]byte
	for _, e := range in {
		b, err := protocol.Encode(e)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, b)
	}
	got, err := protocol.DecodeFrame(bytes.Join(lines, []byte("\n")))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(in) {
		t.Fatalf("decoded %d envelopes from a frame of %d", len(got), len(in))
	}
	for i := range in {
		assertSameEnvelope(t, got[i], in[i])
	}
}

func TestValidChannel(t *testing.T) {
	t.Parallel()
	good := []string{
		"dashboard:updates",
		"presence:doc-42",
		"query:0af3.b_c",
		"echo:t",
		"a:b",
		"user:alice@example.com",
		"a:b:c",
		"A:Z9",
		"k:" + strings.Repeat("n", protocol.MaxChannelLen-2),
	}
	bad := []string{
		"",
		"nokind",
		":name",
		"kind:",
		":",
		"a:b c",
		"a:b/c",
		"a:b\n",
		"a:é",
		"a:b#",
		"a:b*",
		"k:" + strings.Repeat("n", protocol.MaxChannelLen-1),
	}
	for _, name := range good {
		if err := protocol.ValidChannel(name); err != nil {
			t.Errorf("ValidChannel(%.40q): %v, want nil", name, err)
		}
	}
	for _, name := range bad {
		if err := protocol.ValidChannel(name); err == nil {
			t.Errorf("ValidChannel(%.40q) = nil, want an error", name)
		}
	}
	err := protocol.ValidChannel("k:" + strings.Repeat("n", 300))
	if err == nil || !strings.Contains(err.Error(), "longer") {
		t.Errorf("too long a channel: %v, want an error saying it is too long", err)
	}
	// The error names the character, a whole one past ASCII.
	for name, char := range map[string]string{"a:café": `'é'`, "a:b c": `' '`, "a:b\xff": "'\uFFFD'"} {
		if err := protocol.ValidChannel(name); err == nil || !strings.Contains(err.Error(), "the character "+char) {
			t.Errorf("ValidChannel(%q): %v, want an error naming %s", name, err, char)
		}
	}
}

func TestChannelKind(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"echo:t": "echo", "a:b:c": "a", "nokind": "nokind", "": ""} {
		if got := protocol.ChannelKind(in); got != want {
			t.Errorf("ChannelKind(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestErrorRoundTrip(t *testing.T) {
	t.Parallel()
	e := protocol.NewError("7", protocol.CodeBadChannel, "channel \"x\" is not of the form kind:name")
	if e.Type != protocol.TypeError || e.Ref != "7" {
		t.Fatalf("NewError = %+v, want an error envelope with ref 7", e)
	}
	b, err := protocol.Encode(e)
	if err != nil {
		t.Fatal(err)
	}
	got, err := protocol.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	var d *protocol.ErrorData
	if !errors.As(got.Err(), &d) {
		t.Fatalf("Err() = %v, want a *ErrorData", got.Err())
	}
	if d.Code != protocol.CodeBadChannel || d.Message != `channel "x" is not of the form kind:name` {
		t.Fatalf("round trip gave %+v", d)
	}
	if s := d.Error(); !strings.Contains(s, protocol.CodeBadChannel) || !strings.Contains(s, "kind:name") {
		t.Fatalf("Error() = %q, want the code and the message", s)
	}
	data, err := protocol.DecodeData[protocol.ErrorData](got)
	if err != nil || data != *d {
		t.Fatalf("DecodeData = %+v, %v; want %+v", data, err, *d)
	}
}

func TestErr(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		in       protocol.Envelope
		wantCode string // "" for no error
	}{
		{name: "ack", in: protocol.Envelope{Type: protocol.TypeAck, Data: json.RawMessage(`{"code":"x","message":"y"}`)}},
		{name: "message", in: protocol.Envelope{Type: protocol.TypeMessage, Data: json.RawMessage(`{"code":"x"}`)}},
		{name: "error", in: protocol.NewError("", protocol.CodeForbidden, "no"), wantCode: protocol.CodeForbidden},
		{name: "error without data", in: protocol.Envelope{Type: protocol.TypeError}, wantCode: "unknown"},
		{name: "error with a string", in: protocol.Envelope{Type: protocol.TypeError, Data: json.RawMessage(`"boom"`)}, wantCode: "unknown"},
		{name: "error without code", in: protocol.Envelope{Type: protocol.TypeError, Data: json.RawMessage(`{"message":"m"}`)}, wantCode: "unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.in.Err()
			if tt.wantCode == "" {
				if err != nil {
					t.Fatalf("Err() = %v, want nil", err)
				}
				return
			}
			var d *protocol.ErrorData
			if !errors.As(err, &d) || d.Code != tt.wantCode {
				t.Fatalf("Err() = %v, want code %q", err, tt.wantCode)
			}
		})
	}
	// An error the server could not explain still shows what it sent.
	err := protocol.Envelope{Type: protocol.TypeError, Data: json.RawMessage(`"boom"`)}.Err()
	if !strings.Contains(err.Error(), "boom") {
		t.Errorf("Err() = %v, want the raw data in the message", err)
	}
}

func TestDecodeData(t *testing.T) {
	t.Parallel()
	type point struct {
		X, Y int
	}
	p, err := protocol.DecodeData[point](protocol.Envelope{Type: "message", Data: json.RawMessage(`{"X":1,"Y":2}`)})
	if err != nil || p != (point{1, 2}) {
		t.Fatalf("DecodeData = %+v, %v; want {1 2}", p, err)
	}
	n, err := protocol.DecodeData[int](protocol.Envelope{Type: "message", Data: json.RawMessage(`42`)})
	if err != nil || n != 42 {
		t.Fatalf("DecodeData[int] = %d, %v; want 42", n, err)
	}
	_, err = protocol.DecodeData[point](protocol.Envelope{Type: "message", Channel: "x:y"})
	if err == nil || !strings.Contains(err.Error(), "no data") || !strings.Contains(err.Error(), "x:y") {
		t.Fatalf("DecodeData without data: %v, want an error naming the channel", err)
	}
	_, err = protocol.DecodeData[point](protocol.Envelope{Type: "message", Channel: "x:y", Data: json.RawMessage(`"text"`)})
	var typeErr *json.UnmarshalTypeError
	if !errors.As(err, &typeErr) || !strings.Contains(err.Error(), "x:y") {
		t.Fatalf("DecodeData of the wrong shape: %v, want a wrapped *json.UnmarshalTypeError naming the channel", err)
	}
}

func TestIsFinal(t *testing.T) {
	t.Parallel()
	for code, want := range map[int]bool{
		protocol.CloseUnauthorized:    true,
		protocol.CloseForbidden:       true,
		protocol.CloseNormal:          false,
		protocol.CloseGoingAway:       false,
		protocol.CloseMessageTooBig:   false,
		protocol.CloseInternalError:   false,
		protocol.CloseServiceRestart:  false,
		protocol.CloseTryAgainLater:   false,
		protocol.CloseHeartbeatFailed: false,
		1006:                          false,
		3000:                          false,
		4400:                          false,
	} {
		if got := protocol.IsFinal(code); got != want {
			t.Errorf("IsFinal(%d) = %v, want %v", code, got, want)
		}
	}
}

func FuzzDecodeFrame(f *testing.F) {
	f.Add([]byte(`{"type":"message","channel":"dashboard:updates","data":{"v":1},"id":"42","ref":"7","timestamp":1764240000000}`))
	f.Add([]byte("{\"type\":\"ping\",\"timestamp\":1}\n\n{\"type\":\"ack\",\"ref\":\"3\"}\r\n"))
	f.Add([]byte("{bad json\n{\"type\":\"pong\"}"))
	f.Add([]byte(`{"channel":"a:b"}`))
	f.Add([]byte(`{"type":"publish","data":{ "text" : "a\nb\u2028<&>" , "n": 1e400 }}`))
	f.Add([]byte(`{"TYPE":"x","data":null,"type":"y"}`))
	f.Add([]byte("{\"type\":\"\xff\",\"data\":\"\xfe\"}"))
	f.Add([]byte(" {\"type\":\"message\",\"timestamp\":-9223372036854775808}\r\n\t{\"type\":\"ack\",\"timestamp\":9223372036854775808}\n\v\n"))
	f.Fuzz(func(t *testing.T, frame []byte) {
		envs, _ := protocol.DecodeFrame(frame)
		checkRaw(t, frame, envs)
		for _, e := range envs {
			if e.Type == "" {
				t.Fatalf("DecodeFrame(%q) returned %+v without a type", frame, e)
			}
			b, err := protocol.Encode(e)
			if err != nil {
				t.Fatalf("Encode of the decoded %+v: %v", e, err)
			}
			if bytes.ContainsAny(b, "\n") {
				t.Fatalf("Encode(%+v) = %q holds a newline", e, b)
			}
			again, err := protocol.DecodeFrame(b)
			if err != nil || len(again) != 1 {
				t.Fatalf("DecodeFrame(Encode(%+v)) = %+v, %v; want the one envelope", e, again, err)
			}
			// Strings come back as decoded (invalid UTF-8 was already
			// replaced), and data as the same JSON value, though
			// encoding compacts it and escapes <, > and &.
			assertSameEnvelope(t, again[0], e)
		}
	})
}

// assertSameEnvelope checks that got and want are the same envelope: every
// field equal, and the data the same JSON value.
func assertSameEnvelope(t *testing.T, got, want protocol.Envelope) {
	t.Helper()
	gd, wd := got.Data, want.Data
	got.Data, want.Data = nil, nil
	got.Raw, want.Raw = nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("envelope %+v, want %+v", got, want)
	}
	if len(gd) == 0 && len(wd) == 0 {
		return
	}
	if !reflect.DeepEqual(jsonValue(t, gd), jsonValue(t, wd)) {
		t.Fatalf("data %s, want %s", gd, wd)
	}
}

// jsonValue decodes JSON into comparable Go values, numbers kept as written.
func jsonValue(t *testing.T, b []byte) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("data %q is not JSON: %v", b, err)
	}
	return v
}

func mustMarshal(t *testing.T, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
