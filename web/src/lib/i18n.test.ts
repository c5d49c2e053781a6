import { describe, expect, it } from 'vitest';
import { dictionaries, translate } from './i18n';
import { APPOINTMENT_STATUSES, CHANNELS, MATCH_REASONS, OUTCOMES, PERMISSIONS, STATUSES } from './types';

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('i18n', () => {
  const ruKeys = Object.keys(dictionaries.ru).sort();
  const enKeys = Object.keys(dictionaries.en).sort();

  it('has every Russian key in English', () => {
    expect(ruKeys.filter((k) => !enKeys.includes(k))).toEqual([]);
  });

  it('has every English key in Russian', () => {
    expect(enKeys.filter((k) => !ruKeys.includes(k))).toEqual([]);
  });

  it('has no empty texts', () => {
    for (const [lang, dict] of Object.entries(dictionaries)) {
      for (const [key, text] of Object.entries(dict)) {
        expect(text.trim(), `${lang}:${key}`).not.toBe('');
      }
    }
  });

  it('uses the same placeholders in both languages', () => {
    for (const key of ruKeys) {
      const k = key as keyof typeof dictionaries.ru;
      expect(placeholders(dictionaries.en[k]), key).toEqual(placeholders(dictionaries.ru[k]));
    }
  });

  it('names every status and channel the API can send', () => {
    for (const s of STATUSES) expect(ruKeys).toContain(`status.${s}`);
    for (const c of CHANNELS) expect(ruKeys).toContain(`channel.${c}`);
  });

  it('names every permission and audit outcome', () => {
    for (const p of PERMISSIONS) expect(ruKeys).toContain(`perm.${p}`);
    for (const o of OUTCOMES) expect(ruKeys).toContain(`audit.outcome.${o}`);
  });

  it('names every appointment status and every reason a patient matched', () => {
    for (const s of APPOINTMENT_STATUSES) expect(ruKeys).toContain(`appt.${s}`);
    for (const r of MATCH_REASONS) expect(ruKeys).toContain(`match.reason.${r}`);
    expect(translate('ru', 'appt.noshow')).toBe('Не пришёл');
  });

  it('fills placeholders and leaves unknown ones visible', () => {
    expect(translate('ru', 'detail.consentGiven', { at: '21 ноября' })).toBe('Дано 21 ноября');
    expect(translate('en', 'detail.consentGiven')).toBe('Given {at}');
    expect(translate('en', 'patient.title')).toBe('Patient card');
    expect(translate('ru', 'patient.title')).toBe('Карточка пациента');
  });
});
