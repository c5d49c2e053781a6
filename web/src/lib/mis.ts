// The patient card's rules: appointment statuses and their order, prices, patients as shown
// (masked or not, as the server sent them), the matching step's choice. Pure functions.
import type { Lang } from './i18n';
import {
  APPOINTMENT_STATUSES,
  type Appointment,
  type AppointmentStatus,
  type ContactAppointment,
  type MatchCandidate,
  type MisPatient,
} from './types';

export function isAppointmentStatus(v: unknown): v is AppointmentStatus {
  return typeof v === 'string' && (APPOINTMENT_STATUSES as readonly string[]).includes(v);
}

/** The badge colour of a status. */
export function statusColor(status: string): string {
  switch (status) {
    case 'booked':
      return 'blue';
    case 'confirmed':
      return 'teal';
    case 'arrived':
      return 'grape';
    case 'completed':
      return 'green';
    case 'noshow':
      return 'orange';
    default:
      return 'gray';
  }
}

/** Whether an appointment may still be cancelled or moved: booked or confirmed, and not begun. */
export function isChangeable(a: Pick<ContactAppointment, 'status' | 'start'>, now: Date = new Date()): boolean {
  return (a.status === 'booked' || a.status === 'confirmed') && Date.parse(a.start) > now.getTime();
}

/**
 * A contact's appointments split for the card: upcoming (not begun, not cancelled, soonest
 * first) and the rest, the history (latest first). Repeats by id are dropped.
 */
export function splitAppointments(
  list: readonly ContactAppointment[],
  now: Date = new Date(),
): { upcoming: ContactAppointment[]; past: ContactAppointment[] } {
  const seen = new Set<string>();
  const upcoming: ContactAppointment[] = [];
  const past: ContactAppointment[] = [];
  for (const a of list) {
    if (!a || !a.id || seen.has(a.id)) continue;
    seen.add(a.id);
    const ahead = Date.parse(a.start) > now.getTime();
    if (ahead && a.status !== 'cancelled' && a.status !== 'noshow' && a.status !== 'completed') upcoming.push(a);
    else past.push(a);
  }
  upcoming.sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
  past.sort((a, b) => Date.parse(b.start) - Date.parse(a.start));
  return { upcoming, past };
}

/** An appointment the booking call answered with, in the list's shape. */
export function fromBooking(a: Appointment): ContactAppointment {
  return {
    id: a.id,
    mis_id: a.mis_id,
    status: a.status,
    start: a.start,
    end: a.end,
    doctor: a.doctor,
    branch: a.branch,
    specialty: a.specialty,
    request_id: a.request_id,
    patient_id: null,
    contact_id: a.contact_id,
    slot_id: a.slot_id,
    booked_at: a.booked_at,
  };
}

/**
 * The server's list with what this window did in this session (bookings, cancels, moves): the
 * list is fetched again after every change, so its version of an appointment wins; a local one
 * it lacks (just booked, the list not yet back, or the list unavailable) is added.
 */
export function mergeAppointments(server: readonly ContactAppointment[], local: readonly ContactAppointment[]): ContactAppointment[] {
  const byId = new Map<string, ContactAppointment>();
  for (const a of server) if (a?.id) byId.set(a.id, a);
  for (const a of local) if (a?.id && !byId.has(a.id)) byId.set(a.id, a);
  return [...byId.values()];
}

const priceFormats = new Map<string, Intl.NumberFormat>();

/**
 * A price as the clinic's staff read it: "1500.00" RUB → "1 500 ₽" in ru-RU (kopecks only when
 * there are some). An unreadable price comes back as sent; an unknown currency as its code.
 */
export function formatPrice(price: string, currency = 'RUB', lang: Lang = 'ru'): string {
  const n = Number(price);
  if (price.trim() === '' || !Number.isFinite(n)) return price;
  const cur = /^[A-Z]{3}$/.test(currency) ? currency : 'RUB';
  const fraction = Number.isInteger(n) ? 0 : 2;
  const key = `${lang}|${cur}|${fraction}`;
  let f = priceFormats.get(key);
  if (!f) {
    f = new Intl.NumberFormat(lang === 'ru' ? 'ru-RU' : 'en-GB', {
      style: 'currency',
      currency: cur,
      minimumFractionDigits: fraction,
      maximumFractionDigits: fraction,
    });
    priceFormats.set(key, f);
  }
  return f.format(n);
}

/** "Иванова Анна Сергеевна" from the parts the server sent (masked parts as they are). */
export function patientName(p: Pick<MisPatient, 'family' | 'given' | 'middle'>): string {
  return [p.family, p.given, p.middle]
    .map((s) => (s ?? '').trim())
    .filter(Boolean)
    .join(' ');
}

/** A birth date for the card: "1985-03-02" → "02.03.1985"; a masked year "1985" as it is. */
export function birthLabel(birth: string | null | undefined): string {
  const b = (birth ?? '').trim();
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(b);
  return m ? `${m[3]}.${m[2]}.${m[1]}` : b;
}

/** Whether the server masked this patient for the viewer ("Ив***", "+7 *** ***-**-67"). */
export function isMasked(p: MisPatient): boolean {
  return p.masked === true || [p.family, p.given, p.middle, ...(p.phones ?? [])].some((s) => (s ?? '').includes('*'));
}

/**
 * The patient a booking is for: the one linked patient, or the operator's choice among several
 * (null until they choose). Undefined when no patient is linked: the server then books for the
 * contact itself.
 */
export function bookingPatient(linkedIds: readonly string[], chosen: string | null): string | null | undefined {
  if (linkedIds.length === 0) return undefined;
  if (linkedIds.length === 1) return linkedIds[0];
  return chosen && linkedIds.includes(chosen) ? chosen : null;
}

/** At or above this confidence a candidate is offered as the likely one (still confirmed by a click). */
export const CONFIDENT = 0.9;

/** Candidates best first: not-yet-linked before linked, then by confidence. */
export function sortCandidates(list: readonly MatchCandidate[]): MatchCandidate[] {
  return [...list]
    .filter((c) => c && c.patient && c.patient.id)
    .sort((a, b) => Number(a.linked) - Number(b.linked) || b.confidence - a.confidence);
}

/**
 * The candidate to pre-select: the single unlinked one at or above CONFIDENT. Two or more that
 * confident (or a tie at the top) pre-select nothing: the operator must tell them apart.
 */
export function preselect(list: readonly MatchCandidate[]): string | null {
  const confident = list.filter((c) => !c.linked && c.confidence >= CONFIDENT);
  return confident.length === 1 ? confident[0].patient.id : null;
}

/**
 * A family phone: several people in the MIS share the contact's number (a parent books for a
 * child). True when two or more candidates matched by phone.
 */
export function isFamilyPhone(list: readonly MatchCandidate[]): boolean {
  return list.filter((c) => (c.reasons ?? []).includes('phone')).length >= 2;
}

/** Confidence as a whole percent, 0..100. */
export function confidencePercent(c: number): number {
  if (!Number.isFinite(c)) return 0;
  return Math.round(Math.min(1, Math.max(0, c)) * 100);
}

/** A confidence's colour: green when confident, yellow when plausible, grey otherwise. */
export function confidenceColor(c: number): string {
  return c >= CONFIDENT ? 'teal' : c >= 0.6 ? 'yellow' : 'gray';
}

/** How a match reason reads: the field agrees, nearly agrees, or differs. */
export function reasonTone(reason: string): 'match' | 'similar' | 'differs' {
  if (reason.endsWith('_differs')) return 'differs';
  if (reason.endsWith('_similar')) return 'similar';
  return 'match';
}

/** Reasons in the order an operator reads them: what agrees, what nearly does, what differs. */
export function sortReasons(reasons: readonly string[]): string[] {
  const rank = { match: 0, similar: 1, differs: 2 } as const;
  return [...new Set(reasons)].sort((a, b) => rank[reasonTone(a)] - rank[reasonTone(b)]);
}
