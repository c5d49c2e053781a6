// The audit search: form values ↔ the page address ↔ the API's query string.
import type { AuditFilters } from './types';

export const AUDIT_PAGE_SIZE = 100;

export const EMPTY_AUDIT_FILTERS: AuditFilters = { actor: '', object: '', object_type: '', action: '', from: '', to: '' };

const FILTER_KEYS = ['actor', 'object', 'object_type', 'action', 'from', 'to'] as const;

/** Actions the services record today, offered as suggestions (any text may be searched). */
export const KNOWN_ACTIONS = [
  'contact.reveal',
  'contact.read',
  'contact.search',
  'contact.subject_report',
  'contact.anonymized',
  'consent.withdrawn',
  'request.read',
  'request.list',
  'request.push',
  'login.succeeded',
  'login.failed',
  'logout',
  'session.revoked',
  '2fa.enabled',
  '2fa.disabled',
  'recovery_code.used',
  'token.created',
  'token.revoked',
  'user.created',
  'user.updated',
  'user.blocked',
  'role.created',
  'role.updated',
  'audit.exported',
] as const;

export const KNOWN_OBJECT_TYPES = ['contact', 'request', 'user', 'role', 'session', 'token', 'audit'] as const;

/**
 * An <input type="datetime-local"> (or type="date") value, in the browser's time zone, as an
 * RFC 3339 time in UTC without fractions ("2026-11-21T04:00:00Z"); '' when empty or unreadable.
 */
export function localToRfc3339(value: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(value.trim());
  if (!m) return '';
  const [, y, mo, d, h = '0', mi = '0', s = '0'] = m;
  const at = new Date(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (Number.isNaN(at.getTime()) || at.getMonth() !== Number(mo) - 1) return '';
  return at.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Query string for the audit API: empty filters omitted, the period as RFC 3339. */
export function auditQuery(filters: AuditFilters, cursor?: string | null, limit?: number): string {
  const q = new URLSearchParams();
  for (const key of ['actor', 'object', 'object_type', 'action'] as const) {
    const v = filters[key].trim();
    if (v) q.set(key, v);
  }
  for (const key of ['from', 'to'] as const) {
    const v = localToRfc3339(filters[key]);
    if (v) q.set(key, v);
  }
  if (limit !== undefined) q.set('limit', String(limit));
  if (cursor) q.set('cursor', cursor);
  return q.toString();
}

/** The CSV export of the same search: a plain link, the session cookie authenticates. */
export function auditExportHref(filters: AuditFilters): string {
  const q = auditQuery(filters);
  return q ? `/api/v1/audit/export.csv?${q}` : '/api/v1/audit/export.csv';
}

/** The form's values from the page address (/audit/?action=…&from=2026-11-21T09:00). */
export function auditFiltersFromParams(params: Pick<URLSearchParams, 'get'>): AuditFilters {
  const f = { ...EMPTY_AUDIT_FILTERS };
  for (const key of FILTER_KEYS) f[key] = params.get(key)?.trim() ?? '';
  return f;
}

/** The page address's query for the form's values, empty ones left out. */
export function auditFiltersToParams(filters: AuditFilters): string {
  const q = new URLSearchParams();
  for (const key of FILTER_KEYS) {
    const v = filters[key].trim();
    if (v) q.set(key, v);
  }
  return q.toString();
}

/** A period the server would refuse: "to" not after "from". */
export function periodInvalid(filters: AuditFilters): boolean {
  const from = localToRfc3339(filters.from);
  const to = localToRfc3339(filters.to);
  return !!from && !!to && Date.parse(to) <= Date.parse(from);
}
