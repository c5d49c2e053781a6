import { describe, expect, it } from 'vitest';
import { bookable, buildGrid, isWeekend, scheduleHref, scheduleQuery, shiftDay, viewDays } from './schedule';
import type { ScheduleSlot } from './types';

const slot = (id: string, start: string, doctor: string, status = 'free'): ScheduleSlot => ({
  id,
  start,
  end: new Date(Date.parse(start) + 20 * 60_000).toISOString(),
  doctor: { id: doctor, name: doctor === 'd-b' ? 'Борисова Анна Петровна' : 'Абрамов Илья Сергеевич' },
  branch: { id: 'b-1', name: 'ул. Малышева' },
  specialty: { id: 'sp-1', name: 'Терапевт' },
  status,
});

describe('weeks and days', () => {
  it('knows weekends', () => {
    expect(isWeekend('2026-11-23')).toBe(false); // Monday
    expect(isWeekend('2026-11-28')).toBe(true); // Saturday
    expect(isWeekend('2026-11-29')).toBe(true); // Sunday
  });

  it('lists the days of a view: a week runs seven days from the chosen one', () => {
    expect(viewDays('day', '2026-11-26')).toEqual(['2026-11-26']);
    expect(viewDays('week', '2026-11-28')).toEqual([
      '2026-11-28',
      '2026-11-29',
      '2026-11-30',
      '2026-12-01',
      '2026-12-02',
      '2026-12-03',
      '2026-12-04',
    ]);
  });

  it('moves a day or a week back and forth', () => {
    expect(shiftDay('day', '2026-11-30', -1)).toBe('2026-11-29');
    expect(shiftDay('day', '2026-12-31', 1)).toBe('2027-01-01');
    expect(shiftDay('week', '2026-11-26', 1)).toBe('2026-12-03');
    expect(shiftDay('week', '2026-11-26', -1)).toBe('2026-11-19');
  });
});

describe('scheduleQuery', () => {
  it('asks one day from the clinic’s midnight to the next', () => {
    const q = new URLSearchParams(scheduleQuery({ branch: 'b-1', specialty: 'sp-1', view: 'day', day: '2026-11-26' }));
    expect(Object.fromEntries(q)).toEqual({
      branch: 'b-1',
      specialty: 'sp-1',
      from: '2026-11-26T00:00:00+05:00',
      to: '2026-11-27T00:00:00+05:00',
    });
  });

  it('asks seven days for a week, within the API’s 8 days, with the doctor when chosen', () => {
    const q = new URLSearchParams(scheduleQuery({ branch: 'b-1', specialty: 'sp-1', doctor: 'd-a', view: 'week', day: '2026-11-26' }));
    expect(q.get('doctor')).toBe('d-a');
    expect(q.get('from')).toBe('2026-11-26T00:00:00+05:00');
    expect(q.get('to')).toBe('2026-12-03T00:00:00+05:00');
    expect(Date.parse(q.get('to')!) - Date.parse(q.get('from')!)).toBeLessThanOrEqual(8 * 86_400_000);
  });
});

describe('buildGrid', () => {
  const slots = [
    slot('s3', '2026-11-26T05:00:00Z', 'd-b', 'busy'), // 10:00 local
    slot('s1', '2026-11-26T04:00:00Z', 'd-b'), // 09:00
    slot('s2', '2026-11-26T04:20:00Z', 'd-a'), // 09:20
    slot('s2', '2026-11-26T04:20:00Z', 'd-a'), // a repeat
    slot('s4', '2026-11-27T04:00:00Z', 'd-a'), // next day
    slot('s5', '2026-11-25T19:30:00Z', 'd-a'), // 00:30 on the 26th in Yekaterinburg
  ];

  const before = new Date('2026-11-25T00:00:00Z');

  it('lays a day out as doctors by the times slots start, in the clinic’s time', () => {
    const g = buildGrid(slots, 'day', '2026-11-26', before);
    expect(g.columns).toEqual(['00:30', '09:00', '09:20', '10:00']);
    expect(g.rows.map((r) => r.doctor.id)).toEqual(['d-a', 'd-b']); // Абрамов before Борисова
    expect(g.rows[0].cells['09:20'].map((s) => s.id)).toEqual(['s2']);
    expect(g.rows[0].cells['09:00']).toBeUndefined();
    expect(g.rows[1].cells['10:00'][0].status).toBe('busy');
    expect(g.rows[1].free).toBe(1);
    expect(g.rows[0].free).toBe(2);
  });

  it('counts only free slots not yet begun', () => {
    const g = buildGrid(slots, 'day', '2026-11-26', new Date('2026-11-26T04:10:00Z'));
    expect(g.rows.map((r) => r.free)).toEqual([1, 0]); // d-a: 09:20 left; d-b: 09:00 has begun
  });

  it('lays a week out as doctors by its seven days', () => {
    const g = buildGrid(slots, 'week', '2026-11-23', before);
    expect(g.columns).toHaveLength(7);
    expect(g.rows[0].cells['2026-11-26'].map((s) => s.id)).toEqual(['s5', 's2']);
    expect(g.rows[0].cells['2026-11-27'].map((s) => s.id)).toEqual(['s4']);
    expect(g.rows[1].cells['2026-11-26'].map((s) => s.id)).toEqual(['s1', 's3']);
  });

  it('is empty without slots in view', () => {
    expect(buildGrid(slots, 'day', '2026-12-01', before)).toEqual({ columns: [], rows: [] });
  });
});

describe('bookable', () => {
  const now = new Date('2026-11-26T04:10:00Z');
  it('books only free slots not yet begun', () => {
    expect(bookable(slot('a', '2026-11-26T04:20:00Z', 'd-a'), now)).toBe(true);
    expect(bookable(slot('b', '2026-11-26T04:00:00Z', 'd-a'), now)).toBe(false);
    expect(bookable(slot('c', '2026-11-26T05:00:00Z', 'd-a', 'busy'), now)).toBe(false);
  });
});

describe('scheduleHref', () => {
  it('carries the request id, escaped', () => {
    expect(scheduleHref('0190-a b')).toBe('/schedule/?request=0190-a%20b');
    expect(scheduleHref(null)).toBe('/schedule/');
  });
});
