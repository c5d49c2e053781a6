// Wire types of the Okno REST and WebSocket API (/api/v1), as the UI uses them.

export const CHANNELS = ['web_form', 'phone', 'chat', 'telegram', 'whatsapp', 'vk', 'email'] as const;
export type Channel = (typeof CHANNELS)[number];

export const STATUSES = ['new', 'in_progress', 'booked', 'visited', 'lost'] as const;
export type RequestStatus = (typeof STATUSES)[number];

export interface User {
  id: string;
  login: string;
  name: string;
  role: string;
  permissions: string[];
}

export interface Contact {
  id: string;
  name: string;
  phone: string;
  email: string;
  /** Phone and e-mail are hidden from this viewer; revealing them is an audited action. */
  masked?: boolean;
}

/** The unmasked phone and e-mail of one contact. */
export interface RevealedContact {
  id: string;
  phone: string;
  email: string;
}

export interface Consent {
  given_at: string;
  text_version: string;
}

/** A request (заявка) from any channel. Named to avoid clashing with the DOM's Request. */
export interface PatientRequest {
  id: string;
  channel: Channel;
  status: RequestStatus;
  source: string;
  source_name: string;
  message: string;
  contact: Contact;
  consent: Consent | null;
  created_at: string;
  updated_at: string;
}

export interface RequestPage {
  items: PatientRequest[];
  next_cursor: string | null;
}

/** RFC 9457 problem details, as the backend sends them. */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  errors?: { field: string; message: string }[];
}

export type StatusFilter = RequestStatus | 'all';
export type ChannelFilter = Channel | 'all';

export interface RequestFilters {
  status: StatusFilter;
  channel: ChannelFilter;
}
