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

// realtimeSocketQueue listens to ws's messages and close. onFrames(text,
// texts, binaries) gets what arrived since the last call: texts text frames
// joined with "\n", and the number of binary frames. It is called from a
// task of its own, posted when the first message of a batch arrives, so
// that the messages already waiting are read first. onClose(code, reason)
// comes last, after every frame received before the close went to
// onFrames. It returns a function that stops listening.
globalThis.realtimeSocketQueue = function realtimeSocketQueue(ws, onFrames, onClose) {
  let texts = [];
  let binaries = 0;
  let scheduled = false;
  let lastFlush = -Infinity;
  // How long after a batch (ms) a message is no longer taken for part of
  // a burst.
  const quiet = 0.1;
  const wake = new MessageChannel();

  const flush = () => {
    scheduled = false;
    if (texts.length === 0 && binaries === 0) {
      return;
    }
    const batch = texts;
    const n = binaries;
    texts = [];
    binaries = 0;
    onFrames(batch.length === 1 ? batch[0] : batch.join("\n"), batch.length, n);
    lastFlush = performance.now();
  };
  const message = (e) => {
    if (typeof e.data === "string") {
      texts.push(e.data);
    } else {
      binaries++;
    }
    if (!scheduled) {
      scheduled = true;
      // A message after a quiet spell goes to Go at once, from a
      // microtask (an echo waits for nothing more); one that follows
      // the last batch closely is part of a burst, and waits for a task
      // of its own, after the messages already received.
      if (performance.now() - lastFlush > quiet) {
        queueMicrotask(flush);
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
    ws.removeEventListener("message", message);
    ws.removeEventListener("close", close);
    wake.port1.onmessage = null;
    wake.port1.close();
    wake.port2.close();
  };

  wake.port1.onmessage = flush;
  ws.addEventListener("message", message);
  ws.addEventListener("close", close);
  return stop;
};
