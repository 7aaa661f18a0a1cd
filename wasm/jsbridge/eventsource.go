package jsbridge

import (
	"github.com/matih-ai/realtime/wasm/sse"
)

const kindStream = "stream"

// stream is a Server-Sent Events stream opened by JavaScript.
type stream struct {
	client *sse.Client
	stop   []func()
	tokens *tokens
}

func (*stream) kind() string { return kindStream }

func (s *stream) close() {
	for _, stop := range s.stop {
		stop()
	}
	s.client.Close()
}

// OpenEventSource makes stream id from the JSON of an EventSourceConfig and
// opens it. Every event follows as a KindStreamEvent (realtime.js hands it
// to the listeners of its type), state changes as KindStreamState and
// failures as KindError.
func (b *Bridge) OpenEventSource(id int, config []byte, page string) error {
	t := &tokens{sink: b.sink, id: id}
	cfg, err := EventSourceConfig(config, page, t.ask)
	if err != nil {
		return err
	}
	client, err := sse.New(cfg)
	if err != nil {
		return err
	}
	s := &stream{client: client, tokens: t}
	if err := b.add(id, s); err != nil {
		client.Close()
		return err
	}
	s.stop = append(s.stop,
		client.OnState(func(st sse.State) {
			b.sink.Event(KindStreamState, id, string(st.Status), st.Attempt, millis(st.NextDelay), millis(st.Retry), st.LastEventID, errText(st.Err), Code(st.Err))
		}),
		client.OnError(func(err error) { b.sink.Event(KindError, id, err.Error(), Code(err)) }),
		client.OnMessage(func(ev sse.Event) { b.sink.Event(KindStreamEvent, id, ev.Type, ev.Data, ev.ID) }),
	)
	client.Open()
	return nil
}

// OpenStream opens stream id again after it closed or gave up.
func (b *Bridge) OpenStream(id int) error {
	s, err := get[*stream](b, id)
	if err != nil {
		return err
	}
	s.client.Open()
	return nil
}

// ReconnectStream drops stream id's connection and resumes at once.
func (b *Bridge) ReconnectStream(id int) error {
	s, err := get[*stream](b, id)
	if err != nil {
		return err
	}
	s.client.Reconnect()
	return nil
}
