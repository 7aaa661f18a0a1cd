package components

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/matih-ai/realtime/wasm/querystatus"
)

// QueryStatus tracks SQL queries over a WebSocketProvider above it and
// shares their status with its descendants (the spec's queryStatus).
type QueryStatus struct {
	app.Compo

	// Provider names the WebSocketProvider. Default is "".
	Provider string
	// Name tells QueryStatus providers apart. Default is "".
	Name    string
	Content []app.UI

	tracker *querystatus.Tracker
	stop    []func()
}

var queryTrackers = registry[*querystatus.Tracker]{kind: "QueryStatus"}

// QueriesOf returns the tracker of the named QueryStatus provider, or nil.
func QueriesOf(name string) *querystatus.Tracker { return queryTrackers.get(name) }

// QueriesKey is the go-app state under which the named provider publishes
// its []querystatus.Status, most recent first.
func QueriesKey(name string) string { return "realtime/queries/" + name }

// ObserveQueries keeps *qs up to date and re-renders the component of ctx
// on every change.
func ObserveQueries(ctx app.Context, name string, qs *[]querystatus.Status) app.Observer {
	return ctx.ObserveState(QueriesKey(name), qs)
}

func (q *QueryStatus) CompoID() string { return q.Provider + "\x00" + q.Name }

func (q *QueryStatus) OnInit() {
	if app.IsServer {
		return
	}
	client := WebSocket(q.Provider)
	if client == nil {
		app.Log(fmt.Errorf("components: QueryStatus: no WebSocketProvider named %q above it", q.Provider))
		return
	}
	q.tracker = querystatus.NewTracker(client)
	queryTrackers.set(q.Name, q.tracker)
}

func (q *QueryStatus) OnMount(ctx app.Context) {
	if q.tracker == nil {
		return
	}
	key := QueriesKey(q.Name)
	publish := func() {
		qs := q.tracker.Queries()
		ctx.Dispatch(func(ctx app.Context) { ctx.SetState(key, qs) })
	}
	publish()
	q.stop = append(q.stop, q.tracker.OnChange(func(querystatus.Status) { publish() }))
}

func (q *QueryStatus) OnDismount() {
	for _, stop := range q.stop {
		stop()
	}
	q.stop = nil
	if q.tracker != nil {
		queryTrackers.remove(q.Name, q.tracker)
		q.tracker.Close()
		q.tracker = nil
	}
}

func (q *QueryStatus) Render() app.UI { return app.Div().Class("rt-queries").Body(q.Content...) }

// IQueryList shows the queries of a QueryStatus provider as cards, with a
// cancel button on those still running.
type IQueryList interface {
	app.UI
	// Queries names the QueryStatus provider. Default is "".
	Queries(name string) IQueryList
}

// QueryList returns the list of a QueryStatus provider's queries.
func QueryList() IQueryList { return &queryList{} }

type queryList struct {
	app.Compo
	IQueries string

	queries []querystatus.Status
	now     time.Time
	errs    map[string]string

	mu     sync.Mutex
	ticker chan struct{} // closed to stop the clock of the cards
}

func (l *queryList) Queries(name string) IQueryList { l.IQueries = name; return l }

// OnMount follows the queries, and ticks twice a second so elapsed and
// time left move between updates.
func (l *queryList) OnMount(ctx app.Context) {
	l.now = time.Now()
	ObserveQueries(ctx, l.IQueries, &l.queries)
	stop := make(chan struct{})
	l.mu.Lock()
	l.ticker = stop
	l.mu.Unlock()
	go func() {
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case now := <-t.C:
				ctx.Dispatch(func(app.Context) { l.now = now })
			}
		}
	}()
}

func (l *queryList) OnDismount() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ticker != nil {
		close(l.ticker)
		l.ticker = nil
	}
}

func (l *queryList) cancel(id string) func() {
	return func() {
		tr := QueriesOf(l.IQueries)
		if tr == nil {
			return
		}
		go func() {
			ctx, done := context.WithTimeout(context.Background(), 10*time.Second)
			defer done()
			err := tr.Cancel(ctx, id)
			msg := "" // the card's ticker shows it within half a second
			if err != nil {
				msg = err.Error()
			}
			l.setErr(id, msg)
		}()
	}
}

func (l *queryList) setErr(id, msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.errs == nil {
		l.errs = map[string]string{}
	}
	l.errs[id] = msg
}

func (l *queryList) errOf(id string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.errs[id]
}

func (l *queryList) Render() app.UI {
	return app.Div().ID("query-list").Class("rt-query-list").Body(
		app.If(len(l.queries) == 0, func() app.UI {
			return app.P().Class("rt-hint").Text("No queries yet.")
		}),
		app.Range(l.queries).Slice(func(i int) app.UI {
			q := l.queries[i]
			return QueryCardView(q, l.now, l.errOf(q.ID), l.cancel(q.ID))
		}),
	)
}

// QueryCardView renders one query: its state, a progress bar
// (indeterminate until the total is known), rows, elapsed, time left, and
// a cancel button while it runs. It holds no state, so it can be tested
// without a connection.
func QueryCardView(q querystatus.Status, now time.Time, problem string, cancel func()) app.UI {
	left, known := q.Remaining(now)
	bar := app.Div().Class("rt-progress__bar")
	if q.Progress.Known || q.State.Final() {
		bar = bar.Style("width", fmt.Sprintf("%.1f%%", q.Progress.Percent))
	}
	progress := app.Div().Class("rt-progress").Aria("role", "progressbar").Body(bar)
	if q.Progress.Known && !q.State.Final() || q.State == querystatus.Succeeded {
		progress = progress.Aria("valuenow", fmt.Sprintf("%.0f", q.Progress.Percent)).DataSet("percent", fmt.Sprintf("%.0f", q.Progress.Percent))
	} else if !q.State.Final() {
		progress = progress.Class("rt-progress--indeterminate")
	}
	timeLeft := "—"
	if known {
		timeLeft = roundDuration(left)
	}
	return app.Article().Class("rt-query", "rt-query--"+string(q.State)).DataSet("id", q.ID).DataSet("state", string(q.State)).Body(
		app.Div().Class("rt-query__head").Body(
			app.Span().Class("rt-query__id").Text(q.ID),
			StatusPill(string(q.State), ""),
			app.If(!q.State.Final(), func() app.UI {
				return app.Button().Class("rt-link", "rt-query__cancel").Text("Cancel").
					OnClick(func(app.Context, app.Event) { cancel() })
			}),
		),
		app.If(q.SQL != "", func() app.UI {
			return app.Code().Class("rt-query__sql").Text(shorten(q.SQL, 120))
		}),
		progress,
		app.Dl().Class("rt-query__stats").Body(
			queryStat("Progress", percentText(q)),
			queryStat("Rows", GroupDigits(q.Progress.Rows)),
			queryStat("Elapsed", roundDuration(q.Elapsed(now))),
			queryStat("Time left", timeLeft),
		),
		app.If(q.Error != nil, func() app.UI {
			return app.P().Class("rt-problem").Text(q.Error.Code + ": " + q.Error.Message)
		}),
		app.If(problem != "", func() app.UI {
			return app.P().Class("rt-query__note").Text(problem)
		}),
	)
}

func queryStat(label, value string) app.UI {
	return app.Div().Class("rt-stat").Body(app.Dt().Text(label), app.Dd().Text(value))
}

func percentText(q querystatus.Status) string {
	if !q.Progress.Known && q.State != querystatus.Succeeded {
		return "—"
	}
	return fmt.Sprintf("%.0f%%", q.Progress.Percent)
}

func roundDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return d.Round(10 * time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	default:
		return d.Round(time.Second).String()
	}
}

// GroupDigits writes n with thousands separators: 1234567 is "1,234,567".
func GroupDigits(n int64) string {
	// Written from the end, without fmt: a live table formats a cell
	// with it on every change.
	var b [26]byte // 19 digits, 6 commas and a sign
	i := len(b)
	u := uint64(n)
	if n < 0 {
		u = -u
	}
	for k := 0; ; k++ {
		if k > 0 && k%3 == 0 {
			i--
			b[i] = ','
		}
		i--
		b[i] = byte('0' + u%10)
		if u /= 10; u == 0 {
			break
		}
	}
	if n < 0 {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

func shorten(s string, n int) string {
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}
