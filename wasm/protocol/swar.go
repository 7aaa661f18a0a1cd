package protocol

// The scans of JSON strings read eight bytes at a time (SWAR: one 64-bit
// word, every byte tested at once) up to the first one they must look
// at. Under wasm a byte loop with a table took four times as long on the
// 80 bytes of the benchmark's echo text (BenchmarkScanRun), and strings
// are scanned four times on an echo's way: the frame, its data, the
// reply's data and the reply's check.

const (
	lsb = 0x0101010101010101 // the low bit of each byte
	msb = 0x8080808080808080 // the high bit of each byte
)

// word reads s[i:i+8] as a little-endian number: the compiler makes it
// one load.
func word[T string | []byte](s T, i int) uint64 {
	w := s[i : i+8]
	return uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
		uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
}

// has sets the high bit of x's result when a byte of x equals c. As a
// whole the result is exact (non-zero when and only when one does); a
// byte's bit may be set wrongly above the first that does.
func has(x uint64, c byte) uint64 {
	y := x ^ (lsb * uint64(c))
	return (y - lsb) &^ y
}

// below is has for a byte under c (at most 0x80).
func below(x uint64, c byte) uint64 { return (x - lsb*uint64(c)) &^ x }

// plainRun returns the index of the first byte of s from i that is not
// plain (see plain), or len(s).
func plainRun[T string | []byte](s T, i int) int {
	for ; i+8 <= len(s); i += 8 {
		x := word(s, i)
		if (x|below(x, 0x20)|has(x, '"')|has(x, '\\'))&msb != 0 {
			break
		}
	}
	for i < len(s) && plain[s[i]] {
		i++
	}
	return i
}

// stringRun returns the index of the first byte of s from i that ends or
// escapes a JSON string's run of text ('"', '\\', a control character),
// or len(s).
func stringRun(s []byte, i int) int {
	for ; i+8 <= len(s); i += 8 {
		x := word(s, i)
		if (below(x, 0x20)|has(x, '"')|has(x, '\\'))&msb != 0 {
			break
		}
	}
	for i < len(s) && s[i] >= 0x20 && s[i] != '"' && s[i] != '\\' {
		i++
	}
	return i
}

// safeRun returns the index of the first byte of s from i that
// AppendString escapes or that is not ASCII, or len(s).
func safeRun(s string, i int) int {
	for ; i+8 <= len(s); i += 8 {
		x := word(s, i)
		if (x|below(x, 0x20)|has(x, '"')|has(x, '\\')|has(x, '<')|has(x, '>')|has(x, '&'))&msb != 0 {
			break
		}
	}
	for i < len(s) && safe[s[i]] {
		i++
	}
	return i
}

// safe marks the ASCII bytes that AppendString writes as they are.
var safe = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()
