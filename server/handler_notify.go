package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/matih-ai/realtime/wasm/notify"
)

// handleNotifyDemo makes demo notifications for ?user=, one of ?severity=
// or one of each severity when it is empty, and answers 200 with the JSON
// array of what was sent. It has the same auth as the SSE endpoints.
func (s *Server) handleNotifyDemo(w http.ResponseWriter, r *http.Request) {
	if !s.authorizeRequest(w, r) {
		return
	}
	q := r.URL.Query()
	user := q.Get("user")
	if user == "" {
		http.Error(w, "missing user", http.StatusBadRequest)
		return
	}
	severities := notify.Severities
	if sev := notify.Severity(q.Get("severity")); sev != "" {
		if !slices.Contains(notify.Severities, sev) {
			http.Error(w, fmt.Sprintf("severity %.32q is not one of %v", sev, notify.Severities), http.StatusBadRequest)
			return
		}
		severities = []notify.Severity{sev}
	}
	sent := make([]notify.Notification, 0, len(severities))
	for _, sev := range severities {
		n, err := s.Notify(user, s.demo.next(sev))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		sent = append(sent, n)
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(sent)
}

// demoNotes makes the demo's notifications: what a data workbench says
// about queries, dashboards and warehouses, a different one each time.
type demoNotes struct {
	n atomic.Uint64
}

type demoNote struct {
	title, body string
	label, url  string // the action, if any
}

// demoText is by severity; "{q}" is a query number.
var demoText = map[notify.Severity][]demoNote{
	notify.Info: {
		{"Query q-{q} started", "Running on warehouse wh-small; 3 queries ahead of it.", "", ""},
		{"Dashboard Revenue shared with you", "Dana Whitfield gave you edit access.", "Open dashboard", "/dashboards/revenue"},
		{"Dataset orders refreshed", "12,480 new rows since 06:00 UTC.", "", ""},
	},
	notify.Success: {
		{"Query q-{q} finished", "1,284 rows in 2.3 s.", "Open results", "/queries/q-{q}"},
		{"Export ready", "sales_2026_q1.csv (4.2 MB) is ready to download.", "Download", "/exports/sales_2026_q1.csv"},
		{"Schedule saved", "Daily KPIs will refresh at 07:00 UTC.", "", ""},
	},
	notify.Warning: {
		{"Query q-{q} is slow", "Running for 4 min; a filter on order_date would help.", "View plan", "/queries/q-{q}/plan"},
		{"Warehouse credits at 85%", "The monthly budget resets on the 1st.", "", ""},
		{"Schema change in orders", "Column discount_pct was renamed; 2 dashboards use it.", "Review", "/datasets/orders"},
	},
	notify.Error: {
		{"Dashboard refresh failed", "Source orders_db timed out after 30 s.", "Retry", "/dashboards/ops"},
		{"Query q-{q} failed", `column "regon" does not exist (did you mean "region"?)`, "Edit query", "/queries/q-{q}"},
		{"Connection to billing_db lost", "Scheduled reports that read it are paused.", "", ""},
	},
}

func (d *demoNotes) next(sev notify.Severity) notify.Notification {
	i := d.n.Add(1) - 1
	notes := demoText[sev]
	note := notes[i%uint64(len(notes))]
	query := strings.NewReplacer("{q}", strconv.FormatUint(1042+i, 10))
	n := notify.Notification{Severity: sev, Title: query.Replace(note.title), Body: note.body}
	if note.url != "" {
		n.Action = &notify.Action{Label: note.label, URL: query.Replace(note.url)}
	}
	return n
}
