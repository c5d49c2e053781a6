import { describe, expect, it } from 'vitest';
import { translate } from './i18n';
import { breakerColor, healthProblems, kindLabel } from './misHealth';
import type { MisHealth } from './types';

const healthy: MisHealth = {
  kind: 'fhir',
  base_url: 'http://127.0.0.1:8080/demo/fhir',
  breaker: 'closed',
  last_refresh_at: '2026-11-26T05:00:00Z',
  last_refresh_error: null,
  feed: { cursor_at: '2026-11-26T05:00:00Z', last_poll_at: '2026-11-26T05:00:10Z', last_error: null, applied_total: 3 },
  counts: { branches: 3, specialties: 8, doctors: 20, services: 16 },
};

describe('healthProblems', () => {
  it('finds nothing wrong with a healthy MIS', () => {
    expect(healthProblems(healthy)).toEqual([]);
  });

  it('names each problem, most basic first', () => {
    expect(
      healthProblems({
        ...healthy,
        breaker: 'open',
        last_refresh_error: 'timeout',
        feed: { ...healthy.feed!, last_error: '503 from the MIS' },
      }),
    ).toEqual(['mis.problemBreaker', 'mis.problemRefresh', 'mis.problemFeed']);
    expect(healthProblems({ ...healthy, kind: 'none', last_refresh_at: null, feed: null })).toEqual(['mis.problemNone']);
    expect(healthProblems({ ...healthy, last_refresh_at: null })).toEqual(['mis.problemNeverRefreshed']);
  });
});

describe('labels', () => {
  const t = (k: Parameters<typeof translate>[1]) => translate('ru', k);
  it('names the adapter kinds', () => {
    expect(kindLabel('fhir', t)).toBe('FHIR R4');
    expect(kindLabel('none', t)).toBe('не подключена');
    expect(kindLabel('medesk', t)).toBe('medesk');
  });

  it('colours the breaker', () => {
    expect(breakerColor('closed')).toBe('teal');
    expect(breakerColor('open')).toBe('red');
    expect(breakerColor('half-open')).toBe('orange');
  });
});
