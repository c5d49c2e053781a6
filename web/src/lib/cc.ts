// Wire types of the contact center's calls, tasks, queues and board (/api/v1), and the pure
// rules the screens apply to them: durations, SLA states, the weekly-hours form, recording
// links, the mixed inbox timeline.
import type { Channel, Contact, PatientRequest, RequestStatus } from './types';

export const CALL_RESULTS = ['answered', 'missed', 'abandoned'] as const;
export type CallResult = (typeof CALL_RESULTS)[number];
export const CALL_DIRECTIONS = ['inbound', 'outbound'] as const;
export type CallDirection = (typeof CALL_DIRECTIONS)[number];
/** A call's state; result is set once it ended. */
export const CALL_STATES = ['started', 'ringing', 'answered', 'ended'] as const;

/** A call as the call log shows it (GET /calls). caller is masked for viewers without patients.read_pd. */
export interface CallView {
  id: string;
  direction: CallDirection | string;
  caller: string;
  line: string;
  extension: string;
  operator_id: string;
  operator_name: string;
  queue_id: string;
  state: string;
  result: CallResult | '' | string;
  started_at: string;
  answered_at: string | null;
  ended_at: string | null;
  duration_seconds: number;
  recording_url: string;
  request_id: string;
  contact: Contact | null;
  masked: boolean;
}

export interface CallPage {
  items: CallView[];
  next_cursor: string | null;
}

/** A request in a pop-up or a timeline: no message text. */
export interface RequestBrief {
  id: string;
  channel: Channel;
  status: RequestStatus;
  created_at: string;
}

export interface CallBrief {
  id: string;
  direction: string;
  result: string;
  state: string;
  started_at: string;
  duration_seconds: number;
}

/** The incoming-call card ("call.ringing", GET /calls/{id}/popup). */
export interface CallPopup {
  call: CallView;
  open_requests: RequestBrief[];
  recent_calls: CallBrief[];
  open_tasks: number;
}

export const TASK_KINDS = ['callback', 'noshow', 'follow_up'] as const;
export type TaskKind = (typeof TASK_KINDS)[number];
export const TASK_STATUSES = ['open', 'done', 'cancelled'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export interface Task {
  id: string;
  kind: TaskKind | string;
  status: TaskStatus | string;
  contact: Contact | null;
  request_id: string;
  call_id: string;
  queue_id: string;
  assignee_id: string;
  note: string;
  attempts: number;
  due_at: string;
  overdue: boolean;
  remind_at: string | null;
  escalated_at: string | null;
  created_at: string;
  updated_at: string;
  closed_at: string | null;
  closed_by: string;
  close_reason: string;
}

export interface TaskPage {
  items: Task[];
  next_cursor: string | null;
}

/**
 * A request's task list after a task frame: the task replaces its copy unless that copy is newer
 * (a frame can trail the list it arrives after), a new one of the request joins at the top, and
 * one that no longer belongs to the request (moved by a merge) leaves.
 */
export function applyTaskFrame(list: readonly Task[], task: Task, requestId: string): Task[] {
  const held = list.find((x) => x.id === task.id);
  if (held && Date.parse(held.updated_at) > Date.parse(task.updated_at)) return [...list];
  if (task.request_id !== requestId) return list.filter((x) => x.id !== task.id);
  return held ? list.map((x) => (x.id === task.id ? task : x)) : [task, ...list];
}

export interface NewTask {
  kind: TaskKind;
  request_id?: string;
  contact_id?: string;
  note: string;
  due_at: string;
  remind_at?: string;
  assignee_id?: string;
}

export interface TaskChange {
  assignee_id?: string;
  status?: TaskStatus;
  reason?: string;
  due_at?: string;
}

export const PRESENCES = ['online', 'away', 'offline'] as const;
export type Presence = (typeof PRESENCES)[number];

/** An operator with presence and load (GET /operators, the board). */
export interface OperatorView {
  user_id: string;
  login: string;
  name: string;
  role: string;
  extension: string;
  presence: Presence | string;
  presence_at: string | null;
  open_requests: number;
  open_tasks: number;
  overdue_tasks: number;
}

export const STRATEGIES = ['manual', 'round_robin', 'least_loaded'] as const;
export type Strategy = (typeof STRATEGIES)[number];

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** A queue's working hours (internal/contactcenter/workhours Spec). */
export interface HoursSpec {
  tz: string;
  always_open?: boolean;
  week?: Record<Weekday, string[]>;
  calendar?: string;
  extra_holidays?: string[];
  days?: { date: string; hours: string[] }[];
}

export interface Queue {
  id: string;
  name: string;
  strategy: Strategy | string;
  hours: HoursSpec | null;
  first_response_sla_seconds: number;
  resolution_sla_seconds: number;
  callback_sla_seconds: number;
  members: string[];
  position: number;
}

export type QueueInput = Omit<Queue, 'id'>;

export interface RoutingRule {
  id?: string;
  position: number;
  channel: string;
  line: string;
  source: string;
  specialty: string;
  branch: string;
  queue_id: string;
}

/**
 * The rules with the one at index moved one place up (-1) or down (+1), numbered again in their new
 * order (the order they are tried). Moving past either end changes nothing.
 */
export function moveRule(rules: readonly RoutingRule[], index: number, by: -1 | 1): RoutingRule[] {
  const to = index + by;
  const out = [...rules];
  if (index >= 0 && index < rules.length && to >= 0 && to < rules.length) {
    [out[index], out[to]] = [out[to], out[index]];
  }
  return out.map((r, i) => (r.position === i ? r : { ...r, position: i }));
}

export interface LostReason {
  id?: string;
  name: string;
  active: boolean;
  position: number;
}

export interface QueueLoad {
  queue_id: string;
  name: string;
  waiting: number;
  open: number;
  open_callbacks: number;
  overdue_tasks: number;
  breached_sla: number;
  online_operators: number;
}

export interface Board {
  queues: QueueLoad[];
  operators: OperatorView[];
  overdue_task_ids: string[];
  breached_request_ids: string[];
}

export interface TimelineItem {
  kind: 'call' | 'request' | 'task' | string;
  id: string;
  at: string;
  channel?: string;
  status?: string;
  direction?: string;
  result?: string;
  task_kind?: string;
}

export interface ContactCard extends Contact {
  phones: string[];
  emails: string[];
  merged_into: string;
  timeline: TimelineItem[];
}

export interface Comment {
  id: string;
  author_id: string;
  body: string;
  created_at: string;
}

export interface HistoryEntry {
  id: string;
  actor_id: string;
  field: string;
  old: string;
  new: string;
  at: string;
}

export interface RequestTrail {
  comments: Comment[];
  history: HistoryEntry[];
}

export interface RequestChange {
  status?: RequestStatus;
  lost_reason?: string;
  assignee_id?: string;
  queue_id?: string;
  tags?: string[];
}

export const PBX_KINDS = ['generic', 'mango', 'zadarma', 'asterisk'] as const;
export type PbxKind = (typeof PBX_KINDS)[number];

export interface PbxSettings {
  mango_api_key?: string;
  zadarma_key?: string;
  ami_addr?: string;
  ami_username?: string;
  originate_channel?: string;
  originate_context?: string;
  api_base?: string;
}

export interface PbxIntegration {
  id: string;
  kind: PbxKind | string;
  name: string;
  queue_id: string;
  settings: PbxSettings;
  active: boolean;
  webhook_url?: string;
  /** Only in the answer that created the integration or changed its secret. */
  secret?: string;
  has_secret: boolean;
  created_at: string;
}

export interface NewPbx {
  kind: PbxKind;
  name: string;
  queue_id: string;
  secret: string;
  settings: PbxSettings;
}

/** The settings fields each kind asks for, in order; the secret is asked separately. */
export const PBX_FIELDS: Record<PbxKind, (keyof PbxSettings)[]> = {
  generic: [],
  mango: ['mango_api_key'],
  zadarma: ['zadarma_key'],
  asterisk: ['ami_addr', 'ami_username', 'originate_channel', 'originate_context'],
};

/** Whether the kind needs a secret typed in (a generic integration gets one generated). */
export function pbxSecretRequired(kind: PbxKind): boolean {
  return kind !== 'generic';
}

/** The body of POST /telephony/integrations: only the kind's own settings, none empty. */
export function newPbxBody(kind: PbxKind, name: string, queueId: string, secret: string, settings: PbxSettings): NewPbx {
  const own: PbxSettings = {};
  for (const f of PBX_FIELDS[kind]) {
    const v = (settings[f] ?? '').trim();
    if (v) own[f] = v;
  }
  return { kind, name: name.trim(), queue_id: queueId, secret: secret.trim(), settings: own };
}

// ---- Times ----

/** "4:05", "1:02:03"; '—' for nothing. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds) || seconds < 0) return '—';
  const s = Math.floor(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** Seconds as whole minutes for a form (SLA fields are shown in minutes). */
export function secondsToMinutes(seconds: number): number {
  return Math.round(seconds / 60);
}

/** Whole hours and the minutes left: 90 → {1, 30}. */
export function splitMinutes(total: number): { hours: number; minutes: number } {
  const m = Math.max(0, Math.round(total));
  return { hours: Math.floor(m / 60), minutes: m % 60 };
}

export function minutesToSeconds(minutes: number): number {
  return Math.round(minutes * 60);
}

/** A datetime-local input's value ("2026-03-02T14:30") for an instant, in the browser's zone. */
export function toLocalInput(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** An RFC 3339 instant from a datetime-local value, or null when it is not one. */
export function fromLocalInput(v: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(v)) return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

// ---- SLA ----

export type SlaState = 'met' | 'pending' | 'soon' | 'breached' | 'none';

export interface SlaLine {
  name: 'first_response' | 'resolution';
  due: string | null;
  done: string | null;
  state: SlaState;
}

/** How soon a due time is "soon": the last quarter hour. */
export const SLA_SOON_MS = 15 * 60_000;

/**
 * A request's two SLAs as the page shows them: met (answered or resolved in time), pending,
 * soon (under 15 minutes left), breached (the server said so, or the due time passed without
 * an answer), none (no due time).
 */
export function slaLines(r: Pick<PatientRequest, 'first_response_due' | 'first_response_at' | 'resolution_due' | 'resolved_at' | 'breached'>, now: number): SlaLine[] {
  const breached = r.breached ?? [];
  const one = (name: SlaLine['name'], due: string | null | undefined, done: string | null | undefined): SlaLine => {
    const dueAt = due ? Date.parse(due) : NaN;
    const doneAt = done ? Date.parse(done) : NaN;
    let state: SlaState;
    if (breached.includes(name)) state = 'breached';
    else if (Number.isNaN(dueAt)) state = 'none';
    else if (!Number.isNaN(doneAt)) state = doneAt <= dueAt ? 'met' : 'breached';
    else if (now > dueAt) state = 'breached';
    else if (dueAt - now <= SLA_SOON_MS) state = 'soon';
    else state = 'pending';
    return { name, due: due ?? null, done: done ?? null, state };
  };
  return [one('first_response', r.first_response_due, r.first_response_at), one('resolution', r.resolution_due, r.resolved_at)];
}

// ---- Working hours ----

/** The weekly form: one text per weekday, "08:00-13:00, 14:00-20:00" or empty (closed). */
export type WeekForm = Record<Weekday, string>;

export const DEFAULT_TZ = 'Asia/Yekaterinburg';

export function weekFormOf(spec: HoursSpec | null | undefined): WeekForm {
  const form = Object.fromEntries(WEEKDAYS.map((d) => [d, ''])) as WeekForm;
  if (!spec || spec.always_open) return form;
  for (const d of WEEKDAYS) form[d] = (spec.week?.[d] ?? []).join(', ');
  return form;
}

const INTERVAL = /^([01]\d|2[0-3]):([0-5]\d)-(([01]\d|2[0-3]):([0-5]\d)|24:00)$/;

/**
 * The spec from the weekly form, keeping what the form does not edit (the zone, the calendar,
 * holidays, dated days). Errors name the weekday: { mon: 'bad' }.
 */
export function specFromWeekForm(
  form: WeekForm,
  base: HoursSpec | null | undefined,
  alwaysOpen: boolean,
): { spec: HoursSpec; errors: Partial<Record<Weekday, string>> } {
  const errors: Partial<Record<Weekday, string>> = {};
  const tz = base?.tz || DEFAULT_TZ;
  if (alwaysOpen) return { spec: { tz, always_open: true }, errors };
  const week = {} as Record<Weekday, string[]>;
  for (const d of WEEKDAYS) {
    const parts = form[d]
      .split(/[,;\s]+/)
      .map((p) => p.trim().replace(/[–—]/g, '-'))
      .filter(Boolean);
    for (const p of parts) {
      const m = INTERVAL.exec(p);
      if (!m || `${m[1]}:${m[2]}` >= (m[3] === '24:00' ? '24:00' : `${m[4]}:${m[5]}`)) {
        errors[d] = p;
        break;
      }
    }
    week[d] = parts;
  }
  const spec: HoursSpec = { tz, week, calendar: base?.always_open ? 'ru' : (base?.calendar ?? 'ru') };
  if (base?.extra_holidays?.length) spec.extra_holidays = base.extra_holidays;
  if (base?.days?.length) spec.days = base.days;
  return { spec, errors };
}

// ---- Calls ----

/** A recording the browser can open: http(s) only (a provider's bare recording id is not a link). */
export function recordingHref(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : null;
  } catch {
    return null;
  }
}

/** The key of a call's outcome label: its result once ended, else its state (ringing, answered). */
export function callOutcomeKey(c: Pick<CallView, 'state' | 'result'>): string {
  if (c.result && (CALL_RESULTS as readonly string[]).includes(c.result)) return `call.result.${c.result}`;
  if ((CALL_STATES as readonly string[]).includes(c.state)) return `call.state.${c.state}`;
  return '';
}

/** Who calls, as the API gave it: the contact's name, else the number (masked or not). */
export function callerLabel(c: Pick<CallView, 'caller' | 'contact'>): { name: string; phone: string } {
  return { name: c.contact?.name ?? '', phone: c.contact?.phone || c.caller || '' };
}

// ---- The mixed inbox ----

export type InboxKind = 'all' | 'requests' | 'calls' | 'tasks';
export const INBOX_KINDS: readonly InboxKind[] = ['all', 'requests', 'calls', 'tasks'];

export interface TimelineEntry {
  kind: 'request' | 'call' | 'task';
  id: string;
  at: string;
}

/** One list in the mix: its entries, and whether more pages exist beyond them. */
export interface TimelineSource {
  entries: TimelineEntry[];
  more: boolean;
}

const atOf = (e: TimelineEntry) => {
  const t = Date.parse(e.at);
  return Number.isNaN(t) ? 0 : t;
};

export function entryOrder(a: TimelineEntry, b: TimelineEntry): number {
  const d = atOf(b) - atOf(a);
  if (d !== 0) return d;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/**
 * Several newest-first lists as one. A list with more pages is only known down to its oldest
 * loaded entry: the mix stops there, so that nothing older from another list is shown before
 * what that list still has to load.
 */
export function mergeTimeline(sources: TimelineSource[]): { entries: TimelineEntry[]; more: boolean } {
  let floor = -Infinity;
  for (const s of sources) {
    if (!s.more || s.entries.length === 0) continue;
    const oldest = Math.min(...s.entries.map(atOf));
    floor = Math.max(floor, oldest);
  }
  const seen = new Set<string>();
  const all: TimelineEntry[] = [];
  for (const s of sources) {
    for (const e of s.entries) {
      const key = `${e.kind}:${e.id}`;
      if (seen.has(key) || atOf(e) < floor) continue;
      seen.add(key);
      all.push(e);
    }
  }
  all.sort(entryOrder);
  return { entries: all, more: sources.some((s) => s.more) };
}
