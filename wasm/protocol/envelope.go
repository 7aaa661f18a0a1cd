package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
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
	Data      json.RawMessage `json:"data,omitempty"`
	ID        string          `json:"id,omitempty"`
	Ref       string          `json:"ref,omitempty"`
	Timestamp int64           `json:"timestamp,omitempty"`
}

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
	data, _ := json.Marshal(ErrorData{Code: code, Message: message})
	return Envelope{Type: TypeError, Ref: ref, Data: data}
}

// Err returns the error an error envelope carries, or nil for other types.
func (e Envelope) Err() error {
	if e.Type != TypeError {
		return nil
	}
	var d ErrorData
	if err := json.Unmarshal(e.Data, &d); err != nil || d.Code == "" {
		return &ErrorData{Code: "unknown", Message: string(e.Data)}
	}
	return &d
}

// DecodeData unmarshals an envelope's data into a T.
func DecodeData[T any](e Envelope) (T, error) {
	var v T
	if len(e.Data) == 0 {
		return v, fmt.Errorf("protocol: %s on %q has no data", e.Type, e.Channel)
	}
	if err := json.Unmarshal(e.Data, &v); err != nil {
		return v, fmt.Errorf("protocol: failed to decode data of %s on %q: %w", e.Type, e.Channel, err)
	}
	return v, nil
}

// ErrMalformed is wrapped by every decoding error.
var ErrMalformed = errors.New("protocol: malformed envelope")

// Decode parses one envelope and checks that it has a type.
func Decode(b []byte) (Envelope, error) {
	e, ok := decodeFast(b)
	if ok {
		if e.Type == "" {
			return Envelope{}, fmt.Errorf("%w: missing type", ErrMalformed)
		}
		return e, nil
	}
	e = Envelope{}
	if err := json.Unmarshal(b, &e); err != nil {
		return Envelope{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if e.Type == "" {
		return Envelope{}, fmt.Errorf("%w: missing type", ErrMalformed)
	}
	return e, nil
}

// DecodeFrame parses every envelope of a frame ('\n'-separated; blank lines
// are ignored). A malformed envelope does not hide the others: they are all
// returned, with the errors joined.
func DecodeFrame(frame []byte) ([]Envelope, error) {
	var (
		envs []Envelope
		errs []error
	)
	for len(frame) > 0 {
		line := frame
		if i := bytes.IndexByte(frame, '\n'); i >= 0 {
			line, frame = frame[:i], frame[i+1:]
		} else {
			frame = nil
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		e, err := Decode(line)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		envs = append(envs, e)
	}
	return envs, errors.Join(errs...)
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
	b, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("protocol: failed to encode %s: %w", e.Type, err)
	}
	return b, nil
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
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9',
			r == '_', r == '-', r == '.', r == ':', r == '@':
		default:
			return fmt.Errorf("protocol: channel %q has the character %q", name, r)
		}
	}
	return nil
}

// ChannelKind returns the part of a channel before the first ':'.
func ChannelKind(channel string) string {
	kind, _, _ := strings.Cut(channel, ":")
	return kind
}
