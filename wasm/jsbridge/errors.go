package jsbridge

import (
	"context"
	"errors"
	"fmt"

	"github.com/matih-ai/realtime/wasm/live"
	"github.com/matih-ai/realtime/wasm/notify"
	"github.com/matih-ai/realtime/wasm/presence"
	"github.com/matih-ai/realtime/wasm/protocol"
	"github.com/matih-ai/realtime/wasm/querystatus"
	"github.com/matih-ai/realtime/wasm/sse"
	"github.com/matih-ai/realtime/wasm/ws"
)

// Errors of the bridge itself.
var (
	// ErrClosed: the object was closed, or never opened.
	ErrClosed = errors.New("realtime: closed")
	// ErrShutdown: the module was shut down.
	ErrShutdown = errors.New("realtime: the module was shut down")
	// ErrArgument: JavaScript passed a value of the wrong kind.
	ErrArgument = errors.New("realtime: bad argument")
	// ErrInternal: a bug; the call was stopped, the module goes on.
	ErrInternal = errors.New("realtime: internal error")
)

// Code names err for JavaScript (RealtimeError.code), so that a program can
// branch on it without parsing messages; realtime.d.ts lists the codes. An
// error the server sent keeps the server's code ("room_full", ...).
func Code(err error) string {
	var (
		pe *protocol.ErrorData
		ce *ws.CloseError
		re *sse.ResponseError
	)
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrConfig), errors.Is(err, ws.ErrConfig), errors.Is(err, sse.ErrConfig), errors.Is(err, live.ErrOptions):
		return "config"
	case errors.Is(err, ErrShutdown):
		return "shutdown"
	case errors.Is(err, ErrClosed), errors.Is(err, ws.ErrClosed), errors.Is(err, presence.ErrLeft):
		return "closed"
	case errors.Is(err, ErrArgument):
		return "bad_argument"
	case errors.Is(err, ErrInternal):
		return "internal"
	case errors.Is(err, ws.ErrGaveUp), errors.Is(err, sse.ErrGaveUp):
		return "gave_up"
	case errors.Is(err, ws.ErrToken), errors.Is(err, sse.ErrToken):
		return "token"
	case errors.Is(err, ws.ErrQueueFull):
		return "queue_full"
	case errors.Is(err, ws.ErrMessageTooBig):
		return "message_too_big"
	case errors.Is(err, ws.ErrHeartbeatTimeout):
		return "heartbeat_timeout"
	case errors.Is(err, ws.ErrUnknownType):
		return "unknown_type"
	case errors.Is(err, protocol.ErrMalformed):
		return "bad_message"
	case errors.Is(err, querystatus.ErrAlreadyFinished):
		return querystatus.CodeAlreadyFinished
	case errors.Is(err, querystatus.ErrUnknownQuery):
		return querystatus.CodeUnknownQuery
	case errors.Is(err, querystatus.ErrNotTracked):
		return "not_tracked"
	case errors.Is(err, notify.ErrNotFound):
		return "not_found"
	case errors.Is(err, notify.ErrBackwards):
		return "backwards"
	case errors.Is(err, live.ErrBadData):
		return "bad_data"
	case errors.As(err, &pe):
		return pe.Code
	case errors.As(err, &ce):
		switch ce.Code {
		case protocol.CloseUnauthorized:
			return "unauthorized"
		case protocol.CloseForbidden:
			return "forbidden"
		}
		return "connection_closed"
	case errors.Is(err, sse.ErrNoContent):
		return "no_content"
	case errors.Is(err, sse.ErrTooLong):
		return "too_long"
	case errors.Is(err, sse.ErrIdleTimeout):
		return "idle_timeout"
	case errors.Is(err, sse.ErrStreamEnded):
		return "stream_ended"
	case errors.As(err, &re):
		return fmt.Sprintf("http_%d", re.StatusCode)
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	}
	return "error"
}

// errText is err's message, or "" for nil.
func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
