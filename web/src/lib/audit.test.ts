import { describe, expect, it } from 'vitest';
import {
  auditExportHref,
  auditFiltersFromParams,
  auditFiltersToParams,
  auditQuery,
  EMPTY_AUDIT_FILTERS,
  localToRfc3339,
  periodInvalid,
} from './audit';
import type { AuditFilters } from './types';

const f = (patch: Partial<AuditFilters>): AuditFilters => ({ ...EMPTY_AUDIT_FILTERS, ...patch });
/** The expected UTC form of a local wall-clock time, whatever the test machine's zone. */
const utc = (y: number, mo: number, d: number, h = 0, mi = 0) => new Date(y, mo - 1, d, h, mi).toISOString().replace('.000Z', 'Z');

describe('localToRfc3339', () => {
  it('turns datetime-local and date values into RFC 3339 UTC', () => {
    expect(localToRfc3339('2026-11-21T09:30')).toBe(utc(2026, 11, 21, 9, 30));
    expect(localToRfc3339('2026-11-21')).toBe(utc(2026, 11, 21));
    expect(localToRfc3339('2026-11-21T09:30:15')).toMatch(/^2026-11-2\dT\d\d:30:15Z$/);
  });

  it('gives nothing for empty or unreadable values', () => {
    expect(localToRfc3339('')).toBe('');
    expect(localToRfc3339('21.11.2026')).toBe('');
    expect(localToRfc3339('2026-02-31')).toBe('');
  });
});

describe('auditQuery', () => {
  it('sends no filters for an empty search', () => {
    expect(auditQuery(EMPTY_AUDIT_FILTERS)).toBe('');
    expect(auditQuery(EMPTY_AUDIT_FILTERS, null, 100)).toBe('limit=100');
  });

  it('sends the filters given, trimmed, in the API names', () => {
    const q = new URLSearchParams(
      auditQuery(f({ actor: ' e2e.manager ', object: '0199-abc', object_type: 'contact', action: 'contact.reveal' }), 'c42', 100),
    );
    expect(Object.fromEntries(q)).toEqual({
      actor: 'e2e.manager',
      object: '0199-abc',
      object_type: 'contact',
      action: 'contact.reveal',
      limit: '100',
      cursor: 'c42',
    });
  });

  it('sends the period as RFC 3339', () => {
    const q = new URLSearchParams(auditQuery(f({ from: '2026-11-21T09:00', to: '2026-11-22T18:00' })));
    expect(q.get('from')).toBe(utc(2026, 11, 21, 9));
    expect(q.get('to')).toBe(utc(2026, 11, 22, 18));
  });

  it('escapes values', () => {
    expect(auditQuery(f({ actor: 'a&b=c' }))).toBe('actor=a%26b%3Dc');
  });
});

describe('auditExportHref', () => {
  it('links the CSV export with the same filters and no paging', () => {
    expect(auditExportHref(EMPTY_AUDIT_FILTERS)).toBe('/api/v1/audit/export.csv');
    expect(auditExportHref(f({ action: 'contact.reveal' }))).toBe('/api/v1/audit/export.csv?action=contact.reveal');
  });
});

describe('the address', () => {
  it('round-trips the form through the page query', () => {
    const form = f({ actor: 'security', action: 'contact.reveal', from: '2026-11-21T09:00' });
    const q = auditFiltersToParams(form);
    expect(q).toBe('actor=security&action=contact.reveal&from=2026-11-21T09%3A00');
    expect(auditFiltersFromParams(new URLSearchParams(q))).toEqual(form);
  });

  it('ignores unknown parameters', () => {
    expect(auditFiltersFromParams(new URLSearchParams('foo=1&object= 42 '))).toEqual(f({ object: '42' }));
  });
});

describe('periodInvalid', () => {
  it('flags a period that ends before it starts', () => {
    expect(periodInvalid(f({ from: '2026-11-22T00:00', to: '2026-11-21T00:00' }))).toBe(true);
    expect(periodInvalid(f({ from: '2026-11-21T00:00', to: '2026-11-21T00:00' }))).toBe(true);
    expect(periodInvalid(f({ from: '2026-11-21T00:00', to: '2026-11-21T00:01' }))).toBe(false);
    expect(periodInvalid(f({ from: '2026-11-21T00:00' }))).toBe(false);
  });
});
