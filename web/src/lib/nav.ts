// Where a signed-in user may go: the header's links by permission, the home page of each
// role, and the redirect a page makes when its visitor may not see it.
import type { MessageKey } from './i18n';
import type { User } from './types';

export const ROUTES = {
  inbox: '/',
  schedule: '/schedule/',
  calls: '/calls/',
  board: '/board/',
  audit: '/audit/',
  subjects: '/subjects/',
  users: '/admin/users/',
  roles: '/admin/roles/',
  mis: '/admin/mis/',
  telephony: '/admin/telephony/',
  queues: '/admin/queues/',
  profile: '/profile/',
  enroll: '/enroll/',
  login: '/login/',
} as const;

export type NavKey = 'inbox' | 'schedule' | 'calls' | 'board' | 'audit' | 'subjects' | 'users' | 'roles' | 'mis' | 'telephony' | 'queues';

export interface NavLink {
  key: NavKey;
  href: string;
  label: MessageKey;
  permission: string;
  testId: string;
}

/** The header's sections, in order; each shown only to holders of its permission. */
export const NAV_LINKS: readonly NavLink[] = [
  { key: 'inbox', href: ROUTES.inbox, label: 'nav.inbox', permission: 'requests.read', testId: 'nav-inbox' },
  { key: 'schedule', href: ROUTES.schedule, label: 'nav.schedule', permission: 'mis.read', testId: 'nav-schedule' },
  { key: 'calls', href: ROUTES.calls, label: 'nav.calls', permission: 'calls.read', testId: 'nav-calls' },
  { key: 'board', href: ROUTES.board, label: 'nav.board', permission: 'board.read', testId: 'nav-board' },
  { key: 'audit', href: ROUTES.audit, label: 'nav.audit', permission: 'audit.read', testId: 'nav-audit' },
  { key: 'subjects', href: ROUTES.subjects, label: 'nav.subjects', permission: 'subjects.manage', testId: 'nav-subjects' },
  { key: 'users', href: ROUTES.users, label: 'nav.users', permission: 'users.manage', testId: 'nav-users' },
  { key: 'roles', href: ROUTES.roles, label: 'nav.roles', permission: 'roles.manage', testId: 'nav-roles' },
  { key: 'mis', href: ROUTES.mis, label: 'nav.mis', permission: 'mis.manage', testId: 'nav-mis' },
  { key: 'telephony', href: ROUTES.telephony, label: 'nav.telephony', permission: 'telephony.manage', testId: 'nav-telephony' },
  { key: 'queues', href: ROUTES.queues, label: 'nav.queues', permission: 'queues.manage', testId: 'nav-queues' },
];

export function can(user: User | null | undefined, permission: string): boolean {
  return !!user && Array.isArray(user.permissions) && user.permissions.includes(permission);
}

/** The sections this user may open. None while a second factor must be set up first. */
export function navLinks(user: User | null | undefined): NavLink[] {
  if (!user || user.enrollment_required) return [];
  return NAV_LINKS.filter((l) => can(user, l.permission));
}

/** The first page after sign-in: the first section the user may open, else the profile. */
export function homePath(user: User | null | undefined): string {
  if (!user) return ROUTES.login;
  if (user.enrollment_required) return ROUTES.enroll;
  return navLinks(user)[0]?.href ?? ROUTES.profile;
}

/** The section a path belongs to, for the header's highlight. */
export function activeNav(pathname: string): NavKey | null {
  const p = pathname.endsWith('/') ? pathname : `${pathname}/`;
  if (p === '/') return 'inbox';
  for (const l of NAV_LINKS) if (l.href !== '/' && p.startsWith(l.href)) return l.key;
  return null;
}

/** What a page needs of its visitor. */
export interface PageAccess {
  /** The permission the page's API calls require. */
  permission?: string;
  /** The 2FA enrollment page itself: open while enrollment is required. */
  enrollment?: boolean;
}

/**
 * Where to send this user instead of the page, or null when they may stay. While a second
 * factor must be set up, every page but the enrollment sends them there.
 */
export function redirectFor(user: User, page: PageAccess): string | null {
  if (user.enrollment_required && !page.enrollment) return ROUTES.enroll;
  if (page.permission && !can(user, page.permission)) return homePath(user);
  return null;
}
