// Booking from the window: the slot search's query, slots grouped by the clinic's day, the
// 409 alternatives. Pure functions; the dialog and the store use them.
import type { ApiError } from './api';
import type { Lang } from './i18n';
import type { MisSlot } from './types';

/** The clinic's time zone: slots are shown and grouped by its days. */
export const CLINIC_TZ = 'Asia/Yekaterinburg';
/** Its UTC offset (Yekaterinburg has kept +05:00 all year since 2014), for day bounds in a query. */
export const CLINIC_OFFSET = '+05:00';
/** Days searched by default, after today. */
export const DEFAULT_RANGE_DAYS = 7;
/** The widest range the API accepts between from and to. */
export const MAX_RANGE_DAYS = 14;

/** A slot search as the dialog holds it: ids ('' = any) and calendar days YYYY-MM-DD in the clinic. */
export interface SlotSearch {
  specialty: string;
  branch?: string;
  doctor?: string;
  /** First day, inclusive. */
  fromDay: string;
  /** Last day, inclusive. */
  toDay: string;
  limit?: number;
}

const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

const dayFormat = new Intl.DateTimeFormat('en-CA', { timeZone: CLINIC_TZ, year: 'numeric', month: '2-digit', day: '2-digit' });
const timeFormat = new Intl.DateTimeFormat('en-GB', { timeZone: CLINIC_TZ, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });

/** The clinic's calendar day of an instant: "2026-11-23". '' for an unreadable time. */
export function clinicDay(at: string | Date): string {
  const d = typeof at === 'string' ? new Date(at) : at;
  if (Number.isNaN(d.getTime())) return '';
  const parts = Object.fromEntries(dayFormat.formatToParts(d).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day}`;
}

/** "10:30" in the clinic's time zone. */
export function clinicTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : timeFormat.format(d);
}

/** A calendar day plus n days (n may be negative). */
export function addDays(day: string, n: number): string {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

/** Whole days from a to b (b − a). */
export function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000);
}

/** The default range: today .. today + 7 days, in the clinic. */
export function defaultRange(now: Date = new Date()): { fromDay: string; toDay: string } {
  const today = clinicDay(now);
  return { fromDay: today, toDay: addDays(today, DEFAULT_RANGE_DAYS) };
}

/** What is wrong with a range ('order', 'tooLong', 'invalid'), or null when it can be searched. */
export function rangeProblem(fromDay: string, toDay: string): 'invalid' | 'order' | 'tooLong' | null {
  if (!DAY_RE.test(fromDay) || !DAY_RE.test(toDay)) return 'invalid';
  const days = daysBetween(fromDay, toDay);
  if (days < 0) return 'order';
  // to is the end of the last day: the span is days + 1.
  if (days + 1 > MAX_RANGE_DAYS) return 'tooLong';
  return null;
}

/**
 * The slot search's query string: specialty, branch and doctor when chosen, and from/to as
 * RFC 3339 times at the clinic's midnights (to = the end of the last day). A range starting
 * today starts now instead, so no past slot is offered.
 */
export function slotQuery(s: SlotSearch, now: Date = new Date()): string {
  const q = new URLSearchParams();
  if (s.specialty) q.set('specialty', s.specialty);
  if (s.branch) q.set('branch', s.branch);
  if (s.doctor) q.set('doctor', s.doctor);
  let from = `${s.fromDay}T00:00:00${CLINIC_OFFSET}`;
  if (Date.parse(from) < now.getTime()) from = new Date(Math.floor(now.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  q.set('from', from);
  q.set('to', `${addDays(s.toDay, 1)}T00:00:00${CLINIC_OFFSET}`);
  if (s.limit) q.set('limit', String(s.limit));
  return q.toString();
}

/** The quick search: the soonest free slot of a specialty in any branch, with any doctor. */
export function nearestSearch(specialty: string, now: Date = new Date()): SlotSearch {
  const today = clinicDay(now);
  return { specialty, fromDay: today, toDay: addDays(today, MAX_RANGE_DAYS - 1), limit: 1 };
}

export interface SlotDay {
  /** The clinic's day, YYYY-MM-DD. */
  day: string;
  slots: MisSlot[];
}

/** Slots by the clinic's day, days in order and slots soonest first within each. */
export function groupSlotsByDay(slots: readonly MisSlot[]): SlotDay[] {
  const byDay = new Map<string, MisSlot[]>();
  const sorted = [...slots].sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
  for (const s of sorted) {
    const day = clinicDay(s.start);
    if (!day) continue;
    const list = byDay.get(day);
    if (list) list.push(s);
    else byDay.set(day, [s]);
  }
  return [...byDay.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([day, list]) => ({ day, slots: list }));
}

/** A day's heading: "пн, 23 ноября" / "Mon, 23 November". */
export function dayLabel(day: string, lang: Lang): string {
  // Noon UTC of that day is the same day in Yekaterinburg.
  const d = new Date(`${day}T12:00:00Z`);
  return new Intl.DateTimeFormat(lang === 'ru' ? 'ru-RU' : 'en-GB', {
    timeZone: CLINIC_TZ,
    weekday: 'short',
    day: 'numeric',
    month: 'long',
  }).format(d);
}

/** "Иванов Иван Иванович" → "Иванов И.И."; other names as they are. */
export function shortName(name: string): string {
  const parts = name.trim().split(/\s+/);
  if (parts.length < 2 || parts.length > 3) return name.trim();
  const [family, ...rest] = parts;
  return `${family} ${rest.map((p) => `${p[0].toUpperCase()}.`).join('')}`;
}

/** A slot button's text: "10:30 · Иванов И.И. · ул. Малышева". */
export function slotLabel(s: MisSlot): string {
  return [clinicTime(s.start), shortName(s.doctor?.name || s.doctor?.id || ''), s.branch?.name || s.branch?.id || '']
    .filter(Boolean)
    .join(' · ');
}

/** "23.11.2026 10:30" in the clinic's time zone. */
export function clinicDateTime(iso: string): string {
  const day = clinicDay(iso);
  if (!day) return iso;
  const [y, m, d] = day.split('-');
  return `${d}.${m}.${y} ${clinicTime(iso)}`;
}

function isRef(v: unknown): boolean {
  return typeof v === 'object' && v !== null && typeof (v as { id?: unknown }).id === 'string';
}

/** Whether a value from the server looks like a slot (id, start, end, doctor, branch). */
export function isSlot(v: unknown): v is MisSlot {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  return (
    typeof s.id === 'string' &&
    s.id !== '' &&
    typeof s.start === 'string' &&
    !Number.isNaN(Date.parse(s.start)) &&
    typeof s.end === 'string' &&
    isRef(s.doctor) &&
    isRef(s.branch)
  );
}

/**
 * The alternatives a 409 on a booking offers (the next free slots of the same specialty):
 * only well-formed slots, without repeats and without the slot that was just taken. Empty for
 * any other failure.
 */
export function alternativesFrom(err: unknown, takenSlotId?: string): MisSlot[] {
  const e = err as Partial<ApiError> | null;
  if (!e || typeof e !== 'object' || e.status !== 409 || !e.problem) return [];
  const seen = new Set<string>();
  const out: MisSlot[] = [];
  for (const v of e.problem.alternatives ?? []) {
    if (!isSlot(v) || v.id === takenSlotId || seen.has(v.id)) continue;
    seen.add(v.id);
    out.push(v);
  }
  return out;
}
