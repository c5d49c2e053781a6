import { describe, expect, it } from 'vitest';
import { ApiError, parseProblem } from './api';
import {
  addDays,
  alternativesFrom,
  clinicDay,
  clinicTime,
  dayLabel,
  defaultRange,
  groupSlotsByDay,
  nearestSearch,
  rangeProblem,
  shortName,
  slotLabel,
  slotQuery,
} from './booking';
import type { MisSlot } from './types';

const slot = (id: string, start: string, extra: Partial<MisSlot> = {}): MisSlot => ({
  id,
  start,
  end: new Date(Date.parse(start) + 15 * 60_000).toISOString(),
  specialty: { id: 'therapist', name: 'Терапевт' },
  doctor: { id: 'doc-07', name: 'Иванов Иван Иванович' },
  branch: { id: 'branch-2', name: 'ул. Малышева' },
  ...extra,
});

describe('clinic days (Asia/Yekaterinburg, UTC+5)', () => {
  it('puts an instant on the clinic’s calendar day, not UTC’s', () => {
    expect(clinicDay('2026-11-22T19:30:00Z')).toBe('2026-11-23'); // 00:30 local
    expect(clinicDay('2026-11-22T18:59:00Z')).toBe('2026-11-22'); // 23:59 local
    expect(clinicDay('2026-11-23T10:00:00+05:00')).toBe('2026-11-23');
    expect(clinicDay('not a time')).toBe('');
  });

  it('shows times in the clinic', () => {
    expect(clinicTime('2026-11-23T04:00:00Z')).toBe('09:00');
    expect(clinicTime('2026-11-22T19:30:00Z')).toBe('00:30');
  });

  it('adds days across months and years', () => {
    expect(addDays('2026-11-28', 7)).toBe('2026-12-05');
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
  });

  it('defaults to today .. +7 days in the clinic', () => {
    // 21:00 UTC is already the next day in Yekaterinburg.
    expect(defaultRange(new Date('2026-11-20T21:00:00Z'))).toEqual({ fromDay: '2026-11-21', toDay: '2026-11-28' });
  });

  it('labels a day in either language', () => {
    expect(dayLabel('2026-11-23', 'ru')).toMatch(/23 ноября/);
    expect(dayLabel('2026-11-23', 'en')).toMatch(/23 November/);
  });
});

describe('slot grouping', () => {
  it('groups by the clinic’s day, days and slots in order', () => {
    const groups = groupSlotsByDay([
      slot('c', '2026-11-24T05:00:00Z'),
      slot('b', '2026-11-23T10:00:00Z'),
      slot('late', '2026-11-23T19:15:00Z'), // 00:15 on the 24th locally
      slot('a', '2026-11-23T04:00:00Z'),
    ]);
    expect(groups.map((g) => g.day)).toEqual(['2026-11-23', '2026-11-24']);
    expect(groups[0].slots.map((s) => s.id)).toEqual(['a', 'b']);
    expect(groups[1].slots.map((s) => s.id)).toEqual(['late', 'c']);
  });

  it('drops slots with unreadable times and handles none', () => {
    expect(groupSlotsByDay([{ ...slot('x', '2026-11-23T04:00:00Z'), start: 'soon' }])).toEqual([]);
    expect(groupSlotsByDay([])).toEqual([]);
  });

  it('labels a slot with time, short doctor name and branch', () => {
    expect(slotLabel(slot('a', '2026-11-23T05:30:00Z'))).toBe('10:30 · Иванов И.И. · ул. Малышева');
    expect(shortName('Dr House')).toBe('Dr H.');
    expect(shortName('Консультант')).toBe('Консультант');
  });
});

describe('slot query', () => {
  const now = new Date('2026-11-21T02:00:00Z');

  it('sends chosen filters and the clinic’s midnights, to = end of the last day', () => {
    const q = new URLSearchParams(
      slotQuery({ specialty: 'therapist', branch: 'branch-2', doctor: '', fromDay: '2026-11-23', toDay: '2026-11-25' }, now),
    );
    expect(q.get('specialty')).toBe('therapist');
    expect(q.get('branch')).toBe('branch-2');
    expect(q.has('doctor')).toBe(false);
    expect(q.get('from')).toBe('2026-11-23T00:00:00+05:00');
    expect(q.get('to')).toBe('2026-11-26T00:00:00+05:00');
    expect(q.has('limit')).toBe(false);
  });

  it('starts a range that begins today at now, so no past slot is offered', () => {
    const q = new URLSearchParams(slotQuery({ specialty: 'therapist', fromDay: '2026-11-21', toDay: '2026-11-28' }, now));
    expect(q.get('from')).toBe('2026-11-21T02:00:00Z');
    expect(q.has('branch')).toBe(false);
  });

  it('the nearest slot: any branch and doctor, one slot, at most 14 days', () => {
    const s = nearestSearch('cardio', now);
    expect(s).toEqual({ specialty: 'cardio', fromDay: '2026-11-21', toDay: '2026-12-04', limit: 1 });
    const q = new URLSearchParams(slotQuery(s, now));
    expect(q.get('limit')).toBe('1');
    expect(q.has('branch') || q.has('doctor')).toBe(false);
    expect(Date.parse(q.get('to')!) - Date.parse(q.get('from')!)).toBeLessThanOrEqual(14 * 86_400_000);
  });

  it('checks the range', () => {
    expect(rangeProblem('2026-11-21', '2026-11-28')).toBeNull();
    expect(rangeProblem('2026-11-21', '2026-11-21')).toBeNull();
    expect(rangeProblem('2026-11-21', '2026-12-04')).toBeNull(); // 14 days
    expect(rangeProblem('2026-11-21', '2026-12-05')).toBe('tooLong');
    expect(rangeProblem('2026-11-22', '2026-11-21')).toBe('order');
    expect(rangeProblem('', '2026-11-21')).toBe('invalid');
  });
});

describe('409 alternatives', () => {
  const conflict = async (body: unknown) =>
    new ApiError(409, await parseProblem(new Response(JSON.stringify(body), { status: 409 })));

  it('keeps the problem body’s alternatives as new choices', async () => {
    const err = await conflict({
      title: 'Conflict',
      code: 'conflict',
      detail: 'the slot was just taken; choose one of the alternatives',
      alternatives: [slot('s2', '2026-11-23T04:15:00Z'), slot('s3', '2026-11-23T04:30:00Z')],
    });
    expect(err.code).toBe('conflict');
    expect(alternativesFrom(err, 's1').map((s) => s.id)).toEqual(['s2', 's3']);
  });

  it('drops the taken slot, repeats and malformed entries', async () => {
    const err = await conflict({
      alternatives: [slot('s1', '2026-11-23T04:00:00Z'), slot('s2', '2026-11-23T04:15:00Z'), slot('s2', '2026-11-23T04:15:00Z'), { id: 'x' }, null, 'slot'],
    });
    expect(alternativesFrom(err, 's1').map((s) => s.id)).toEqual(['s2']);
  });

  it('offers nothing for other failures or a 409 without alternatives', async () => {
    expect(alternativesFrom(await conflict({ title: 'Conflict' }))).toEqual([]);
    expect(alternativesFrom(new ApiError(503, { title: 'Unavailable', alternatives: [slot('s2', '2026-11-23T04:15:00Z')] }))).toEqual([]);
    expect(alternativesFrom(new Error('network'))).toEqual([]);
    expect(alternativesFrom(null)).toEqual([]);
  });
});
