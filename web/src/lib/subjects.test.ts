import { describe, expect, it } from 'vitest';
import { dictionaries, translate } from './i18n';
import {
  confirmWordMatches,
  consentActive,
  contactFromParams,
  FORGET_WORD,
  purposeLabel,
  searchBody,
  subjectsPath,
  summarizeReport,
} from './subjects';
import type { ConsentRecord, PatientRequest, SubjectReport } from './types';

const consent = (id: string, withdrawn: string | null = null): ConsentRecord => ({
  id,
  request_id: `r-${id}`,
  purpose: 'personal_data_processing',
  text_version: '2026-01',
  channel: 'web_form',
  given_at: '2026-11-20T10:00:00Z',
  withdrawn_at: withdrawn,
});

const request = (id: string, created: string, status: PatientRequest['status'], message = 'Хочу записаться'): PatientRequest => ({
  id,
  channel: 'web_form',
  status,
  source: 'demo',
  source_name: 'Сайт',
  message,
  contact: { id: 'c1', name: 'Иванова Анна', phone: '+73432000000', email: '' },
  consent: null,
  created_at: created,
  updated_at: created,
});

const report = (extra: Partial<SubjectReport> = {}): SubjectReport => ({
  generated_at: '2026-11-21T09:00:00Z',
  contact: { id: 'c1', name: 'Иванова Анна', phone: '+73432000000', email: 'anna@example.ru' },
  anonymized_at: null,
  requests: [
    request('r1', '2026-10-01T08:00:00Z', 'visited'),
    request('r3', '2026-11-20T10:00:00Z', 'new'),
    request('r2', '2026-11-02T12:30:00Z', 'visited'),
  ],
  consents: [consent('k1'), consent('k2', '2026-11-21T08:00:00Z')],
  ...extra,
});

describe('confirmWordMatches', () => {
  it('takes the word shown, whatever the case and the spaces around it', () => {
    expect(confirmWordMatches('УДАЛИТЬ', 'УДАЛИТЬ')).toBe(true);
    expect(confirmWordMatches('  удалить ', 'УДАЛИТЬ')).toBe(true);
    expect(confirmWordMatches('forget', 'FORGET')).toBe(true);
  });

  it('refuses anything else', () => {
    expect(confirmWordMatches('', 'УДАЛИТЬ')).toBe(false);
    expect(confirmWordMatches('УДАЛИ', 'УДАЛИТЬ')).toBe(false);
    expect(confirmWordMatches('УДАЛИТЬ УДАЛИТЬ', 'УДАЛИТЬ')).toBe(false);
    expect(confirmWordMatches('У ДАЛИТЬ', 'УДАЛИТЬ')).toBe(false);
    // The other language's word is not the one shown.
    expect(confirmWordMatches('FORGET', 'УДАЛИТЬ')).toBe(false);
    // Latin look-alikes are not Cyrillic letters.
    expect(confirmWordMatches('YДAЛИTЬ', 'УДАЛИТЬ')).toBe(false);
    // Without a word there is nothing to match.
    expect(confirmWordMatches('', '')).toBe(false);
    expect(confirmWordMatches(' ', ' ')).toBe(false);
  });

  it('has a word in every language', () => {
    for (const lang of Object.keys(dictionaries) as (keyof typeof FORGET_WORD)[]) expect(FORGET_WORD[lang]).toMatch(/^\S+$/);
  });
});

describe('searchBody', () => {
  it('sends the phone when one is given, trimmed', () => {
    expect(searchBody({ phone: ' 8 (343) 200-00-00 ', email: '' })).toEqual({ body: { phone: '8 (343) 200-00-00' } });
    expect(searchBody({ phone: '+79000000000', email: 'a@b.ru' })).toEqual({ body: { phone: '+79000000000' } });
  });

  it('else the e-mail, when it looks like one', () => {
    expect(searchBody({ phone: '  ', email: ' Anna@Example.ru ' })).toEqual({ body: { email: 'Anna@Example.ru' } });
    expect(searchBody({ phone: '', email: 'anna.example.ru' })).toEqual({ field: 'email', error: 'email' });
    expect(searchBody({ phone: '', email: 'a b@c.ru' })).toEqual({ field: 'email', error: 'email' });
  });

  it('asks for one of them when both are empty', () => {
    expect(searchBody({ phone: '', email: ' ' })).toEqual({ field: 'phone', error: 'required' });
  });
});

describe('the address', () => {
  it('carries the contact id only', () => {
    expect(subjectsPath('0b7c6f9e-1d2a-4c3b-9e8f-7a6b5c4d3e2f')).toBe('/subjects/?contact=0b7c6f9e-1d2a-4c3b-9e8f-7a6b5c4d3e2f');
    expect(subjectsPath('')).toBe('/subjects/');
    expect(contactFromParams(new URLSearchParams('contact=0b7c6f9e-1d2a-4c3b-9e8f-7a6b5c4d3e2f'))).toBe(
      '0b7c6f9e-1d2a-4c3b-9e8f-7a6b5c4d3e2f',
    );
  });

  it('ignores what cannot be an id', () => {
    expect(contactFromParams(new URLSearchParams(''))).toBe('');
    expect(contactFromParams(new URLSearchParams('contact=../../users'))).toBe('');
    expect(contactFromParams(new URLSearchParams('contact=%2B79000000000'))).toBe('');
    expect(contactFromParams(new URLSearchParams(`contact=${'a'.repeat(65)}`))).toBe('');
  });
});

describe('summarizeReport', () => {
  it('counts the requests, newest first, with their period and statuses', () => {
    const s = summarizeReport(report());
    expect(s.requestCount).toBe(3);
    expect(s.requests.map((r) => r.id)).toEqual(['r3', 'r2', 'r1']);
    expect(s.firstAt).toBe('2026-10-01T08:00:00Z');
    expect(s.lastAt).toBe('2026-11-20T10:00:00Z');
    expect(s.byStatus).toEqual([
      { status: 'new', count: 1 },
      { status: 'visited', count: 2 },
    ]);
    expect(s.anonymized).toBe(false);
    expect(s.nameless).toBe(false);
  });

  it('counts consents in force and withdrawn, preferring the fresher list', () => {
    expect(summarizeReport(report()).consents).toEqual({ total: 2, active: 1, withdrawn: 1 });
    expect(summarizeReport(report(), [consent('k1', '2026-11-21T09:30:00Z'), consent('k2', '2026-11-21T08:00:00Z')]).consents).toEqual({
      total: 2,
      active: 0,
      withdrawn: 2,
    });
    expect(summarizeReport(report(), null).consents.active).toBe(1);
  });

  it('says nothing of a period without requests', () => {
    const s = summarizeReport(report({ requests: [], consents: [] }));
    expect(s).toMatchObject({ requestCount: 0, requests: [], byStatus: [], firstAt: null, lastAt: null });
    expect(s.consents).toEqual({ total: 0, active: 0, withdrawn: 0 });
  });

  it('reads an anonymized report: no name left, texts erased, ids and statuses kept', () => {
    const s = summarizeReport(
      report({
        contact: { id: 'c1', name: '', phone: '', email: '' },
        anonymized_at: '2026-11-21T09:10:00Z',
        requests: [request('r1', '2026-10-01T08:00:00Z', 'visited', '')],
      }),
    );
    expect(s).toMatchObject({ anonymized: true, anonymizedAt: '2026-11-21T09:10:00Z', nameless: true, requestCount: 1 });
    expect(s.requests[0]).toEqual({ id: 'r1', channel: 'web_form', status: 'visited', created_at: '2026-10-01T08:00:00Z', message: '' });
  });

  it('survives absent lists and unreadable times', () => {
    const bare = { ...report(), requests: null, consents: null } as unknown as SubjectReport;
    expect(summarizeReport(bare)).toMatchObject({ requestCount: 0, consents: { total: 0, active: 0, withdrawn: 0 } });
    const odd = summarizeReport(report({ requests: [request('a', 'not a time', 'new'), request('b', '2026-01-01T00:00:00Z', 'lost')] }));
    expect(odd.requests.map((r) => r.id)).toEqual(['b', 'a']);
  });

  it('tells a consent in force from a withdrawn one', () => {
    expect(consentActive(consent('k'))).toBe(true);
    expect(consentActive(consent('k', '2026-11-21T08:00:00Z'))).toBe(false);
  });
});

describe('purposeLabel', () => {
  it('names a known purpose in the language, shows an unknown one as its code', () => {
    const ru = (k: Parameters<typeof translate>[1]) => translate('ru', k);
    const en = (k: Parameters<typeof translate>[1]) => translate('en', k);
    expect(purposeLabel(ru, 'personal_data_processing')).toBe('Обработка персональных данных');
    expect(purposeLabel(en, 'personal_data_processing')).toBe('Personal data processing');
    expect(purposeLabel(ru, 'marketing_sms')).toBe('marketing_sms');
    expect(purposeLabel(ru, 'toString')).toBe('toString');
  });
});
