package ws

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/matih-ai/realtime/wasm/protocol"
)

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// marshalData turns data into JSON, and reports whether it encoded it
// (protocol.EncodeData's JSON needs no check); a json.RawMessage passes
// through once valid.
func marshalData(data any) (raw json.RawMessage, marshaled bool, err error) {
	if v, ok := data.(json.RawMessage); ok {
		if !protocol.Valid(v) {
			return nil, false, fmt.Errorf("ws: data is not valid JSON")
		}
		return v, false, nil
	}
	b, err := protocol.EncodeData(data)
	if err != nil {
		return nil, false, encodeDataError(err)
	}
	return b, true, nil
}

// encodeDataError is Publish's error for data EncodeData refused.
func encodeDataError(err error) error { return fmt.Errorf("ws: failed to encode data: %w", err) }
