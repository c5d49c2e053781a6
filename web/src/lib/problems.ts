// Turning an API failure into what a form shows: messages under inputs, and one line above.
import { isApiError } from './api';

/** Field messages of a 422 (or any problem naming fields), by field name. */
export function fieldErrors(err: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isApiError(err)) return out;
  for (const e of err.problem.errors ?? []) if (e.field && !(e.field in out)) out[e.field] = e.message;
  return out;
}

/**
 * The line above a form: the problem's detail (the server says why: "granting more than you
 * hold"), else its title, else null so the caller shows its own generic text. Field errors
 * shown under their inputs are not repeated.
 */
export function problemMessage(err: unknown, shownFields: readonly string[] = []): string | null {
  if (!isApiError(err)) return null;
  const { detail, title, errors } = err.problem;
  if (errors?.length) {
    // The detail of a field problem restates its fields: say only what no input shows.
    const other = errors.filter((e) => !shownFields.includes(e.field));
    if (!other.length) return null;
    if (other.length === errors.length && detail) return detail;
    return other.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message)).join('; ');
  }
  return detail || title || null;
}
