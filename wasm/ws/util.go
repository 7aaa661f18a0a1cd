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

// marshalData turns data into JSON; json.RawMessage and []byte holding JSON
// pass through.
func marshalData(data any) (json.RawMessage, error) {
	switch v := data.(type) {
	case json.RawMessage:
		if !json.Valid(v) {
			return nil, fmt.Errorf("ws: data is not valid JSON")
		}
		return v, nil
	default:
		b, err := protocol.EncodeData(data)
		if err != nil {
			return nil, fmt.Errorf("ws: failed to encode data: %w", err)
		}
		return b, nil
	}
}
