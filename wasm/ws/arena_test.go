package ws

import (
	"bytes"
	"fmt"
	"testing"
)

func TestFrameArenaCopiesStayApart(t *testing.T) {
	t.Parallel()
	var a frameArena
	var frames, want [][]byte
	for i := range 500 { // several chunks
		b := []byte(fmt.Sprintf(`{"type":"message","channel":"echo:a","id":"%d","data":{"seq":%d}}`, i, i))
		frames = append(frames, a.copy(b))
		want = append(want, b)
		b[0] = 'x' // the copy is not the caller's buffer
	}
	// A handler that appends to its frame does not write over the next.
	frames[0] = append(frames[0], " and more"...)
	for i, f := range frames {
		w := want[i]
		w[0] = '{'
		if i == 0 {
			w = append(w, " and more"...)
		}
		if !bytes.Equal(f, w) {
			t.Fatalf("frame %d is %q, want %q", i, f, w)
		}
	}
	big := bytes.Repeat([]byte("y"), 3*arenaChunk)
	if got := a.copy(big); !bytes.Equal(got, big) {
		t.Fatalf("a frame larger than a chunk came back with %d bytes, want %d", len(got), len(big))
	}
	if got := a.copy(nil); len(got) != 0 {
		t.Fatalf("an empty frame came back with %d bytes", len(got))
	}
}

func TestFrameArenaAllocatesPerChunk(t *testing.T) {
	var a frameArena
	frame := bytes.Repeat([]byte("z"), 200)
	a.copy(frame)
	if n := testing.AllocsPerRun(1000, func() { a.copy(frame) }); n > 0.1 {
		t.Errorf("%.2f allocations a frame, want one a chunk (%d frames of %d bytes)", n, arenaChunk/len(frame), len(frame))
	}
}
