package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// Type says what an envelope is.
type Type = string

// Envelope types of the core protocol. Other capabilities add namespaced
// types ("presence.*", "notify.*", "live.*", "query.*").
const (
	TypeSubscribe   Type = "subscribe"
	TypeUnsubscribe Type = "unsubscribe"
	TypePublish     Type = "publish"
	TypeMessage     Type = "message"
	TypeAck         Type = "ack"
	TypeError       Type = "error"
	TypePing        Type = "ping"
	TypePong        Type = "pong"
)

// Envelope is the one message shape of the protocol; see the package doc.
type Envelope struct {
	Type      string          `json:"type"`
	Channel   string          `json:"channel,omitempty"`
	ID        string          `json:"id,omitempty"`
	Ref       string          `json:"ref,omitempty"`
	Timestamp int64           `json:"timestamp,omitempty"`
	Data      json.RawMessage `json:"data,omitempty"` // last: see ScanHeads
	// Raw is the envelope's JSON text as received (its line, without
	// the whitespace around it) when DecodeFrame decoded it, nil
	// otherwise; it is never encoded. It aliases the frame: do not
	// modify it.
	Raw []byte `json:"-"`
}

// The query parameter of a WebSocket URL with which a client asks for the
// server's frames as binary messages too (see Frames in the package doc):
// ?frames=binary.
const (
	FramesParam  = "frames"
	FramesBinary = "binary"
)

// Error codes carried by error envelopes.
const (
	CodeBadFrame        = "bad_frame"         // not JSON, or not an envelope
	CodeUnknownType     = "unknown_type"      // a type the server does not handle
	CodeBadChannel      = "bad_channel"       // missing or malformed channel name
	CodeNotSubscribed   = "not_subscribed"    // unsubscribe from a channel never joined
	CodeBinaryFrame     = "binary_frame"      // binary frames are not part of the protocol
	CodeForbidden       = "forbidden"         // the server's authorizer refused the request, or it would forge a server-owned channel or another user's presence
	CodeTooManyChannel  = "too_many_channels" // a subscribe (or echo channel) past the server's cap on one connection's channels
	CodeRateLimited     = "rate_limited"      // a request past the connection's rate limit, dropped; a flood goes on to close 4008
	CodeBadPresence     = "bad_presence"      // presence data missing a session or user, or naming another user's session
	CodeRoomFull        = "room_full"         // the resource has as many presence sessions as the server allows
	CodeNotJoined       = "not_joined"        // presence update or leave of a session this connection has not joined
	CodeBadNotify       = "bad_notify"        // notify.sync data that is not {"after":<seq>}
	CodeUnknownFeed     = "unknown_feed"      // subscribe or live.resync on a "live:<feed>" the server does not serve
	CodeUnknownQuery    = "unknown_query"     // subscribe or query.cancel on a "query:<id>" the server does not know
	CodeAlreadyFinished = "already_finished"  // query.cancel of a query that had ended
	CodeHistoryLost     = "history_lost"      // messages after a subscribe's since are no longer kept: the kept ones follow, then live ones
	CodeUnavailable     = "unavailable"       // the server cannot serve the request now (its history store failed); try again later
)

// KindEcho is the channel kind whose messages go back to their sender
// only. Their ids count per connection: they cannot be resumed.
const KindEcho = "echo"

// SubscribeData is the optional data of a subscribe: Since is the id of
// the last message the client got, and the server sends the ones after it
// before the live ones.
type SubscribeData struct {
	Since string `json:"since,omitempty"`
}

// ErrorData is the data of an error envelope.
type ErrorData struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *ErrorData) Error() string {
	return "protocol: " + e.Code + ": " + e.Message
}

// NewError builds an error envelope answering the request with ref.
func NewError(ref, code, message string) Envelope {
	data, _ := Marshal(ErrorData{Code: code, Message: message})
	return Envelope{Type: TypeError, Ref: ref, Data: data}
}

// Err returns the error an error envelope carries, or nil for other types.
func (e Envelope) Err() error {
	if e.Type != TypeError {
		return nil
	}
	var d ErrorData
	if err := Unmarshal(e.Data, &d); err != nil || d.Code == "" {
		return &ErrorData{Code: "unknown", Message: string(e.Data)}
	}
	return &d
}

// DecodeData unmarshals an envelope's data into a T.
func DecodeData[T any](e Envelope) (T, error) {
	if len(e.Data) == 0 {
		var zero T
		return zero, noData(e)
	}
	v, err := decodeData[T](e.Data)
	return v, dataError(e, err)
}

// noData and dataError are DecodeData's and UnmarshalData's errors.
func noData(e Envelope) error {
	return fmt.Errorf("protocol: %s on %q has no data", e.Type, e.Channel)
}

func dataError(e Envelope, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("protocol: failed to decode data of %s on %q: %w", e.Type, e.Channel, err)
}

// ErrMalformed is wrapped by every decoding error.
var ErrMalformed = errors.New("protocol: malformed envelope")

// Decode parses one envelope and checks that it has a type. The envelope
// shares no memory with b, which the caller may reuse.
func Decode(b []byte) (Envelope, error) {
	var e Envelope
	err := decode(&e, b, "", false)
	return e, err
}

// decode is Decode into *e, zeroed, with decodeFast's view (see there). On
// an error, *e is zeroed again.
func decode(e *Envelope, b []byte, s string, view bool) error {
	if !decodeFast(e, b, s, view) {
		var err error
		if *e, err = decodeJSON(b); err != nil {
			*e = Envelope{}
			return fmt.Errorf("%w: %v", ErrMalformed, err)
		}
	}
	if e.Type == "" {
		*e = Envelope{}
		return fmt.Errorf("%w: missing type", ErrMalformed)
	}
	return nil
}

// decodeJSON is the fallback, apart so that Unmarshal gets an envelope of
// its own: given decode's, it would move every Decode's to the heap.
func decodeJSON(b []byte) (Envelope, error) {
	var e Envelope
	err := Unmarshal(b, &e)
	return e, err
}

// DecodeFrame parses every envelope of a frame ('\n'-separated; blank lines
// are ignored). A malformed envelope does not hide the others: they are all
// returned, with the errors joined.
//
// DecodeFrame takes frame over: the caller must not modify it afterwards.
// The envelopes' strings, Data and Raw are views of it, not copies, so a
// frame of common envelopes costs no allocation but the result's; any of
// them kept keeps the whole frame in memory.
func DecodeFrame(frame []byte) ([]Envelope, error) {
	if len(frame) == 0 {
		return nil, nil
	}
	envs, err := AppendFrame(make([]Envelope, 0, CountLines(frame)), frame)
	if len(envs) == 0 {
		envs = nil
	}
	return envs, err
}

// AppendFrame is DecodeFrame appending to envs, for a caller that reuses
// both the frame's buffer and the envelopes' array: it must then keep
// nothing of them once it writes to the buffer again.
func AppendFrame(envs []Envelope, frame []byte) ([]Envelope, error) {
	if len(frame) == 0 {
		return envs, nil
	}
	// One string for the whole frame, without a copy: frame is ours.
	s := unsafe.String(unsafe.SliceData(frame), len(frame))
	var errs []error
	for i := 0; i < len(frame); {
		lo, hi := i, len(frame)
		if j := bytes.IndexByte(frame[i:], '\n'); j >= 0 {
			hi = i + j
		}
		i = hi + 1
		for lo < hi && isWhite[frame[lo]] {
			lo++
		}
		for hi > lo && isWhite[frame[hi-1]] {
			hi--
		}
		line := frame[lo:hi:hi]
		if len(line) == 0 || line[0] != '{' && len(bytes.TrimSpace(line)) == 0 {
			continue // blank, as bytes.TrimSpace sees it
		}
		envs = append(envs, Envelope{})
		e := &envs[len(envs)-1]
		if err := decode(e, line, s[lo:hi], true); err != nil {
			envs = envs[:len(envs)-1]
			errs = append(errs, err)
			continue
		}
		e.Raw = line
	}
	return envs, errors.Join(errs...)
}

// CountLines counts the lines of frame as strings.Split on "\n" cuts it
// (an empty frame is one line), with bytes.IndexByte: it is assembly under
// wasm, where bytes.Count is a plain loop five times slower.
func CountLines(frame []byte) int {
	n := 1
	for i := bytes.IndexByte(frame, '\n'); i >= 0; i = bytes.IndexByte(frame, '\n') {
		frame = frame[i+1:]
		n++
	}
	return n
}

// ParseID parses a message id (decimal digits only, as the server makes
// them) as strconv.ParseUint(id, 10, 64) would, without allocating. It
// reports false for anything else: empty, a sign, another byte, overflow.
func ParseID(id string) (uint64, bool) {
	if id == "" {
		return 0, false
	}
	const max = 1<<64 - 1
	var n uint64
	for i := 0; i < len(id); i++ {
		d := uint64(id[i] - '0')
		if d > 9 || n > max/10 || n == max/10 && d > max%10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

// Encode marshals an envelope; it never contains a '\n', so encoded
// envelopes can be joined into one frame.
func Encode(e Envelope) ([]byte, error) {
	if e.Type == "" {
		return nil, fmt.Errorf("%w: missing type", ErrMalformed)
	}
	if b, ok := encodeFast(e); ok {
		return b, nil
	}
	b, err := Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("protocol: failed to encode %s: %w", e.Type, err)
	}
	return b, nil
}

// EncodeMarshaled is Encode for an envelope whose Data, if any, came
// from EncodeData or json.Marshal (valid, compact, escaped as Encode
// escapes): Data is not checked again. A publish of a Go value is
// encoded twice as fast this way under wasm.
func EncodeMarshaled(e Envelope) ([]byte, error) {
	if e.Type == "" {
		return nil, fmt.Errorf("%w: missing type", ErrMalformed)
	}
	return encodeEnvelope(e), nil
}

// MaxChannelLen bounds a channel name.
const MaxChannelLen = 200

// ValidChannel reports whether name is a well-formed "kind:name" channel:
// both parts non-empty, letters, digits and "_-.:@" only.
func ValidChannel(name string) error {
	if name == "" {
		return errors.New("protocol: channel is empty")
	}
	if len(name) > MaxChannelLen {
		return fmt.Errorf("protocol: channel is longer than %d bytes", MaxChannelLen)
	}
	kind, rest, ok := strings.Cut(name, ":")
	if !ok || kind == "" || rest == "" {
		return fmt.Errorf("protocol: channel %q is not of the form kind:name", name)
	}
	for i := 0; i < len(name); i++ {
		if !channelBytes[name[i]] {
			r, _ := utf8.DecodeRuneInString(name[i:])
			return fmt.Errorf("protocol: channel %q has the character %q", name, r)
		}
	}
	return nil
}

// channelBytes holds the bytes a channel may have: a publish checks its
// channel each time, and in the browser a table of bytes costs less than
// a range over runes with comparisons.
var channelBytes = func() (ok [256]bool) {
	for c := range len(ok) {
		ok[c] = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '_' || c == '-' || c == '.' || c == ':' || c == '@'
	}
	return ok
}()

// ChannelKind returns the part of a channel before the first ':'.
func ChannelKind(channel string) string {
	kind, _, _ := strings.Cut(channel, ":")
	return kind
}
