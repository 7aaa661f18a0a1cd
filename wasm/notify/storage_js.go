//go:build js && wasm

package notify

import (
	"fmt"
	"syscall/js"
)

// LocalStorage is the browser's localStorage, or memory where the page may
// not use it (private modes, sandboxed frames).
func LocalStorage() Storage {
	ls, err := localStorage()
	if err != nil {
		return &MemoryStorage{}
	}
	return jsStorage{ls}
}

func localStorage() (v js.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("notify: localStorage: %v", r)
		}
	}()
	v = js.Global().Get("localStorage")
	if v.IsUndefined() || v.IsNull() {
		return v, fmt.Errorf("notify: no localStorage")
	}
	return v, nil
}

type jsStorage struct{ ls js.Value }

func (s jsStorage) Load(key string) ([]byte, bool) {
	v := s.ls.Call("getItem", key)
	if v.IsNull() {
		return nil, false
	}
	return []byte(v.String()), true
}

// Save fails with the browser's message when the quota is exceeded.
func (s jsStorage) Save(key string, b []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("notify: localStorage: %v", r)
		}
	}()
	s.ls.Call("setItem", key, string(b))
	return nil
}
