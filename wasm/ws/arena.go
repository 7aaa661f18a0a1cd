package ws

// arenaChunk is the size of frameArena's chunks: some 80 echoes' frames.
const arenaChunk = 16 << 10

// frameArena copies short frames into chunks of its own, one allocation a
// chunk rather than one a frame: in the browser a frame's allocation was
// the first and among the dearest steps of Go's part of an echo. A frame
// that a handler keeps (an envelope's channel, id and data point into it)
// keeps its chunk alive, at most arenaChunk bytes for it. Not safe for
// concurrent use.
type frameArena struct{ chunk []byte }

// copy returns a copy of b. Appending to the copy never writes over the
// next one: its capacity ends with it.
func (a *frameArena) copy(b []byte) []byte {
	if len(b) > cap(a.chunk)-len(a.chunk) {
		a.chunk = make([]byte, 0, max(arenaChunk, len(b)))
	}
	start := len(a.chunk)
	a.chunk = append(a.chunk, b...)
	return a.chunk[start:len(a.chunk):len(a.chunk)]
}
