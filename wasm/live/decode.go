package live

import (
	"strconv"
	"strings"

	"github.com/matih-ai/realtime/wasm/protocol"
)

// decodeDelta is protocol.UnmarshalData into a Delta, without its
// reflection in the usual case: at 5,000 deltas a second, encoding/json's
// checking and reflection took a sixth of the page's main thread. What
// the fast way is unsure of (escaped keys, a key in other case, null, a
// number that is not a plain unsigned integer, an item that is not an
// object) goes to UnmarshalData, which decides; FuzzDecodeDelta checks the
// two agree.
func decodeDelta(e protocol.Envelope) (Delta, error) {
	var d Delta
	if protocol.ObjectFields(e.Data, d.field) {
		return d, nil
	}
	d = Delta{}
	err := protocol.UnmarshalData(e, &d)
	return d, err
}

// field sets the field of d that key names to value, as encoding/json
// would, and reports false when the fast way cannot.
func (d *Delta) field(key, value []byte) bool {
	switch string(key) {
	case "seq":
		// Digits only: no sign, fraction or exponent, as for encoding/json.
		n, err := strconv.ParseUint(string(value), 10, 64)
		d.Seq = n
		return err == nil
	case "op":
		v, _ := protocol.DecodeValue(value)
		s, ok := v.(string)
		d.Op = Op(s)
		return ok
	case "items":
		var ok bool
		d.Items, ok = decodeList(value, func(v any) (Item, bool) {
			m, ok := v.(map[string]any)
			return m, ok
		})
		return ok
	case "keys":
		var ok bool
		d.Keys, ok = decodeList(value, func(v any) (string, bool) {
			s, ok := v.(string)
			return s, ok
		})
		return ok
	}
	// Any other key is ignored, unless encoding/json would take it for a
	// field: it matches names whatever their case.
	for _, name := range [...]string{"seq", "op", "items", "keys"} {
		if strings.EqualFold(string(key), name) {
			return false
		}
	}
	return true
}

// decodeList decodes a JSON array whose elements elem converts, or null
// as a nil list, as encoding/json decodes them into a []T.
func decodeList[T any](value []byte, elem func(any) (T, bool)) ([]T, bool) {
	v, ok := protocol.DecodeValue(value)
	if !ok || v == nil {
		return nil, ok
	}
	list, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]T, len(list))
	for i, e := range list {
		if out[i], ok = elem(e); !ok {
			return nil, false
		}
	}
	return out, true
}
