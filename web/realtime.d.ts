// Types of realtime.js: the realtime runtime (realtime.wasm) for JavaScript
// pages. The names follow the spec's types (WebSocketConfig,
// WebSocketStatus, WebSocketMessage<T>, ...). Durations are milliseconds.
//
// Rules that hold for the whole API:
// - A bad argument or configuration throws at once: a TypeError for a value
//   of the wrong JavaScript type, a RealtimeError (code "config") with the
//   runtime's validation message otherwise.
// - A failed asynchronous call rejects with a RealtimeError.
// - Problems that do not end an object (a malformed frame, a refused
//   subscription) go to its onError listeners, or to console.warn when it
//   has none: never silently.
// - Every on*(fn) returns the function that removes fn.
// - Handlers run from a microtask, one at a time, never inside another
//   call of this API; one that throws is reported (reportError) and the
//   others still run.
// - close() releases everything an object holds; closing a connection
//   closes what was opened over it (presence, notifications, queries,
//   live feeds). No handler runs after close() returned.

/** What a RealtimeError is about; the server's own codes pass through. */
export type RealtimeErrorCode =
  | "load" // realtime.js could not fetch or start realtime.wasm
  | "exited" // realtime.wasm stopped (a crash: see the console)
  | "shutdown" // shutdown() was called
  | "config" // a configuration or options object is invalid
  | "bad_argument" // an argument is malformed (a channel not of the form kind:name, ...)
  | "closed" // the object, or its connection, was closed
  | "queue_full" // queueSize messages already wait for the connection
  | "message_too_big" // the encoded message is over maxMessageSize
  | "bad_message" // a message without a type, or a line from the server that is not JSON
  | "heartbeat_timeout" // the connection stopped answering pings
  | "gave_up" // maxReconnectAttempts failed in a row
  | "unauthorized" // the server closed with 4401: the token is refused; no retry (one, with getToken)
  | "token" // getToken failed
  | "forbidden" // the server closed with 4403; no retry
  | "connection_closed" // the server closed the connection (it reconnects)
  | "timeout" // no answer in time
  | "not_found" // no such notification
  | "backwards" // a notification's state only moves forward
  | "not_tracked" // the query is not tracked
  | "unknown_query"
  | "already_finished"
  | "no_content" // an event stream answered 204: it is over
  | "idle_timeout"
  | "stream_ended"
  | "too_long"
  | "internal" // a bug in the runtime; the module goes on
  | "error"
  | (string & {}); // the server's codes: room_full, forbidden, http_401, ...

export class RealtimeError extends Error {
  constructor(message: string, code?: RealtimeErrorCode, options?: ErrorOptions);
  readonly name: "RealtimeError";
  readonly code: RealtimeErrorCode;
}

export interface LoadOptions {
  /** Where realtime.wasm is. Default: beside realtime.js. */
  wasmURL?: string | URL;
  /** Where Go's wasm_exec.js is, when the page has not loaded it. Default: beside realtime.js. */
  wasmExecURL?: string | URL;
}

/**
 * Fetches and starts realtime.wasm, once per page: later calls resolve to
 * the same API. Rejects with a RealtimeError (code "load") saying what
 * failed: the fetch (with the HTTP status) or the instantiation.
 */
export function loadRealtime(options?: LoadOptions): Promise<Realtime>;

export interface Realtime {
  readonly RealtimeError: typeof RealtimeError;

  /**
   * Opens a WebSocket connection and starts connecting: the spec's
   * WebSocketProvider. Throws a RealtimeError (code "config") for a bad
   * config.
   */
  connect(config: WebSocketConfig): WebSocketConnection;

  /** Opens a Server-Sent Events stream that resumes after every drop. */
  eventSource(config: EventSourceConfig): EventSourceConnection;

  /** Makes this page present on resource, over connection. */
  presence(connection: WebSocketConnection, resource: string, meta: PresenceMetaInput, options?: PresenceOptions): Presence;

  /** Follows only how many are on resource (for large rooms). */
  presenceCount(connection: WebSocketConnection, resource: string): PresenceCount;

  /** Receives user's notifications over connection. */
  notifications(connection: WebSocketConnection, user: string, options?: NotificationsOptions): Notifications;

  /** Follows SQL queries' status over connection. */
  queries(connection: WebSocketConnection): Queries;

  /** Subscribes to a live data feed over connection: a snapshot, then deltas. */
  live<T extends LiveItem = LiveItem>(connection: WebSocketConnection, feed: string, options?: LiveOptions): LiveFeed<T>;

  /**
   * Counts the open objects by kind, the channels subscribed to, and the
   * functions the runtime holds for the page's events: for tests and
   * diagnostics. A count of none is left out: with nothing open, funcs goes
   * too, or something leaks.
   */
  stats(): RealtimeStats;

  /** Closes everything and releases the module's functions; every later call throws (code "shutdown"). A later loadRealtime starts a fresh runtime. */
  shutdown(): void;
}

export interface RealtimeStats {
  connection?: number;
  channels?: number;
  stream?: number;
  presence?: number;
  count?: number;
  notifications?: number;
  queries?: number;
  live?: number;
  /** Functions the runtime holds for the page's events (listeners on sockets, window and document; fetch and frame callbacks). */
  funcs?: number;
  [kind: string]: number | undefined;
}

// WebSocket -------------------------------------------------------------

export interface WebSocketConfig {
  /** ws://, wss://, or relative to the page ("/ws" becomes ws://host/ws, wss on https). */
  url: string;
  protocols?: string[];
  /** Browsers cannot set WebSocket headers: these are not sent (a warning says so). */
  headers?: Record<string, string>;
  /** Sent as the subprotocol "bearer.<token>", or the query parameter token. */
  authToken?: string;
  /**
   * Asked for the token before every connection, in place of authToken,
   * so that each carries a fresh one. A rejection (or no answer within
   * dialTimeout) ends the connecting with the code "token". A 4401 close
   * (the token expired, or was refused) is then not final: getToken is
   * asked again and the connection made at once, once.
   */
  getToken?: () => string | Promise<string>;
  /** Default: true. */
  autoReconnect?: boolean;
  /** Default: 10. 0: no reconnect; -1 or Infinity: no limit. */
  maxReconnectAttempts?: number;
  /** Default: 1000. */
  reconnectDelay?: number;
  /** Default: 1.5. */
  reconnectDelayMultiplier?: number;
  /** Default: 30000. */
  maxReconnectDelay?: number;
  /** Default: 30000; 0 turns heartbeats off. */
  pingInterval?: number;
  /** Default: 100. */
  queueSize?: number;
  /** How long after a ping the connection may stay silent. Default: 10000, or pingInterval when shorter. */
  pingTimeout?: number;
  /** Spreads reconnect delays by up to this fraction either way. Default: 0. */
  reconnectJitter?: number;
  /** Largest encoded message send accepts. Default: 65536; -1 or Infinity: no limit. */
  maxMessageSize?: number;
  /** Bounds one connection attempt. Default: 10000. */
  dialTimeout?: number;
}

export type WebSocketStatus = "connecting" | "connected" | "disconnected" | "reconnecting" | "error";

/** The protocol's envelope. */
export interface WebSocketMessage<T = unknown> {
  /** "publish", "message", "ack", ... or a namespaced type ("presence.diff"). */
  type: string;
  /** "kind:name", e.g. "dashboard:updates". */
  channel?: string;
  data?: T;
  /** Set by the server on what it fans out; increasing per channel. */
  id?: string;
  /** Pairs a request with its ack or error. */
  ref?: string;
  /** Unix milliseconds. */
  timestamp?: number;
}

export interface WebSocketState {
  status: WebSocketStatus;
  /** The reconnect attempt under way or scheduled; 0 when none. */
  attempt: number;
  /** The delay before that attempt; 0 while it dials. */
  nextDelay: number;
  /** Messages waiting for the connection. */
  queued: number;
  /** Why the connection dropped or the client gave up. */
  error: RealtimeError | null;
}

export type Unsubscribe = () => void;
export type Remove = () => void;

/** The spec's WebSocketContextType, plus what a page without React needs. */
export interface WebSocketConnection {
  readonly status: WebSocketStatus;
  readonly state: WebSocketState;
  readonly closed: boolean;
  /** Called after every change of status (the spec's useWebSocketStatus). */
  onStatus(fn: (status: WebSocketStatus) => void): Remove;
  /** Called after every change of status, attempt or queue. */
  onState(fn: (state: WebSocketState) => void): Remove;
  /** Problems that do not end the connection: malformed frames, refused subscriptions. */
  onError(fn: (error: RealtimeError) => void): Remove;
  /**
   * Sends message, or queues it while disconnected. Throws a RealtimeError:
   * "queue_full", "message_too_big", "bad_message", "closed".
   */
  send<T>(message: WebSocketMessage<T>): void;
  /** send({ type: "publish", channel, data }). */
  publish<T>(channel: string, data: T): void;
  /** Sends message with a fresh ref; resolves with the server's ack, rejects with its error. Default timeout: 10000. */
  request<T>(message: WebSocketMessage<T>, options?: { timeout?: number }): Promise<WebSocketMessage>;
  /**
   * Calls handler with the data of every message of channel (and the whole
   * message), now and after every reconnect, until the returned function is
   * called: no message reaches handler after that. After a reconnect the
   * channel resumes after the last message received, each message once; when
   * the server no longer keeps what was missed, handler gets an "error"
   * message of code "history_lost" first, then what it keeps.
   */
  subscribe<T>(channel: string, handler: (data: T, message: WebSocketMessage<T>) => void): Unsubscribe;
  /** Removes every handler of channel. */
  unsubscribe(channel: string): void;
  /** The channels with a handler. */
  channels(): string[];
  connect(): void;
  disconnect(): void;
  reconnect(): void;
  close(): void;
}

// Server-Sent Events ----------------------------------------------------

export interface EventSourceConfig {
  /** http://, https://, or relative to the page. */
  url: string;
  /** Default: "GET". */
  method?: "GET" | "POST";
  /** Sent with a POST on every connection; an object is sent as JSON. */
  body?: string | object;
  headers?: Record<string, string>;
  /** Sent as "Authorization: Bearer <token>". */
  authToken?: string;
  /**
   * Asked for the token before every request, in place of authToken: a
   * stream the server ends as its token expires comes back with a fresh
   * one. A rejection ends the stream with the code "token"; a 401 is
   * then retried at once with another token, once.
   */
  getToken?: () => string | Promise<string>;
  /** The id to resume from on the first connection. */
  lastEventId?: string;
  /** Default: 3000; the server's retry field replaces it. */
  retryDelay?: number;
  /** Default: 1.5. */
  reconnectDelayMultiplier?: number;
  /** Default: 30000. */
  maxRetryDelay?: number;
  /** Default: 10; -1 or Infinity: no limit. */
  maxReconnectAttempts?: number;
  /** Default: 45000; 0 turns the check off. */
  idleTimeout?: number;
  /** Default: 1 MiB. */
  maxEventSize?: number;
  /** Closes the stream while the page is hidden and resumes it when shown. Default: false. */
  closeWhenHidden?: boolean;
}

export type EventSourceStatus = "connecting" | "open" | "closed" | "error";

export interface SSEEvent {
  /** The event's name; "message" when the stream gives none. */
  type: string;
  data: string;
  /** The last event id as of this event. */
  id: string;
}

export interface EventSourceState {
  status: EventSourceStatus;
  attempt: number;
  nextDelay: number;
  /** The reconnection time in force. */
  retry: number;
  lastEventId: string;
  error: RealtimeError | null;
}

export interface EventSourceConnection {
  readonly status: EventSourceStatus;
  readonly state: EventSourceState;
  readonly lastEventId: string;
  readonly closed: boolean;
  /** Events of one type ("" is "message"). */
  on(type: string, handler: (event: SSEEvent) => void): Remove;
  /** Every event, whatever its type. */
  onMessage(handler: (event: SSEEvent) => void): Remove;
  onStatus(fn: (status: EventSourceStatus) => void): Remove;
  onState(fn: (state: EventSourceState) => void): Remove;
  /** Every failure, retried or not. */
  onError(fn: (error: RealtimeError) => void): Remove;
  /** Opens again after "closed" or "error". */
  open(): void;
  reconnect(): void;
  close(): void;
}

// Presence --------------------------------------------------------------

export type PresenceStatus = "active" | "idle" | "away";

export interface PresenceMeta {
  session: string;
  user: string;
  name?: string;
  color?: string;
  status?: PresenceStatus;
  extra?: Record<string, unknown>;
  /** When the session joined, Unix ms (server time). */
  onlineAt?: number;
}

export interface PresenceMetaInput {
  user: string;
  /** Default: a random one, kept for the tracker's life. */
  session?: string;
  name?: string;
  color?: string;
  status?: PresenceStatus;
  extra?: Record<string, unknown>;
}

export type PresenceUpdate = Partial<Pick<PresenceMeta, "name" | "color" | "status" | "extra">>;

/** User id -> one meta per session. */
export type PresenceState = Record<string, PresenceMeta[]>;

export interface PresenceChanges {
  joined: string[];
  left: string[];
  updated: string[];
}

export interface Person {
  user: string;
  name?: string;
  color?: string;
  /** The most present of their sessions. */
  status: PresenceStatus;
  sessions: number;
}

export interface PresenceOptions {
  /** Follow input and visibility (active, idle, away) and leave on pagehide. Default: true. */
  activity?: boolean;
  /** No input for this long makes the session idle. Default: 60000. */
  idleAfter?: number;
  /** Spaces metadata updates. Default: 100. */
  throttle?: number;
}

export interface Presence {
  readonly resource: string;
  readonly session: string;
  readonly state: PresenceState;
  readonly people: Person[];
  readonly closed: boolean;
  onChange(fn: (state: PresenceState, changes: PresenceChanges, people: Person[]) => void): Remove;
  /** A refused join (room_full, bad_presence). */
  onError(fn: (error: RealtimeError) => void): Remove;
  update(meta: PresenceUpdate): void;
  setStatus(status: PresenceStatus): void;
  /** close(). */
  leave(): void;
  close(): void;
}

export interface PresenceCount {
  readonly resource: string;
  readonly users: number;
  readonly sessions: number;
  readonly closed: boolean;
  onChange(fn: (count: { users: number; sessions: number }) => void): Remove;
  onError(fn: (error: RealtimeError) => void): Remove;
  close(): void;
}

// Notifications ---------------------------------------------------------

export type NotificationSeverity = "info" | "success" | "warning" | "error";
export type NotificationState = "unseen" | "seen" | "read" | "archived";

export interface Notification {
  id: string;
  seq: number;
  severity: NotificationSeverity;
  title: string;
  body?: string;
  /** Unix ms. */
  time: number;
  action?: { label: string; url: string };
  state: NotificationState;
}

export interface NotificationFilter {
  severity?: NotificationSeverity[];
  /** Default: every state but archived. */
  state?: NotificationState[];
}

export interface UnreadCounts {
  total: number;
  bySeverity: Partial<Record<NotificationSeverity, number>>;
}

export interface NotificationsOptions {
  /** How many notifications are kept. Default: 200. */
  cap?: number;
  /** Show new notifications as toasts. Default: true. */
  toasts?: boolean;
  /** How long a toast stays (errors stay until dismissed). Default: 4000. */
  toastLife?: number;
  /** Toasts shown at once; the rest wait. Default: 3. */
  maxToasts?: number;
}

export interface Notifications {
  readonly user: string;
  readonly closed: boolean;
  /** Newest first. */
  list(filter?: NotificationFilter): Notification[];
  get(id: string): Notification | null;
  unread(): UnreadCounts;
  toasts(): { visible: Notification[]; queued: number };
  /** The store changed: read list() or unread() again. */
  onChange(fn: () => void): Remove;
  /** A notification arrived. */
  onNotification(fn: (notification: Notification) => void): Remove;
  /** The toasts changed: read toasts() again. */
  onToasts(fn: () => void): Remove;
  onError(fn: (error: RealtimeError) => void): Remove;
  markSeen(): void;
  markRead(id: string): void;
  markAllRead(): void;
  archive(id: string): void;
  clear(): void;
  dismissToast(id: string): void;
  /** Holds the toasts' countdowns while reason holds. Default reason: "hover". */
  pauseToasts(reason?: string): void;
  resumeToasts(reason?: string): void;
  close(): void;
}

// Query status ----------------------------------------------------------

export type QueryState = "queued" | "planning" | "running" | "finishing" | "succeeded" | "failed" | "cancelled";

export interface QueryStatus {
  id: string;
  sql?: string;
  state: QueryState;
  version: number;
  progress: {
    /** 0 to 100, when known. */
    percent: number;
    known: boolean;
    rows: number;
    bytes: number;
    totalRows?: number;
  };
  submittedAt?: number;
  startedAt?: number;
  updatedAt?: number;
  finishedAt?: number;
  error?: { code: string; message: string };
  /** Why the query cannot be followed (the server does not know it). */
  trackingError?: string;
}

export interface Queries {
  readonly closed: boolean;
  track(id: string): void;
  untrack(id: string): void;
  get(id: string): QueryStatus | null;
  /** Most recently tracked first. */
  list(): QueryStatus[];
  /** Resolves once the server cancelled it; rejects with "already_finished", "unknown_query", "not_tracked". */
  cancel(id: string, options?: { timeout?: number }): Promise<void>;
  onChange(fn: (query: QueryStatus) => void): Remove;
  onError(fn: (error: RealtimeError) => void): Remove;
  close(): void;
}

// Live feeds ------------------------------------------------------------

export type LiveItem = Record<string, unknown>;

export type LiveStatus = "loading" | "live" | "stale" | "paused" | "polling";

export interface LiveState<T extends LiveItem = LiveItem> {
  feed: string;
  status: LiveStatus;
  /**
   * An item equal to the item of the same key in the state before is that
   * same object, so a view can skip what it drew last (React.memo, a
   * table's row).
   */
  items: T[];
  /** The key field of the items. */
  key: string;
  /** The bound on items; 0 for none. */
  max: number;
  seq: number;
  /** When the data last changed, Unix ms; 0 before any. */
  updated: number;
  /** When the data stopped being current, Unix ms; 0 while it is. */
  staleSince: number;
  error: RealtimeError | null;
}

export interface LiveOptions {
  /** Least time between two renders (onChange calls). Default: 16. */
  frame?: number;
  /** Render on animation frames instead. Default: false. */
  animationFrame?: boolean;
  /** Stop rendering while the page is hidden. Default: false. */
  pauseWhenHidden?: boolean;
  /** Poll the feed over HTTP (beside the WebSocket's address) when the WebSocket cannot connect. Default: false. */
  poll?: boolean;
  /** Poll this address instead. */
  pollURL?: string;
  /** Default: 5000. */
  pollAfter?: number;
  /** Default: 2000. */
  pollInterval?: number;
}

export interface LiveStats {
  snapshots: number;
  deltas: number;
  gaps: number;
  resyncs: number;
  polls: number;
  renders: number;
  coalesced: number;
}

export interface LiveFeed<T extends LiveItem = LiveItem> {
  readonly feed: string;
  readonly status: LiveStatus;
  readonly state: LiveState<T>;
  readonly closed: boolean;
  /** At most once per frame, with the latest state. */
  onChange(fn: (state: LiveState<T>) => void): Remove;
  onError(fn: (error: RealtimeError) => void): Remove;
  pause(): void;
  resume(): void;
  /** Asks for a fresh snapshot. */
  resync(): void;
  stats(): LiveStats;
  close(): void;
}
