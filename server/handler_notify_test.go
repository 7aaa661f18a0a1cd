package server

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/matih-ai/realtime/wasm/notify"
	"github.com/matih-ai/realtime/wasm/protocol"
)

func TestNotifyDemo(t *testing.T) {
	t.Parallel()
	_, hs := newTestServer(t, Options{Auth: StaticToken("s3cret")})
	c := dial(t, hs, "?token=s3cret", nil)
	c.subscribe("notifications:alice")

	post := func(method, query, auth string) (int, string) {
		t.Helper()
		code, body, _ := request(t, hs, method, "/notifications/demo"+query, auth, "")
		return code, body
	}

	for _, tc := range []struct {
		name, method, query, auth string
		status                    int
		body                      string
	}{
		{"no token", "POST", "?user=alice", "", 401, "unauthorized: missing token"},
		{"wrong token", "POST", "?user=alice", "Bearer nope", 401, "unauthorized: invalid token"},
		{"no user", "POST", "?token=s3cret", "", 400, "missing user"},
		{"unknown severity", "POST", "?user=alice&severity=loud", "Bearer s3cret", 400, "severity"},
		{"user unfit for a channel", "POST", "?user=a%20b", "Bearer s3cret", 400, "failed to notify"},
		{"GET", "GET", "?user=alice", "Bearer s3cret", 405, ""},
	} {
		if status, body := post(tc.method, tc.query, tc.auth); status != tc.status || !strings.Contains(body, tc.body) {
			t.Errorf("%s: %d %q, want %d with %q", tc.name, status, body, tc.status, tc.body)
		}
	}
	c.roundTrip() // none of them sent anything

	status, body := post("POST", "?user=alice", "Bearer s3cret")
	var all []notify.Notification
	if err := json.Unmarshal([]byte(body), &all); status != 200 || err != nil {
		t.Fatalf("all severities: %d %q (%v)", status, body, err)
	}
	status, body = post("POST", "?user=alice&severity=error&token=s3cret", "")
	var one []notify.Notification
	if err := json.Unmarshal([]byte(body), &one); status != 200 || err != nil || len(one) != 1 {
		t.Fatalf("one severity: %d %q (%v)", status, body, err)
	}
	all = append(all, one...)

	var severities []notify.Severity
	actions := 0
	for i, n := range all {
		if err := n.Validate(); err != nil || n.Body == "" || n.Time == 0 {
			t.Errorf("demo notification %+v: %v", n, err)
		}
		if i > 0 && n.Seq != all[i-1].Seq+1 {
			t.Errorf("seq %d follows %d", n.Seq, all[i-1].Seq)
		}
		if n.Action != nil {
			actions++
		}
		severities = append(severities, n.Severity)
		// Each one went to alice's subscribers, as it was answered.
		if got := decode[notify.Notification](t, c.expect(notify.TypeNew, "notifications:alice", "")); !reflect.DeepEqual(got, n) {
			t.Errorf("sent %+v, answered %+v", got, n)
		}
	}
	if want := append(slices.Clone(notify.Severities), notify.Error); !slices.Equal(severities, want) {
		t.Errorf("severities %v, want %v", severities, want)
	}
	if actions == 0 {
		t.Error("no demo notification offers an action")
	}
	c.send(protocol.Envelope{Type: notify.TypeSync, Channel: "notifications:alice", Data: json.RawMessage(`{"after":0}`)})
	if b := decode[notify.BatchData](t, c.expect(notify.TypeBatch, "notifications:alice", "")); len(b.Items) != 5 {
		t.Fatalf("kept %d, want the 5 sent", len(b.Items))
	}
}
