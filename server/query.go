package server

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/matih-ai/realtime/wasm/clock"
)

// Envelope types of query status.
const (
	typeQueryStatus = "query.status"
	typeQueryCancel = "query.cancel"
)

// kindQuery is the channel kind of a query's status, "query:<id>".
const kindQuery = "query"

// States of a query; the last three are final.
const (
	queryQueued    = "queued"
	queryPlanning  = "planning"
	queryRunning   = "running"
	queryFinishing = "finishing"
	querySucceeded = "succeeded"
	queryFailed    = "failed"
	queryCancelled = "cancelled"
)

// Kinds of simulated query, by the time they take at QuerySpeed 1.
const (
	queryShort   = "short"   // about 1.5 s
	queryMedium  = "medium"  // about 5 s
	queryLong    = "long"    // about 15 s
	queryFailing = "failing" // fails after about 2.5 s, while running
)

// Refusals of query requests.
var (
	errUnknownQuery    = errors.New("server: unknown query")
	errAlreadyFinished = errors.New("server: query already finished")
	errTooManyQueries  = errors.New("server: too many running queries")
	errBadQuery        = errors.New("server: bad query")
	errQueriesStopped  = errors.New("server: shutting down")
)

const (
	// queryTick is the simulated time of one step of every query, and the
	// time between two steps at QuerySpeed 1.
	queryTick = 100 * time.Millisecond
	// recentQueries is how many of the latest queries GET /queries lists.
	recentQueries = 50
	// maxSQLBytes bounds the text of a query.
	maxSQLBytes = 16 << 10
)

// queryStatus is the data of query.status and an item of GET /queries.
type queryStatus struct {
	ID          string        `json:"id"`
	SQL         string        `json:"sql"`
	State       string        `json:"state"`
	Version     uint64        `json:"version"`
	Progress    queryProgress `json:"progress"`
	SubmittedAt int64         `json:"submittedAt"`
	StartedAt   int64         `json:"startedAt"`
	UpdatedAt   int64         `json:"updatedAt"`
	FinishedAt  int64         `json:"finishedAt"`
	Error       *queryError   `json:"error,omitempty"`
}

// queryProgress is how far a query is. Percent is 0..100 once Known,
// when the engine knows its total work (TotalRows), and 0 before.
type queryProgress struct {
	Percent   float64 `json:"percent"`
	Known     bool    `json:"known"`
	Rows      int64   `json:"rows"`
	Bytes     int64   `json:"bytes"`
	TotalRows int64   `json:"totalRows"`
}

// queryError is why a query failed.
type queryError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func finalState(state string) bool {
	return state == querySucceeded || state == queryFailed || state == queryCancelled
}

// queryPlan is the script of a simulated query, in steps of queryTick.
type queryPlan struct {
	queued, planning, running, finishing int
	failAt                               int // running step at which it fails; -1 never
	totalRows, rowBytes                  int64
	err                                  queryError
}

// queryFailures are the errors of failing queries, in turn: what an
// engine says when a query breaks while running.
var queryFailures = []queryError{
	{"EXCEEDED_MEMORY_LIMIT", "Query exceeded the per-node memory limit of 4 GB (4.3 GB used by a hash join on worker-3)"},
	{"DIVISION_BY_ZERO", "division by zero in revenue / orders (row 48213 of orders)"},
	{"REMOTE_TASK_FAILED", "lost worker-2 while reading s3://warehouse/orders/part-00017.parquet"},
}

// newQueryPlan scripts query number n of kind, with some variety drawn
// from n, so that a query always runs the same way.
func newQueryPlan(kind string, n uint64) (queryPlan, error) {
	rng := rand.New(rand.NewPCG(n, 0x9e3779b97f4a7c15))
	vary := func(v int64) int64 { return v * int64(80+rng.IntN(41)) / 100 } // +-20%
	p := queryPlan{failAt: -1, rowBytes: 48 + int64(rng.IntN(160))}
	switch kind {
	case queryShort:
		p.queued, p.planning, p.running, p.finishing = 2, 3, 8, 2
		p.totalRows = vary(12_480)
	case queryMedium:
		p.queued, p.planning, p.running, p.finishing = 5, 7, 34, 4
		p.totalRows = vary(1_284_000)
	case queryLong:
		p.queued, p.planning, p.running, p.finishing = 10, 15, 120, 5
		p.totalRows = vary(48_000_000)
	case queryFailing:
		p.queued, p.planning, p.running, p.finishing = 3, 5, 30, 4
		p.totalRows = vary(3_200_000)
		p.failAt = 18 // known and moving by then
		p.err = queryFailures[n%uint64(len(queryFailures))]
	default:
		return queryPlan{}, fmt.Errorf("%w: kind %.32q is not short, medium, long or failing", errBadQuery, kind)
	}
	return p, nil
}

// unknownSteps is how many running steps pass before the engine knows its
// total work: the first 30% of running.
func (p queryPlan) unknownSteps() int { return max(1, p.running*3/10) }

// at returns the state and progress of the query after step k. A failing
// query's progress stops where it failed.
func (p queryPlan) at(k int) (string, queryProgress) {
	done := queryProgress{Percent: 100, Known: true, Rows: p.totalRows, Bytes: p.totalRows * p.rowBytes, TotalRows: p.totalRows}
	switch j := k - p.queued - p.planning; {
	case k < p.queued:
		return queryQueued, queryProgress{}
	case j < 0:
		return queryPlanning, queryProgress{}
	case p.failAt >= 0 && j >= p.failAt:
		_, prog := p.at(p.queued + p.planning + p.failAt - 1)
		return queryFailed, prog
	case j < p.running:
		rows := p.totalRows * int64(j+1) / int64(p.running)
		prog := queryProgress{Rows: rows, Bytes: rows * p.rowBytes}
		if j+1 > p.unknownSteps() {
			prog.Known = true
			prog.TotalRows = p.totalRows
			prog.Percent = math.Round(1000*float64(j+1)/float64(p.running)) / 10
		}
		return queryRunning, prog
	case j < p.running+p.finishing:
		return queryFinishing, done
	default:
		return querySucceeded, done
	}
}

// query is one simulated query.
type query struct {
	plan   queryPlan
	status queryStatus
	steps  int
	timer  clock.Timer // the next step, while not final
}

// queries runs the simulated queries: each steps every queryTick scaled
// by the speed, on the server's clock, through its plan. It keeps the
// recentQueries latest finished ones and every running one; it is in
// memory and single node. One lock serves every query: what runs under
// it is one step, one envelope and queueing it, which never blocks.
//
// Lock order: queries.mu, then hub.mu.
type queries struct {
	hub   *hub
	clock clock.Clock
	log   *slog.Logger
	tick  time.Duration
	max   int

	mu      sync.Mutex
	closed  bool
	last    uint64 // number of the last query
	byID    map[string]*query
	recent  []*query // oldest first
	running int
}

func newQueries(h *hub, opts Options) *queries {
	return &queries{
		hub:   h,
		clock: opts.Clock,
		log:   opts.Logger,
		tick:  max(time.Duration(float64(queryTick)/opts.QuerySpeed), time.Microsecond),
		max:   opts.MaxQueries,
		last:  1000,
		byID:  make(map[string]*query),
	}
}

// start submits a query of kind and returns its first status.
func (r *queries) start(sql, kind string) (queryStatus, error) {
	sql = strings.TrimSpace(sql)
	switch {
	case sql == "":
		return queryStatus{}, fmt.Errorf("%w: missing sql", errBadQuery)
	case len(sql) > maxSQLBytes:
		return queryStatus{}, fmt.Errorf("%w: sql longer than %d bytes", errBadQuery, maxSQLBytes)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return queryStatus{}, errQueriesStopped
	}
	if r.running >= r.max {
		return queryStatus{}, fmt.Errorf("%w: %d are running, the most allowed; try again when one ends", errTooManyQueries, r.running)
	}
	plan, err := newQueryPlan(kind, r.last+1)
	if err != nil {
		return queryStatus{}, err
	}
	r.last++
	now := r.clock.Now().UnixMilli()
	q := &query{plan: plan, status: queryStatus{
		ID:          "q-" + strconv.FormatUint(r.last, 10),
		SQL:         sql,
		State:       queryQueued,
		Version:     1,
		SubmittedAt: now,
		UpdatedAt:   now,
	}}
	r.byID[q.status.ID] = q
	r.recent = append(r.recent, q)
	r.running++
	r.forgetLocked()
	r.armLocked(q)
	return q.status, nil
}

func (r *queries) armLocked(q *query) {
	q.timer = r.clock.AfterFunc(r.tick, func() { r.step(q) })
}

// step moves a query one step through its plan.
func (r *queries) step(q *query) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed || finalState(q.status.State) {
		return // cancelled, or shut down, while this step waited for the lock
	}
	q.steps++
	state, prog := q.plan.at(q.steps)
	if state != q.status.State || prog != q.status.Progress {
		now := r.clock.Now().UnixMilli()
		if q.status.StartedAt == 0 && state != queryQueued {
			q.status.StartedAt = now
		}
		q.status.State = state
		q.status.Progress = prog
		if state == queryFailed {
			q.status.Error = &queryError{Code: q.plan.err.Code, Message: q.plan.err.Message}
		}
		r.changedLocked(q, now)
	}
	if !finalState(state) {
		r.armLocked(q)
	}
}

// cancel cancels a query that has not ended.
func (r *queries) cancel(id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	q := r.byID[id]
	switch {
	case q == nil:
		return fmt.Errorf("%w: %q", errUnknownQuery, id)
	case finalState(q.status.State):
		return &finishedError{id: id, state: q.status.State}
	}
	q.timer.Stop()
	q.status.State = queryCancelled
	r.changedLocked(q, r.clock.Now().UnixMilli())
	return nil
}

// finishedError refuses the cancel of a query that had ended; it is
// errAlreadyFinished, and its text is the wire message.
type finishedError struct{ id, state string }

func (e *finishedError) Error() string        { return "query " + e.id + " already " + e.state }
func (e *finishedError) Is(target error) bool { return target == errAlreadyFinished }

// changedLocked numbers a change of q's status, ends it when final, and
// sends it to the subscribers of its channel.
func (r *queries) changedLocked(q *query, now int64) {
	q.status.Version++
	q.status.UpdatedAt = now
	if finalState(q.status.State) {
		q.status.FinishedAt = now
		r.running--
	}
	if frame := r.statusFrame(q); frame != nil {
		r.hub.broadcast(queryChannel(q.status.ID), frame)
	}
}

// subscribe subscribes c to a query's channel and queues its status, in
// one step, so every later status follows it. Like every status, it is
// queued without waiting.
func (r *queries) subscribe(c *client, id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	q := r.byID[id]
	if q == nil {
		return fmt.Errorf("%w: %q", errUnknownQuery, id)
	}
	if err := r.hub.subscribe(c, queryChannel(id)); err != nil {
		return err
	}
	if frame := r.statusFrame(q); frame != nil {
		c.enqueue(frame)
	}
	return nil
}

func (r *queries) statusFrame(q *query) []byte {
	frame, err := encodeEnvelope(typeQueryStatus, queryChannel(q.status.ID), q.status, r.clock.Now())
	if err != nil {
		r.log.Error("failed to encode a query status", "query", q.status.ID, "err", err)
		return nil
	}
	return frame
}

// list returns the statuses of the latest queries, newest first.
func (r *queries) list() []queryStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]queryStatus, 0, min(len(r.recent), recentQueries))
	for _, q := range slices.Backward(r.recent) {
		if len(out) == recentQueries {
			break
		}
		out = append(out, q.status)
	}
	return out
}

// forgetLocked drops the oldest finished queries beyond recentQueries.
// Running ones stay, however old: they are bounded by max.
func (r *queries) forgetLocked() {
	excess := len(r.recent) - recentQueries
	r.recent = slices.DeleteFunc(r.recent, func(q *query) bool {
		if excess > 0 && finalState(q.status.State) {
			excess--
			delete(r.byID, q.status.ID)
			return true
		}
		return false
	})
}

// close stops every query where it is; the server is going away.
func (r *queries) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	for _, q := range r.byID {
		if !finalState(q.status.State) {
			q.timer.Stop()
		}
	}
}

func queryChannel(id string) string { return kindQuery + ":" + id }

// queryID returns the id of a "query:<id>" channel.
func queryID(channel string) string {
	return strings.TrimPrefix(channel, kindQuery+":")
}
