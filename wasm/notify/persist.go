package notify

import (
	"fmt"
	"sync"

	"github.com/matih-ai/realtime/wasm/protocol"
)

// Storage keeps bytes under a key across page loads: localStorage in the
// browser (see LocalStorage), memory elsewhere.
type Storage interface {
	Load(key string) ([]byte, bool)
	Save(key string, b []byte) error
}

type saved struct {
	Version int            `json:"v"`
	Items   []Notification `json:"items"`
	LastSeq uint64         `json:"last,omitempty"`
}

// Save writes the store to st under key.
func (s *Store) Save(st Storage, key string) error {
	b, err := protocol.Marshal(saved{Version: 1, Items: s.items, LastSeq: s.last})
	if err != nil {
		return fmt.Errorf("notify: failed to encode the store: %w", err)
	}
	if err := st.Save(key, b); err != nil {
		return fmt.Errorf("notify: failed to save the store: %w", err)
	}
	return nil
}

// Load replaces the store's content with what st holds under key. Nothing
// saved is not an error; unreadable data is, and leaves the store as it was.
func (s *Store) Load(st Storage, key string) error {
	b, ok := st.Load(key)
	if !ok {
		return nil
	}
	var v saved
	if err := protocol.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("notify: saved store is unreadable: %w", err)
	}
	fresh := NewStore(s.cap)
	for _, n := range v.Items {
		if _, err := fresh.Add(n); err != nil {
			return fmt.Errorf("notify: saved store: %w", err)
		}
	}
	s.items = fresh.items
	s.last = max(fresh.last, v.LastSeq)
	return nil
}

// MemoryStorage is a Storage in memory.
type MemoryStorage struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (m *MemoryStorage) Load(key string) ([]byte, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.m[key]
	return b, ok
}

func (m *MemoryStorage) Save(key string, b []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil {
		m.m = map[string][]byte{}
	}
	m.m[key] = append([]byte(nil), b...)
	return nil
}
