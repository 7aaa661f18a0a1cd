package sse

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"time"
	"unicode/utf8"
)

// DefaultMaxEventSize bounds a line, and the data of one event, unless
// Parser.SetMaxEventSize or Config.MaxEventSize says otherwise.
const DefaultMaxEventSize = 1 << 20

// ErrTooLong is returned when a line, or the data of one event, is over the
// parser's limit: a stream that never ends a line must not take all memory.
var ErrTooLong = errors.New("sse: line or event too long")

// Event is one dispatched server-sent event.
type Event struct {
	// Type is the event's name: the stream's "event" field, or "message"
	// when it gives none.
	Type string
	// Data is the event's "data" lines joined with "\n".
	Data string
	// ID is the last event ID as of this event: its own "id" field, or the
	// last one the stream set before it. A client resumes from it.
	ID string
}

// Parser reads events from a text/event-stream as the WHATWG HTML standard's
// "event stream interpretation" says, from a reader that may return the
// bytes in chunks of any size. It is not safe for concurrent use.
type Parser struct {
	r   io.Reader
	max int

	buf        []byte
	start, end int   // unread bytes are buf[start:end]
	err        error // what the reader or the parser last failed with; sticky
	empties    int   // reads in a row that returned nothing
	bomDone    bool  // the leading byte order mark is behind us
	skipLF     bool  // the last line ended with CR: an LF next is part of that line end

	data      []byte // data buffer
	eventType string // event type buffer
	idBuf     string // last event ID buffer
	lastID    string // last event ID string, set at each blank line
	retry     time.Duration
	hasRetry  bool
}

// NewParser returns a parser reading r.
func NewParser(r io.Reader) *Parser {
	return &Parser{r: r, max: DefaultMaxEventSize}
}

// SetMaxEventSize bounds a line, and the data of one event, to n bytes;
// past it Next returns ErrTooLong. Call it before the first Next. A size
// below 1 is ignored. Default is DefaultMaxEventSize.
func (p *Parser) SetMaxEventSize(n int) {
	if n > 0 {
		p.max = n
	}
}

// SetLastEventID seeds the last event ID, as a client does for the stream
// it opened with a Last-Event-ID header: events without an id of their own
// then carry it, as in browsers. Call it before the first Next.
func (p *Parser) SetLastEventID(id string) {
	p.idBuf, p.lastID = id, id
}

// LastEventID returns the last event ID: the value of the last "id" field
// as of the last blank line, even one that dispatched nothing.
func (p *Parser) LastEventID() string { return p.lastID }

// Retry returns the reconnection time the stream last set with a valid
// "retry" field, and whether it set one. Values too big for a Duration
// saturate.
func (p *Parser) Retry() (time.Duration, bool) { return p.retry, p.hasRetry }

// Next returns the next event. At the end of the stream it returns io.EOF,
// discarding an event the stream did not end with a blank line; a read
// error is returned as the reader gave it, and a line or event over the
// limit as an error wrapping ErrTooLong. Once Next fails it keeps failing.
func (p *Parser) Next() (Event, error) {
	for {
		line, err := p.line()
		if err != nil {
			return Event{}, err
		}
		ev, ok, err := p.process(line)
		if err != nil {
			p.err = err
			return Event{}, err
		}
		if ok {
			return ev, nil
		}
	}
}

// line returns the next whole line without its end, reading as needed.
func (p *Parser) line() ([]byte, error) {
	for {
		if p.skipLF && p.start < p.end {
			if p.buf[p.start] == '\n' {
				p.start++
			}
			p.skipLF = false
		}
		if !p.bomDone && (p.end-p.start >= 3 || p.err != nil) {
			if bytes.HasPrefix(p.buf[p.start:p.end], []byte("\uFEFF")) {
				p.start += 3
			}
			p.bomDone = true
		}
		if p.bomDone {
			rest := p.buf[p.start:p.end]
			if i := bytes.IndexAny(rest, "\r\n"); i >= 0 {
				if i > p.max {
					return nil, p.tooLong()
				}
				p.start += i + 1
				p.skipLF = rest[i] == '\r'
				return rest[:i], nil
			}
			if len(rest) > p.max {
				return nil, p.tooLong() // however the line ends, it is too long
			}
		}
		if p.err != nil {
			return nil, p.err // a line without its end is discarded
		}
		p.fill()
	}
}

func (p *Parser) tooLong() error {
	p.err = fmt.Errorf("%w: a line is over the limit of %d bytes", ErrTooLong, p.max)
	return p.err
}

// fill reads more bytes into the buffer, or sets p.err.
func (p *Parser) fill() {
	if p.start > 0 {
		p.end = copy(p.buf, p.buf[p.start:p.end])
		p.start = 0
	}
	if p.end == len(p.buf) {
		p.buf = append(p.buf, make([]byte, max(4096, len(p.buf)))...)
	}
	n, err := p.r.Read(p.buf[p.end:])
	if n < 0 || n > len(p.buf)-p.end {
		p.err = fmt.Errorf("sse: reader returned an invalid count %d", n)
		return
	}
	p.end += n
	switch {
	case err != nil:
		p.err = err
	case n > 0:
		p.empties = 0
	default:
		if p.empties++; p.empties >= 100 {
			p.err = io.ErrNoProgress
		}
	}
}

// process interprets one line; it reports an event when the line dispatched one.
func (p *Parser) process(line []byte) (Event, bool, error) {
	if len(line) == 0 {
		ev, ok := p.dispatch()
		return ev, ok, nil
	}
	if line[0] == ':' {
		return Event{}, false, nil // a comment
	}
	field, value := line, []byte(nil)
	if i := bytes.IndexByte(line, ':'); i >= 0 {
		field, value = line[:i], line[i+1:]
		if len(value) > 0 && value[0] == ' ' {
			value = value[1:]
		}
	}
	switch string(field) {
	case "event":
		p.eventType = decodeUTF8(value)
	case "data":
		p.data = appendUTF8(p.data, value)
		p.data = append(p.data, '\n')
		if len(p.data)-1 > p.max {
			return Event{}, false, fmt.Errorf("%w: an event's data is over the limit of %d bytes", ErrTooLong, p.max)
		}
	case "id":
		if bytes.IndexByte(value, 0) < 0 {
			p.idBuf = decodeUTF8(value)
		}
	case "retry":
		if d, ok := parseRetry(value); ok {
			p.retry, p.hasRetry = d, true
		}
	}
	return Event{}, false, nil
}

// dispatch ends an event at a blank line.
func (p *Parser) dispatch() (Event, bool) {
	p.lastID = p.idBuf
	if len(p.data) == 0 {
		p.eventType = ""
		return Event{}, false
	}
	ev := Event{Type: p.eventType, Data: string(p.data[:len(p.data)-1]), ID: p.lastID}
	if ev.Type == "" {
		ev.Type = "message"
	}
	p.data = p.data[:0]
	p.eventType = ""
	return ev, true
}

// parseRetry reads a reconnection time in milliseconds: ASCII digits only.
func parseRetry(v []byte) (time.Duration, bool) {
	if len(v) == 0 {
		return 0, false
	}
	const most = math.MaxInt64 / int64(time.Millisecond)
	var ms int64
	for _, b := range v {
		if b < '0' || b > '9' {
			return 0, false
		}
		d := int64(b - '0')
		if ms > (most-d)/10 {
			ms = most // saturate; keep checking the digits
			continue
		}
		ms = ms*10 + d
	}
	return time.Duration(ms) * time.Millisecond, true
}

func decodeUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return string(appendUTF8(nil, b))
}

// appendUTF8 appends b to dst decoded as the WHATWG "UTF-8 decode" does it:
// each maximal invalid subsequence becomes one U+FFFD.
func appendUTF8(dst, b []byte) []byte {
	if utf8.Valid(b) {
		return append(dst, b...)
	}
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r != utf8.RuneError || size > 1 {
			dst = append(dst, b[:size]...)
			b = b[size:]
			continue
		}
		dst = utf8.AppendRune(dst, utf8.RuneError)
		b = b[invalidPrefix(b):]
	}
	return dst
}

// invalidPrefix returns the length of the maximal subpart of an ill-formed
// sequence at the start of b: its lead byte and the continuation bytes that
// could still have made it valid.
func invalidPrefix(b []byte) int {
	need, lo, hi := 0, byte(0x80), byte(0xBF)
	switch c := b[0]; {
	case c >= 0xC2 && c <= 0xDF:
		need = 1
	case c == 0xE0:
		need, lo = 2, 0xA0
	case c == 0xED:
		need, hi = 2, 0x9F
	case c >= 0xE1 && c <= 0xEF:
		need = 2
	case c == 0xF0:
		need, lo = 3, 0x90
	case c == 0xF4:
		need, hi = 3, 0x8F
	case c >= 0xF1 && c <= 0xF3:
		need = 3
	}
	n := 1
	for ; n <= need && n < len(b); n++ {
		if b[n] < lo || b[n] > hi {
			break
		}
		lo, hi = 0x80, 0xBF
	}
	return n
}
