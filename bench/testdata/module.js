// realtime.js in the benchmark suite: the same workloads as the plain
// client, through the module's connection and live feed.
import { loadRealtime } from "/web/realtime.js";
import { install, Table, columns } from "/bench-js/harness.js";

const rt = await loadRealtime();
const ws = rt.connect({ url: "/ws" });
const client = {
  subscribe: (channel, fn) => ws.subscribe(channel, fn),
  publish: (channel, data) => ws.publish(channel, data),
};

// The live table: every render of the feed's state is drawn, each item
// that is not the object drawn last (realtime.js keeps an unchanged
// item's object from one state to the next).
let feed = null;
function live(on) {
  if (!on) {
    feed?.l.close();
    feed?.table.remove();
    feed = null;
    return;
  }
  const f = (feed = { table: new Table(columns), l: rt.live(ws, "bench"), drawn: new Map() });
  f.l.onChange((state) => {
    for (const item of state.items) {
      if (f.drawn.get(item.id) !== item) {
        f.table.put(item);
        f.drawn.set(item.id, item);
      }
    }
  });
}

function liveStats() {
  if (!feed) {
    return "{}";
  }
  const s = feed.l.stats();
  return JSON.stringify({ seq: feed.l.state.seq, deltas: s.deltas, renders: s.renders, coalesced: s.coalesced });
}

const bench = install(client, live, liveStats);
ws.onStatus((s) => {
  if (s === "connected" && !bench.connectedAt) {
    bench.connectedAt = performance.now();
  }
});
