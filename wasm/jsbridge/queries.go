package jsbridge

import (
	"context"
	"fmt"
	"time"

	"github.com/matih-ai/realtime/wasm/querystatus"
)

const kindQueries = "queries"

// queries is a query status tracker opened by JavaScript.
type queries struct {
	conn    int
	tracker *querystatus.Tracker
	stop    func()
}

func (*queries) kind() string  { return kindQueries }
func (q *queries) parent() int { return q.conn }

func (q *queries) close() {
	q.stop()
	q.tracker.Close()
}

// queryInfo is a query as JavaScript sees it: its status, and why it
// cannot be followed when the server refused it.
type queryInfo struct {
	querystatus.Status
	TrackingError string `json:"trackingError,omitempty"`
}

// OpenQueries makes query tracker id over connection conn. Every change of
// a tracked query follows as a KindQuery event.
func (b *Bridge) OpenQueries(id, conn int) error {
	client, err := b.client(conn)
	if err != nil {
		return err
	}
	t := querystatus.NewTracker(client)
	q := &queries{conn: conn, tracker: t}
	q.stop = t.OnChange(func(s querystatus.Status) {
		err := t.Err(s.ID)
		b.sink.Event(KindQuery, id, mustJSON(queryInfo{s, errText(err)}), errText(err), Code(err))
	})
	if err := b.add(id, q); err != nil {
		q.close()
		return err
	}
	return nil
}

// QueriesDo runs action on tracker id: "track" or "untrack" query.
func (b *Bridge) QueriesDo(id int, action, query string) error {
	q, err := get[*queries](b, id)
	if err != nil {
		return err
	}
	switch action {
	case "track":
		return q.tracker.Track(query)
	case "untrack":
		q.tracker.Untrack(query)
		return nil
	}
	return fmt.Errorf("%w: unknown action %q", ErrArgument, action)
}

// QueriesView reads tracker id, as JSON: "list" (every tracked query, most
// recently tracked first) or "get" (query; null when not tracked).
func (b *Bridge) QueriesView(id int, what, query string) (string, error) {
	q, err := get[*queries](b, id)
	if err != nil {
		return "", err
	}
	switch what {
	case "list":
		list := q.tracker.Queries()
		out := make([]queryInfo, len(list))
		for i, s := range list {
			out[i] = queryInfo{s, errText(q.tracker.Err(s.ID))}
		}
		return mustJSON(out), nil
	case "get":
		s, ok := q.tracker.Get(query)
		if !ok {
			return "null", nil
		}
		return mustJSON(queryInfo{s, errText(q.tracker.Err(query))}), nil
	}
	return "", fmt.Errorf("%w: unknown view %q", ErrArgument, what)
}

// CancelQuery asks the server to cancel query and settles request req with
// its answer (KindReply), or a timeout error after timeout.
func (b *Bridge) CancelQuery(id, req int, query string, timeout time.Duration) error {
	q, err := get[*queries](b, id)
	if err != nil {
		return err
	}
	if timeout <= 0 {
		return fmt.Errorf("%w: timeout %v", ErrArgument, timeout)
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		err := q.tracker.Cancel(ctx, query)
		b.sink.Event(KindReply, req, "", errText(err), Code(err))
	}()
	return nil
}
