// A small typed fetch client for the same-origin Okno API.
import { AUDIT_PAGE_SIZE, auditQuery } from './audit';
import { slotQuery, type SlotSearch } from './booking';
import { useLang } from './i18n';
import { scheduleQuery, type ScheduleSearch } from './schedule';
import type {
  AdminUser,
  Appointment,
  BookingInput,
  ContactAppointment,
  LinkedPatient,
  MatchResult,
  MisBranch,
  MisCheck,
  MisDoctor,
  MisHealth,
  MisPatient,
  MisService,
  MisSlot,
  MisSpecialty,
  PatientLink,
  ScheduleSlot,
  ApiToken,
  AuditFilters,
  AuditPage,
  ConsentRecord,
  Contact,
  ContactSearch,
  CreatedToken,
  Items,
  LoginCredentials,
  NewToken,
  NewUser,
  PatientRequest,
  Problem,
  Role,
  RolePatch,
  RequestFilters,
  RequestPage,
  Session,
  SubjectReport,
  TotpSetup,
  User,
  UserPatch,
} from './types';

export const CSRF_COOKIE = 'okno_csrf';
export const CSRF_HEADER = 'X-CSRF-Token';

/** An HTTP error from the API, carrying the problem document the server sent. */
export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;
  /** Seconds to wait before trying again (the Retry-After header), when the server said. */
  readonly retryAfter?: number;

  constructor(status: number, problem: Problem, retryAfter?: number) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem;
    this.retryAfter = retryAfter;
  }

  /** The problem's machine-readable code ("second_factor_required", …), or ''. */
  get code(): string {
    return this.problem.code ?? '';
  }

  /** Message for a given input field, if the server reported one. */
  fieldError(field: string): string | undefined {
    return this.problem.errors?.find((e) => e.field === field)?.message;
  }
}

export function isApiError(err: unknown, status?: number): err is ApiError {
  return err instanceof ApiError && (status === undefined || err.status === status);
}

/**
 * Reads a problem document from a failed response. Anything that is not a JSON object
 * (an HTML error page from a proxy, an empty body) becomes a problem with the status text.
 */
export async function parseProblem(res: Response): Promise<Problem> {
  const fallback: Problem = { title: res.statusText || `HTTP ${res.status}`, status: res.status };
  let text: string;
  try {
    text = await res.text();
  } catch {
    return fallback;
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return fallback;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return fallback;
  const raw = body as Record<string, unknown>;
  const problem: Problem = { status: res.status };
  if (typeof raw.type === 'string') problem.type = raw.type;
  problem.title = typeof raw.title === 'string' ? raw.title : fallback.title;
  if (typeof raw.detail === 'string') problem.detail = raw.detail;
  if (typeof raw.code === 'string') problem.code = raw.code;
  if (Array.isArray(raw.errors)) {
    problem.errors = raw.errors
      .filter((e): e is Record<string, unknown> => typeof e === 'object' && e !== null)
      .map((e) => ({ field: String(e.field ?? ''), message: String(e.message ?? '') }));
  }
  if (Array.isArray(raw.alternatives)) problem.alternatives = raw.alternatives;
  return problem;
}

/**
 * Seconds from a Retry-After header: delta-seconds or an HTTP date. Undefined when absent
 * or unreadable.
 */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v);
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

/** Value of a cookie by name, or '' when absent. */
export function readCookie(name: string, cookies: string): string {
  for (const part of cookies.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      const value = part.slice(eq + 1).trim();
      try {
        return decodeURIComponent(value);
      } catch {
        return value;
      }
    }
  }
  return '';
}

type Unauthorized = (err: ApiError) => void;
const unauthorizedListeners = new Set<Unauthorized>();

/** Subscribes to every 401 the API returns (an expired session). Returns the unsubscribe. */
export function onUnauthorized(listener: Unauthorized): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  signal?: AbortSignal;
  /** A 401 here is an answer (a wrong password), not an expired session: tell no listeners. */
  quiet401?: boolean;
}

export async function apiFetch<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const method = opts.method ?? 'GET';
  // The server tells its refusals (problem detail and field messages) in the UI's language.
  const headers: Record<string, string> = {
    Accept: 'application/json, application/problem+json',
    'Accept-Language': useLang.getState().lang,
  };
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET') {
    const csrf = typeof document === 'undefined' ? '' : readCookie(CSRF_COOKIE, document.cookie);
    if (csrf) headers[CSRF_HEADER] = csrf;
  }
  const res = await fetch(path, {
    method,
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    credentials: 'same-origin',
    cache: 'no-store',
    signal: opts.signal,
  });
  if (!res.ok) {
    const err = new ApiError(res.status, await parseProblem(res), parseRetryAfter(res.headers.get('Retry-After')));
    if (res.status === 401 && !opts.quiet401) unauthorizedListeners.forEach((l) => l(err));
    throw err;
  }
  if (res.status === 204 || res.status === 205) return undefined as T;
  // A 202 may come without a body.
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export const PAGE_SIZE = 50;

/** Query string for the request list; "all" filters are omitted. */
export function requestListQuery(filters: RequestFilters, cursor: string | null, limit = PAGE_SIZE): string {
  const q = new URLSearchParams();
  if (filters.status !== 'all') q.set('status', filters.status);
  if (filters.channel !== 'all') q.set('channel', filters.channel);
  if (filters.mine) q.set('assignee', 'me');
  if (filters.queue) q.set('queue', filters.queue);
  if (filters.overdue) q.set('overdue', 'true');
  q.set('limit', String(limit));
  if (cursor) q.set('cursor', cursor);
  return q.toString();
}

const seg = encodeURIComponent;

/** The data-subject report as a file: a plain link, the session cookie authenticates. */
export function subjectReportHref(contactId: string): string {
  return `/api/v1/contacts/${seg(contactId)}/subject-report`;
}

export const api = {
  login: (credentials: LoginCredentials) =>
    apiFetch<{ user: User }>('/api/v1/auth/login', { method: 'POST', body: credentials, quiet401: true }),
  me: () => apiFetch<{ user: User }>('/api/v1/auth/me'),
  logout: () => apiFetch<void>('/api/v1/auth/logout', { method: 'POST' }),
  listRequests: (filters: RequestFilters, cursor: string | null, signal?: AbortSignal) =>
    apiFetch<RequestPage>(`/api/v1/requests?${requestListQuery(filters, cursor)}`, { signal }),
  getRequest: (id: string, signal?: AbortSignal) =>
    apiFetch<PatientRequest>(`/api/v1/requests/${encodeURIComponent(id)}`, { signal }),

  totpSetup: () => apiFetch<TotpSetup>('/api/v1/me/2fa/setup', { method: 'POST' }),
  // A 401 here may be the server's answer to a wrong code; the form shows it.
  totpEnable: (code: string) =>
    apiFetch<{ recovery_codes: string[] }>('/api/v1/me/2fa/enable', { method: 'POST', body: { code }, quiet401: true }),
  totpDisable: (code: string) =>
    apiFetch<void>('/api/v1/me/2fa/disable', { method: 'POST', body: { code }, quiet401: true }),

  mySessions: (signal?: AbortSignal) => apiFetch<Items<Session>>('/api/v1/me/sessions', { signal }),
  revokeSession: (id: string) => apiFetch<void>(`/api/v1/me/sessions/${seg(id)}`, { method: 'DELETE' }),
  myTokens: (signal?: AbortSignal) => apiFetch<Items<ApiToken>>('/api/v1/me/tokens', { signal }),
  createToken: (token: NewToken) => apiFetch<CreatedToken>('/api/v1/me/tokens', { method: 'POST', body: token }),
  revokeToken: (id: string) => apiFetch<void>(`/api/v1/me/tokens/${seg(id)}`, { method: 'DELETE' }),

  users: (signal?: AbortSignal) => apiFetch<Items<AdminUser>>('/api/v1/users', { signal }),
  createUser: (user: NewUser) => apiFetch<AdminUser>('/api/v1/users', { method: 'POST', body: user }),
  updateUser: (id: string, patch: UserPatch) =>
    apiFetch<AdminUser>(`/api/v1/users/${seg(id)}`, { method: 'PATCH', body: patch }),

  roles: (signal?: AbortSignal) => apiFetch<Items<Role>>('/api/v1/roles', { signal }),
  createRole: (role: Omit<Role, 'builtin'>) => apiFetch<Role>('/api/v1/roles', { method: 'POST', body: role }),
  updateRole: (id: string, patch: RolePatch) =>
    apiFetch<Role>(`/api/v1/roles/${seg(id)}`, { method: 'PATCH', body: patch }),

  // Data subjects (152-FZ). The phone or e-mail searched for goes in the body, never in a URL.
  searchContacts: (by: ContactSearch, signal?: AbortSignal) =>
    apiFetch<Items<Contact>>('/api/v1/contacts/search', { method: 'POST', body: by, signal }),
  contactConsents: (contactId: string, signal?: AbortSignal) =>
    apiFetch<Items<ConsentRecord>>(`/api/v1/contacts/${seg(contactId)}/consents`, { signal }),
  withdrawConsent: (contactId: string, consentId: string) =>
    apiFetch<void>(`/api/v1/contacts/${seg(contactId)}/consents/${seg(consentId)}/withdraw`, { method: 'POST' }),
  subjectReport: (contactId: string, signal?: AbortSignal) => apiFetch<SubjectReport>(subjectReportHref(contactId), { signal }),
  anonymizeContact: (contactId: string) =>
    apiFetch<void>(`/api/v1/contacts/${seg(contactId)}/anonymize`, { method: 'POST' }),

  misBranches: (signal?: AbortSignal) => apiFetch<Items<MisBranch>>('/api/v1/mis/branches', { signal }),
  misSpecialties: (signal?: AbortSignal) => apiFetch<Items<MisSpecialty>>('/api/v1/mis/specialties', { signal }),
  misDoctors: (specialty: string, branch: string, signal?: AbortSignal) => {
    const q = new URLSearchParams();
    if (specialty) q.set('specialty', specialty);
    if (branch) q.set('branch', branch);
    const qs = q.toString();
    return apiFetch<Items<MisDoctor>>(`/api/v1/mis/doctors${qs ? `?${qs}` : ''}`, { signal });
  },
  misSlots: (search: SlotSearch, signal?: AbortSignal) =>
    apiFetch<Items<MisSlot>>(`/api/v1/mis/slots?${slotQuery(search)}`, { signal }),
  book: (input: BookingInput) => apiFetch<Appointment>('/api/v1/mis/appointments', { method: 'POST', body: input }),
  cancelAppointment: (id: string) => apiFetch<Appointment>(`/api/v1/mis/appointments/${seg(id)}`, { method: 'DELETE' }),
  rescheduleAppointment: (id: string, slotId: string) =>
    apiFetch<Appointment>(`/api/v1/mis/appointments/${seg(id)}/reschedule`, { method: 'POST', body: { slot_id: slotId } }),
  misServices: (specialty: string, signal?: AbortSignal) =>
    apiFetch<Items<MisService>>(`/api/v1/mis/services?${new URLSearchParams({ specialty })}`, { signal }),
  misSchedule: (search: ScheduleSearch, signal?: AbortSignal) =>
    apiFetch<Items<ScheduleSlot>>(`/api/v1/mis/schedule?${scheduleQuery(search)}`, { signal }),
  // Ids only in these addresses: the MIS reads the contact's phone and name server-side.
  contactAppointments: (contactId: string, signal?: AbortSignal) =>
    apiFetch<Items<ContactAppointment>>(`/api/v1/mis/appointments?${new URLSearchParams({ contact_id: contactId })}`, { signal }),
  contactPatients: (contactId: string, signal?: AbortSignal) =>
    apiFetch<Items<LinkedPatient>>(`/api/v1/mis/contacts/${seg(contactId)}/patients`, { signal }),
  matchPatients: (contactId: string, signal?: AbortSignal) =>
    apiFetch<MatchResult>('/api/v1/mis/patients/match', { method: 'POST', body: { contact_id: contactId }, signal }),
  linkPatient: (contactId: string, patientId: string) =>
    apiFetch<PatientLink>('/api/v1/mis/links', { method: 'POST', body: { contact_id: contactId, patient_id: patientId } }),
  unlinkPatient: (linkId: string) => apiFetch<void>(`/api/v1/mis/links/${seg(linkId)}`, { method: 'DELETE' }),
  registerPatient: (contactId: string) =>
    apiFetch<MisPatient>('/api/v1/mis/patients', { method: 'POST', body: { contact_id: contactId } }),
  misHealth: (signal?: AbortSignal) => apiFetch<MisHealth>('/api/v1/mis/health', { signal }),
  misRefresh: () => apiFetch<void>('/api/v1/mis/refresh', { method: 'POST' }),
  misCheck: () => apiFetch<MisCheck>('/api/v1/mis/check', { method: 'POST' }),

  audit: (filters: AuditFilters, cursor: string | null, signal?: AbortSignal) =>
    apiFetch<AuditPage>(`/api/v1/audit?${auditQuery(filters, cursor, AUDIT_PAGE_SIZE)}`, { signal }),
};

export type Api = typeof api;
