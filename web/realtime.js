// realtime.js: the realtime runtime (realtime.wasm) for JavaScript pages.
//
//   import { loadRealtime } from "/web/realtime.js";
//   const rt = await loadRealtime();
//   const ws = rt.connect({ url: "/ws", authToken });
//   const off = ws.subscribe("dashboard:updates", (data) => render(data));
//
// realtime.d.ts documents the API. How it works: the Go side (package
// wasm/jsbridge) keeps each object by an id this file chooses, and tells
// this file what happens through one dispatch function, which only queues;
// handlers run from a microtask, never inside a call into Go. Messages
// cross as the server's JSON lines, untouched, in UTF-8 bytes, and
// JSON.parse turns them into plain objects, as in a plain WebSocket client.

/** The error of every failed call, rejected promise and error listener. */
export class RealtimeError extends Error {
  constructor(message, code = "error", options) {
    super(message, options);
    this.name = "RealtimeError";
    this.code = code;
  }
}

let loading = null;

/**
 * Loads and starts realtime.wasm, once per page: later calls get the same
 * API, whatever their options. A failed load may be tried again.
 */
export function loadRealtime(options = {}) {
  if (!loading) {
    loading = boot(options).catch((err) => {
      loading = null;
      throw err;
    });
  }
  return loading;
}

function pageBase() {
  return globalThis.document?.baseURI ?? globalThis.location?.href;
}

async function boot(options) {
  const here = import.meta.url;
  const wasmURL = new URL(options.wasmURL ?? new URL("realtime.wasm", here), pageBase()).href;
  const execURL = new URL(options.wasmExecURL ?? new URL("wasm_exec.js", here), pageBase()).href;
  const socketQueue = loadSocketQueue(new URL("realtime-socket.js", here).href);

  if (typeof globalThis.Go !== "function") {
    try {
      await import(execURL);
    } catch (err) {
      throw new RealtimeError(`failed to load ${execURL}: ${err.message}`, "load", { cause: err });
    }
    if (typeof globalThis.Go !== "function") {
      throw new RealtimeError(`${execURL} did not define Go: it should be Go's wasm_exec.js`, "load");
    }
  }

  let response;
  try {
    response = await fetch(wasmURL);
  } catch (err) {
    throw new RealtimeError(`failed to fetch ${wasmURL}: ${err.message}`, "load", { cause: err });
  }
  if (!response.ok) {
    throw new RealtimeError(`failed to fetch ${wasmURL}: ${response.status} ${response.statusText}`.trim(), "load");
  }

  // The queue's file also makes Go's timers cheaper (see
  // realtimeCoalesceGoTimers): it must come before the Go object.
  await socketQueue;
  const go = new globalThis.Go();
  globalThis.realtimeCoalesceGoTimers?.(go);
  let instance;
  try {
    // Streaming compiles while the bytes arrive, but browsers insist on
    // the application/wasm type; a server that sends another gets the
    // slower path rather than a failure.
    const type = (response.headers.get("Content-Type") ?? "").split(";")[0].trim().toLowerCase();
    if (type === "application/wasm" && typeof WebAssembly.instantiateStreaming === "function") {
      ({ instance } = await WebAssembly.instantiateStreaming(response, go.importObject));
    } else {
      ({ instance } = await WebAssembly.instantiate(await response.arrayBuffer(), go.importObject));
    }
  } catch (err) {
    throw new RealtimeError(`failed to instantiate ${wasmURL}: ${err.message}`, "load", { cause: err });
  }

  const rt = new Runtime(go);
  rt.exports = instance.exports;
  rt.memory = instance.exports.mem;
  const key = `__realtimeBoot${Math.random().toString(36).slice(2)}`;
  let exitCode = 0;
  go.exit = (code) => {
    exitCode = code;
  };
  go.argv = ["realtime.wasm", key];
  try {
    const table = await new Promise((resolve, reject) => {
      globalThis[key] = { dispatch: rt.dispatch, mailbox: rt.mailboxFor, direct: { take: rt.takeNow, receive: rt.receiveNow, handles: rt.sockets, memory: instance.exports.mem }, RealtimeError, ready: resolve };
      go.run(instance).then(() => {
        rt.exited(exitCode);
        reject(new RealtimeError(`${wasmURL} exited before it was ready (exit code ${exitCode}): see the console`, "load"));
      }, reject);
    });
    rt.attach(table);
  } finally {
    delete globalThis[key];
  }
  return rt.api;
}

// loadSocketQueue loads the queue in front of the runtime's WebSockets
// (realtime-socket.js), alongside the rest. It only saves time: without
// it, Go reads a socket one call per message instead of one per batch.
async function loadSocketQueue(url) {
  if (typeof globalThis.realtimeSocketQueue === "function") {
    return;
  }
  try {
    await import(url);
  } catch (err) {
    console.warn(`realtime: failed to load ${url}; WebSockets are read one message at a time: ${err.message}`);
  }
}

// report makes a handler's exception visible without stopping the others.
function report(err) {
  if (typeof globalThis.reportError === "function") {
    globalThis.reportError(err);
  } else {
    console.error(err);
  }
}

// takeNow hands Go the ids it checks as text: decimal numbers of 1 to 19
// digits without a leading zero (the server's count microseconds, 16
// digits), which Go's uint64 holds. As strings, the longer of two is the
// larger, and of the same length the later in order: no Number to make,
// none to round. idField finds such an id in a line as the server
// writes it.
const idField = /"id":"[1-9][0-9]{0,18}"/;

function isID(s) {
  const n = s.length;
  if (n === 0 || n > 19 || s.charCodeAt(0) === 48 /* 0 */) {
    return false;
  }
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) {
      return false;
    }
  }
  return true;
}

// idAfter reports whether the id a comes after the id b (both isID, or
// b "0", before every id).
function idAfter(a, b) {
  return a.length > b.length || (a.length === b.length && a > b);
}

// parseMessages parses a batch of the server's frames, a message a line,
// when every line is a message whose id (isID) rises on its channel, and
// returns the messages and their runs for Go, a line a channel: "first
// last channel". Anything else gives null.
function parseMessages(texts) {
  if (texts.length === 1 && !texts[0].includes("\n")) {
    // One message (an echo's, a quiet channel's): no runs to gather.
    const msg = parseMessage(texts[0]);
    if (msg === null || msg.channel.includes("\n")) {
      return null;
    }
    return { msgs: [msg], heads: `${msg.id} ${msg.id} ${msg.channel}\n` };
  }
  const msgs = [];
  const runs = new Map(); // channel -> [first id, last id]
  let channel = null;
  let run;
  for (const text of texts) {
    for (const line of text.split("\n")) {
      const msg = parseMessage(line);
      if (msg === null) {
        return null;
      }
      const id = msg.id;
      if (msg.channel !== channel) {
        channel = msg.channel;
        run = runs.get(channel);
        if (run === undefined) {
          if (channel.includes("\n")) {
            return null; // the runs are a line each
          }
          run = [id, "0"];
          runs.set(channel, run);
        }
      }
      if (!idAfter(id, run[1])) {
        return null; // a repeat: Go's way drops it
      }
      run[1] = id;
      msgs.push(msg);
    }
  }
  let heads = "";
  for (const [c, [first, last]] of runs) {
    heads += `${first} ${last} ${c}\n`;
  }
  return { msgs, heads };
}

// parseMessage parses a line that must be a message with a channel and an
// id (isID), and returns it, or null.
function parseMessage(line) {
  let msg;
  try {
    msg = JSON.parse(line);
  } catch {
    return null; // reported on Go's way
  }
  if (msg?.type !== "message" || typeof msg.channel !== "string" || typeof msg.id !== "string" || !isID(msg.id)) {
    return null;
  }
  return msg;
}

// linesOf splits a batch of the server's frames into its lines.
function linesOf(text) {
  return text.includes("\n") ? text.split("\n") : [text];
}

// deliverTo hands a message to a subscriber, and reports what it throws:
// safely for the per-message path, without its array of arguments.
function deliverTo(fn, msg) {
  try {
    fn(msg.data, msg);
  } catch (err) {
    report(err);
  }
}

// deliverAll hands a message to a channel's subscribers (a Set of {fn}),
// those subscribed when it came.
function deliverAll(subs, msg) {
  if (subs.size === 1) {
    // The common case, without a copy of the set per message.
    deliverTo(subs.values().next().value.fn, msg);
    return;
  }
  for (const entry of Array.from(subs)) {
    if (subs.has(entry)) {
      deliverTo(entry.fn, msg);
    }
  }
}

function safely(fn, ...args) {
  try {
    fn(...args);
  } catch (err) {
    report(err);
  }
}

// toJSON sends an options object to Go. JSON cannot hold Infinity or NaN:
// they travel as strings, which Go reads as such.
function toJSON(value, what) {
  if (value === undefined || value === null) {
    return "";
  }
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new TypeError(`${what} must be an object`);
  }
  return JSON.stringify(value, (_, v) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v));
}

// configJSON is a connection's or a stream's config as JSON for Go. A
// getToken function, which JSON cannot hold, stays with obj, and Go is
// told that there is one: it asks for tokens with "token" events.
function configJSON(obj, config) {
  if (config?.getToken === undefined) {
    return toJSON(config ?? {}, "config");
  }
  checkFunction(config.getToken, "config.getToken");
  obj._getToken = config.getToken;
  return toJSON({ ...config, getToken: true }, "config");
}

function dataJSON(data, what) {
  if (data === undefined) {
    return "";
  }
  const json = JSON.stringify(data);
  if (json === undefined) {
    throw new TypeError(`${what} cannot be sent as JSON`);
  }
  return json;
}

function checkString(value, what) {
  if (typeof value !== "string") {
    throw new TypeError(`${what} must be a string`);
  }
}

function checkFunction(fn, what = "handler") {
  if (typeof fn !== "function") {
    throw new TypeError(`${what} must be a function`);
  }
}

// Listeners is a set of callbacks; add returns the remover.
class Listeners {
  constructor() {
    this.set = new Set();
  }
  add(fn) {
    checkFunction(fn, "listener");
    const entry = { fn };
    this.set.add(entry);
    return () => {
      this.set.delete(entry);
    };
  }
  emit(...args) {
    for (const entry of Array.from(this.set)) {
      if (this.set.has(entry)) {
        safely(entry.fn, ...args);
      }
    }
  }
  get size() {
    return this.set.size;
  }
  clear() {
    this.set.clear();
  }
}

// Runtime is one started realtime.wasm: the objects opened through it and
// the queue of events from Go.
class Runtime {
  constructor(go) {
    this.go = go;
    this.fns = null; // the table of Go functions
    this.kinds = []; // kind number -> name
    this.objects = new Map(); // id -> object
    this.pending = new Map(); // request id -> { resolve, reject }
    this.lastId = 0;
    this.exports = null; // the module's wasm exports (realtimeSend, realtimeReceive, ...)
    this.sockets = new Map(); // socket number -> handle (realtime-socket.js)
    this.depth = 0; // calls into Go under way
    this.sentNow = 0; // messages sent through realtimeSend, for tests
    this.publishedNow = 0; // publishes JavaScript wrote itself (_publishNow)
    this.receivedNow = 0; // batches received through realtimeReceive, for tests
    this.routedNow = 0; // of them, queued for Go's own subscribers, for tests
    this.passedNow = 0; // ... of which JavaScript read the messages itself
    this.parsedNow = 0; // batches parsed here, Go taking only their ids (realtimeRelay)
    this.queue = [];
    this.scheduled = false;
    this.dead = null; // the error every call throws once Go is gone
    // Messages' text comes as UTF-8 bytes in the mailbox (a string from Go
    // costs a copy and a finalizer there); it is read at once, as the
    // next batch will overwrite it.
    this.mailbox = new Uint8Array(64 << 10);
    this.decoder = new TextDecoder();
    // Text for Go (a message to send, see toGo) goes into the callbox,
    // bytes of Go's memory at callboxAt that Go reads where they are; the
    // view is made again when the memory grew (see callboxView).
    this.memory = null;
    this.callbox = null;
    this.callboxAt = 0;
    this.callboxLength = 0;
    // Text as UTF-8 into a buffer: the bytes written, or -1 when it is too
    // short. realtime-socket.js's is faster for short texts.
    const encoder = new TextEncoder();
    this.encodeText =
      globalThis.realtimeEncodeText ??
      ((text, into) => {
        const { read, written } = encoder.encodeInto(text, into);
        return read === text.length ? written : -1;
      });
    this.messagesKind = -1;
    // receiveNow offers Go a socket's batch of frames through the wasm
    // export realtimeReceive (see realtimeSocketQueue's direct), never
    // while Go is running. When Go answers with a connection's id, every
    // line of text is a message of it, to deliver from text as it is;
    // with -2, Go queued the batch for its own subscribers (a live feed,
    // presence), and runs them when resumed, as after a js.Func's call.
    this.receiveNow = (id, n, grown, text) => {
      if (!this.canExport("realtimeReceive")) {
        return false;
      }
      const r = this.exports.realtimeReceive(id, n, grown ? 1 : 0);
      if (r === 0) {
        return false;
      }
      this.receivedNow++;
      if (r > 0) {
        this.passedNow++;
        this.deliverNow([-1, r, text]);
      } else if (r === -2) {
        this.routedNow++;
        this.go._resume();
      }
      return true;
    };
    // takeNow offers Go a socket's batch of text frames as JavaScript
    // parsed them, before any of it is encoded for Go: when every line is
    // a message whose id rises on its channel (parseMessages), Go checks
    // each channel's run of ids against those it has seen (the wasm
    // export realtimeRelay), records them and answers with the
    // connection's id; the messages are then delivered as parsed.
    // JSON.parse, which the subscribers need anyway, is all the batch
    // costs. Anything else (a repeat, an ack, a line JSON.parse refuses,
    // a channel Go also listens to) goes to receiveNow, which hands it to
    // Go.
    this.takeNow = (id, texts) => {
      if (!this.canExport("realtimeRelay")) {
        return false;
      }
      const first = texts[0];
      const nl = first.indexOf("\n");
      if (!idField.test(nl < 0 ? first : first.slice(0, nl))) {
        return false; // no such id (another capability's): not parsed twice
      }
      const parsed = parseMessages(texts);
      if (parsed === null) {
        return false;
      }
      const written = this.encodeText(parsed.heads, this.callboxView());
      if (written < 0) {
        return false; // longer than the callbox
      }
      const conn = this.exports.realtimeRelay(id, written);
      if (conn <= 0) {
        return false;
      }
      this.parsedNow++;
      this.deliverNow([-2, conn, parsed.msgs]);
      return true;
    };
    this.mailboxFor = (n) => (this.mailbox = new Uint8Array(Math.max(n, 2 * this.mailbox.length)));
    this.dispatch = (...event) => {
      if (event[0] === this.messagesKind) {
        event[2] = this.decoder.decode(this.mailbox.subarray(0, event[2]));
      }
      this.queue.push(event);
      if (!this.scheduled) {
        this.scheduled = true;
        queueMicrotask(this.flush);
      }
    };
    this.flush = () => {
      this.scheduled = false;
      const events = this.queue;
      this.queue = [];
      for (const event of events) {
        this.deliver(event);
      }
    };
    this.api = makeAPI(this);
  }

  attach(fns) {
    this.fns = fns;
    for (const [name, kind] of Object.entries(fns.kinds)) {
      this.kinds[kind] = name;
    }
    this.messagesKind = fns.kinds.messages;
    this.setCallbox(fns.callbox(0));
  }

  // setCallbox keeps where the callbox is: [address, length] in Go's
  // memory, as Go's callbox(n) returns it.
  setCallbox([at, length]) {
    this.callboxAt = at;
    this.callboxLength = length;
    this.callbox = null;
  }

  // callboxView returns the callbox, to write into before a call of Go:
  // a view of Go's memory, made again when the callbox moved or the
  // memory grew (a growth detaches the old buffer's views).
  callboxView() {
    if (this.callbox === null || this.callbox.buffer !== this.memory.buffer) {
      this.callbox = new Uint8Array(this.memory.buffer, this.callboxAt, this.callboxLength);
    }
    return this.callbox;
  }

  deliver([kind, id, ...args]) {
    if (kind === -1) {
      this.relay(id, args[0]);
      return;
    }
    if (kind === -2) {
      this.deliverParsed(id, args[0]);
      return;
    }
    const name = this.kinds[kind];
    if (name === "messages") {
      // Lines: a connection's id, then its messages' JSON, one a line, as
      // the server sent them.
      let conn;
      for (const line of args[0].split("\n")) {
        if (line.charCodeAt(0) === 123 /* { */) {
          conn?._message(JSON.parse(line));
        } else {
          conn = this.objects.get(Number(line));
        }
      }
      return;
    }
    if (name === "reply") {
      const p = this.pending.get(id);
      if (p) {
        this.pending.delete(id);
        const [result, message, code] = args;
        if (message) {
          p.reject(new RealtimeError(message, code));
        } else {
          p.resolve(result);
        }
      }
      return;
    }
    // Events for an object closed since are dropped here.
    this.objects.get(id)?._event(name, args);
  }

  // relay delivers the messages of connection id that Go relayed: a
  // batch's text, a message a line, which Go read only the channel and id
  // of. A line JSON.parse refuses is reported, as Go reports a malformed
  // envelope, and the others are delivered.
  relay(id, text) {
    const conn = this.objects.get(id);
    for (const line of linesOf(text)) {
      let msg;
      try {
        msg = JSON.parse(line);
      } catch (err) {
        conn?._error(`realtime: malformed envelope ${JSON.stringify(line.slice(0, 200))}: ${err.message}`, "bad_message");
        continue;
      }
      conn?._message(msg);
    }
  }

  // deliverNow delivers a batch Go took in a wasm export: at once (no
  // microtask) when nothing waits before it, else after what waits. An
  // error must not reach the socket, which would hand the batch to Go
  // again: Go has recorded its ids.
  deliverNow(event) {
    if (this.queue.length > 0) {
      this.queue.push(event);
    } else {
      safely(() => this.deliver(event));
    }
  }

  // deliverParsed delivers the messages of connection id that takeNow
  // parsed.
  deliverParsed(id, msgs) {
    this.objects.get(id)?._messages(msgs);
  }

  // canExport reports whether the module's wasm export name may be called
  // now: it has it (an older realtime.wasm may not), Go runs, and not
  // from inside a call into Go (an export must not be entered there).
  canExport(name) {
    return this.exports?.[name] !== undefined && !this.dead && !this.go.exited && this.depth === 0;
  }

  // sendNow sends the message in the callbox through the module's wasm
  // export when Go can do it at once (an export call costs no js.Func
  // event), and reports whether it did.
  sendNow(id, n) {
    if (!this.canExport("realtimeSend") || this.exports.realtimeSend(id, n) !== 1) {
      return false;
    }
    this.sentNow++;
    return true;
  }

  // toGo writes text as UTF-8 to the callbox, which Go reads in the call
  // that follows, and returns its length in bytes.
  toGo(text) {
    let written = this.encodeText(text, this.callboxView());
    if (written < 0) {
      this.setCallbox(this.call("callbox", 3 * text.length));
      written = this.encodeText(text, this.callboxView());
    }
    return written;
  }

  newId() {
    return ++this.lastId;
  }

  // call calls Go and throws what it returns as an error.
  call(name, ...args) {
    if (this.dead) {
      throw this.dead;
    }
    this.depth++;
    let result;
    try {
      result = this.fns[name](...args);
    } finally {
      this.depth--;
    }
    if (this.go.exited) {
      this.exited(1);
      throw this.dead;
    }
    if (result instanceof RealtimeError) {
      throw result;
    }
    return result;
  }

  // open registers obj under a new id, then asks Go to make it; Go may
  // send events at once, and they must find it.
  open(obj, name, ...args) {
    const id = this.newId();
    obj._id = id;
    this.objects.set(id, obj);
    try {
      return this.call(name, id, ...args);
    } catch (err) {
      this.objects.delete(id);
      throw err;
    }
  }

  // request starts a call that Go settles with a reply event.
  request(name, ...args) {
    return new Promise((resolve, reject) => {
      const id = this.newId();
      this.pending.set(id, { resolve, reject });
      try {
        this.call(name, ...args.map((a) => (a === requestId ? id : a)));
      } catch (err) {
        this.pending.delete(id);
        reject(err);
      }
    });
  }

  close(obj) {
    if (this.objects.get(obj._id) === obj) {
      this.objects.delete(obj._id);
      if (!this.dead) {
        this.call("close", obj._id);
      }
    }
  }

  exited(code) {
    if (this.dead) {
      return;
    }
    this.dead = new RealtimeError(`realtime.wasm exited (code ${code}): see the console`, "exited");
    for (const p of this.pending.values()) {
      p.reject(this.dead);
    }
    this.pending.clear();
    for (const obj of this.objects.values()) {
      obj._event("error", [this.dead.message, this.dead.code]);
    }
  }

  shutdown() {
    if (this.dead) {
      return;
    }
    for (const obj of Array.from(this.objects.values())) {
      obj._closed = true;
    }
    this.objects.clear();
    this.fns.shutdown();
    this.dead = new RealtimeError("the realtime module was shut down", "shutdown");
    for (const p of this.pending.values()) {
      p.reject(this.dead);
    }
    this.pending.clear();
    loading = null;
  }
}

// requestId stands for the id of a request in Runtime.request's arguments.
const requestId = Symbol("request id");

// Base holds what every object has: an id, a closed flag, error listeners,
// and the children that close with it.
class Base {
  constructor(rt, what) {
    this._rt = rt;
    this._what = what;
    this._id = 0;
    this._closed = false;
    this._lists = [];
    this._errors = this._listeners();
    this._children = new Set();
    this._parent = null;
  }

  // _listeners makes a set of listeners that close() clears.
  _listeners() {
    const l = new Listeners();
    this._lists.push(l);
    return l;
  }

  get closed() {
    return this._closed;
  }

  onError(fn) {
    return this._errors.add(fn);
  }

  _check() {
    if (this._rt.dead) {
      throw this._rt.dead;
    }
    if (this._closed) {
      throw new RealtimeError(`realtime: this ${this._what} is closed`, "closed");
    }
  }

  _call(name, ...args) {
    this._check();
    return this._rt.call(name, this._id, ...args);
  }

  _error(message, code) {
    const err = new RealtimeError(message, code);
    if (this._errors.size === 0) {
      console.warn(`realtime ${this._what}:`, err);
    } else {
      this._errors.emit(err);
    }
  }

  _adopt(parent) {
    this._parent = parent;
    parent._children.add(this);
  }

  close() {
    if (this._closed) {
      return;
    }
    for (const child of Array.from(this._children)) {
      child._forget();
    }
    this._parent?._children.delete(this);
    this._closed = true;
    this._rt.close(this); // Go closes the children too
    this._released();
  }

  // _forget marks a child closed along with its parent.
  _forget() {
    this._closed = true;
    this._rt.objects.delete(this._id);
    this._released();
  }

  // _event handles an event from Go; subclasses handle theirs first.
  _event(name, args) {
    if (name === "error") {
      this._error(...args);
    } else if (name === "token") {
      this._giveToken(args[0]);
    }
  }

  // _giveToken answers Go's ask n (before a connection) with what getToken
  // gives, a string or a promise of one; its error's message otherwise,
  // which ends the connecting with the code "token".
  _giveToken(n) {
    const give = (token, message) => {
      if (!this._closed && !this._rt.dead) {
        safely(() => this._rt.call("token", this._id, n, token, message));
      }
    };
    new Promise((resolve) => resolve(this._getToken())).then(
      (token) => (typeof token === "string" ? give(token, "") : give("", `getToken gave ${typeof token}, not a string`)),
      (err) => give("", String(err?.message || err || "getToken failed")),
    );
  }

  _released() {
    for (const l of this._lists) {
      l.clear();
    }
  }
}

// Observed is an object whose changes its onChange listeners hear of.
class Observed extends Base {
  constructor(rt, what) {
    super(rt, what);
    this._changeFns = this._listeners();
  }

  onChange(fn) {
    return this._changeFns.add(fn);
  }
}

function messageFields(message) {
  if (message === null || typeof message !== "object") {
    throw new TypeError("message must be an object");
  }
  const { type, channel = "", data, id = "", ref = "", timestamp = 0 } = message;
  checkString(type, "message.type");
  checkString(channel, "message.channel");
  checkString(id, "message.id");
  checkString(ref, "message.ref");
  if (typeof timestamp !== "number") {
    throw new TypeError("message.timestamp must be a number");
  }
  return [type, channel, dataJSON(data, "message.data"), id, ref, timestamp];
}

// messageJSON is a message as the JSON envelope Go reads (protocol.Decode):
// one text instead of six arguments, each string of which would cost a
// copy and a finalizer in Go.
function messageJSON(message) {
  const [type, channel, data, id, ref, timestamp] = messageFields(message);
  if (!Number.isFinite(timestamp)) {
    throw new TypeError("message.timestamp must be a finite number");
  }
  let json = `{"type":${JSON.stringify(type)}`;
  if (channel !== "") json += `,"channel":${JSON.stringify(channel)}`;
  if (data !== "") json += `,"data":${data}`;
  if (id !== "") json += `,"id":${JSON.stringify(id)}`;
  if (ref !== "") json += `,"ref":${JSON.stringify(ref)}`;
  if (Math.trunc(timestamp) !== 0) json += `,"timestamp":${Math.trunc(timestamp)}`;
  return json + "}";
}

class Connection extends Base {
  constructor(rt) {
    super(rt, "connection");
    this._status = "connecting";
    this._state = { status: "connecting", attempt: 0, nextDelay: 0, queued: 0, error: null };
    this._statusFns = this._listeners();
    this._stateFns = this._listeners();
    this._channels = new Map(); // channel -> Set of { fn }
    this._checked = new Set(); // channels Go took a publish on (see _publishNow)
    this._publisher = undefined;
    this._socket = 0; // see _publishNow
  }

  get status() {
    return this._status;
  }

  get state() {
    return this._state;
  }

  onStatus(fn) {
    return this._statusFns.add(fn);
  }

  onState(fn) {
    return this._stateFns.add(fn);
  }

  send(message) {
    this._check();
    if (this._publishNow(message)) {
      return;
    }
    const n = this._rt.toGo(messageJSON(message));
    if (!this._rt.sendNow(this._id, n)) {
      const r = this._rt.fns.wsSend(this._id, n);
      if (r instanceof RealtimeError) {
        throw r;
      }
    }
    if (message.type === "publish" && this._checked.size < 1024) {
      this._checked.add(message.channel);
    }
  }

  publish(channel, data) {
    this.send({ type: "publish", channel, data });
  }

  // _publishNow writes a publish on the socket itself, when Go numbers it
  // at once (realtimeNumber: connected, nothing queued before it), and
  // reports whether it did: Go's decoding and encoding of the message
  // cost more than the rest of a round trip. Only on channels a publish
  // went through Go on before, which checked the name.
  _publishNow(message) {
    if (message === null || typeof message !== "object") {
      return false;
    }
    const { type, channel, data, id, ref, timestamp } = message;
    const rt = this._rt;
    if (type !== "publish" || id !== undefined || ref !== undefined || timestamp !== undefined || !this._checked.has(channel)) {
      return false;
    }
    if (!rt.canExport("realtimeNumber")) {
      return false;
    }
    this._publisher ??= rt.call("wsPublisher", this._id);
    // The socket of the last publish, if it is still open, saves asking
    // Go (a call into its code each publish): a closed socket's handle
    // leaves rt.sockets, and Go numbers nothing for a socket other than
    // its current one (realtimeNumber checks), which clears this.
    let socket = this._socket;
    let handle = socket > 0 ? rt.sockets.get(socket) : undefined;
    if (handle === undefined || !handle.open()) {
      socket = this._socket = rt.exports.realtimeSocket(this._id);
      handle = socket > 0 ? rt.sockets.get(socket) : undefined;
      if (handle === undefined || !handle.open()) {
        return false;
      }
    }
    // The caller's code may run here (toJSON): the socket is checked
    // again after it, and from there to the write only Go runs.
    const json = dataJSON(data, "message.data");
    if (!handle.open()) {
      return false;
    }
    // As Go writes it: the id (Go's number goes in between), data last.
    const head = `{"type":"publish","channel":${JSON.stringify(channel)},"id":"${this._publisher}:`;
    const tail = json === "" ? `"}` : `","data":${json}}`;
    // At most three bytes of UTF-8 per UTF-16 unit; the number takes at
    // most 20.
    const n = rt.exports.realtimeNumber(this._id, socket, 3 * (head.length + tail.length + 20));
    if (n <= 0) {
      this._socket = 0;
      return false;
    }
    handle.sendText(`${head}${n}${tail}`); // open, as nothing ran since
    rt.publishedNow++;
    return true;
  }

  request(message, { timeout = 10000 } = {}) {
    try {
      this._check();
      // The callbox holds the message until the call that follows at once.
      const n = this._rt.toGo(messageJSON(message));
      return this._rt.request("wsRequest", this._id, requestId, n, timeout).then((json) => JSON.parse(json));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  subscribe(channel, handler) {
    checkString(channel, "channel");
    checkFunction(handler);
    this._check();
    let subs = this._channels.get(channel);
    if (!subs) {
      this._rt.call("wsSubscribe", this._id, channel);
      subs = new Set();
      this._channels.set(channel, subs);
    }
    const entry = { fn: handler };
    subs.add(entry);
    return () => {
      if (!subs.delete(entry) || subs.size > 0 || this._channels.get(channel) !== subs) {
        return;
      }
      this._channels.delete(channel);
      if (!this._closed && !this._rt.dead) {
        this._rt.call("wsUnsubscribe", this._id, channel);
      }
    };
  }

  unsubscribe(channel) {
    checkString(channel, "channel");
    this._check();
    const subs = this._channels.get(channel);
    if (subs) {
      subs.clear();
      this._channels.delete(channel);
      this._rt.call("wsUnsubscribe", this._id, channel);
    }
  }

  channels() {
    return Array.from(this._channels.keys()).sort();
  }

  connect() {
    this._call("wsConnect");
  }

  disconnect() {
    this._call("wsDisconnect");
  }

  reconnect() {
    this._call("wsReconnect");
  }

  // _message hands a message to its channel's subscribers.
  _message(msg) {
    const subs = this._channels.get(msg.channel);
    if (subs !== undefined) {
      deliverAll(subs, msg);
    }
  }

  // _messages hands a batch's messages to their channels' subscribers,
  // looked up again only for another channel than the message before's
  // or when there are none: a set leaves _channels only empty, and a new
  // one is made only when there is none.
  _messages(msgs) {
    let channel = null;
    let subs;
    for (const msg of msgs) {
      if (msg.channel !== channel || subs === undefined || subs.size === 0) {
        channel = msg.channel;
        subs = this._channels.get(channel);
        if (subs === undefined) {
          continue;
        }
      }
      deliverAll(subs, msg);
    }
  }

  _event(name, args) {
    switch (name) {
      case "state": {
        const [status, attempt, nextDelay, queued, message, code] = args;
        this._state = { status, attempt, nextDelay, queued, error: message ? new RealtimeError(message, code) : null };
        const changed = status !== this._status;
        this._status = status;
        this._stateFns.emit(this._state);
        if (changed) {
          this._statusFns.emit(status);
        }
        return;
      }
      case "error":
        if (args[1] === "exited") {
          this._status = "error";
          this._state = { ...this._state, status: "error", error: new RealtimeError(...args) };
          this._statusFns.emit("error");
        }
    }
    super._event(name, args);
  }

  _released() {
    super._released();
    this._status = "disconnected";
    this._state = { status: "disconnected", attempt: 0, nextDelay: 0, queued: 0, error: null };
    for (const subs of this._channels.values()) {
      subs.clear();
    }
    this._channels.clear();
  }
}

class EventStream extends Base {
  constructor(rt) {
    super(rt, "event source");
    this._state = { status: "connecting", attempt: 0, nextDelay: 0, retry: 0, lastEventId: "", error: null };
    this._types = new Map(); // type -> Listeners
    this._all = this._listeners();
    this._statusFns = this._listeners();
    this._stateFns = this._listeners();
  }

  get status() {
    return this._state.status;
  }

  get state() {
    return this._state;
  }

  get lastEventId() {
    return this._state.lastEventId;
  }

  on(type, handler) {
    checkString(type, "type");
    let l = this._types.get(type || "message");
    if (!l) {
      l = this._listeners();
      this._types.set(type || "message", l);
    }
    return l.add(handler);
  }

  onMessage(handler) {
    return this._all.add(handler);
  }

  onStatus(fn) {
    return this._statusFns.add(fn);
  }

  onState(fn) {
    return this._stateFns.add(fn);
  }

  open() {
    this._call("sseReopen");
  }

  reconnect() {
    this._call("sseReconnect");
  }

  _event(name, args) {
    switch (name) {
      case "streamEvent": {
        const [type, data, id] = args;
        const event = { type, data, id };
        this._types.get(type)?.emit(event);
        this._all.emit(event);
        return;
      }
      case "streamState": {
        const [status, attempt, nextDelay, retry, lastEventId, message, code] = args;
        const changed = status !== this._state.status;
        this._state = { status, attempt, nextDelay, retry, lastEventId, error: message ? new RealtimeError(message, code) : null };
        this._stateFns.emit(this._state);
        if (changed) {
          this._statusFns.emit(status);
        }
        return;
      }
    }
    super._event(name, args);
  }

  _released() {
    super._released();
    this._state = { ...this._state, status: "closed", error: null };
    this._types.clear();
  }
}

class Presence extends Observed {
  constructor(rt, resource) {
    super(rt, "presence");
    this.resource = resource;
    this.session = "";
    this._snapshot = { state: {}, people: [] };
  }

  get state() {
    return this._snapshot.state;
  }

  get people() {
    return this._snapshot.people;
  }

  update(meta) {
    this._call("presenceUpdate", toJSON(meta, "meta"));
  }

  setStatus(status) {
    this.update({ status });
  }

  leave() {
    this.close();
  }

  _event(name, args) {
    if (name === "presence") {
      const [state, changes, people] = args.map((a) => JSON.parse(a));
      this._snapshot = { state, people };
      this._changeFns.emit(state, changes, people);
      return;
    }
    super._event(name, args);
  }
}

class PresenceCount extends Observed {
  constructor(rt, resource) {
    super(rt, "presence count");
    this.resource = resource;
    this.users = 0;
    this.sessions = 0;
  }

  _event(name, args) {
    if (name === "count") {
      [this.users, this.sessions] = args;
      this._changeFns.emit({ users: this.users, sessions: this.sessions });
      return;
    }
    super._event(name, args);
  }
}

class Notifications extends Observed {
  constructor(rt, user) {
    super(rt, "notification center");
    this.user = user;
    this._newFns = this._listeners();
    this._toastFns = this._listeners();
  }

  _view(what, arg = "") {
    return JSON.parse(this._call("notificationsView", what, arg));
  }

  list(filter) {
    return this._view("list", toJSON(filter, "filter"));
  }

  get(id) {
    checkString(id, "id");
    return this._view("get", id);
  }

  unread() {
    return this._view("unread");
  }

  toasts() {
    return this._view("toasts");
  }

  onNotification(fn) {
    return this._newFns.add(fn);
  }

  onToasts(fn) {
    return this._toastFns.add(fn);
  }

  _do(action, arg = "") {
    checkString(arg, "id");
    this._call("notificationsDo", action, arg);
  }

  markSeen() {
    this._do("markSeen");
  }

  markRead(id) {
    this._do("markRead", id);
  }

  markAllRead() {
    this._do("markAllRead");
  }

  archive(id) {
    this._do("archive", id);
  }

  clear() {
    this._do("clear");
  }

  dismissToast(id) {
    this._do("dismissToast", id);
  }

  pauseToasts(reason = "hover") {
    this._do("pauseToasts", reason);
  }

  resumeToasts(reason = "hover") {
    this._do("resumeToasts", reason);
  }

  _event(name, args) {
    switch (name) {
      case "notifications":
        this._changeFns.emit();
        return;
      case "notification":
        this._newFns.emit(JSON.parse(args[0]));
        return;
      case "toasts":
        this._toastFns.emit();
        return;
    }
    super._event(name, args);
  }
}

class Queries extends Observed {
  constructor(rt) {
    super(rt, "query tracker");
  }

  track(id) {
    checkString(id, "id");
    this._call("queriesDo", "track", id);
  }

  untrack(id) {
    checkString(id, "id");
    this._call("queriesDo", "untrack", id);
  }

  get(id) {
    checkString(id, "id");
    return JSON.parse(this._call("queriesView", "get", id));
  }

  list() {
    return JSON.parse(this._call("queriesView", "list", ""));
  }

  cancel(id, { timeout = 10000 } = {}) {
    try {
      checkString(id, "id");
      this._check();
      return this._rt.request("queriesCancel", this._id, requestId, id, timeout).then(() => undefined);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  _event(name, args) {
    if (name === "query") {
      this._changeFns.emit(JSON.parse(args[0]));
      return;
    }
    super._event(name, args);
  }
}

class LiveFeed extends Observed {
  constructor(rt, feed) {
    super(rt, "live feed");
    this.feed = feed;
    this._state = null;
  }

  get status() {
    return this._state.status;
  }

  get state() {
    return this._state;
  }

  pause() {
    this._call("liveDo", "pause");
  }

  resume() {
    this._call("liveDo", "resume");
  }

  resync() {
    this._call("liveDo", "resync");
  }

  stats() {
    return JSON.parse(this._call("liveStats"));
  }

  _set(json, message, code) {
    const prev = this._state;
    this._state = JSON.parse(json);
    this._state.error = message ? new RealtimeError(message, code) : null;
    shareItems(prev, this._state);
  }

  _event(name, args) {
    if (name === "live") {
      this._set(...args);
      this._changeFns.emit(this._state);
      return;
    }
    super._event(name, args);
  }
}

// shareItems gives next's items that equal prev's item of the same key
// prev's object, as React data libraries share structure: a view can skip
// an item that is the object it drew last (React.memo, a table's row),
// where a live feed changes a few rows of many between renders.
function shareItems(prev, next) {
  if (prev === null || prev.key !== next.key || prev.items.length === 0) {
    return;
  }
  const key = next.key;
  const items = next.items;
  let before = null; // by key, made only when the items moved
  for (let i = 0; i < items.length; i++) {
    let old = prev.items[i];
    if (old === undefined || old[key] !== items[i][key]) {
      if (before === null) {
        before = new Map();
        for (const item of prev.items) {
          before.set(item[key], item);
        }
      }
      old = before.get(items[i][key]);
    }
    if (old !== undefined && sameJSON(old, items[i])) {
      items[i] = old;
    }
  }
}

// sameJSON reports whether two values parsed from JSON are equal.
function sameJSON(a, b) {
  if (a === b) {
    return true;
  }
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) {
    return false;
  }
  if (Array.isArray(a)) {
    return a.length === b.length && a.every((v, i) => sameJSON(v, b[i]));
  }
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) {
    return false;
  }
  for (const k of keys) {
    if (!Object.hasOwn(b, k) || !sameJSON(a[k], b[k])) {
      return false;
    }
  }
  return true;
}

function makeAPI(rt) {
  const parentOf = (connection) => {
    if (!(connection instanceof Connection) || connection._rt !== rt) {
      throw new TypeError("connection must be a connection made by this module's connect()");
    }
    connection._check();
    return connection;
  };
  // child opens obj over connection; it closes with it.
  const child = (connection, obj, name, ...args) => {
    const parent = parentOf(connection);
    const result = rt.open(obj, name, parent._id, ...args);
    obj._adopt(parent);
    return result;
  };

  return Object.freeze({
    RealtimeError,

    connect(config) {
      if (config?.headers && Object.keys(config.headers).length > 0) {
        console.warn("realtime: browsers cannot set WebSocket headers; config.headers are not sent (use authToken)");
      }
      const conn = new Connection(rt);
      rt.open(conn, "wsOpen", configJSON(conn, config));
      return conn;
    },

    eventSource(config) {
      const stream = new EventStream(rt);
      rt.open(stream, "sseOpen", configJSON(stream, config));
      return stream;
    },

    presence(connection, resource, meta, options) {
      checkString(resource, "resource");
      const p = new Presence(rt, resource);
      p.session = child(connection, p, "presenceJoin", resource, toJSON(meta ?? {}, "meta"), toJSON(options, "options"));
      return p;
    },

    presenceCount(connection, resource) {
      checkString(resource, "resource");
      const c = new PresenceCount(rt, resource);
      child(connection, c, "presenceCount", resource);
      return c;
    },

    notifications(connection, user, options) {
      checkString(user, "user");
      const n = new Notifications(rt, user);
      child(connection, n, "notificationsOpen", user, toJSON(options, "options"));
      return n;
    },

    queries(connection) {
      const q = new Queries(rt);
      child(connection, q, "queriesOpen");
      return q;
    },

    live(connection, feed, options) {
      checkString(feed, "feed");
      const l = new LiveFeed(rt, feed);
      l._set(child(connection, l, "liveOpen", feed, toJSON(options, "options")), "", "");
      return l;
    },

    stats() {
      if (rt.dead) {
        throw rt.dead;
      }
      return rt.call("stats");
    },

    shutdown() {
      rt.shutdown();
    },

    // Not part of the API: what the tests check of the fast paths.
    _diagnostics() {
      return { sentNow: rt.sentNow, publishedNow: rt.publishedNow, receivedNow: rt.receivedNow, routedNow: rt.routedNow, passedNow: rt.passedNow, parsedNow: rt.parsedNow };
    },
  });
}
