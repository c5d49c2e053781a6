// Date and time formatting for the operator's locale and time zone.
import dayjs from 'dayjs';
import 'dayjs/locale/ru';
import 'dayjs/locale/en';
import type { Lang } from './i18n';

/** Short time for a list row: "14:05" today, "3 нояб. 14:05" this year, "03.11.2024" before. */
export function formatListTime(iso: string, lang: Lang, now: Date = new Date()): string {
  const d = dayjs(iso);
  if (!d.isValid()) return '';
  const n = dayjs(now);
  if (d.isSame(n, 'day')) return d.format('HH:mm');
  if (d.isSame(n, 'year')) return d.locale(lang).format('D MMM HH:mm');
  return d.format('DD.MM.YYYY');
}

/** Full date and time: "21 ноября 2025, 14:05". */
export function formatDateTime(iso: string, lang: Lang): string {
  const d = dayjs(iso);
  if (!d.isValid()) return iso;
  return d.locale(lang).format('D MMMM YYYY, HH:mm');
}

/** Date and time to the second, for logs: "21.11.2026 14:05:09". */
export function formatLogTime(iso: string): string {
  const d = dayjs(iso);
  if (!d.isValid()) return iso;
  return d.format('DD.MM.YYYY HH:mm:ss');
}

/** Date and time, short: "21.11.2026 14:05"; '' for an absent time. */
export function formatShortDateTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = dayjs(iso);
  if (!d.isValid()) return iso;
  return d.format('DD.MM.YYYY HH:mm');
}
