// The MIS settings page's reading of GET /mis/health: what needs an administrator's attention.
import type { MessageKey, Translate } from './i18n';
import type { MisHealth } from './types';

/** The breaker's colour: closed is the healthy state (calls go through). */
export function breakerColor(state: string): string {
  return state === 'closed' ? 'teal' : state === 'open' ? 'red' : 'orange';
}

/** "FHIR R4", "Renovatio", "не подключена"; an unknown kind as it is. */
export function kindLabel(kind: string, t: Translate): string {
  switch (kind) {
    case 'fhir':
      return t('mis.kindFhir');
    case 'renovatio':
      return t('mis.kindRenovatio');
    case 'none':
    case '':
      return t('mis.kindNone');
    default:
      return kind;
  }
}

/** What is wrong, in the order an administrator should look: no MIS, breaker open, refresh, feed. */
export function healthProblems(h: MisHealth): MessageKey[] {
  const out: MessageKey[] = [];
  if (!h.kind || h.kind === 'none') out.push('mis.problemNone');
  if (h.breaker === 'open') out.push('mis.problemBreaker');
  if (h.last_refresh_error) out.push('mis.problemRefresh');
  else if (!h.last_refresh_at && h.kind && h.kind !== 'none') out.push('mis.problemNeverRefreshed');
  if (h.feed?.last_error) out.push('mis.problemFeed');
  return out;
}
