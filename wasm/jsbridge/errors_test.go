package jsbridge

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/matih-ai/realtime/wasm/protocol"
	"github.com/matih-ai/realtime/wasm/querystatus"
	"github.com/matih-ai/realtime/wasm/sse"
	"github.com/matih-ai/realtime/wasm/ws"
)

func TestCode(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nil, ""},
		{fmt.Errorf("%w: x", ws.ErrConfig), "config"},
		{fmt.Errorf("%w: %w", ws.ErrGaveUp, &ws.CloseError{Code: 1006}), "gave_up"},
		{&ws.CloseError{Code: protocol.CloseUnauthorized}, "unauthorized"},
		{fmt.Errorf("%w: %w", ws.ErrToken, context.DeadlineExceeded), "token"},
		{&ws.CloseError{Code: protocol.CloseServiceRestart}, "connection_closed"},
		{fmt.Errorf("ws: server refused %q: %w", "a:b", &protocol.ErrorData{Code: "room_full"}), "room_full"},
		{fmt.Errorf("wrapped: %w", ws.ErrQueueFull), "queue_full"},
		{&sse.ResponseError{StatusCode: 401}, "http_401"},
		{fmt.Errorf("%w: gone", querystatus.ErrAlreadyFinished), "already_finished"},
		{fmt.Errorf("x: %w", context.DeadlineExceeded), "timeout"},
		{errors.New("something else"), "error"},
	} {
		if got := Code(tc.err); got != tc.want {
			t.Errorf("Code(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
