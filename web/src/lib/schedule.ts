// The schedule grid: its query, its week, and slots laid out as rows of doctors by columns of
// times (a day) or days (a week), all in the clinic's time zone. Pure functions.
import { addDays, CLINIC_OFFSET, clinicDay, clinicTime } from './booking';
import type { MisRef, ScheduleSlot } from './types';

export type ScheduleView = 'day' | 'week';

/** What the grid shows: ids ('' = any doctor) and the clinic's day the view is about. */
export interface ScheduleSearch {
  branch: string;
  specialty: string;
  doctor?: string;
  view: ScheduleView;
  /** YYYY-MM-DD in the clinic: the day shown, or any day of the week shown. */
  day: string;
}

/** Whether a clinic day is a Saturday or Sunday (for the grid's shading). */
export function isWeekend(day: string): boolean {
  // Noon UTC of the day has the same weekday as the day itself.
  const weekday = new Date(`${day}T12:00:00Z`).getUTCDay();
  return weekday === 0 || weekday === 6;
}

/**
 * The days a view covers, in order: one day, or seven from it. A week starts on the chosen day,
 * not on Monday: opened on a Saturday it still shows the coming working days.
 */
export function viewDays(view: ScheduleView, day: string): string[] {
  if (view === 'day') return [day];
  return Array.from({ length: 7 }, (_, i) => addDays(day, i));
}

/** The day the previous or next button leads to: a day or a week away. */
export function shiftDay(view: ScheduleView, day: string, direction: -1 | 1): string {
  return addDays(day, direction * (view === 'day' ? 1 : 7));
}

/**
 * The query of GET /mis/schedule: from the first day's midnight to the midnight after the last,
 * at the clinic's offset (the API takes at most 8 days).
 */
export function scheduleQuery(s: ScheduleSearch): string {
  const days = viewDays(s.view, s.day);
  const q = new URLSearchParams();
  if (s.branch) q.set('branch', s.branch);
  if (s.specialty) q.set('specialty', s.specialty);
  if (s.doctor) q.set('doctor', s.doctor);
  q.set('from', `${days[0]}T00:00:00${CLINIC_OFFSET}`);
  q.set('to', `${addDays(days[days.length - 1], 1)}T00:00:00${CLINIC_OFFSET}`);
  return q.toString();
}

/** One row of the grid: a doctor and their slots by column key. */
export interface GridRow {
  doctor: MisRef;
  cells: Record<string, ScheduleSlot[]>;
  /** Free slots not yet begun. */
  free: number;
}

export interface Grid {
  /** Column keys: "HH:MM" in a day view, YYYY-MM-DD in a week view. */
  columns: string[];
  rows: GridRow[];
}

const collator = new Intl.Collator('ru');

/**
 * Slots as a grid: a row per doctor (by name), a column per start time (day view, only the
 * times some slot starts at) or per day of the week (week view, all seven). Slots outside the
 * view's days are left out; a cell holds its slots soonest first, without repeats.
 */
export function buildGrid(slots: readonly ScheduleSlot[], view: ScheduleView, day: string, now: Date = new Date()): Grid {
  const days = viewDays(view, day);
  const inView = new Set(days);
  const rows = new Map<string, GridRow>();
  const times = new Set<string>();
  const seen = new Set<string>();
  const sorted = [...slots].sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
  for (const s of sorted) {
    if (!s || !s.id || seen.has(s.id) || !s.doctor?.id) continue;
    const sDay = clinicDay(s.start);
    if (!inView.has(sDay)) continue;
    seen.add(s.id);
    const key = view === 'day' ? clinicTime(s.start) : sDay;
    if (view === 'day') times.add(key);
    let row = rows.get(s.doctor.id);
    if (!row) {
      row = { doctor: s.doctor, cells: {}, free: 0 };
      rows.set(s.doctor.id, row);
    }
    (row.cells[key] ??= []).push(s);
    if (bookable(s, now)) row.free++;
  }
  const columns = view === 'day' ? [...times].sort() : days;
  const ordered = [...rows.values()].sort((a, b) => collator.compare(a.doctor.name || a.doctor.id, b.doctor.name || b.doctor.id));
  return { columns, rows: ordered };
}

/** Whether a slot can be booked from the grid: free and not yet begun. */
export function bookable(s: ScheduleSlot, now: Date = new Date()): boolean {
  return s.status === 'free' && Date.parse(s.start) > now.getTime();
}

/** The schedule page's address, opened from a request so its free slots book for it. */
export function scheduleHref(requestId?: string | null): string {
  return requestId ? `/schedule/?request=${encodeURIComponent(requestId)}` : '/schedule/';
}
