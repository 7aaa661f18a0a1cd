package components

import (
	"fmt"
	"sync"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// registry finds a mounted provider's object by the provider's name: go-app
// has no context flowing down the tree.
type registry[T comparable] struct {
	kind string
	mu   sync.Mutex
	m    map[string]T
}

func (r *registry[T]) get(name string) T {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.m[name]
}

func (r *registry[T]) set(name string, v T) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = map[string]T{}
	}
	if _, dup := r.m[name]; dup {
		app.Log(fmt.Errorf("components: two %s providers named %q are mounted; the newest wins", r.kind, name))
	}
	r.m[name] = v
}

// remove forgets v, unless another provider of the name replaced it.
func (r *registry[T]) remove(name string, v T) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m[name] == v {
		delete(r.m, name)
	}
}
