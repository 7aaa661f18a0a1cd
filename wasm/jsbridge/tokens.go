package jsbridge

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// tokens asks JavaScript for the tokens of a connection or a stream whose
// config has getToken: an event (KindToken) with the number of the ask,
// which realtime.js answers through Token with what getToken gave.
type tokens struct {
	sink Sink
	id   int

	mu     sync.Mutex
	asked  int              // the number of the last ask
	answer chan tokenAnswer // the last ask's, until answered
}

type tokenAnswer struct {
	token string
	err   error
}

// ask is the TokenFunc of the connection or the stream.
func (t *tokens) ask(ctx context.Context) (string, error) {
	answer := make(chan tokenAnswer, 1)
	t.mu.Lock()
	t.asked++
	n := t.asked
	t.answer = answer
	t.mu.Unlock()
	t.sink.Event(KindToken, t.id, n)
	select {
	case a := <-answer:
		return a.token, a.err
	case <-ctx.Done():
		return "", fmt.Errorf("getToken gave no token in time: %w", ctx.Err())
	}
}

// Token answers ask n of connection or stream id with what getToken
// gave: token, or the message of its error. An answer to an ask that is
// over (it timed out, or another has been made since) is dropped.
func (b *Bridge) Token(id, n int, token, message string) error {
	b.mu.Lock()
	var t *tokens
	switch o := b.objects[id].(type) {
	case *conn:
		t = o.tokens
	case *stream:
		t = o.tokens
	}
	shutdown := b.shutdown
	b.mu.Unlock()
	switch {
	case t != nil:
	case shutdown:
		return ErrShutdown
	default:
		return fmt.Errorf("%w: no connection or stream %d", ErrClosed, id)
	}
	var a tokenAnswer
	switch {
	case message != "":
		a.err = errors.New(message)
	case token == "":
		a.err = errors.New("getToken gave an empty token")
	default:
		a.token = token
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if n == t.asked && t.answer != nil {
		t.answer <- a
		t.answer = nil
	}
	return nil
}
