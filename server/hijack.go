package server

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
)

// Buffer sizes of a hijacked WebSocket connection. net/http hands over its
// 4 KiB reader and writer, which coder/websocket keeps for the life of the
// connection: 8 KiB of an idle connection's memory. Frames from clients
// are small requests, and a frame bigger than the buffer is read or
// written straight through it, so smaller buffers cost at most one more
// system call for such a frame.
const (
	wsReadBuffer  = 1 << 10
	wsWriteBuffer = 1 << 10
)

// smallBuffers is the ResponseWriter handed to websocket.Accept: its
// Hijack swaps net/http's buffers for smaller ones.
type smallBuffers struct {
	http.ResponseWriter
}

func (w smallBuffers) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w smallBuffers) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	// net/http has flushed the response; what the client sent after its
	// request may already be in the reader's buffer. It goes into the new
	// reader's buffer, where websocket.Accept looks for it (it reads the
	// rest straight from conn).
	br := bufio.NewReaderSize(conn, wsReadBuffer)
	if n := brw.Reader.Buffered(); n > 0 {
		b, _ := brw.Reader.Peek(n)
		br = bufio.NewReaderSize(io.MultiReader(bytes.NewReader(bytes.Clone(b)), conn), max(wsReadBuffer, n))
		if _, err := br.Peek(n); err != nil {
			conn.Close()
			return nil, nil, err
		}
	}
	if brw.Writer.Buffered() > 0 {
		if err := brw.Writer.Flush(); err != nil {
			conn.Close()
			return nil, nil, err
		}
	}
	return conn, bufio.NewReadWriter(br, bufio.NewWriterSize(conn, wsWriteBuffer)), nil
}
