// The baseline of the benchmark suite: a plain WebSocket client, the ten
// lines of JavaScript that the realtime runtime replaces.
import { install, Table, columns } from "/bench-js/harness.js";

const ws = new WebSocket(`ws://${location.host}/ws`);
const handlers = new Map();
ws.onmessage = (e) => {
  for (const line of e.data.split("\n")) {
    const msg = JSON.parse(line);
    handlers.get(msg.channel)?.(msg.data, msg);
  }
};
const send = (msg) => ws.send(JSON.stringify(msg));
const client = {
  subscribe(channel, fn) {
    handlers.set(channel, fn);
    send({ type: "subscribe", channel });
    return () => handlers.delete(channel) && send({ type: "unsubscribe", channel });
  },
  publish: (channel, data) => send({ type: "publish", channel, data }),
};

// The live table: deltas applied as they come, the table drawn once per
// animation frame with the rows changed since the last.
let feed = null;
function live(on) {
  if (!on) {
    feed?.off();
    feed?.table.remove();
    feed = null;
    return;
  }
  const f = (feed = { table: new Table(columns), dirty: new Map(), frame: 0, seq: 0, drawn: 0, deltas: 0, renders: 0 });
  const render = () => {
    f.frame = 0;
    f.renders++;
    for (const item of f.dirty.values()) {
      f.table.put(item);
    }
    f.dirty.clear();
    f.drawn = f.seq;
  };
  f.off = client.subscribe("live:bench", (data, msg) => {
    if (msg.type === "live.delta") {
      f.deltas++;
    }
    f.seq = data.seq;
    for (const item of data.items ?? []) {
      f.dirty.set(item.id, item);
    }
    f.frame ||= requestAnimationFrame(render);
  });
}

function liveStats() {
  return JSON.stringify(feed ? { seq: feed.drawn, deltas: feed.deltas, renders: feed.renders, coalesced: feed.deltas + 1 - feed.renders } : {});
}

const bench = install(client, live, liveStats);
ws.onopen = () => {
  bench.connectedAt = performance.now();
};
