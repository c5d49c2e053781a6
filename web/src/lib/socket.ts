// The live connection: one WebSocket to /api/v1/ws that reconnects with back-off and
// tells its owner when it is (re)opened, so that the owner can resync.
import { backoffDelay } from './backoff';
import type { CallPopup, CallView, Task } from './cc';
import type { PatientRequest, User } from './types';

/** Close code the gateway uses for a missing or expired session. */
export const CLOSE_UNAUTHORIZED = 4401;

export const TASK_FRAMES = ['task.created', 'task.updated', 'task.closed', 'task.escalated', 'task.reminder'] as const;
export type TaskFrameType = (typeof TASK_FRAMES)[number];

export type ServerFrame =
  | { type: 'hello'; data: { user: User } }
  | { type: 'request.created'; data: PatientRequest }
  | { type: 'request.updated'; data: PatientRequest }
  | { type: 'request.sla_breached'; data: PatientRequest }
  | { type: 'call.updated'; data: CallView }
  | { type: 'call.ringing'; data: CallPopup }
  | { type: TaskFrameType; data: Task }
  | { type: 'operator.presence'; data: { user_id: string; presence: string } };

export type LiveState = 'live' | 'reconnecting';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function looksLikeRequest(v: unknown): v is PatientRequest {
  return (
    isObject(v) &&
    typeof v.id === 'string' &&
    v.id !== '' &&
    typeof v.status === 'string' &&
    typeof v.channel === 'string' &&
    typeof v.created_at === 'string' &&
    typeof v.updated_at === 'string' &&
    isObject(v.contact)
  );
}

function looksLikeCall(v: unknown): v is CallView {
  return isObject(v) && typeof v.id === 'string' && v.id !== '' && typeof v.state === 'string' && typeof v.started_at === 'string';
}

function looksLikeTask(v: unknown): v is Task {
  return (
    isObject(v) &&
    typeof v.id === 'string' &&
    v.id !== '' &&
    typeof v.kind === 'string' &&
    typeof v.status === 'string' &&
    typeof v.due_at === 'string'
  );
}

function looksLikePopup(v: unknown): v is CallPopup {
  return isObject(v) && looksLikeCall(v.call);
}

/**
 * Parses a server message: one frame, or a JSON array of frames the server sent together.
 * Malformed frames and types this UI does not know are left out.
 */
export function parseMessage(raw: unknown): ServerFrame[] {
  if (typeof raw !== 'string') return [];
  let msg: unknown;
  try {
    msg = JSON.parse(raw);
  } catch {
    return [];
  }
  const all = Array.isArray(msg) ? msg : [msg];
  return all.map(toFrame).filter((f): f is ServerFrame => f !== null);
}

/** Parses a message holding a single server frame; null for anything else. */
export function parseFrame(raw: unknown): ServerFrame | null {
  if (typeof raw !== 'string') return null;
  let msg: unknown;
  try {
    msg = JSON.parse(raw);
  } catch {
    return null;
  }
  return toFrame(msg);
}

function toFrame(msg: unknown): ServerFrame | null {
  if (!isObject(msg) || typeof msg.type !== 'string') return null;
  switch (msg.type) {
    case 'hello':
      return isObject(msg.data) && isObject(msg.data.user)
        ? { type: 'hello', data: { user: msg.data.user as unknown as User } }
        : null;
    case 'request.created':
    case 'request.updated':
    case 'request.sla_breached':
      return looksLikeRequest(msg.data) ? { type: msg.type, data: msg.data } : null;
    case 'call.updated':
      return looksLikeCall(msg.data) ? { type: msg.type, data: msg.data } : null;
    case 'call.ringing':
      if (!looksLikePopup(msg.data)) return null;
      return {
        type: 'call.ringing',
        data: {
          ...msg.data,
          open_requests: Array.isArray(msg.data.open_requests) ? msg.data.open_requests : [],
          recent_calls: Array.isArray(msg.data.recent_calls) ? msg.data.recent_calls : [],
        },
      };
    case 'task.created':
    case 'task.updated':
    case 'task.closed':
    case 'task.escalated':
    case 'task.reminder':
      return looksLikeTask(msg.data) ? { type: msg.type, data: msg.data } : null;
    case 'operator.presence':
      return isObject(msg.data) && typeof msg.data.user_id === 'string' && typeof msg.data.presence === 'string'
        ? { type: 'operator.presence', data: { user_id: msg.data.user_id, presence: msg.data.presence } }
        : null;
    default:
      return null;
  }
}

/** ws: or wss: URL of the socket on the page's own origin. */
export function socketUrl(loc: { protocol: string; host: string }): string {
  return `${loc.protocol === 'https:' ? 'wss:' : 'ws:'}//${loc.host}/api/v1/ws`;
}

/** The part of the browser WebSocket the client uses (a fake in tests). */
export interface SocketLike {
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  close(code?: number, reason?: string): void;
}

export interface LiveSocketOptions {
  url: string;
  /** Called on every successful (re)connect, before any frame. */
  onOpen: () => void;
  onFrame: (frame: ServerFrame) => void;
  onState: (state: LiveState) => void;
  /** The server refused the session (close code 4401); the client stops. */
  onUnauthorized: () => void;
  backoff?: (attempt: number) => number;
  createSocket?: (url: string) => SocketLike;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

export interface LiveSocket {
  /** Skips a pending back-off wait and connects now (e.g. the browser came back online). */
  reconnectNow(): void;
  /** Closes for good. */
  close(): void;
}

export function openLiveSocket(opts: LiveSocketOptions): LiveSocket {
  const backoff = opts.backoff ?? ((n: number) => backoffDelay(n));
  const createSocket = opts.createSocket ?? ((url: string) => new WebSocket(url) as unknown as SocketLike);
  const setTimer = opts.setTimer ?? ((fn: () => void, ms: number) => setTimeout(fn, ms));
  const clearTimer = opts.clearTimer ?? ((h: unknown) => clearTimeout(h as ReturnType<typeof setTimeout>));

  let socket: SocketLike | null = null;
  let timer: unknown = null;
  let attempt = 0;
  let stopped = false;

  const retry = () => {
    opts.onState('reconnecting');
    timer = setTimer(connect, backoff(attempt));
    attempt += 1;
  };

  const connect = () => {
    timer = null;
    if (stopped) return;
    let ws: SocketLike;
    try {
      ws = createSocket(opts.url);
    } catch {
      // The constructor throws on a bad URL or a blocked connection: treat it as a failed attempt.
      retry();
      return;
    }
    socket = ws;
    ws.onopen = () => {
      if (socket !== ws) return;
      attempt = 0;
      opts.onState('live');
      opts.onOpen();
    };
    ws.onmessage = (ev) => {
      if (socket !== ws) return;
      for (const frame of parseMessage(ev.data)) opts.onFrame(frame);
    };
    ws.onerror = () => {
      // A close event always follows; reconnecting is decided there.
    };
    ws.onclose = (ev) => {
      if (socket !== ws) return;
      socket = null;
      if (stopped) return;
      if (ev.code === CLOSE_UNAUTHORIZED) {
        stopped = true;
        opts.onUnauthorized();
        return;
      }
      retry();
    };
  };

  opts.onState('reconnecting');
  connect();

  return {
    reconnectNow() {
      if (stopped || timer === null) return;
      clearTimer(timer);
      connect();
    },
    close() {
      stopped = true;
      if (timer !== null) clearTimer(timer);
      timer = null;
      const ws = socket;
      socket = null;
      ws?.close(1000, 'bye');
    },
  };
}
