package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The wire format of server-sent events (WHATWG HTML, "Server-sent events").

// appendEvent appends e as an event block. Every line of Data becomes a
// data field, so clients join them back with "\n"; an event without data
// still gets one empty data field, without which clients drop it. An ID
// below 0 writes no id field, which leaves the client's last id as it was.
func appendEvent(b []byte, e Event) ([]byte, error) {
	if strings.ContainsAny(e.Name, "\r\n") {
		return b, fmt.Errorf("failed to write event %d: %w", e.ID, ErrBadEventName)
	}
	if e.Name != "" {
		b = append(b, "event: "...)
		b = append(b, e.Name...)
		b = append(b, '\n')
	}
	if e.ID >= 0 {
		b = append(b, "id: "...)
		b = strconv.AppendInt(b, e.ID, 10)
		b = append(b, '\n')
	}
	data := e.Data
	for {
		line, rest, more := cutLine(data)
		b = append(b, "data: "...)
		b = append(b, line...)
		b = append(b, '\n')
		if !more {
			break
		}
		data = rest
	}
	return append(b, '\n'), nil
}

// cutLine splits b at its first line end: CRLF, LF or CR, as clients do.
func cutLine(b []byte) (line, rest []byte, found bool) {
	i := bytes.IndexAny(b, "\r\n")
	if i < 0 {
		return b, nil, false
	}
	if b[i] == '\r' && i+1 < len(b) && b[i+1] == '\n' {
		return b[:i], b[i+2:], true
	}
	return b[:i], b[i+1:], true
}

// appendRetry appends the field that sets a client's reconnection delay.
func appendRetry(b []byte, d time.Duration) []byte {
	b = append(b, "retry: "...)
	b = strconv.AppendInt(b, max(1, d.Milliseconds()), 10)
	return append(b, "\n\n"...)
}

// keepAlive is the comment sent on a silent stream.
const keepAlive = ": keep-alive\n\n"

// maxEchoedID bounds how much of a malformed Last-Event-ID the
// history-lost event repeats.
const maxEchoedID = 64

// lastEventID reads where a client resumes: the Last-Event-ID header, or
// the lastEventId query parameter for clients that cannot set headers
// (the native EventSource sets it only on its own reconnects). raw is ""
// for a fresh client; ok reports that raw is a valid id (decimal digits).
func lastEventID(r *http.Request) (raw string, id int64, ok bool) {
	raw = r.Header.Get("Last-Event-ID")
	if raw == "" {
		raw = r.URL.Query().Get("lastEventId")
	}
	if raw == "" {
		return "", -1, false
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] < '0' || raw[i] > '9' {
			return raw, -1, false
		}
	}
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		return raw, -1, false
	}
	return raw, id, true
}

// historyLostData is the data of a history-lost event.
type historyLostData struct {
	LastEventID string `json:"lastEventId"`
	Oldest      string `json:"oldest"` // "" when the stream holds nothing
}

// historyLost is the event telling a client that the events after the id
// it sent are gone. It has no id, so the client's last id stays until the
// next real event.
func historyLost(sent string, oldest, newest int64) Event {
	if len(sent) > maxEchoedID {
		sent = sent[:maxEchoedID]
	}
	d := historyLostData{LastEventID: strings.ToValidUTF8(sent, "\uFFFD")}
	if oldest <= newest {
		d.Oldest = strconv.FormatInt(oldest, 10)
	}
	data, _ := json.Marshal(d) // two strings cannot fail
	return Event{ID: -1, Name: "history-lost", Data: data}
}
