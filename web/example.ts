// An example of the whole realtime.js API, type-checked against
// realtime.d.ts by `make typecheck` (tsc --noEmit): if the types and the
// way the module is meant to be used part, the build fails. No page loads
// it.

import {
  loadRealtime,
  RealtimeError,
  type EventSourceConnection,
  type LiveState,
  type Notification,
  type Person,
  type PresenceChanges,
  type PresenceState,
  type QueryStatus,
  type Realtime,
  type RealtimeStats,
  type SSEEvent,
  type WebSocketConfig,
  type WebSocketConnection,
  type WebSocketMessage,
  type WebSocketState,
  type WebSocketStatus,
} from "./realtime.js";

interface DashboardUpdate {
  widget: string;
  value: number;
}

interface Order extends Record<string, unknown> {
  id: string;
  qty: number;
}

function show(...values: unknown[]): void {
  console.log(...values);
}

async function main(): Promise<void> {
  let rt: Realtime;
  try {
    rt = await loadRealtime({ wasmURL: "/web/realtime.wasm", wasmExecURL: new URL("/web/wasm_exec.js", location.href) });
  } catch (err) {
    if (err instanceof RealtimeError && err.code === "load") {
      show("the runtime did not load:", err.message);
    }
    return;
  }

  // WebSocket: the spec's config and context API.
  const config: WebSocketConfig = {
    url: "/ws",
    protocols: ["v1"],
    authToken: "session-token",
    autoReconnect: true,
    maxReconnectAttempts: Infinity,
    reconnectDelay: 1000,
    reconnectDelayMultiplier: 1.5,
    maxReconnectDelay: 30000,
    pingInterval: 30000,
    queueSize: 100,
  };
  const ws: WebSocketConnection = rt.connect(config);
  // A token fetched afresh for each connection, and again after a 4401.
  const refreshed = rt.connect({
    url: "/ws",
    getToken: async () => (await fetch("/session/token")).text(),
  });
  refreshed.close();
  rt.eventSource({ url: "/sse/ticker", getToken: () => "fresh" }).close();
  const status: WebSocketStatus = ws.status;
  const state: WebSocketState = ws.state;
  show(status, state.attempt, state.nextDelay, state.queued, state.error?.code);
  const offStatus = ws.onStatus((s) => show("status", s));
  const offState = ws.onState((s) => show(s.status, s.queued));
  const offError = ws.onError((err) => show(err.code, err.message));

  const unsubscribe = ws.subscribe<DashboardUpdate>("dashboard:updates", (data, message) => {
    show(data.widget, data.value, message.id, message.timestamp);
  });
  const message: WebSocketMessage<DashboardUpdate> = {
    type: "publish",
    channel: "dashboard:updates",
    data: { widget: "revenue", value: 42 },
  };
  try {
    ws.send(message);
  } catch (err) {
    if (err instanceof RealtimeError && err.code === "queue_full") {
      show("offline for too long");
    }
  }
  ws.publish("echo:me", { text: "hello" });
  const ack: WebSocketMessage = await ws.request({ type: "publish", channel: "echo:me", data: 1 }, { timeout: 5000 });
  show(ack.type, ack.ref, ws.channels());
  unsubscribe();
  ws.unsubscribe("dashboard:updates");
  ws.disconnect();
  ws.connect();
  ws.reconnect();

  // Server-Sent Events.
  const stream: EventSourceConnection = rt.eventSource({
    url: "/sse/answer",
    method: "POST",
    body: { prompt: "Why is this query slow?" },
    authToken: "session-token",
    retryDelay: 3000,
    idleTimeout: 0,
    maxReconnectAttempts: -1,
    closeWhenHidden: true,
  });
  stream.on("token", (ev: SSEEvent) => show(ev.data, ev.id));
  stream.onMessage((ev) => show(ev.type));
  stream.onStatus((s) => show(s === "open"));
  stream.onState((s) => show(s.retry, s.lastEventId));
  stream.onError((err) => show(err.code));
  show(stream.status, stream.lastEventId, stream.state.attempt);
  stream.reconnect();
  stream.open();
  stream.close();

  // Presence, and a head count for large rooms.
  const me = rt.presence(ws, "doc-42", { user: "ann", name: "Ann", color: "#c33", extra: { cursor: 3 } }, { idleAfter: 30000 });
  me.onChange((st: PresenceState, changes: PresenceChanges, people: Person[]) => {
    show(Object.keys(st), changes.joined, people.map((p) => `${p.name ?? p.user}: ${p.status} (${p.sessions})`));
  });
  me.onError((err) => show(err.code === "room_full"));
  me.update({ extra: { cursor: 7 } });
  me.setStatus("away");
  show(me.session, me.resource, me.state, me.people.length);
  me.leave();
  const count = rt.presenceCount(ws, "dashboard-7");
  count.onChange(({ users, sessions }) => show(users, sessions));
  show(count.users + count.sessions);
  count.close();

  // Notifications.
  const inbox = rt.notifications(ws, "ann", { cap: 100, toasts: true, toastLife: 4000, maxToasts: 3 });
  inbox.onNotification((n: Notification) => show(n.severity, n.title, n.action?.url));
  inbox.onChange(() => show(inbox.unread().total, inbox.unread().bySeverity.error ?? 0));
  inbox.onToasts(() => show(inbox.toasts().visible.map((t) => t.title), inbox.toasts().queued));
  const errors: Notification[] = inbox.list({ severity: ["error", "warning"], state: ["unseen", "seen"] });
  const first = errors[0];
  if (first) {
    inbox.markRead(first.id);
    inbox.archive(first.id);
    inbox.dismissToast(first.id);
    show(inbox.get(first.id)?.state);
  }
  inbox.markSeen();
  inbox.markAllRead();
  inbox.pauseToasts();
  inbox.resumeToasts("hover");
  inbox.clear();
  inbox.close();

  // Query status.
  const queries = rt.queries(ws);
  queries.onChange((q: QueryStatus) => show(q.id, q.state, q.progress.known ? q.progress.percent : "?", q.error?.message));
  queries.track("q-1042");
  show(queries.get("q-1042")?.state, queries.list().length);
  await queries.cancel("q-1042").catch((err: RealtimeError) => show(err.code === "already_finished"));
  queries.untrack("q-1042");
  queries.close();

  // Live feeds.
  const orders = rt.live<Order>(ws, "orders", { frame: 16, pauseWhenHidden: true, poll: true });
  orders.onChange((s: LiveState<Order>) => show(s.status, s.items.map((o) => o.qty), s.staleSince, s.error?.message));
  orders.onError((err) => show(err.code));
  orders.pause();
  orders.resume();
  orders.resync();
  show(orders.feed, orders.status, orders.state.key, orders.stats().deltas);
  orders.close();

  const stats: RealtimeStats = rt.stats();
  show(stats.connection ?? 0, stats.channels ?? 0);
  offStatus();
  offState();
  offError();
  ws.close();
  rt.shutdown();

  // What the types refuse.
  // @ts-expect-error: a status the spec does not have
  const wrong: WebSocketStatus = "open";
  // @ts-expect-error: durations are numbers of milliseconds
  rt.connect({ url: "/ws", reconnectDelay: "1s" });
  // @ts-expect-error: the url is required
  rt.connect({ authToken: "t" });
  // @ts-expect-error: getToken gives a string
  rt.connect({ url: "/ws", getToken: () => 42 });
  // @ts-expect-error: a message needs a type
  ws.send({ channel: "a:b", data: 1 });
  // @ts-expect-error: presence needs a user
  rt.presence(ws, "doc", { name: "nobody" });
  show(wrong);
}

void main();
