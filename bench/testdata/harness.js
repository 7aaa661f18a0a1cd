// The workloads of the benchmark suite (bench/) for a JavaScript client:
// the same code drives the plain WebSocket client (plain.js) and
// realtime.js (module.js). The go-app page (components/demo/bench_page.go)
// has the same window.realtimeBench, written in Go. Results are JSON text.
//
// client: subscribe(channel, fn(data, msg)) -> unsubscribe, publish(channel, data).
// live: (on) mounts or unmounts a table of the feed "bench"; liveStats()
// returns {seq, deltas, renders, coalesced}.
export function install(client, live, liveStats) {
  const bench = {
    connectedAt: 0, // performance.now() when first connected

    // echo makes n round trips of a ~100-byte message, one at a time. The
    // clock is read once a round trip: an echo's arrival is the next
    // publish's start (bench_page.go does the same, where a read of the
    // clock is a call out of Go's wasm).
    echo(channel, n) {
      return new Promise((resolve, reject) => {
        const rtt = new Array(n);
        const text = "x".repeat(80);
        let i = 0;
        let start = 0;
        const send = (now) => {
          start = now;
          client.publish(channel, { seq: i, text });
        };
        const off = client.subscribe(channel, (data) => {
          if (data.seq !== i) {
            off();
            reject(new Error(`echo ${i} came back as ${data.seq}`));
            return;
          }
          const now = performance.now();
          rtt[i] = now - start;
          if (++i < n) {
            send(now);
            return;
          }
          off();
          resolve(JSON.stringify({ rtt }));
        });
        send(performance.now());
      });
    },

    // burst subscribes now and resolves once m messages have arrived.
    burst(channel, m) {
      return new Promise((resolve) => {
        let count = 0;
        let first = 0;
        let last = 0;
        let sum = 0; // uses each message, as a subscriber would
        const off = client.subscribe(channel, (data) => {
          const t = performance.now();
          if (count === 0) {
            first = t;
          }
          last = t;
          sum += data.i;
          if (++count === m) {
            off();
            resolve(JSON.stringify({ count, ms: last - first, sum }));
          }
        });
      });
    },

    live,
    liveStats,
  };
  window.realtimeBench = bench;
  return bench;
}

// Table shows the rows of the feed, one per key, and writes only the
// cells whose text changed.
export class Table {
  constructor(columns) {
    this.columns = columns;
    this.el = document.body.appendChild(document.createElement("table"));
    this.body = this.el.createTBody();
    this.rows = new Map(); // key -> cells
  }

  put(item) {
    let cells = this.rows.get(item.id);
    if (!cells) {
      const tr = this.body.insertRow();
      cells = this.columns.map(() => tr.insertCell());
      this.rows.set(item.id, cells);
    }
    this.columns.forEach((field, i) => {
      const v = item[field];
      const text = typeof v === "number" && !Number.isInteger(v) ? v.toFixed(2) : String(v ?? "");
      if (cells[i].textContent !== text) {
        cells[i].textContent = text;
      }
    });
  }

  remove() {
    this.el.remove();
  }
}

export const columns = ["id", "region", "plan", "orders", "revenue"];
