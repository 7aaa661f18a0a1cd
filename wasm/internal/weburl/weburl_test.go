package weburl

import (
	"net/url"
	"strings"
	"testing"
)

// urls are the URLs the clients are configured with, and some they
// should refuse.
var urls = []string{
	"ws://localhost:8080/ws",
	"wss://example.com/rt/ws?token=x&b=2#top",
	"WS://Host.Example/ws",
	"ws://host",
	"ws://host/",
	"ws://user:pass@host:1/ws",
	"ws://[::1]:8080/ws",
	"ws://[fe80::1%25en0]/ws",
	"ws://127.0.0.1:1/ws",
	"ws:///ws",
	"ws://host:/ws",
	"http://h/sse/answer?q=a%20b",
	"http://h/a b",
	"http://h/café",
	"http://h/%41%2f",
	"ws:opaque",
	"/ws",
	"//other.example/ws",
	"../ws",
	"?q=1",
	"#frag",
	"",
	"mailto:x@y",
	"1http://h/",
	// refused
	"ws://a b",
	"ws://h:8x/ws",
	"ws://[::1/ws",
	"ws://[::1]x/ws",
	"http://h/%zz",
	"http://h/%4",
	"http://h/#%zz",
	"ws://%zz/",
	"ws://h/\x00",
	"ws://h/\x7f",
	"ws://h/a\nb",
	":ws",
	"a:b/c",
	"ws://h{}/",
}

// stricter are URLs net/url takes and Parse refuses: a browser's URL
// parser refuses them too.
var stricter = []string{"ws://h:80:80/ws", "ws://h<x>/ws", `ws://h"/ws`}

// Parse agrees with net/url: it refuses what net/url refuses, and what it
// takes it writes back as net/url does, with the same scheme and host.
func TestParseAgreesWithNetURL(t *testing.T) {
	t.Parallel()
	for _, raw := range stricter {
		if _, err := url.Parse(raw); err != nil {
			t.Errorf("net/url refuses %q now: %v", raw, err)
		}
		if _, err := Parse(raw); err == nil {
			t.Errorf("Parse(%q) took it", raw)
		}
	}
	for _, raw := range urls {
		want, wantErr := url.Parse(raw)
		got, err := Parse(raw)
		if (err != nil) != (wantErr != nil) {
			t.Errorf("Parse(%q): %v; net/url: %v", raw, err, wantErr)
			continue
		}
		if err != nil {
			continue
		}
		host := strings.ReplaceAll(want.Host, "%", "%25") // net/url's is unescaped
		if want.User != nil {
			host = want.User.String() + "@" + host
		}
		if got.Scheme != want.Scheme || got.Host != host || got.IsAbs() != want.IsAbs() {
			t.Errorf("Parse(%q): scheme %q host %q abs %v; net/url: %q %q %v", raw, got.Scheme, got.Host, got.IsAbs(), want.Scheme, host, want.IsAbs())
		}
		if s, w := got.String(), want.String(); s != w && !strings.ContainsAny(raw, " é") {
			t.Errorf("Parse(%q).String() = %q; net/url: %q", raw, s, w)
		}
	}
}

// What a client checks reads the same: the refusals name the part.
func TestParseErrors(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]string{
		"ws://a b":      `invalid character " " in host name`,
		"ws://h:8x/ws":  `invalid port ":8x" after host`,
		"http://h/%zz":  `invalid URL escape "%zz"`,
		"ws://h/\x00":   "invalid control character in URL",
		":ws":           "missing protocol scheme",
		"ws://[::1/ws":  "missing ']' in host",
		"a:b/c":         "",
		"ws://h/a%":     `invalid URL escape "%"`,
		"ws://h/a%4":    `invalid URL escape "%4"`,
		"ws://u%zz@h/x": `invalid URL escape "%zz"`,
	} {
		_, err := Parse(raw)
		switch {
		case want == "" && err != nil:
			t.Errorf("Parse(%q): %v", raw, err)
		case want != "" && (err == nil || err.Error() != want):
			t.Errorf("Parse(%q): %v, want %s", raw, err, want)
		}
	}
}

// ResolveReference agrees with net/url's, which follows RFC 3986, and with
// the RFC's own examples (section 5.4).
func TestResolveReference(t *testing.T) {
	t.Parallel()
	bases := []string{"http://a/b/c/d;p?q", "https://secure.example/app", "http://h/", "http://h", "http://h/a/b/c"}
	refs := []string{
		"g:h", "g", "./g", "g/", "/g", "//g", "?y", "g?y", "#s", "g#s", "g?y#s", ";x", "g;x", "g;x?y#s", "",
		".", "./", "..", "../", "../g", "../..", "../../", "../../g", "../../../g", "../../../../g",
		"/./g", "/../g", "g.", ".g", "g..", "..g", "./../g", "./g/.", "g/./h", "g/../h", "g;x=1/./y", "g;x=1/../y",
		"/ws", "//other.example/ws", "../ws", "/sse#frag", "ws://h/ws", "http://x/a/../b",
	}
	for _, b := range bases {
		wantBase, err := url.Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		base, err := Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range refs {
			wantRef, err := url.Parse(r)
			if err != nil {
				t.Fatal(err)
			}
			ref, err := Parse(r)
			if err != nil {
				t.Fatalf("Parse(%q): %v", r, err)
			}
			if got, want := base.ResolveReference(ref).String(), wantBase.ResolveReference(wantRef).String(); got != want {
				t.Errorf("%q against %q: %q; net/url: %q", r, b, got, want)
			}
		}
	}
	// RFC 3986 section 5.4.1, where net/url and the RFC part ways: "" is
	// the base without its fragment, which net/url gives as the RFC does.
	base, _ := Parse("http://a/b/c/d;p?q")
	for ref, want := range map[string]string{"": "http://a/b/c/d;p?q", "../../../g": "http://a/g", "g?y/./x": "http://a/b/c/g?y/./x"} {
		r, _ := Parse(ref)
		if got := base.ResolveReference(r).String(); got != want {
			t.Errorf("%q: %q, want %q", ref, got, want)
		}
	}
}

func TestQueryEscapeAgreesWithNetURL(t *testing.T) {
	t.Parallel()
	var all strings.Builder
	for c := range 256 {
		all.WriteByte(byte(c))
	}
	for _, s := range []string{"", "has space/slash", "a+b=c&d", "tok.en-_~", "café ✓", all.String()} {
		if got, want := QueryEscape(s), url.QueryEscape(s); got != want {
			t.Errorf("QueryEscape(%q) = %q, want %q", s, got, want)
		}
		if got, err := url.PathUnescape(PathEscape(s)); got != s || err != nil || strings.ContainsAny(PathEscape(s), " +/?#") {
			t.Errorf("PathEscape(%q) = %q, which reads as %q, %v", s, PathEscape(s), got, err)
		}
	}
}

func TestSetQuery(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ query, want string }{
		{"", "token=a+b%2F"},
		{"b=2&a=1", "b=2&a=1&token=a+b%2F"},
		{"token=old&b=2&token=older", "b=2&token=a+b%2F"},
		{"tokens=1&&x", "tokens=1&x&token=a+b%2F"},
	} {
		if got := SetQuery(tc.query, "token", "a b/"); got != tc.want {
			t.Errorf("SetQuery(%q) = %q, want %q", tc.query, got, tc.want)
		}
		q, err := url.ParseQuery(tc.want)
		if err != nil || q.Get("token") != "a b/" || len(q["token"]) != 1 {
			t.Errorf("%q reads as %v, %v", tc.want, q, err)
		}
	}
}
