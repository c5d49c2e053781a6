// A small typed fetch client for the same-origin Okno API.
import type { PatientRequest, Problem, RequestFilters, RequestPage, User } from './types';

export const CSRF_COOKIE = 'okno_csrf';
export const CSRF_HEADER = 'X-CSRF-Token';

/** An HTTP error from the API, carrying the problem document the server sent. */
export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;

  constructor(status: number, problem: Problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem;
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
  if (Array.isArray(raw.errors)) {
    problem.errors = raw.errors
      .filter((e): e is Record<string, unknown> => typeof e === 'object' && e !== null)
      .map((e) => ({ field: String(e.field ?? ''), message: String(e.message ?? '') }));
  }
  return problem;
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
}

export async function apiFetch<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const method = opts.method ?? 'GET';
  const headers: Record<string, string> = { Accept: 'application/json, application/problem+json' };
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
    const err = new ApiError(res.status, await parseProblem(res));
    if (res.status === 401) unauthorizedListeners.forEach((l) => l(err));
    throw err;
  }
  if (res.status === 204 || res.status === 205) return undefined as T;
  return (await res.json()) as T;
}

export const PAGE_SIZE = 50;

/** Query string for the request list; "all" filters are omitted. */
export function requestListQuery(filters: RequestFilters, cursor: string | null, limit = PAGE_SIZE): string {
  const q = new URLSearchParams();
  if (filters.status !== 'all') q.set('status', filters.status);
  if (filters.channel !== 'all') q.set('channel', filters.channel);
  q.set('limit', String(limit));
  if (cursor) q.set('cursor', cursor);
  return q.toString();
}

export const api = {
  login: (login: string, password: string) =>
    apiFetch<{ user: User }>('/api/v1/auth/login', { method: 'POST', body: { login, password } }),
  me: () => apiFetch<{ user: User }>('/api/v1/auth/me'),
  logout: () => apiFetch<void>('/api/v1/auth/logout', { method: 'POST' }),
  listRequests: (filters: RequestFilters, cursor: string | null, signal?: AbortSignal) =>
    apiFetch<RequestPage>(`/api/v1/requests?${requestListQuery(filters, cursor)}`, { signal }),
  getRequest: (id: string, signal?: AbortSignal) =>
    apiFetch<PatientRequest>(`/api/v1/requests/${encodeURIComponent(id)}`, { signal }),
};

export type Api = typeof api;
