// realtime-socket.js: a queue in front of a browser WebSocket for the
// realtime runtime's Go code (realtime.wasm, app.wasm).
//
// Every call from JavaScript into Go costs some 10 µs. Without this file
// the runtime's Go code gets one call per WebSocket message; with it, the
// messages wait here and Go gets them in batches, one call each: the text
// frames joined with "\n" (an envelope never holds a raw newline, and Go
// splits frames on it anyway) and the binary ones as a count.
//
// realtime.js loads it by itself. A go-app page loads it with its handler:
//
//	&app.Handler{Scripts: []string{"/web/realtime-socket.js"}, ...}
//
// as demo.Handler does. It is a plain script (no eval, no Function), so a
// Content-Security-Policy that allows same-origin scripts allows it. Go
// falls back to one call per message where it is missing.
//
// It also makes the Go programs of the page keep one browser timer
// rather than set a new one on every event (realtimeCoalesceGoTimers),
// and writes a go-app LiveTable's changed cells for it in one call
// (realtimeSetTexts).

// realtimeSocketQueue listens to ws's messages and close, and returns a
// handle {inbox, outbox, send(n), grow(n)}. Text crosses between Go and
// JavaScript as UTF-8 bytes in two Uint8Arrays, not as strings: a string
// handed to Go costs two copies there and a finalizer for its reference,
// which showed in profiles as the largest Go cost of an echo.
//
// onFrames(n, texts, binaries, grown) gets what arrived since the last
// call: texts text frames joined with "\n", as n UTF-8 bytes at the start
// of handle.inbox (a new array when grown is true), and the number of
// binary frames. It is called from a task of its own, posted when the
// first message of a batch arrives, so that the messages already waiting
// are read first. onClose(code, reason) comes last, after every frame
// received before the close went to onFrames.
//
// send(n) sends the first n bytes of handle.outbox as a text frame, and
// returns false when the socket is not open (a browser silently drops
// what is sent then); Go invokes it without its object, as a function;
// grow(n) gives outbox room for n bytes and returns it. When direct
// gives memory (the program's WebAssembly.Memory) and sendArgs (the
// address of two 32-bit numbers in it), handle.sendFromArgs() is send for
// the bytes whose address and length those numbers hold: Go's own bytes,
// read where they are rather than copied into outbox first. Listening
// stops with the socket's close.
//
// direct, when given, is {take, receive, id}: take(id, texts), when
// given, is offered each batch of text frames first, an array of their
// texts, before they are joined and encoded for Go, and returns true when
// it took them (realtime.js, which parses the batch itself when Go only
// needs its ids). receive(id, n, grown, text) is
// offered the batches take did not take, as onFrames would get it plus
// the batch's text, and returns true when it took it. It calls a wasm
// export, which costs a fraction of a microsecond where onFrames, a
// js.Func, costs tens (realtime.js). When direct.handles (a Map) is given
// too, the handle is direct.handles.get(id) until the close: open() and
// sendText(text), send's twin for a text made in JavaScript, let
// realtime.js write a publish itself when Go has numbered it.
//
// go-app's pages give {go, export, id} instead of a receive function:
// wasm_exec.js's Go object and the name of its export (see
// resumingReceive), with room and roomSize: where in memory Go takes a
// short batch, written there rather than into the inbox (grown is then 2).
// Both give memory, the program's WebAssembly.Memory (see sendFromArgs).
// go-app's may give binaryText: its server sends long frames as binary
// messages (protocol's frames=binary), whose bytes are then text frames',
// copied into Go's memory as they came.
globalThis.realtimeSocketQueue = function realtimeSocketQueue(ws, onFrames, onClose, direct) {
  let texts = [];
  let binaries = 0;
  let scheduled = false;
  let lastFlush = -Infinity;
  // How long after a batch (ms) a message is no longer taken for part of
  // a burst.
  const quiet = 0.1;
  // Whether the page sent on the socket since the last batch began: a
  // message after that is an answer (an echo's), not a burst's next frame.
  let sent = false;
  const wake = new MessageChannel();
  const decoder = new TextDecoder();
  // write sends data, and returns false when the socket is not open (a
  // browser silently drops what is sent then).
  const write = (data) => {
    if (ws.readyState !== WebSocket.OPEN) {
      return false;
    }
    ws.send(data);
    sent = true;
    return true;
  };
  const handle = {
    // Small to start with: they grow with the frames (a burst's inbox
    // shrinks back), and a page may hold many sockets.
    inbox: new Uint8Array(16 << 10),
    outbox: new Uint8Array(4 << 10),
    send(n) {
      return write(decoder.decode(handle.outbox.subarray(0, n)));
    },
    grow(n) {
      handle.outbox = new Uint8Array(Math.max(n, 2 * handle.outbox.length));
      return handle.outbox;
    },
    open() {
      return ws.readyState === WebSocket.OPEN;
    },
    sendText: write,
  };
  const memory = direct?.memory;
  if (memory instanceof WebAssembly.Memory && direct.sendArgs > 0) {
    const sendFrom = (at, n) => {
      const ok = write(decoder.decode(new Uint8Array(memory.buffer, at, n)));
      if (ok) {
        globalThis.realtimeSocketQueue.sentFrom++; // for tests
      }
      return ok;
    };
    // The address and length are where direct.sendArgs says, which Go's
    // Write leaves there rather than pass them (each a js.ValueOf, before
    // the send).
    let args = null;
    handle.sendFromArgs = () => {
      if (args === null || args.buffer !== memory.buffer) {
        args = new Uint32Array(memory.buffer, direct.sendArgs, 2); // again when the memory grew
      }
      globalThis.realtimeSocketQueue.sentFromArgs++; // for tests
      return sendFrom(args[0], args[1]);
    };
  }
  direct?.handles?.set(direct.id, handle);

  // flush hands over the messages received; now is the time of the
  // flush, or of the message that asks for it (see message).
  const flush = (now = performance.now()) => {
    scheduled = false;
    if (texts.length === 0 && binaries === 0) {
      return;
    }
    const batch = texts;
    const n = binaries;
    texts = [];
    binaries = 0;
    lastFlush = now;
    sent = false;
    if (direct?.take && n === 0 && take(batch)) {
      return;
    }
    if (binaryText) {
      // Binary frames are UTF-8 already: their bytes go as they came,
      // the text frames' encoded between, and no string is made of them.
      // A UTF-16 unit takes one byte or more.
      let least = batch.length - 1;
      let most = least;
      for (const part of batch) {
        least += part.length;
        most += typeof part === "string" ? 3 * part.length : part.length;
      }
      toGo(batch, n, least, most, (into) => joinBytes(batch, into));
      return;
    }
    const text = batch.length === 1 ? batch[0] : batch.join("\n");
    toGo(batch, n, text.length, 3 * text.length, (into) => globalThis.realtimeEncodeText(text, into), text);
  };
  // toGo writes a batch for Go with write(into), which returns the bytes
  // written or -1 when into is too short: its UTF-8 takes at least least
  // bytes and at most most. A short batch for go-app goes straight into
  // Go's memory (the room); any other into the inbox, grown to most. A
  // burst's inbox is not kept: one four times larger than needed shrinks.
  const toGo = (batch, n, least, most, write, text) => {
    if (roomed && n === 0 && least <= direct.roomSize) {
      const written = write(roomView());
      if (written >= 0 && offer(written, inRoom, text)) {
        return;
      }
    }
    let grown = false;
    if (handle.inbox.length < most || (handle.inbox.length > 1 << 20 && handle.inbox.length > 4 * most)) {
      handle.inbox = new Uint8Array(Math.max(most, 16 << 10));
      grown = true;
    }
    const written = write(handle.inbox);
    if (receive && n === 0 && offer(written, grown, text)) {
      return;
    }
    onFrames(written, batch.length, n, grown);
  };
  // joinBytes writes parts (UTF-8 bytes, or strings) at the start of into,
  // joined with "\n", and returns the number of bytes written, or -1 when
  // into is too short.
  const joinBytes = (parts, into) => {
    let at = 0;
    for (let i = 0; i < parts.length; i++) {
      if (i > 0) {
        if (at >= into.length) {
          return -1;
        }
        into[at++] = 10;
      }
      const part = parts[i];
      if (typeof part === "string") {
        const written = globalThis.realtimeEncodeText(part, at === 0 ? into : into.subarray(at));
        if (written < 0) {
          return -1;
        }
        at += written;
      } else {
        if (part.length > into.length - at) {
          return -1;
        }
        into.set(part, at);
        at += part.length;
      }
    }
    return at;
  };
  const take = (texts) => {
    try {
      return direct.take(direct.id, texts) === true;
    } catch {
      return false; // Go is gone: onFrames reports it
    }
  };
  const receive = direct?.receive ?? (direct?.go && resumingReceive(direct.go, direct.export));
  // direct.room, when given with memory, is the address of roomSize
  // bytes in it where Go takes a short batch itself (go-app's export, with
  // inRoom for grown): no call back into JavaScript to copy it over.
  const roomed = direct?.room > 0 && memory instanceof WebAssembly.Memory;
  const binaryText = direct?.binaryText === true;
  const inRoom = 2;
  let room = null;
  const roomView = () => {
    if (room === null || room.buffer !== memory.buffer) {
      room = new Uint8Array(memory.buffer, direct.room, direct.roomSize); // again when the memory grew
    }
    return room;
  };
  const offer = (written, grown, text) => {
    try {
      return receive(direct.id, written, grown, text) === true;
    } catch {
      return false; // Go is gone: onFrames reports it
    }
  };
  const message = (e) => {
    // Read once: each read of a message's data is a call into Chrome
    // (some 4 µs the first, 1 µs after).
    const data = e.data;
    if (typeof data === "string") {
      texts.push(data);
    } else if (binaryText) {
      texts.push(new Uint8Array(data));
      globalThis.realtimeSocketQueue.binaryFrames++; // for tests
    } else {
      binaries++;
    }
    if (!scheduled) {
      scheduled = true;
      // A message after a quiet spell goes to Go at once, and so does
      // an answer to what the page sent since the last batch began (an
      // echo waits for nothing more: each message is a task of its own,
      // and on a fast machine one comes back within quiet); one that
      // follows the last batch closely is part of a burst, and waits for
      // a task of its own, after the messages already received. The
      // time is the message's: on performance.now()'s clock, and read
      // in some 0.15 µs where a call of performance.now() takes 0.5.
      const now = e.timeStamp;
      if (sent || now - lastFlush > quiet) {
        flush(now);
      } else {
        wake.port2.postMessage(null);
      }
    }
  };
  const close = (e) => {
    stop();
    flush();
    onClose(e.code, e.reason);
  };
  const stop = () => {
    direct?.handles?.delete(direct.id);
    ws.removeEventListener("message", message);
    ws.removeEventListener("close", close);
    wake.port1.onmessage = null;
    wake.port1.close();
    wake.port2.close();
  };

  wake.port1.onmessage = () => flush();
  ws.addEventListener("message", message);
  ws.addEventListener("close", close);
  return handle;
};

// realtimeEncodeText writes text as UTF-8 at the start of into, as
// TextEncoder's encodeInto does, and returns the number of bytes written,
// or -1 when into is too short for all of it. In Chrome a call of
// encodeInto costs some 4 µs before its first byte; a short ASCII text
// (an echo's 200 characters) is copied by charCodeAt in 1-2 µs. Past
// some thousand characters encodeInto's 2 ns a byte wins.
globalThis.realtimeEncodeText = (() => {
  const encoder = new TextEncoder();
  const short = 512;
  return function realtimeEncodeText(text, into) {
    const n = text.length;
    if (n <= short && n <= into.length) {
      let i = 0;
      for (; i < n; i++) {
        const c = text.charCodeAt(i);
        if (c > 0x7f) {
          break;
        }
        into[i] = c;
      }
      if (i === n) {
        return n;
      }
    }
    const { read, written } = encoder.encodeInto(text, into);
    return read === n ? written : -1;
  };
})();

// realtimeSetTexts writes texts into elements, for go-app's LiveTable
// (components/live_table.go): packed is "index\0text\0..." and each text
// goes into nodes[index]. One call from Go for a frame's changed cells: a
// call a cell cost Go a string made here and a finalizer for each.
globalThis.realtimeSetTexts = function realtimeSetTexts(nodes, packed) {
  globalThis.realtimeSetTexts.calls++; // for tests
  const parts = packed.split("\0");
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const node = nodes[Number(parts[i])];
    if (node) {
      node.textContent = parts[i + 1];
    }
  }
};
globalThis.realtimeSetTexts.calls = 0;

// binaryText tells Go that direct.binaryText is understood: the socket's
// binary messages are then text (see flush).
globalThis.realtimeSocketQueue.binaryText = true;
globalThis.realtimeSocketQueue.binaryFrames = 0;
globalThis.realtimeSocketQueue.sentFrom = 0;
globalThis.realtimeSocketQueue.sentFromArgs = 0;

// resumingReceive is the receive function of a go-app page: it calls
// go's wasm export name, and when Go took the batch (its handlers, Go code,
// ran in the export) it resumes Go, as wasm_exec.js's timers do: after an
// export Go runs no goroutine until its next event. The export returns 1
// when a handler made a goroutine ready to run (go-app's UI goroutine, to
// draw): Go is resumed at once. It returns 0 when none is: Go is resumed
// within resumeWithin ms instead, once for all the batches until then, so
// that a timer a handler set is armed: one due sooner fires up to that
// late, one due later on time. A resume costs the main thread some 15-30
// µs of Go's scheduler, and more in what it leaves out of the caches:
// every 4 ms it took some 12 µs of main-thread CPU an echo in all (see
// bench/FINDINGS.md); every frame, a quarter of that.
function resumingReceive(go, name) {
  const resumeWithin = 16; // ms: a frame
  const stats = (globalThis.realtimeSocketQueue.stats ??= { taken: 0, inRoom: 0, at: 0, resumed: 0, deferred: 0 }); // for tests
  let later = 0;
  const resume = () => {
    clearTimeout(later);
    later = 0;
    if (!go.exited) {
      go._resume();
    }
  };
  return (id, n, grown) => {
    const taken = go.exited ? -1 : go._inst.exports[name](id, n, grown === 2 ? 2 : grown ? 1 : 0);
    if (taken < 0) {
      return false;
    }
    stats.taken++;
    stats.inRoom += grown === 2 ? 1 : 0;
    stats.at = performance.now();
    if (taken > 0) {
      stats.resumed++;
      resume();
    } else if (later === 0) {
      stats.deferred++;
      later = setTimeout(resume, resumeWithin);
    }
    return true;
  };
}

// realtimeCoalesceGoTimers makes go, a wasm_exec.js Go object not yet
// instantiated, keep one browser timer for Go's runtime instead of a new
// one per event. Go's js/wasm runtime asks the page for at most one
// timeout at a time (for its next timer), and on every event it handles
// (a js.Func call, a resume) it clears that timeout and asks for a new
// one, most often for the same moment: a clearTimeout and a setTimeout
// each time, 40% of the resume after a go-app echo in a profile. Here
// Go's timeouts are bookkeeping: the browser's timer is set again only
// when Go's next timeout is due before it, and when it fires before Go's
// (which moved later) it is set for the rest. Go is resumed as
// wasm_exec.js resumes it. It reports whether it could: false when the
// imports are not the two it knows, or go has them already.
globalThis.realtimeCoalesceGoTimers = function realtimeCoalesceGoTimers(go) {
  const imports = go?.importObject?.gojs;
  const scheduleName = "runtime.scheduleTimeoutEvent";
  const clearName = "runtime.clearTimeoutEvent";
  if (typeof imports?.[scheduleName] !== "function" || typeof imports?.[clearName] !== "function" || imports[scheduleName].coalesced) {
    return false;
  }
  const stats = (realtimeCoalesceGoTimers.stats ??= { scheduled: 0, armed: 0, resumed: 0 }); // for tests
  let nextID = 1;
  let live = 0; // Go's timeout, 0 when it has none
  let due = 0; // when live is due, in performance.now() ms
  let timer = 0; // the browser's
  let timerAt = Infinity;
  const arm = (ms) => {
    clearTimeout(timer);
    timer = setTimeout(fire, ms);
    timerAt = performance.now() + ms;
    stats.armed++;
  };
  const fire = () => {
    timer = 0;
    timerAt = Infinity;
    if (live === 0 || go.exited) {
      return;
    }
    const left = due - performance.now();
    if (left >= 1) {
      arm(left);
      return;
    }
    const id = live;
    stats.resumed++;
    go._resume();
    while (live === id && !go.exited) {
      // As wasm_exec.js does: https://github.com/golang/go/issues/28975
      console.warn("scheduleTimeoutEvent: missed timeout event");
      go._resume();
    }
  };
  // func scheduleTimeoutEvent(delay int64) int32: delay in ms.
  const schedule = (sp) => {
    sp >>>= 0;
    const ms = go.mem.getUint32(sp + 8, true) + go.mem.getInt32(sp + 12, true) * 4294967296;
    live = nextID++;
    due = performance.now() + ms;
    stats.scheduled++;
    if (due < timerAt) {
      arm(ms);
    }
    go.mem.setInt32(sp + 16, live, true);
  };
  schedule.coalesced = true;
  imports[scheduleName] = schedule;
  // func clearTimeoutEvent(id int32)
  imports[clearName] = (sp) => {
    sp >>>= 0;
    if (go.mem.getInt32(sp + 8, true) === live) {
      live = 0;
    }
  };
  return true;
};

// Every Go object made once this file has run coalesces its timers: a
// go-app page loads this file before wasm_exec.js (go-app's own scripts
// are deferred), and realtime.js before it makes its Go object.
(() => {
  const coalescing = (Go) =>
    class extends Go {
      constructor(...args) {
        super(...args);
        globalThis.realtimeCoalesceGoTimers(this);
      }
    };
  if (typeof globalThis.Go === "function") {
    globalThis.Go = coalescing(globalThis.Go);
    return;
  }
  let Go;
  try {
    Object.defineProperty(globalThis, "Go", {
      configurable: true,
      enumerable: true,
      get: () => Go,
      set: (v) => {
        Go = typeof v === "function" ? coalescing(v) : v;
      },
    });
  } catch {
    // A global Go that cannot be redefined: its objects keep their timers.
  }
})();
