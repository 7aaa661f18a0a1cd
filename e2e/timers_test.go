package e2e

import (
	"encoding/json"
	"testing"

	"github.com/matih-ai/realtime/server"
)

// realtimeCoalesceGoTimers (web/realtime-socket.js) keeps one browser
// timer for a Go program's timeouts. Driven here as Go's runtime drives
// it, through a stand-in Go object whose _resume clears the timeout that
// fired (as the runtime does): each timeout resumes Go once, when due,
// whether the one before was due sooner or later; a cleared one never;
// and Go's asking again for the same moment sets no new browser timer.
func TestGoTimeoutsKeepTheirTimesWithOneBrowserTimer(t *testing.T) {
	_, ctx := openDemo(t, server.Options{}, "/websocket")
	waitFor(t, ctx, "the demo to connect", statusIs("connected"))
	raw := evalJS[string](t, ctx, `(async () => {
		const mem = new DataView(new ArrayBuffer(32));
		let resumes = [];
		let t0 = 0;
		let last = 0;
		const imports = { "runtime.scheduleTimeoutEvent": () => {}, "runtime.clearTimeoutEvent": () => {} };
		const go = {
			importObject: { gojs: imports },
			mem,
			exited: false,
			_resume() {
				resumes.push(performance.now() - t0);
				clear(last);
			},
		};
		if (!realtimeCoalesceGoTimers(go) || realtimeCoalesceGoTimers(go)) {
			return JSON.stringify({ error: "installed twice, or not at all" });
		}
		const schedule = (ms) => {
			mem.setUint32(8, ms, true);
			mem.setInt32(12, 0, true);
			imports["runtime.scheduleTimeoutEvent"](0);
			return (last = mem.getInt32(16, true));
		};
		const clear = (id) => {
			mem.setInt32(8, id, true);
			imports["runtime.clearTimeoutEvent"](0);
		};
		const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
		const run = async (steps, wait) => {
			resumes = [];
			t0 = performance.now();
			steps();
			await sleep(wait);
			return resumes.map(Math.round);
		};
		const out = {};
		// Each waits as long as it can and still tell the times apart: a
		// busy machine fires timers late, never early.
		out.one = await run(() => schedule(40), 400);
		out.sooner = await run(() => { clear(schedule(400)); schedule(30); }, 380);
		out.later = await run(() => { clear(schedule(20)); schedule(90); }, 400);
		out.cleared = await run(() => clear(schedule(30)), 120);
		const armed = realtimeCoalesceGoTimers.stats.armed;
		out.again = await run(() => { for (let i = 0; i < 100; i++) { clear(last); schedule(60000); } clear(last); }, 10);
		out.armedForAgain = realtimeCoalesceGoTimers.stats.armed - armed;
		return JSON.stringify(out);
	})()`)
	var got struct {
		Error                     string
		One, Sooner, Later, Again []float64
		Cleared                   []float64
		ArmedForAgain             int
	}
	if err := json.Unmarshal([]byte(raw), &got); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	if got.Error != "" {
		t.Fatal(got.Error)
	}
	for _, c := range []struct {
		what     string
		resumes  []float64
		from, to float64
	}{
		{"a 40 ms timeout", got.One, 40, 400},
		{"a 30 ms timeout after a cleared 400 ms one", got.Sooner, 30, 380},
		{"a 90 ms timeout after a cleared 20 ms one", got.Later, 90, 400},
	} {
		if len(c.resumes) != 1 || c.resumes[0] < c.from-1 || c.resumes[0] > c.to {
			t.Errorf("%s resumed Go at %v ms, want once between %g and %g", c.what, c.resumes, c.from, c.to)
		}
	}
	if len(got.Cleared) != 0 {
		t.Errorf("a cleared timeout resumed Go at %v ms", got.Cleared)
	}
	if got.ArmedForAgain > 1 {
		t.Errorf("Go asking 100 times for a minute's timeout set %d browser timers, want at most 1", got.ArmedForAgain)
	}
}
