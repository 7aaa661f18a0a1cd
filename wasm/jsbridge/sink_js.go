//go:build js && wasm

package jsbridge

import (
	"sync"
	"syscall/js"

	"github.com/matih-ai/realtime/wasm/protocol"
)

// NewSink returns a Sink that calls dispatch, realtime.js's queueing
// function, with the kind, the object id and the arguments of each event.
func NewSink(dispatch js.Value) Sink {
	return &jsSink{dispatch: dispatch, strs: map[string]js.Value{}}
}

type jsSink struct {
	dispatch js.Value

	mu   sync.Mutex
	strs map[string]js.Value
}

// maxCachedStrings bounds the cache of JavaScript strings.
const maxCachedStrings = 512

// str returns s as a JavaScript string. Channels and types repeat from
// message to message; making each once saves a call into JavaScript and
// a copy per message.
func (s *jsSink) str(v string) js.Value {
	s.mu.Lock()
	defer s.mu.Unlock()
	if j, ok := s.strs[v]; ok {
		return j
	}
	if len(s.strs) >= maxCachedStrings {
		clear(s.strs)
	}
	j := js.ValueOf(v)
	s.strs[v] = j
	return j
}

func (s *jsSink) Message(conn int, e protocol.Envelope) {
	s.dispatch.Invoke(int(KindMessage), conn, s.str(e.Channel), s.str(e.Type), string(e.Data), e.ID, s.str(e.Ref), e.Timestamp)
}

func (s *jsSink) Event(kind Kind, id int, args ...any) {
	all := make([]any, 0, 2+len(args))
	all = append(all, int(kind), id)
	all = append(all, args...)
	s.dispatch.Invoke(all...)
}
