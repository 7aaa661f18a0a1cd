// The /embed demo: the realtime runtime on a plain page, through
// realtime.js only. Query parameters: token (the server's), and
// reconnectDelay and maxReconnectDelay in milliseconds.
import { loadRealtime } from "/web/realtime.js";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const token = params.get("token") ?? undefined;
const tab = `tab-${String(Date.now() % 10000).padStart(4, "0")}`;
const maxLogLines = 50;

// pill renders a status like the go-app pages' StatusPill.
function pill(el, status, detail = "") {
  const span = (cls, text) => {
    const s = document.createElement("span");
    s.className = cls;
    if (text !== undefined) s.textContent = text;
    return s;
  };
  const root = span(`rt-status rt-status--${status}`);
  root.dataset.status = status;
  root.setAttribute("aria-live", "polite");
  root.append(span("rt-status__dot"), span("rt-status__label", status));
  if (detail) root.append(span("rt-status__detail", detail));
  el.replaceChildren(root);
}

function problem(el, err) {
  el.hidden = !err;
  el.textContent = err ? err.message ?? String(err) : "";
}

function logLine(channel, text, id) {
  const log = $("log");
  log.querySelector(".rt-log__empty")?.remove();
  const li = document.createElement("li");
  li.className = "rt-log__item";
  li.dataset.channel = channel;
  const time = document.createElement("time");
  time.className = "rt-log__time";
  time.textContent = new Date().toTimeString().slice(0, 8);
  const ch = document.createElement("span");
  ch.className = "rt-log__channel";
  ch.textContent = channel;
  const body = document.createElement("span");
  body.className = "rt-log__text";
  body.textContent = text;
  li.append(time, ch, body);
  if (id) {
    const n = document.createElement("span");
    n.className = "rt-log__id";
    n.textContent = `#${id}`;
    li.append(n);
  }
  log.prepend(li);
  while (log.children.length > maxLogLines) log.lastElementChild.remove();
}

function ms(name) {
  const n = Number(params.get(name));
  return n > 0 ? n : undefined;
}

async function main() {
  pill($("status"), "connecting", "loading the module");
  pill($("ticker-status"), "connecting");
  const started = performance.now();
  let rt;
  try {
    rt = await loadRealtime({ wasmURL: "/web/realtime.wasm" });
  } catch (err) {
    pill($("status"), "error");
    problem($("problem"), err);
    $("loaded").textContent = "realtime.wasm did not start.";
    return;
  }
  $("loaded").textContent = `realtime.wasm started in ${Math.round(performance.now() - started)} ms.`;

  // The connection: status, stats and buttons.
  const config = { url: "/ws", authToken: token };
  if (ms("reconnectDelay")) config.reconnectDelay = ms("reconnectDelay");
  if (ms("maxReconnectDelay") || ms("reconnectDelay")) config.maxReconnectDelay = Math.max(ms("maxReconnectDelay") ?? 0, ms("reconnectDelay") ?? 0);
  const ws = rt.connect(config);
  let sent = 0;
  let received = 0;
  const render = (s) => {
    const waiting = s.status === "reconnecting" ? (s.nextDelay ? `next in ${(s.nextDelay / 1000).toFixed(1)}s` : "dialing") : "";
    pill($("status"), s.status, waiting);
    $("attempt").textContent = s.status === "reconnecting" ? `${s.attempt}${waiting ? `, ${waiting}` : ""}` : "—";
    $("queued").textContent = String(s.queued);
    $("connect").disabled = s.status !== "disconnected" && s.status !== "error";
    $("disconnect").disabled = s.status === "disconnected";
    problem($("problem"), s.status === "connected" ? null : s.error);
  };
  render(ws.state);
  ws.onState(render);
  ws.onError((err) => problem($("problem"), err));
  $("connect").onclick = () => ws.connect();
  $("disconnect").onclick = () => ws.disconnect();
  $("reconnect").onclick = () => ws.reconnect();

  // Messages: echo to this tab, broadcast to every tab on the lobby.
  const onMessage = (data, msg) => {
    received++;
    $("received").textContent = String(received);
    const text = data?.from && data.from !== tab ? `${data.from}: ${data.text}` : data?.text ?? JSON.stringify(data);
    logLine(msg.channel, text, msg.id);
  };
  ws.subscribe("echo:embed", onMessage);
  let leaveLobby = ws.subscribe("demo:lobby", onMessage);
  $("listen").onchange = (e) => {
    if (e.target.checked) {
      leaveLobby = ws.subscribe("demo:lobby", onMessage);
    } else {
      leaveLobby();
    }
  };
  const send = (channel) => {
    const input = $("message");
    const text = input.value.trim();
    if (!text) return;
    try {
      ws.publish(channel, { text, from: tab });
      sent++;
      $("sent").textContent = String(sent);
      input.value = "";
      problem($("problem"), null);
    } catch (err) {
      problem($("problem"), err);
    }
  };
  $("send-form").onsubmit = (e) => {
    e.preventDefault();
    send("echo:embed");
  };
  $("broadcast").onclick = () => send("demo:lobby");

  // The ticker: Server-Sent Events that resume after a drop.
  const ticker = rt.eventSource({ url: "/sse/ticker", authToken: token });
  let last = 0;
  let ticks = 0;
  let gaps = 0;
  let resumed = 0;
  let wasOpen = false;
  ticker.onStatus((status) => {
    pill($("ticker-status"), status);
    if (status === "open") {
      wasOpen = true;
    } else if (wasOpen && status === "connecting") {
      wasOpen = false;
      resumed++;
      $("resumed").textContent = String(resumed);
    }
  });
  ticker.onError((err) => problem($("ticker-problem"), ticker.status === "open" ? null : err));
  ticker.on("tick", (event) => {
    const n = Number(event.id);
    if (last && n !== last + 1) gaps++;
    last = n;
    ticks++;
    $("last-id").textContent = event.id;
    $("ticks").textContent = String(ticks);
    $("gaps").textContent = String(gaps);
    problem($("ticker-problem"), null);
  });
  $("drop").onclick = async () => {
    const headers = token ? { Authorization: `Bearer ${token}` } : {};
    const resp = await fetch("/sse/drop", { method: "POST", headers }).catch((err) => err);
    problem($("ticker-problem"), resp instanceof Error ? resp : resp.ok ? null : new Error(`drop: ${resp.status}`));
  };
}

main();
