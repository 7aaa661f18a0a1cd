package components

import (
	"strings"
	"testing"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/matih-ai/realtime/wasm/querystatus"
)

type cardView struct {
	app.Compo
	Q   querystatus.Status
	Now time.Time
}

func (v *cardView) Render() app.UI { return QueryCardView(v.Q, v.Now, "", func() {}) }

// rendered mounts a card natively and returns its HTML.
func rendered(t *testing.T, q querystatus.Status, now time.Time) string {
	t.Helper()
	v := &cardView{Q: q, Now: now}
	e := app.NewTestEngine()
	if err := e.Load(v); err != nil {
		t.Fatal(err)
	}
	e.ConsumeAll()
	var b strings.Builder
	app.PrintHTML(&b, v)
	return b.String()
}

func TestQueryCardShowsWhatAUserNeeds(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	base := querystatus.Status{ID: "q-7", State: querystatus.Running, StartedAt: start.UnixMilli(), SQL: "select 1"}

	unknown := rendered(t, base, start.Add(5*time.Second))
	for _, want := range []string{"rt-progress--indeterminate", "Cancel", "5s"} {
		if !strings.Contains(unknown, want) {
			t.Errorf("running, total unknown: no %q in\n%s", want, unknown)
		}
	}

	known := base
	known.Progress = querystatus.Progress{Known: true, Percent: 25, Rows: 1234567}
	known.UpdatedAt = start.Add(30 * time.Second).UnixMilli()
	html := rendered(t, known, start.Add(30*time.Second))
	for _, want := range []string{`width:25.0%`, "25%", "1,234,567", "1m30s"} {
		if !strings.Contains(html, want) {
			t.Errorf("running at 25%%: no %q in\n%s", want, html)
		}
	}
	if strings.Contains(html, "indeterminate") {
		t.Error("a known progress shows an indeterminate bar")
	}

	done := known
	done.State, done.FinishedAt = querystatus.Cancelled, start.Add(40*time.Second).UnixMilli()
	html = rendered(t, done, start.Add(time.Hour))
	if strings.Contains(html, "Cancel<") || strings.Contains(html, "rt-query__cancel") {
		t.Error("a cancelled query still offers to cancel")
	}
	if !strings.Contains(html, `data-state="cancelled"`) || !strings.Contains(html, "40s") {
		t.Errorf("cancelled card:\n%s", html)
	}
}

func TestGroupDigits(t *testing.T) {
	for n, want := range map[int64]string{
		0: "0", 7: "7", 999: "999", 1000: "1,000", 123456: "123,456", 1234567: "1,234,567",
		-1: "-1", -123: "-123", -1234: "-1,234", -123456: "-123,456",
		9223372036854775807:  "9,223,372,036,854,775,807",
		-9223372036854775808: "-9,223,372,036,854,775,808",
	} {
		if got := GroupDigits(n); got != want {
			t.Errorf("GroupDigits(%d) = %q, want %q", n, got, want)
		}
	}
}
