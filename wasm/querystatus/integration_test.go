//go:build !js

// These tests run the tracker against the real server, which does not
// build for GOOS=js.

package querystatus_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/matih-ai/realtime/server"
	"github.com/matih-ai/realtime/wasm/querystatus"
	"github.com/matih-ai/realtime/wasm/ws"
)

// setup serves a fast query simulator and returns a tracker on a connected
// client, and a function that starts a query of a kind.
func setup(t *testing.T) (*querystatus.Tracker, func(kind string) string) {
	t.Helper()
	srv := server.New(server.Options{QuerySpeed: 20})
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		hs.Close()
	})
	c, err := ws.New(ws.Config{URL: "ws" + strings.TrimPrefix(hs.URL, "http") + "/ws", PingInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	c.Connect()
	tr := querystatus.NewTracker(c)
	t.Cleanup(tr.Close)
	start := func(kind string) string {
		t.Helper()
		body, _ := json.Marshal(map[string]string{"sql": "select 1", "kind": kind})
		resp, err := http.Post(hs.URL+"/queries", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct{ ID string }
		if resp.StatusCode != http.StatusCreated || json.NewDecoder(resp.Body).Decode(&out) != nil {
			t.Fatalf("POST /queries: %s", resp.Status)
		}
		if err := tr.Track(out.ID); err != nil {
			t.Fatal(err)
		}
		return out.ID
	}
	return tr, start
}

// follow records every status of id the tracker reports, until stop.
func follow(tr *querystatus.Tracker, id string) (<-chan querystatus.Status, func()) {
	ch := make(chan querystatus.Status, 1000)
	stop := tr.OnChange(func(s querystatus.Status) {
		if s.ID == id {
			ch <- s
		}
	})
	return ch, stop
}

func waitState(t *testing.T, ch <-chan querystatus.Status, want querystatus.State) []querystatus.Status {
	t.Helper()
	var seen []querystatus.Status
	deadline := time.After(10 * time.Second)
	for {
		select {
		case s := <-ch:
			seen = append(seen, s)
			if s.State == want {
				return seen
			}
		case <-deadline:
			t.Fatalf("never %s; saw %d updates", want, len(seen))
		}
	}
}

func TestAQueryRunsToCompletionForward(t *testing.T) {
	t.Parallel()
	tr, start := setup(t)
	id := start("short")
	ch, stop := follow(tr, id)
	defer stop()
	// Tracking may begin after the first updates: the server sends the
	// current status on subscribe.
	seen := waitState(t, ch, querystatus.Succeeded)
	var last querystatus.Status
	sawKnown := false
	for _, s := range seen {
		if last.Version != 0 && (s.Version <= last.Version || querystatus.CanMove(last.State, s.State) != nil) {
			t.Fatalf("went from %s v%d to %s v%d", last.State, last.Version, s.State, s.Version)
		}
		if last.Progress.Known && s.Progress.Percent < last.Progress.Percent {
			t.Fatalf("progress went back from %v to %v", last.Progress.Percent, s.Progress.Percent)
		}
		sawKnown = sawKnown || s.State == querystatus.Running && s.Progress.Known
		last = s
	}
	if !sawKnown {
		t.Error("never saw a known progress while running")
	}
	if last.Progress.Percent != 100 || last.Progress.Rows == 0 || last.FinishedAt == 0 {
		t.Fatalf("finished at %v%%, %d rows, finishedAt %d", last.Progress.Percent, last.Progress.Rows, last.FinishedAt)
	}
}

func TestCancelARunningQuery(t *testing.T) {
	t.Parallel()
	tr, start := setup(t)
	id := start("long")
	ch, stop := follow(tr, id)
	defer stop()
	waitState(t, ch, querystatus.Running)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := tr.Cancel(ctx, id); err != nil {
		t.Fatalf("cancel: %v", err)
	}
	waitState(t, ch, querystatus.Cancelled)
	if s, _ := tr.Get(id); s.State != querystatus.Cancelled {
		t.Fatalf("after the ack the query is %s", s.State)
	}
	err := tr.Cancel(ctx, id)
	if !errors.Is(err, querystatus.ErrAlreadyFinished) || !strings.Contains(err.Error(), "already cancelled") {
		t.Fatalf("a second cancel: %v, want already finished, plainly", err)
	}
}

func TestAFailingQueryReportsItsError(t *testing.T) {
	t.Parallel()
	tr, start := setup(t)
	id := start("failing")
	ch, stop := follow(tr, id)
	defer stop()
	seen := waitState(t, ch, querystatus.Failed)
	if e := seen[len(seen)-1].Error; e == nil || e.Code == "" || e.Message == "" {
		t.Fatalf("failed without an error: %+v", seen[len(seen)-1])
	}
}

func TestUnknownQueryIsReported(t *testing.T) {
	t.Parallel()
	tr, _ := setup(t)
	if err := tr.Track("q-nope"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if errors.Is(tr.Err("q-nope"), querystatus.ErrUnknownQuery) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("tracking an unknown query reported nothing")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
