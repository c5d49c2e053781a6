// The data-subject page (152-FZ requests): the search body, the person in the address, the
// report's summary, and the word that confirms forgetting someone.
import { dictionaries, type Lang, type MessageKey, type Translate } from './i18n';
import type { ConsentRecord, ContactSearch, SubjectReport } from './types';

/** The word the officer types to confirm an anonymization, in the interface's language. */
export const FORGET_WORD: Record<Lang, string> = { ru: 'УДАЛИТЬ', en: 'FORGET' };

/**
 * Whether the typed text is the confirmation word: spaces around it and letter case do not
 * count, anything else does (a prefix, another word, the word twice).
 */
export function confirmWordMatches(typed: string, word: string): boolean {
  const want = word.trim().toLocaleUpperCase('ru');
  return want !== '' && typed.trim().toLocaleUpperCase('ru') === want;
}

export type SearchBy = 'phone' | 'email';

export interface SearchForm {
  phone: string;
  email: string;
}

/**
 * The body of POST /contacts/search: by phone when one is given, else by e-mail (the form
 * keeps only one filled). A field name and a reason when there is nothing to send.
 */
export function searchBody(form: SearchForm): { body: ContactSearch } | { field: SearchBy; error: 'required' | 'email' } {
  const phone = form.phone.trim();
  if (phone) return { body: { phone } };
  const email = form.email.trim();
  if (!email) return { field: 'phone', error: 'required' };
  if (!/^[^\s@]+@[^\s@]+$/.test(email)) return { field: 'email', error: 'email' };
  return { body: { email } };
}

/** The chosen person, from the page address (/subjects/?contact=…); '' for none. */
export function contactFromParams(params: Pick<URLSearchParams, 'get'>): string {
  const id = params.get('contact')?.trim() ?? '';
  return /^[\w-]{1,64}$/.test(id) ? id : '';
}

/** The page address for a chosen person (the id only: phones and e-mails never go in a URL). */
export function subjectsPath(contactId: string): string {
  return contactId ? `/subjects/?contact=${encodeURIComponent(contactId)}` : '/subjects/';
}

/** A consent's purpose in words, or its code when the UI does not know it. */
export function purposeLabel(t: Translate, purpose: string): string {
  const key = `subjects.purpose.${purpose}`;
  return key in dictionaries.ru ? t(key as MessageKey) : purpose;
}

/** Whether a consent is still in force. */
export function consentActive(c: Pick<ConsentRecord, 'withdrawn_at'>): boolean {
  return !c.withdrawn_at;
}

export interface RequestLine {
  id: string;
  channel: string;
  status: string;
  created_at: string;
  message: string;
}

export interface ReportSummary {
  anonymized: boolean;
  anonymizedAt: string | null;
  /** Nothing left that names the person: no name, phone or e-mail. */
  nameless: boolean;
  requestCount: number;
  /** Newest first. */
  requests: RequestLine[];
  /** Requests per status, in the order statuses first appear (newest first). */
  byStatus: { status: string; count: number }[];
  firstAt: string | null;
  lastAt: string | null;
  consents: { total: number; active: number; withdrawn: number };
}

const time = (iso: string) => {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? -Infinity : t;
};

/**
 * What the page says of a subject report. `consents`, when given, are fresher than the
 * report's (the list is read again after a withdrawal, the report is not).
 */
export function summarizeReport(report: SubjectReport, consents?: readonly ConsentRecord[] | null): ReportSummary {
  const requests: RequestLine[] = (report.requests ?? [])
    .map((r) => ({
      id: r.id,
      channel: r.channel,
      status: r.status,
      created_at: r.created_at,
      message: r.message ?? '',
    }))
    .sort((a, b) => time(b.created_at) - time(a.created_at) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  const byStatus: { status: string; count: number }[] = [];
  for (const r of requests) {
    const s = byStatus.find((x) => x.status === r.status);
    if (s) s.count++;
    else byStatus.push({ status: r.status, count: 1 });
  }
  const list = consents ?? report.consents ?? [];
  const active = list.filter(consentActive).length;
  const c = report.contact;
  return {
    anonymized: !!report.anonymized_at,
    anonymizedAt: report.anonymized_at ?? null,
    nameless: !c || (!c.name && !c.phone && !c.email),
    requestCount: requests.length,
    requests,
    byStatus,
    firstAt: requests.length ? requests[requests.length - 1].created_at : null,
    lastAt: requests.length ? requests[0].created_at : null,
    consents: { total: list.length, active, withdrawn: list.length - active },
  };
}
