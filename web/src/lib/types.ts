// Wire types of the Okno REST and WebSocket API (/api/v1), as the UI uses them.

export const CHANNELS = ['web_form', 'phone', 'chat', 'telegram', 'whatsapp', 'vk', 'email'] as const;
export type Channel = (typeof CHANNELS)[number];

export const STATUSES = ['new', 'in_progress', 'booked', 'visited', 'lost'] as const;
export type RequestStatus = (typeof STATUSES)[number];

/** Permissions the UI knows by name; a role may also hold others the server adds later. */
export const PERMISSIONS = [
  'requests.read',
  'requests.update',
  'requests.assign',
  'contacts.read',
  'contacts.reveal',
  'patients.read_pd',
  'consents.manage',
  'subjects.manage',
  'users.manage',
  'roles.manage',
  'forms.manage',
  'audit.read',
  'mis.read',
  'appointments.book',
  'patients.link',
  'mis.manage',
  'calls.read',
  'calls.dial',
  'tasks.read',
  'tasks.manage',
  'telephony.manage',
  'queues.manage',
  'board.read',
  'contacts.merge',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export interface User {
  id: string;
  login: string;
  name: string;
  role: string;
  permissions: string[];
  /** The user has a TOTP second factor. */
  totp_enabled?: boolean;
  /** The same, under the name an early identity service used; read by hasTotp. */
  two_factor_enabled?: boolean;
  /** The role requires a second factor the user has not set up: only 2FA enrollment is open. */
  enrollment_required?: boolean;
}

/** Login form payload: the password, and on the second step one of the two codes. */
export interface LoginCredentials {
  login: string;
  password: string;
  totp_code?: string;
  recovery_code?: string;
}

export interface TotpSetup {
  secret: string;
  otpauth_url: string;
}

/** One signed-in browser or client of the current user. */
export interface Session {
  id: string;
  created_at: string;
  last_seen_at: string;
  client_addr: string;
  user_agent: string;
  current: boolean;
}

export interface ApiToken {
  id: string;
  name: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  /** null: every permission of the user, as they stand at each use. */
  scopes: string[] | null;
  revoked?: boolean;
}

/** A token just created: the secret is shown this once. */
export interface CreatedToken {
  id: string;
  name: string;
  token: string;
  expires_at: string | null;
  scopes: string[] | null;
}

export interface NewToken {
  name: string;
  ttl_days: number;
  scopes: string[];
}

/** A user as administrators see them. */
export interface AdminUser {
  id: string;
  login: string;
  name: string;
  role: string;
  blocked: boolean;
  totp_enabled?: boolean;
  /** The same, under the name an early identity service used; read by hasTotp. */
  two_factor_enabled?: boolean;
  created_at: string;
}

/** Whether a user has a second factor (either spelling of the flag). */
export function hasTotp(u: { totp_enabled?: boolean; two_factor_enabled?: boolean } | null | undefined): boolean {
  return !!u && (u.totp_enabled === true || u.two_factor_enabled === true);
}

export interface NewUser {
  login: string;
  name: string;
  role: string;
  password: string;
}

export interface UserPatch {
  name?: string;
  role?: string;
  blocked?: boolean;
}

export interface Role {
  id: string;
  name: string;
  permissions: string[];
  builtin: boolean;
}

export interface RolePatch {
  name?: string;
  permissions?: string[];
}

export interface Items<T> {
  items: T[];
}

export const OUTCOMES = ['success', 'denied', 'failure'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** One record of the hash-chained audit trail. */
export interface AuditEntry {
  seq: number;
  event_id: string;
  service: string;
  recorded_at: string;
  at: string;
  actor_id: string;
  actor_login: string;
  actor_role: string;
  client_addr: string;
  action: string;
  object_type: string;
  object_id: string;
  fields?: string[] | null;
  outcome: Outcome | string;
  details?: Record<string, string> | null;
  prev_hash: string;
  hash: string;
}

export interface AuditPage {
  items: AuditEntry[];
  next_cursor: string | null;
}

/** The audit search form; empty strings are "any". from/to are datetime-local values. */
export interface AuditFilters {
  actor: string;
  object: string;
  object_type: string;
  action: string;
  from: string;
  to: string;
}

export interface Contact {
  id: string;
  name: string;
  phone: string;
  email: string;
  /** Phone and e-mail are hidden from this viewer; revealing them is an audited action. */
  masked?: boolean;
}

/** The unmasked phone and e-mail of one contact. */
export interface RevealedContact {
  id: string;
  phone: string;
  email: string;
}

export interface Consent {
  given_at: string;
  text_version: string;
}

/** A request (заявка) from any channel. Named to avoid clashing with the DOM's Request. */
export interface PatientRequest {
  id: string;
  channel: Channel;
  status: RequestStatus;
  source: string;
  source_name: string;
  message: string;
  contact: Contact;
  consent: Consent | null;
  created_at: string;
  updated_at: string;
  // The pipeline (absent from servers before queues and SLAs).
  queue_id?: string;
  assignee_id?: string;
  lost_reason?: string;
  tags?: string[] | null;
  merged_into?: string;
  first_response_due?: string | null;
  first_response_at?: string | null;
  resolution_due?: string | null;
  resolved_at?: string | null;
  /** SLAs already missed: "first_response", "resolution". */
  breached?: string[] | null;
}

export interface RequestPage {
  items: PatientRequest[];
  next_cursor: string | null;
}

/** POST /contacts/search: one of the two, in the body (never in a URL). */
export type ContactSearch = { phone: string; email?: never } | { email: string; phone?: never };

/** One consent a person gave (152-FZ), as the data-subject pages see it. */
export interface ConsentRecord {
  id: string;
  request_id: string;
  /** "personal_data_processing", … */
  purpose: string;
  text_version: string;
  channel: string;
  given_at: string;
  withdrawn_at: string | null;
}

/** Everything the contact center holds on one person (GET /contacts/{id}/subject-report). */
export interface SubjectReport {
  generated_at: string;
  contact: Contact;
  /** Set once the person was forgotten: name, phone, e-mail and request texts are then empty. */
  anonymized_at: string | null;
  requests: PatientRequest[];
  consents: ConsentRecord[];
}

/** RFC 9457 problem details, as the backend sends them. */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  /** Machine-readable reason, e.g. "unauthorized", "second_factor_required", "rate_limited". */
  code?: string;
  errors?: { field: string; message: string }[];
  /** 409 on a booking: the next free slots of the same specialty (unchecked; see lib/booking.ts). */
  alternatives?: unknown[];
}

/** An id and a display name from the MIS cache. */
export interface MisRef {
  id: string;
  name: string;
}

export interface MisBranch extends MisRef {
  address: string;
  phone: string;
}

export type MisSpecialty = MisRef;

export interface MisDoctor extends MisRef {
  roles: { id: string; branch_id: string; specialty_id: string }[];
}

/** A free slot (GET /mis/slots), times in RFC 3339. */
export interface MisSlot {
  id: string;
  start: string;
  end: string;
  specialty: MisRef;
  doctor: MisRef;
  branch: MisRef;
}

/** An appointment booked from Okno (POST /mis/appointments). */
export interface Appointment {
  id: string;
  mis_id: string;
  slot_id: string;
  contact_id: string;
  request_id: string | null;
  status: 'booked' | 'cancelled' | string;
  start: string;
  end: string;
  doctor: MisRef;
  branch: MisRef;
  specialty: MisRef;
  booked_at: string;
}

export interface BookingInput {
  slot_id: string;
  contact_id: string;
  request_id?: string;
  /** The service (приём, consultation) chosen in the dialog; the MIS may price by it. */
  service_id?: string;
  /** The linked patient to book for: required when the contact is linked to several (a family phone). */
  patient_id?: string;
}

/** A priced service of a specialty (GET /mis/services). price is a decimal string, "1500.00". */
export interface MisService {
  id: string;
  name: string;
  specialty_id: string;
  price: string;
  currency: string;
}

/** One cell of the schedule grid (GET /mis/schedule): a slot, free or taken. */
export interface ScheduleSlot {
  id: string;
  start: string;
  end: string;
  doctor: MisRef;
  branch: MisRef;
  specialty: MisRef;
  status: 'free' | 'busy' | string;
}

export const APPOINTMENT_STATUSES = ['booked', 'confirmed', 'arrived', 'completed', 'noshow', 'cancelled'] as const;
export type AppointmentStatus = (typeof APPOINTMENT_STATUSES)[number];

/** An appointment of a contact as Okno sees it (GET /mis/appointments?contact_id=). */
export interface ContactAppointment {
  id: string;
  mis_id: string;
  status: AppointmentStatus | string;
  start: string;
  end: string;
  doctor: MisRef;
  branch: MisRef;
  specialty: MisRef;
  request_id: string | null;
  patient_id: string | null;
  /** "okno" (booked from Okno) or "mis" (made in the MIS for a linked patient). */
  source?: string;
  contact_id?: string;
  slot_id?: string;
  booked_at?: string;
}

/**
 * A patient of the MIS. For a viewer without patients.read_pd the server masks the fields
 * ("Ив***", "+7 *** ***-**-67", a birth year only); the UI shows them as sent.
 */
export interface MisPatient {
  id: string;
  family: string;
  given: string;
  middle: string;
  birth_date: string;
  gender?: string;
  phones: string[] | null;
  emails?: string[] | null;
  /** The server masked the fields for this viewer. */
  masked?: boolean;
}

/** Why the server thinks a patient may be the contact: agreeing, similar (a typo, Ё/Е) or differing fields. */
export const MATCH_REASONS = [
  'phone',
  'identifier',
  'family',
  'family_similar',
  'given',
  'given_similar',
  'middle',
  'middle_similar',
  'birth_date',
  'family_differs',
  'given_differs',
  'middle_differs',
  'birth_date_differs',
] as const;

/** A patient the MIS holds who may be this contact (POST /mis/patients/match). */
export interface MatchCandidate {
  patient: MisPatient;
  /** 0..1 */
  confidence: number;
  /** What agrees with the contact: "phone", "family", "given", "birth_date", … */
  reasons: string[];
  linked: boolean;
}

export interface MatchResult {
  candidates: MatchCandidate[];
  /** Patient ids already linked to the contact. */
  linked: string[];
}

export interface PatientLink {
  id: string;
  contact_id: string;
  patient_id: string;
  linked_by: string;
  linked_at: string;
}

/** A patient linked to a contact, with their appointments (GET /mis/contacts/{id}/patients). */
export interface LinkedPatient {
  link_id: string;
  linked_at?: string;
  patient: MisPatient;
  /** The MIS could not be read: the patient is only an id, the appointments those Okno keeps. */
  unavailable?: boolean;
  appointments?: { upcoming: ContactAppointment[] | null; past: ContactAppointment[] | null } | null;
}

/** GET /mis/health: what the mis service knows of its MIS (no credentials). */
export interface MisHealth {
  kind: 'fhir' | 'renovatio' | 'none' | string;
  base_url: string;
  breaker: 'closed' | 'open' | 'half-open' | string;
  last_refresh_at: string | null;
  last_refresh_error: string | null;
  feed: {
    cursor_at: string | null;
    last_poll_at: string | null;
    last_error: string | null;
    applied_total: number;
  } | null;
  counts: { branches: number; specialties: number; doctors: number; services: number } | null;
}

/** POST /mis/check: one live probe of the MIS. */
export interface MisCheck {
  ok: boolean;
  latency_ms: number;
  error?: string;
}

export type StatusFilter = RequestStatus | 'all';
export type ChannelFilter = Channel | 'all';

export interface RequestFilters {
  status: StatusFilter;
  channel: ChannelFilter;
  /** Only those assigned to me (assignee=me). */
  mine?: boolean;
  /** A queue id; '' or absent for every queue. */
  queue?: string;
  /** Only open requests whose SLA is breached. */
  overdue?: boolean;
}
