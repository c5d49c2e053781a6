// UI text in Russian (default) and English, and the hook that picks one.
import { useCallback } from 'react';
import { create } from 'zustand';

const ru = {
  'app.brand': 'Окно',
  'app.tagline': 'Единое окно контакт-центра',
  'lang.label': 'Язык интерфейса',

  'login.title': 'Вход для операторов',
  'login.login': 'Логин',
  'login.password': 'Пароль',
  'login.submit': 'Войти',
  'login.required': 'Заполните поле',
  'login.invalid': 'Неверный логин или пароль',
  'login.throttled': 'Слишком много попыток. Подождите немного и попробуйте снова.',
  'login.failed': 'Не удалось войти. Попробуйте ещё раз.',

  'conn.live': 'На связи',
  'conn.connecting': 'Подключение…',
  'conn.reconnecting': 'Переподключение…',
  'conn.liveHint': 'Новые заявки приходят сами',
  'conn.reconnectingHint': 'Связь с сервером потеряна, восстанавливаем',
  'header.logout': 'Выйти',

  'inbox.title': 'Входящие',
  'inbox.status': 'Статус',
  'inbox.channel': 'Канал',
  'inbox.allStatuses': 'Все статусы',
  'inbox.allChannels': 'Все каналы',
  'inbox.empty': 'Заявок нет',
  'inbox.loadMore': 'Показать ещё',
  'inbox.loadError': 'Не удалось загрузить заявки',
  'inbox.retry': 'Повторить',
  'inbox.noName': 'Без имени',
  'inbox.noMessage': 'Без текста',

  'status.new': 'Новая',
  'status.in_progress': 'В работе',
  'status.booked': 'Записан',
  'status.visited': 'Пришёл',
  'status.lost': 'Потеряна',

  'channel.web_form': 'Форма на сайте',
  'channel.phone': 'Звонок',
  'channel.chat': 'Чат на сайте',
  'channel.telegram': 'Telegram',
  'channel.whatsapp': 'WhatsApp',
  'channel.vk': 'ВКонтакте',
  'channel.email': 'Эл. почта',

  'detail.empty': 'Выберите заявку в списке слева',
  'detail.notFound': 'Заявка не найдена',
  'detail.loadError': 'Не удалось загрузить заявку',
  'detail.phone': 'Телефон',
  'detail.email': 'Эл. почта',
  'detail.reveal': 'Показать',
  'detail.revealHint': 'Номер и почта скрыты. Просмотр записывается в журнал безопасности.',
  'detail.revealFailed': 'Не удалось показать контакт',
  'detail.channel': 'Канал',
  'detail.source': 'Источник',
  'detail.status': 'Статус',
  'detail.created': 'Создана',
  'detail.updated': 'Изменена',
  'detail.message': 'Сообщение',
  'detail.consent': 'Согласие на обработку персональных данных',
  'detail.consentGiven': 'Дано {at}',
  'detail.consentVersion': 'версия текста {version}',
  'detail.consentMissing': 'Не получено',

  'patient.title': 'Карточка пациента',
  'patient.placeholder': 'Здесь появятся данные из МИС: медицинская карта, записи к врачам и визиты.',

  'notify.newRequest': 'Новая заявка',
} as const;

export type MessageKey = keyof typeof ru;

const en: Record<MessageKey, string> = {
  'app.brand': 'Okno',
  'app.tagline': 'Contact-center single window',
  'lang.label': 'Interface language',

  'login.title': 'Operator sign-in',
  'login.login': 'Login',
  'login.password': 'Password',
  'login.submit': 'Sign in',
  'login.required': 'Required',
  'login.invalid': 'Wrong login or password',
  'login.throttled': 'Too many attempts. Please wait a little and try again.',
  'login.failed': 'Could not sign in. Please try again.',

  'conn.live': 'Live',
  'conn.connecting': 'Connecting…',
  'conn.reconnecting': 'Reconnecting…',
  'conn.liveHint': 'New requests arrive by themselves',
  'conn.reconnectingHint': 'Lost the connection to the server, restoring it',
  'header.logout': 'Sign out',

  'inbox.title': 'Inbox',
  'inbox.status': 'Status',
  'inbox.channel': 'Channel',
  'inbox.allStatuses': 'All statuses',
  'inbox.allChannels': 'All channels',
  'inbox.empty': 'No requests',
  'inbox.loadMore': 'Load more',
  'inbox.loadError': 'Could not load requests',
  'inbox.retry': 'Retry',
  'inbox.noName': 'No name',
  'inbox.noMessage': 'No message',

  'status.new': 'New',
  'status.in_progress': 'In progress',
  'status.booked': 'Booked',
  'status.visited': 'Visited',
  'status.lost': 'Lost',

  'channel.web_form': 'Web form',
  'channel.phone': 'Phone call',
  'channel.chat': 'Web chat',
  'channel.telegram': 'Telegram',
  'channel.whatsapp': 'WhatsApp',
  'channel.vk': 'VK',
  'channel.email': 'E-mail',

  'detail.empty': 'Select a request in the list on the left',
  'detail.notFound': 'Request not found',
  'detail.loadError': 'Could not load the request',
  'detail.phone': 'Phone',
  'detail.email': 'E-mail',
  'detail.reveal': 'Show',
  'detail.revealHint': 'Phone and e-mail are hidden. Showing them is recorded in the security log.',
  'detail.revealFailed': 'Could not show the contact',
  'detail.channel': 'Channel',
  'detail.source': 'Source',
  'detail.status': 'Status',
  'detail.created': 'Created',
  'detail.updated': 'Updated',
  'detail.message': 'Message',
  'detail.consent': 'Consent to personal data processing',
  'detail.consentGiven': 'Given {at}',
  'detail.consentVersion': 'text version {version}',
  'detail.consentMissing': 'Not given',

  'patient.title': 'Patient card',
  'patient.placeholder': 'Data from the MIS will appear here: the medical record, appointments and visits.',

  'notify.newRequest': 'New request',
};

export const LANGS = ['ru', 'en'] as const;
export type Lang = (typeof LANGS)[number];
export const DEFAULT_LANG: Lang = 'ru';
export const dictionaries: Record<Lang, Record<MessageKey, string>> = { ru, en };

export type Params = Record<string, string | number>;

/** Text for a key, with {name} placeholders filled from params. */
export function translate(lang: Lang, key: MessageKey, params?: Params): string {
  const text = dictionaries[lang][key] ?? dictionaries[DEFAULT_LANG][key] ?? key;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
}

export function isLang(v: unknown): v is Lang {
  return typeof v === 'string' && (LANGS as readonly string[]).includes(v);
}

const STORAGE_KEY = 'okno.lang';

interface LangState {
  lang: Lang;
  setLang(lang: Lang): void;
  /** Applies the language saved in localStorage (after hydration, so the first render matches the HTML). */
  restore(): void;
}

function applyToDocument(lang: Lang) {
  if (typeof document !== 'undefined') document.documentElement.lang = lang;
}

export const useLang = create<LangState>()((set) => ({
  lang: DEFAULT_LANG,
  setLang(lang) {
    try {
      localStorage.setItem(STORAGE_KEY, lang);
    } catch {
      // Storage may be unavailable (private mode); the choice then lasts for this page.
    }
    applyToDocument(lang);
    set({ lang });
  },
  restore() {
    let saved: string | null = null;
    try {
      saved = localStorage.getItem(STORAGE_KEY);
    } catch {
      saved = null;
    }
    const lang = isLang(saved) ? saved : DEFAULT_LANG;
    applyToDocument(lang);
    set({ lang });
  },
}));

export type Translate = (key: MessageKey, params?: Params) => string;

export function useT(): Translate {
  const lang = useLang((s) => s.lang);
  return useCallback((key, params) => translate(lang, key, params), [lang]);
}
