package protocol

import (
	"strings"
	"testing"
)

// Each run stops where a byte-at-a-time loop stops: every byte value, at
// every place in strings long enough to take the word-at-a-time path, with
// a second stop after it.
func TestRunsStopWhereTheByteLoopsStop(t *testing.T) {
	byteLoop := func(s string, i int, ok func(c byte) bool) int {
		for i < len(s) && ok(s[i]) {
			i++
		}
		return i
	}
	inString := func(c byte) bool { return c >= 0x20 && c != '"' && c != '\\' }
	for c := range 256 {
		for n := 1; n <= 19; n++ {
			for at := range n {
				for _, second := range []byte{'a', '"', '<', 0x80} {
					b := []byte(strings.Repeat("a", n))
					b[at] = byte(c)
					if at+2 < n {
						b[at+2] = second
					}
					s := string(b)
					for from := range min(n, 3) {
						if got, want := plainRun(s, from), byteLoop(s, from, func(c byte) bool { return plain[c] }); got != want {
							t.Fatalf("plainRun(%q, %d) = %d, want %d", s, from, got, want)
						}
						if got, want := plainRun(b, from), plainRun(s, from); got != want {
							t.Fatalf("plainRun of bytes %q from %d = %d, of the string %d", s, from, got, want)
						}
						if got, want := stringRun(b, from), byteLoop(s, from, inString); got != want {
							t.Fatalf("stringRun(%q, %d) = %d, want %d", s, from, got, want)
						}
						if got, want := safeRun(s, from), byteLoop(s, from, func(c byte) bool { return safe[c] }); got != want {
							t.Fatalf("safeRun(%q, %d) = %d, want %d", s, from, got, want)
						}
					}
				}
			}
		}
	}
}

// The echo text of the benchmark (bench/): a run of 80 plain bytes.
func BenchmarkScanRun(b *testing.B) {
	text := `"` + strings.Repeat("x", 80) + `"}`
	raw := []byte(text)
	b.Run("plainRun", func(b *testing.B) {
		for range b.N {
			if plainRun(raw, 1) != 81 {
				b.Fatal("wrong stop")
			}
		}
	})
	b.Run("bytes", func(b *testing.B) {
		for range b.N {
			i := 1
			for i < len(raw) && plain[raw[i]] {
				i++
			}
			if i != 81 {
				b.Fatal("wrong stop")
			}
		}
	})
	b.Run("AppendString", func(b *testing.B) {
		buf := make([]byte, 0, 128)
		for range b.N {
			buf = AppendString(buf[:0], text[1:81])
		}
	})
}
