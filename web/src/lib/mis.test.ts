import { describe, expect, it } from 'vitest';
import {
  reasonTone,
  sortReasons,
  birthLabel,
  bookingPatient,
  confidencePercent,
  formatPrice,
  isChangeable,
  isFamilyPhone,
  isMasked,
  mergeAppointments,
  patientName,
  preselect,
  sortCandidates,
  splitAppointments,
  statusColor,
} from './mis';
import { APPOINTMENT_STATUSES, type ContactAppointment, type MatchCandidate } from './types';

const NOW = new Date('2026-11-26T05:00:00Z');

const appt = (id: string, start: string, status = 'booked'): ContactAppointment => ({
  id,
  mis_id: `mis-${id}`,
  status,
  start,
  end: start,
  doctor: { id: 'd', name: 'Иванов Иван Иванович' },
  branch: { id: 'b', name: 'ул. Малышева' },
  specialty: { id: 's', name: 'Терапевт' },
  request_id: null,
  patient_id: null,
});

const cand = (id: string, confidence: number, reasons: string[], linked = false): MatchCandidate => ({
  patient: { id, family: 'Иванова', given: 'Анна', middle: '', birth_date: '1990-01-02', phones: ['+73432223344'] },
  confidence,
  reasons,
  linked,
});

describe('appointments', () => {
  it('splits upcoming from the history, soonest and latest first', () => {
    const { upcoming, past } = splitAppointments(
      [
        appt('later', '2026-12-02T05:00:00Z'),
        appt('soon', '2026-11-27T05:00:00Z', 'confirmed'),
        appt('gone', '2026-11-20T05:00:00Z', 'completed'),
        appt('cancelled-ahead', '2026-11-28T05:00:00Z', 'cancelled'),
        appt('missed', '2026-11-25T05:00:00Z', 'noshow'),
        appt('soon', '2026-11-27T05:00:00Z', 'confirmed'),
      ],
      NOW,
    );
    expect(upcoming.map((a) => a.id)).toEqual(['soon', 'later']);
    expect(past.map((a) => a.id)).toEqual(['cancelled-ahead', 'missed', 'gone']);
  });

  it('lets booked and confirmed appointments ahead be cancelled or moved, nothing else', () => {
    expect(isChangeable(appt('a', '2026-11-27T05:00:00Z'), NOW)).toBe(true);
    expect(isChangeable(appt('a', '2026-11-27T05:00:00Z', 'confirmed'), NOW)).toBe(true);
    expect(isChangeable(appt('a', '2026-11-27T05:00:00Z', 'arrived'), NOW)).toBe(false);
    expect(isChangeable(appt('a', '2026-11-27T05:00:00Z', 'cancelled'), NOW)).toBe(false);
    expect(isChangeable(appt('a', '2026-11-26T04:59:00Z'), NOW)).toBe(false);
  });

  it('gives every status its own colour', () => {
    const colours = APPOINTMENT_STATUSES.map(statusColor);
    expect(new Set(colours).size).toBe(APPOINTMENT_STATUSES.length);
  });

  it('prefers the server’s version and keeps local ones it lacks', () => {
    const merged = mergeAppointments([appt('x', '2026-11-27T05:00:00Z', 'confirmed')], [appt('x', '2026-11-27T05:00:00Z'), appt('new', '2026-11-28T05:00:00Z')]);
    expect(merged.map((a) => [a.id, a.status])).toEqual([
      ['x', 'confirmed'],
      ['new', 'booked'],
    ]);
  });
});

describe('formatPrice', () => {
  const nbsp = (s: string) => s.replace(/[\u00a0\u202f]/g, ' ');
  it('reads a decimal string as roubles in ru-RU', () => {
    expect(nbsp(formatPrice('1500.00', 'RUB'))).toBe('1 500 ₽');
    expect(nbsp(formatPrice('1234.50', 'RUB'))).toBe('1 234,50 ₽');
    expect(nbsp(formatPrice('0', 'RUB'))).toBe('0 ₽');
  });

  it('formats for English readers too', () => {
    expect(nbsp(formatPrice('1500.00', 'RUB', 'en'))).toBe('RUB 1,500');
  });

  it('leaves an unreadable price as sent', () => {
    expect(formatPrice('по запросу', 'RUB')).toBe('по запросу');
    expect(formatPrice('', 'RUB')).toBe('');
  });
});

describe('patients', () => {
  it('joins the name parts it has', () => {
    expect(patientName({ family: 'Иванова', given: 'Анна', middle: 'Сергеевна' })).toBe('Иванова Анна Сергеевна');
    expect(patientName({ family: 'Ив***', given: 'А***', middle: '' })).toBe('Ив*** А***');
  });

  it('shows a birth date the Russian way, a masked year as it is', () => {
    expect(birthLabel('1985-03-02')).toBe('02.03.1985');
    expect(birthLabel('1985')).toBe('1985');
    expect(birthLabel(null)).toBe('');
  });

  it('notices a masked patient', () => {
    expect(isMasked({ id: 'p', family: 'Ив***', given: 'А***', middle: '', birth_date: '1985', phones: ['+7 *** ***-**-67'] })).toBe(true);
    expect(isMasked({ id: 'p', family: 'Иванова', given: 'Анна', middle: '', birth_date: '1985-03-02', phones: ['+73432223344'] })).toBe(false);
  });
});

describe('matching', () => {
  it('pre-selects the single confident candidate not yet linked', () => {
    expect(preselect([cand('a', 0.95, ['phone', 'family']), cand('b', 0.5, ['phone'])])).toBe('a');
    expect(preselect([cand('a', 0.95, ['phone'], true), cand('b', 0.5, ['phone'])])).toBeNull();
    expect(preselect([cand('a', 0.89, ['phone'])])).toBeNull();
    expect(preselect([cand('a', 0.9, ['phone'])])).toBe('a');
  });

  it('pre-selects nothing when two are that confident', () => {
    expect(preselect([cand('a', 0.95, ['phone']), cand('b', 0.92, ['phone'])])).toBeNull();
  });

  it('recognises a family phone', () => {
    expect(isFamilyPhone([cand('a', 0.95, ['phone', 'family']), cand('b', 0.6, ['phone'])])).toBe(true);
    expect(isFamilyPhone([cand('a', 0.95, ['phone', 'family']), cand('b', 0.4, ['family'])])).toBe(false);
  });

  it('orders candidates: unlinked first, then by confidence', () => {
    const sorted = sortCandidates([cand('linked', 0.99, ['phone'], true), cand('low', 0.3, []), cand('high', 0.8, ['phone'])]);
    expect(sorted.map((c) => c.patient.id)).toEqual(['high', 'low', 'linked']);
  });

  it('shows confidence as a bounded percent', () => {
    expect(confidencePercent(0.934)).toBe(93);
    expect(confidencePercent(1.2)).toBe(100);
    expect(confidencePercent(Number.NaN)).toBe(0);
  });
});

describe('bookingPatient', () => {
  it('books for the one linked patient, for the chosen one of several, for the contact when none', () => {
    expect(bookingPatient([], null)).toBeUndefined();
    expect(bookingPatient(['p1'], null)).toBe('p1');
    expect(bookingPatient(['p1', 'p2'], null)).toBeNull();
    expect(bookingPatient(['p1', 'p2'], 'p2')).toBe('p2');
    expect(bookingPatient(['p1', 'p2'], 'p3')).toBeNull();
  });

  it('trusts the server’s masked flag', () => {
    expect(isMasked({ id: 'p', family: 'Иванова', given: 'Анна', middle: '', birth_date: '1985', phones: [], masked: true })).toBe(true);
  });
});

describe('match reasons', () => {
  it('tells agreeing, similar and differing fields apart, agreeing first', () => {
    expect(reasonTone('phone')).toBe('match');
    expect(reasonTone('family_similar')).toBe('similar');
    expect(reasonTone('given_differs')).toBe('differs');
    expect(sortReasons(['given_differs', 'phone', 'family_similar', 'phone', 'middle'])).toEqual(['phone', 'middle', 'family_similar', 'given_differs']);
  });
});
