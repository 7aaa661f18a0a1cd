package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/matih-ai/realtime/wasm/clock"
	"github.com/matih-ai/realtime/wasm/protocol"
)

// wireStatus is a query status as the contract spells it.
type wireStatus struct {
	ID       string `json:"id"`
	SQL      string `json:"sql"`
	State    string `json:"state"`
	Version  uint64 `json:"version"`
	Progress struct {
		Percent   float64 `json:"percent"`
		Known     bool    `json:"known"`
		Rows      int64   `json:"rows"`
		Bytes     int64   `json:"bytes"`
		TotalRows int64   `json:"totalRows"`
	} `json:"progress"`
	SubmittedAt int64 `json:"submittedAt"`
	StartedAt   int64 `json:"startedAt"`
	UpdatedAt   int64 `json:"updatedAt"`
	FinishedAt  int64 `json:"finishedAt"`
	Error       *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// startQuery posts a query and returns its id.
func startQuery(t *testing.T, hs *httptest.Server, kind string) string {
	t.Helper()
	code, body, _ := request(t, hs, "POST", "/queries", "", `{"sql":"select region, sum(revenue) from orders group by 1","kind":"`+kind+`"}`)
	var res struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal([]byte(body), &res); code != http.StatusCreated || err != nil || res.ID == "" {
		t.Fatalf("POST /queries %s: %d %q (%v)", kind, code, body, err)
	}
	return res.ID
}

// subscribeQuery follows a query: its status comes, then the ack.
func (c *testConn) subscribeQuery(id string) wireStatus {
	c.t.Helper()
	ch := "query:" + id
	c.send(protocol.Envelope{Type: protocol.TypeSubscribe, Channel: ch, Ref: "sub"})
	st := decode[wireStatus](c.t, c.expect(typeQueryStatus, ch, ""))
	c.expect(protocol.TypeAck, ch, "sub")
	return st
}

// drain returns the statuses queued for c: a ping's pong comes after them.
func (c *testConn) drain() []wireStatus {
	c.t.Helper()
	c.send(protocol.Envelope{Type: protocol.TypePing, Timestamp: 7})
	var out []wireStatus
	for {
		e := c.next()
		if e.Type == protocol.TypePong {
			return out
		}
		if e.Type != typeQueryStatus {
			c.t.Fatalf("got %+v (data %s), want a query status", e, e.Data)
		}
		out = append(out, decode[wireStatus](c.t, e))
	}
}

// runQuery steps the fake clock until the query c follows is final, and
// returns every status c got, the first one included.
func runQuery(t *testing.T, clk *clock.Fake, c *testConn, first wireStatus) []wireStatus {
	t.Helper()
	all := []wireStatus{first}
	for range 1000 {
		clk.Advance(queryTick)
		all = append(all, c.drain()...)
		if finalState(all[len(all)-1].State) {
			return all
		}
	}
	t.Fatalf("query never ended: %+v", all[len(all)-1])
	return nil
}

// states lists the states went through, without repeats.
func states(all []wireStatus) []string {
	var out []string
	for _, st := range all {
		if len(out) == 0 || out[len(out)-1] != st.State {
			out = append(out, st.State)
		}
	}
	return out
}

// checkMonotonic fails the test when a status goes back: versions grow
// by one, progress never shrinks, and percent is 0 until it is known.
func checkMonotonic(t *testing.T, all []wireStatus) {
	t.Helper()
	for i, st := range all {
		p := st.Progress
		if !p.Known && (p.Percent != 0 || p.TotalRows != 0) {
			t.Errorf("status %d: percent %v of %d rows while unknown", i, p.Percent, p.TotalRows)
		}
		if p.Percent < 0 || p.Percent > 100 || p.Bytes < p.Rows {
			t.Errorf("status %d: progress %+v", i, p)
		}
		if i == 0 {
			continue
		}
		prev := all[i-1]
		if st.Version != prev.Version+1 || st.UpdatedAt < prev.UpdatedAt {
			t.Errorf("status %d: version %d at %d after %d at %d", i, st.Version, st.UpdatedAt, prev.Version, prev.UpdatedAt)
		}
		if p.Percent < prev.Progress.Percent || p.Rows < prev.Progress.Rows || p.Bytes < prev.Progress.Bytes || (prev.Progress.Known && !p.Known) {
			t.Errorf("status %d: progress %+v after %+v", i, p, prev.Progress)
		}
	}
}

func TestQueryLifecycle(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake()
	_, hs := newTestServer(t, Options{Clock: clk})
	c := dial(t, hs, "", nil)
	start := clk.Now()
	id := startQuery(t, hs, "short")
	first := c.subscribeQuery(id)
	if first.ID != id || first.State != queryQueued || first.Version != 1 || first.SubmittedAt != start.UnixMilli() || !strings.HasPrefix(first.SQL, "select region") {
		t.Fatalf("first status %+v", first)
	}

	all := runQuery(t, clk, c, first)
	checkMonotonic(t, all)
	want := []string{queryQueued, queryPlanning, queryRunning, queryFinishing, querySucceeded}
	if got := states(all); !slices.Equal(got, want) {
		t.Fatalf("states %v, want %v", got, want)
	}
	if took := clk.Now().Sub(start); took != 1500*time.Millisecond {
		t.Errorf("a short query took %v, want 1.5s", took)
	}
	var sawUnknown, sawPartial bool
	for _, st := range all {
		if st.State == queryRunning {
			sawUnknown = sawUnknown || !st.Progress.Known
			sawPartial = sawPartial || st.Progress.Known && st.Progress.Percent < 100
		}
	}
	last := all[len(all)-1]
	if !sawUnknown || !sawPartial || last.Progress.Percent != 100 || last.Progress.Rows != last.Progress.TotalRows || last.Progress.Rows == 0 {
		t.Errorf("progress: unknown %v, partial %v, last %+v; want an unknown total, then a percent growing to 100", sawUnknown, sawPartial, last.Progress)
	}
	if last.StartedAt <= last.SubmittedAt || last.FinishedAt != last.UpdatedAt || last.FinishedAt <= last.StartedAt || last.Error != nil {
		t.Errorf("last status %+v", last)
	}

	// Late: the subscriber of a finished query gets where it ended.
	if st := dial(t, hs, "", nil).subscribeQuery(id); st.Version != last.Version || st.State != querySucceeded {
		t.Errorf("status after the end %+v, want version %d", st, last.Version)
	}
}

func TestQueryFailing(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake()
	_, hs := newTestServer(t, Options{Clock: clk})
	c := dial(t, hs, "", nil)
	all := runQuery(t, clk, c, c.subscribeQuery(startQuery(t, hs, "failing")))
	checkMonotonic(t, all)
	want := []string{queryQueued, queryPlanning, queryRunning, queryFailed}
	if got := states(all); !slices.Equal(got, want) {
		t.Fatalf("states %v, want %v", got, want)
	}
	last := all[len(all)-1]
	if last.Error == nil || last.Error.Code == "" || last.Error.Message == "" {
		t.Fatalf("failed without an error: %+v", last)
	}
	if p := last.Progress; !p.Known || p.Percent <= 0 || p.Percent >= 100 || p.Rows >= p.TotalRows {
		t.Errorf("failed with progress %+v, want it stopped part way", p)
	}
}

func TestQueryCancel(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake()
	_, hs := newTestServer(t, Options{Clock: clk})
	c := dial(t, hs, "", nil)
	id := startQuery(t, hs, "long")
	all := []wireStatus{c.subscribeQuery(id)}
	for all[len(all)-1].State != queryRunning || !all[len(all)-1].Progress.Known {
		clk.Advance(queryTick)
		all = append(all, c.drain()...)
	}

	// The canceller need not follow the query; its subscribers get the
	// cancelled status before the canceller's ack.
	canceller := dial(t, hs, "", nil)
	canceller.send(protocol.Envelope{Type: typeQueryCancel, Channel: "query:" + id, Ref: "c1"})
	canceller.expect(protocol.TypeAck, "query:"+id, "c1")
	all = append(all, c.drain()...)
	checkMonotonic(t, all)
	last := all[len(all)-1]
	if last.State != queryCancelled || last.FinishedAt == 0 || last.Error != nil {
		t.Fatalf("after cancel: %+v", last)
	}
	for range 200 {
		clk.Advance(queryTick)
	}
	if more := c.drain(); len(more) != 0 {
		t.Fatalf("a cancelled query went on: %+v", more)
	}

	short := startQuery(t, hs, "short")
	for range 15 {
		clk.Advance(queryTick)
	}
	for _, tc := range []struct {
		channel, code, message string
	}{
		{"query:" + id, protocol.CodeAlreadyFinished, "query " + id + " already cancelled"},
		{"query:" + short, protocol.CodeAlreadyFinished, "query " + short + " already succeeded"},
		{"query:q-1", protocol.CodeUnknownQuery, "q-1"},
	} {
		canceller.send(protocol.Envelope{Type: typeQueryCancel, Channel: tc.channel, Ref: "c2"})
		d := decode[protocol.ErrorData](t, canceller.expect(protocol.TypeError, tc.channel, "c2"))
		if d.Code != tc.code || !strings.Contains(d.Message, tc.message) {
			t.Errorf("cancel %s: %+v, want %s %q", tc.channel, d, tc.code, tc.message)
		}
	}
	canceller.send(protocol.Envelope{Type: protocol.TypeSubscribe, Channel: "query:q-1", Ref: "s"})
	if d := decode[protocol.ErrorData](t, canceller.expect(protocol.TypeError, "query:q-1", "s")); d.Code != protocol.CodeUnknownQuery {
		t.Errorf("subscribe to an unknown query: %+v", d)
	}
	canceller.refused(protocol.Envelope{Type: typeQueryCancel, Channel: "live:" + id, Ref: "c3"}, protocol.CodeBadChannel)
}

func TestQueryCap(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake()
	_, hs := newTestServer(t, Options{Clock: clk, MaxQueries: 2})
	c := dial(t, hs, "", nil)
	first := startQuery(t, hs, "long")
	startQuery(t, hs, "long")
	code, body, h := request(t, hs, "POST", "/queries", "", `{"sql":"select 1","kind":"short"}`)
	if code != http.StatusTooManyRequests || !strings.Contains(body, "too many running queries") || h.Get("Retry-After") == "" {
		t.Fatalf("third query: %d %q %v, want 429 with Retry-After", code, body, h)
	}
	c.send(protocol.Envelope{Type: typeQueryCancel, Channel: "query:" + first, Ref: "c"})
	c.expect(protocol.TypeAck, "query:"+first, "c")
	startQuery(t, hs, "short") // a place came free
}

func TestQueryHTTP(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake()
	pages := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "page "+r.URL.Path) })
	_, hs := newTestServer(t, Options{Clock: clk, Auth: StaticToken("s3cret"), Pages: pages})
	for _, tc := range []struct {
		name, method, auth, body string
		code                     int
		want                     string
	}{
		{"start without a token", "POST", "", `{"sql":"select 1"}`, 401, "missing token"},
		{"list without a token", "GET", "", "", 401, "missing token"},
		{"not JSON", "POST", "Bearer s3cret", `select 1`, 400, "failed to read the request body"},
		{"no sql", "POST", "Bearer s3cret", `{"kind":"short"}`, 400, "missing sql"},
		{"blank sql", "POST", "Bearer s3cret", `{"sql":"  "}`, 400, "missing sql"},
		{"long sql", "POST", "Bearer s3cret", `{"sql":"` + strings.Repeat("x", maxSQLBytes+1) + `"}`, 400, "longer than"},
		{"unknown kind", "POST", "Bearer s3cret", `{"sql":"select 1","kind":"eternal"}`, 400, "not short, medium, long or failing"},
	} {
		if code, body, _ := request(t, hs, tc.method, "/queries", tc.auth, tc.body); code != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d %q, want %d with %q", tc.name, code, body, tc.code, tc.want)
		}
	}

	var ids []string
	for i, kind := range []string{"short", "", "failing"} { // "" is medium
		code, body, _ := request(t, hs, "POST", "/queries?token=s3cret", "", `{"sql":"select `+strconv.Itoa(i)+`","kind":"`+kind+`"}`)
		var res struct{ ID string }
		if err := json.Unmarshal([]byte(body), &res); code != 201 || err != nil {
			t.Fatalf("start %q: %d %q", kind, code, body)
		}
		ids = append(ids, res.ID)
	}
	for range 30 { // 3 s: the short one succeeded, the failing one failed
		clk.Advance(queryTick)
	}
	code, body, h := request(t, hs, "GET", "/queries", "Bearer s3cret", "")
	var list []wireStatus
	if err := json.Unmarshal([]byte(body), &list); code != 200 || err != nil || h.Get("Content-Type") != "application/json" {
		t.Fatalf("list: %d %q (%v)", code, body, err)
	}
	var got, gotStates []string
	for _, st := range list {
		got = append(got, st.ID)
		gotStates = append(gotStates, st.State)
	}
	if want := []string{ids[2], ids[1], ids[0]}; !slices.Equal(got, want) {
		t.Fatalf("list %v, want newest first %v", got, want)
	}
	if want := []string{queryFailed, queryRunning, querySucceeded}; !slices.Equal(gotStates, want) {
		t.Errorf("states %v, want %v", gotStates, want)
	}

	// A browser that navigates to /queries gets the demo page.
	req, _ := http.NewRequest("GET", hs.URL+"/queries", nil)
	req.Header.Set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
	resp, err := hs.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(page) != "page /queries" {
		t.Fatalf("navigation to /queries: %d %q, want the page", resp.StatusCode, page)
	}
}

// TestQueryRecent keeps the latest finished queries and forgets older ones.
func TestQueryRecent(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake()
	_, hs := newTestServer(t, Options{Clock: clk})
	var ids []string
	for range recentQueries + 10 {
		ids = append(ids, startQuery(t, hs, "short"))
	}
	for range 15 {
		clk.Advance(queryTick)
	}
	running := startQuery(t, hs, "long") // makes room, forgetting the oldest finished
	_, body := get(t, hs.Client(), hs.URL+"/queries")
	var list []wireStatus
	if err := json.Unmarshal([]byte(body), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != recentQueries || list[0].ID != running || list[1].ID != ids[len(ids)-1] {
		t.Fatalf("list of %d from %s, want %d from %s", len(list), list[0].ID, recentQueries, running)
	}
	c := dial(t, hs, "", nil)
	c.send(protocol.Envelope{Type: protocol.TypeSubscribe, Channel: "query:" + ids[0], Ref: "s"})
	if d := decode[protocol.ErrorData](t, c.expect(protocol.TypeError, "query:"+ids[0], "s")); d.Code != protocol.CodeUnknownQuery {
		t.Fatalf("the oldest query: %+v, want it forgotten", d)
	}
	if st := c.subscribeQuery(ids[len(ids)-recentQueries+1]); st.State != querySucceeded {
		t.Fatalf("a kept query: %+v", st)
	}
}

// TestQuerySpeed runs a short query ten times faster: through the same
// steps, in a tenth of the time.
func TestQuerySpeed(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake()
	_, hs := newTestServer(t, Options{Clock: clk, QuerySpeed: 10})
	c := dial(t, hs, "", nil)
	all := []wireStatus{c.subscribeQuery(startQuery(t, hs, "short"))}
	steps := 0
	for !finalState(all[len(all)-1].State) {
		clk.Advance(queryTick / 10)
		steps++
		all = append(all, c.drain()...)
	}
	if steps != 15 {
		t.Errorf("a short query took %d steps of %v, want 15", steps, queryTick/10)
	}
	want := []string{queryQueued, queryPlanning, queryRunning, queryFinishing, querySucceeded}
	if got := states(all); !slices.Equal(got, want) {
		t.Fatalf("states %v, want %v", got, want)
	}
}

// TestShutdownStopsFeedsAndQueries leaves no timer behind: the fake clock
// has nothing pending, and nothing changes after.
func TestShutdownStopsFeedsAndQueries(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake()
	s, hs := newTestServer(t, Options{Clock: clk})
	poll(t, hs, "orders", "") // starts the demo feeds
	poll(t, hs, "metrics", "")
	id := startQuery(t, hs, "long")
	clk.Advance(queryTick)
	if len(clk.Pending()) == 0 {
		t.Fatal("nothing scheduled before the shutdown")
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if p := clk.Pending(); len(p) != 0 {
		t.Errorf("timers in %v outlived the shutdown", p)
	}
	seq := s.feeds.byName[feedOrders].Seq()
	clk.Advance(time.Minute)
	if got := s.feeds.byName[feedOrders].Seq(); got != seq {
		t.Errorf("orders went on from %d to %d", seq, got)
	}
	if st := s.queries.list()[0]; st.ID != id || st.State != queryQueued {
		t.Errorf("query after shutdown: %+v, want it stopped where it was", st)
	}
	if code, _, _ := request(t, hs, "POST", "/queries", "", `{"sql":"select 1"}`); code != http.StatusServiceUnavailable {
		t.Errorf("start after shutdown: %d, want 503", code)
	}
	if code, _, _ := request(t, hs, "POST", "/live/burst?feed=orders&n=3", "", ""); code != http.StatusServiceUnavailable {
		t.Errorf("burst after shutdown: %d, want 503", code)
	}
}

// TestQueryRealClock runs queries on the wall clock, fast, and shuts the
// server down with one still running (TestMain checks that no timer
// goroutine is left).
func TestQueryRealClock(t *testing.T) {
	t.Parallel()
	_, hs := newTestServer(t, Options{QuerySpeed: 50})
	c := dial(t, hs, "", nil)
	id := startQuery(t, hs, "short")
	startQuery(t, hs, "long")
	st := c.subscribeQuery(id)
	for !finalState(st.State) {
		st = decode[wireStatus](t, c.expect(typeQueryStatus, "query:"+id, ""))
	}
	if st.State != querySucceeded {
		t.Fatalf("ended %+v", st)
	}
}
