// The page script of the realtime.js browser tests (e2e/module_test.go).
// Without ?manual it loads the module at once, connects to /ws and records
// how long each step took since navigation (performance.now()).
import { loadRealtime, RealtimeError } from "/web/realtime.js";

const t = (window.t = {
  loadRealtime,
  RealtimeError,
  errors: [], // uncaught errors and unhandled rejections: a test fails on any
  statuses: [], // of t.ws
  received: [], // { name, channel, type, data, id }
  problems: [], // what onError listeners got: { name, code, message }
  subs: {}, // removers by name
  timing: {},
});
addEventListener("error", (e) => t.errors.push(String(e.error?.stack ?? e.message)));
addEventListener("unhandledrejection", (e) => t.errors.push(String(e.reason?.stack ?? e.reason)));
// Go reports a call to a released function on the console only.
const consoleError = console.error.bind(console);
console.error = (...args) => {
  t.errors.push(args.map(String).join(" "));
  consoleError(...args);
};

// listen subscribes ws to channel under name, recording what arrives.
t.listen = (ws, name, channel) => {
  t.subs[name] = ws.subscribe(channel, (data, msg) => {
    t.received.push({ name, channel: msg.channel, type: msg.type, data, id: msg.id ?? "" });
  });
};

// got counts what name received with data.text equal to text.
t.got = (name, text) => t.received.filter((m) => m.name === name && m.data?.text === text).length;

// watch records the errors obj reports, under name.
t.watch = (obj, name) => obj.onError((err) => t.problems.push({ name, code: err.code, message: err.message }));

// attempt runs f and returns the error it threw or rejected with, as
// "code: message" for a RealtimeError, "TypeError: message" otherwise.
t.attempt = async (f) => {
  try {
    await f();
    return "no error";
  } catch (err) {
    return err instanceof RealtimeError ? `${err.code}: ${err.message}` : `${err.name}: ${err.message}`;
  }
};

if (!new URLSearchParams(location.search).has("manual")) {
  t.ready = (async () => {
    t.rt = await loadRealtime();
    t.timing.loaded = performance.now();
    t.ws = t.rt.connect({ url: "/ws", reconnectDelay: 100, maxReconnectDelay: 500, maxReconnectAttempts: Infinity });
    t.ws.onStatus((s) => {
      t.statuses.push(s);
      if (s === "connected" && !t.timing.connected) {
        t.timing.connected = performance.now();
      }
    });
    t.watch(t.ws, "ws");
    return true;
  })();
}
