// Package weburl parses, resolves and writes the URLs the realtime clients
// are configured with (RFC 3986), in place of net/url. net/url brings
// net/netip and unique with it: 32 KB of realtime.wasm's brotli, 3% of
// its 1 MB budget, for what the clients need of it: a URL's scheme and
// host checked, a query parameter set, a path beside another, and a
// reference resolved against the page.
//
// A URL keeps its parts as written, escapes and all: nothing is decoded,
// so String gives back what Parse took (the scheme in lower case). Parse
// refuses what net/url refuses in the URLs the clients take (see the
// differential test): a control character anywhere, a malformed
// %-escape, a host or port with characters no host has, a scheme that is
// not one; and a few that net/url takes and browsers do not.
package weburl

import (
	"errors"
	"strings"
)

// URL is a URL or a relative reference, in its parts as written.
type URL struct {
	Scheme   string // in lower case
	Host     string // the authority: [userinfo@]host[:port]
	Path     string
	Query    string // without the '?'
	Fragment string // without the '#'

	// Whether the parts were there at all ("h/?" has an empty query).
	HasAuthority, HasQuery, HasFragment bool
}

// Parse splits raw into its parts and checks them.
func Parse(raw string) (*URL, error) {
	for i := 0; i < len(raw); i++ {
		if c := raw[i]; c < ' ' || c == 0x7f {
			return nil, errors.New("invalid control character in URL")
		}
	}
	u := &URL{}
	rest := raw
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		rest, u.Fragment, u.HasFragment = rest[:i], rest[i+1:], true
	}
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		rest, u.Query, u.HasQuery = rest[:i], rest[i+1:], true
	}
	if i := schemeEnd(rest); i > 0 {
		u.Scheme, rest = strings.ToLower(rest[:i]), rest[i+1:]
	} else if i == 0 {
		return nil, errors.New("missing protocol scheme")
	}
	if strings.HasPrefix(rest, "//") {
		rest = rest[2:]
		i := strings.IndexByte(rest, '/')
		if i < 0 {
			i = len(rest)
		}
		u.Host, rest, u.HasAuthority = rest[:i], rest[i:], true
		if err := checkAuthority(u.Host); err != nil {
			return nil, err
		}
	} else if u.Scheme == "" {
		// "a:b" would be a scheme: a relative path's first segment
		// may not hold a colon.
		if seg, _, _ := strings.Cut(rest, "/"); strings.IndexByte(seg, ':') >= 0 {
			return nil, errors.New("first path segment in URL cannot contain colon")
		}
	}
	for _, part := range []string{rest, u.Fragment} {
		if err := checkEscapes(part); err != nil {
			return nil, err
		}
	}
	u.Path = rest
	return u, nil
}

// schemeEnd returns the index of the colon that ends s's scheme, 0 when s
// starts with a colon (no scheme where one was meant), -1 when s has none.
func schemeEnd(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
		case '0' <= c && c <= '9' || c == '+' || c == '-' || c == '.':
			if i == 0 {
				return -1
			}
		case c == ':':
			return i
		default:
			return -1
		}
	}
	return -1
}

// checkAuthority checks [userinfo@]host[:port]: a host of the characters
// a registered name, an IPv4 address or a bracketed IPv6 one may hold,
// and a port of digits.
func checkAuthority(a string) error {
	if i := strings.LastIndexByte(a, '@'); i >= 0 {
		if err := checkEscapes(a[:i]); err != nil {
			return err
		}
		a = a[i+1:]
	}
	host, port := a, ""
	if strings.HasPrefix(a, "[") {
		end := strings.IndexByte(a, ']')
		if end < 0 {
			return errors.New("missing ']' in host")
		}
		host, port = a[:end+1], a[end+1:]
		if port != "" && port[0] != ':' {
			return errors.New("invalid port " + quote(port) + " after host")
		}
	} else if i := strings.LastIndexByte(a, ':'); i >= 0 {
		host, port = a[:i], a[i:]
	}
	for i := 1; i < len(port); i++ {
		if port[i] < '0' || port[i] > '9' {
			return errors.New("invalid port " + quote(port) + " after host")
		}
	}
	for i := 0; i < len(host); i++ {
		if c := host[i]; !hostByte(c) && !(c == '[' && i == 0 || c == ']' && i == len(host)-1 || c == ':' && host[0] == '[') {
			return errors.New("invalid character " + quote(string(c)) + " in host name")
		}
	}
	return checkEscapes(host)
}

// hostByte reports whether c may stand in a host as written: RFC 3986's
// unreserved and sub-delims characters, '%' of an escape, and bytes past
// ASCII (a name in Unicode).
func hostByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c >= 0x80 || strings.IndexByte("-._~!$&'()*+,;=%", c) >= 0
}

// checkEscapes reports a '%' not followed by two hex digits.
func checkEscapes(s string) error {
	for i := strings.IndexByte(s, '%'); i >= 0; i = strings.IndexByte(s, '%') {
		if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
			e := s[i:]
			if len(e) > 3 {
				e = e[:3]
			}
			return errors.New("invalid URL escape " + quote(e))
		}
		s = s[i+3:]
	}
	return nil
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func quote(s string) string { return `"` + s + `"` }

// IsAbs reports whether u has a scheme.
func (u *URL) IsAbs() bool { return u.Scheme != "" }

// String writes u back: what Parse took, but for a path that must start
// with '/' after a host.
func (u *URL) String() string {
	s := u.Path
	if u.HasAuthority {
		if s != "" && s[0] != '/' {
			s = "/" + s
		}
		s = "//" + u.Host + s
	}
	if u.Scheme != "" {
		s = u.Scheme + ":" + s
	}
	if u.HasQuery {
		s += "?" + u.Query
	}
	if u.HasFragment {
		s += "#" + u.Fragment
	}
	return s
}

// ResolveReference resolves ref against u, a base URL, as RFC 3986
// section 5.2 says and a browser resolves a link.
func (u *URL) ResolveReference(ref *URL) *URL {
	t := *ref
	switch {
	case ref.Scheme != "":
		t.Path = removeDotSegments(ref.Path)
		return &t
	case ref.HasAuthority:
		t.Path = removeDotSegments(ref.Path)
	case ref.Path == "":
		t.Host, t.HasAuthority, t.Path = u.Host, u.HasAuthority, u.Path
		if !ref.HasQuery {
			t.Query, t.HasQuery = u.Query, u.HasQuery
		}
	default:
		t.Host, t.HasAuthority = u.Host, u.HasAuthority
		if ref.Path[0] == '/' {
			t.Path = removeDotSegments(ref.Path)
		} else {
			t.Path = removeDotSegments(merge(u, ref.Path))
		}
	}
	t.Scheme = u.Scheme
	return &t
}

// merge puts a relative path after the base's last '/'.
func merge(base *URL, path string) string {
	if base.HasAuthority && base.Path == "" {
		return "/" + path
	}
	return base.Path[:strings.LastIndexByte(base.Path, '/')+1] + path
}

// removeDotSegments takes out a path's "." and ".." segments (RFC 3986
// section 5.2.4); a ".." above the root stays at the root.
func removeDotSegments(path string) string {
	if !strings.Contains(path, ".") {
		return path
	}
	rooted := strings.HasPrefix(path, "/")
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	out := segs[:0]
	for i, s := range segs {
		last := i == len(segs)-1
		switch s {
		case ".", "..":
			if s == ".." && len(out) > 0 {
				out = out[:len(out)-1]
			}
			if last {
				out = append(out, "") // "a/.." is "a/"'s parent: a directory
			}
		default:
			out = append(out, s)
		}
	}
	joined := strings.Join(out, "/")
	if rooted {
		return "/" + joined
	}
	return joined
}

// SetQuery returns query (as written, without '?') with key's parameters
// replaced by one, key=value, at the end, the value escaped as a form's.
func SetQuery(query, key, value string) string {
	kept := ""
	for _, part := range strings.Split(query, "&") {
		if k, _, _ := strings.Cut(part, "="); part != "" && k != key {
			kept += part + "&"
		}
	}
	return kept + key + "=" + QueryEscape(value)
}

// QueryEscape escapes s for a query's value, as a form does: letters,
// digits and "-_.~" as they are, a space as '+', any other byte as %XX.
func QueryEscape(s string) string { return escape(s, true) }

// PathEscape escapes s for a path segment: as QueryEscape, but a space as
// %20, as '+' is itself in a path.
func PathEscape(s string) string { return escape(s, false) }

func escape(s string, spacePlus bool) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-_.~", c) >= 0:
			b.WriteByte(c)
		case c == ' ' && spacePlus:
			b.WriteByte('+')
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}
