import { describe, expect, it } from 'vitest';
import { activeNav, can, homePath, navLinks, redirectFor, ROUTES } from './nav';
import type { User } from './types';

const user = (role: string, permissions: string[], extra: Partial<User> = {}): User => ({
  id: `u-${role}`,
  login: role,
  name: role,
  role,
  permissions,
  ...extra,
});

// The built-in roles as the server defines them.
const operator = user('operator', ['requests.read', 'requests.update', 'contacts.read', 'contacts.reveal', 'consents.manage']);
const admin = user('admin', ['requests.read', 'requests.update', 'requests.assign', 'contacts.read', 'users.manage', 'roles.manage', 'forms.manage']);
const officer = user('security_officer', ['audit.read', 'contacts.read', 'consents.manage', 'subjects.manage'], { totp_enabled: true });
const enrolling = user('security_officer', [], { enrollment_required: true });
const nobody = user('guest', []);

const keys = (u: User | null) => navLinks(u).map((l) => l.key);

describe('navLinks', () => {
  it('shows each section to holders of its permission only', () => {
    expect(keys(operator)).toEqual(['inbox']);
    expect(keys(admin)).toEqual(['inbox', 'users', 'roles']);
    expect(keys(officer)).toEqual(['audit', 'subjects']);
    expect(keys(user('all', ['requests.read', 'audit.read', 'subjects.manage', 'users.manage', 'roles.manage']))).toEqual([
      'inbox',
      'audit',
      'subjects',
      'users',
      'roles',
    ]);
    // Consents alone (an operator) do not open the data-subject page.
    expect(keys(user('dpo', ['contacts.read', 'consents.manage']))).toEqual([]);
    expect(keys(user('dpo', ['contacts.read', 'subjects.manage']))).toEqual(['subjects']);
    expect(keys(nobody)).toEqual([]);
    expect(keys(null)).toEqual([]);
  });

  it('shows nothing while 2FA enrollment is required, whatever the permissions say', () => {
    expect(keys({ ...officer, enrollment_required: true })).toEqual([]);
  });

  it('carries the test ids the browser test uses', () => {
    expect(navLinks(user('all', ['requests.read', 'audit.read', 'subjects.manage', 'users.manage', 'roles.manage'])).map((l) => l.testId)).toEqual([
      'nav-inbox',
      'nav-audit',
      'nav-subjects',
      'nav-users',
      'nav-roles',
    ]);
  });
});

describe('MIS sections', () => {
  const operatorMis = user('operator', ['requests.read', 'mis.read', 'appointments.book', 'patients.link']);
  const adminMis = user('admin', ['requests.read', 'users.manage', 'roles.manage', 'mis.read', 'mis.manage']);

  it('shows the schedule with mis.read and the MIS settings with mis.manage, after the inbox', () => {
    expect(keys(operatorMis)).toEqual(['inbox', 'schedule']);
    expect(keys(adminMis)).toEqual(['inbox', 'schedule', 'users', 'roles', 'mis']);
    expect(navLinks(adminMis).find((l) => l.key === 'mis')?.href).toBe('/admin/mis/');
    expect(navLinks(adminMis).find((l) => l.key === 'schedule')?.testId).toBe('nav-schedule');
  });

  it('keeps the inbox the operator’s home, the schedule home for someone with only mis.read', () => {
    expect(homePath(operatorMis)).toBe('/');
    expect(homePath(user('viewer', ['mis.read']))).toBe('/schedule/');
    expect(redirectFor(operatorMis, { permission: 'mis.manage' })).toBe('/');
  });

  it('highlights them', () => {
    expect(activeNav('/schedule/')).toBe('schedule');
    expect(activeNav('/admin/mis/')).toBe('mis');
  });
});

describe('homePath', () => {
  it('sends each role to its first section', () => {
    expect(homePath(operator)).toBe('/');
    expect(homePath(admin)).toBe('/');
    // The security officer has no requests.read: never the inbox; the audit before the subjects.
    expect(homePath(officer)).toBe('/audit/');
    expect(homePath(user('dpo', ['contacts.read', 'subjects.manage']))).toBe('/subjects/');
    expect(homePath(user('useradmin', ['users.manage']))).toBe('/admin/users/');
    expect(homePath(nobody)).toBe('/profile/');
  });

  it('sends a session that must enroll to the 2FA setup, the anonymous to the login', () => {
    expect(homePath(enrolling)).toBe(ROUTES.enroll);
    expect(homePath(null)).toBe('/login/');
  });
});

describe('redirectFor', () => {
  it('lets holders of the permission stay', () => {
    expect(redirectFor(operator, { permission: 'requests.read' })).toBeNull();
    expect(redirectFor(officer, { permission: 'audit.read' })).toBeNull();
    expect(redirectFor(officer, { permission: 'subjects.manage' })).toBeNull();
    expect(redirectFor(officer, {})).toBeNull();
  });

  it('sends others to their home page', () => {
    expect(redirectFor(officer, { permission: 'requests.read' })).toBe('/audit/');
    expect(redirectFor(operator, { permission: 'audit.read' })).toBe('/');
    expect(redirectFor(operator, { permission: 'users.manage' })).toBe('/');
    expect(redirectFor(operator, { permission: 'subjects.manage' })).toBe('/');
    expect(redirectFor(admin, { permission: 'subjects.manage' })).toBe('/');
  });

  it('holds a session that must enroll on the enrollment page', () => {
    expect(redirectFor(enrolling, { permission: 'audit.read' })).toBe('/enroll/');
    expect(redirectFor(enrolling, {})).toBe('/enroll/');
    expect(redirectFor(enrolling, { enrollment: true })).toBeNull();
    expect(redirectFor(operator, { enrollment: true })).toBeNull();
  });
});

describe('activeNav and can', () => {
  it('finds the section of a path', () => {
    expect(activeNav('/')).toBe('inbox');
    expect(activeNav('/audit/')).toBe('audit');
    expect(activeNav('/audit')).toBe('audit');
    expect(activeNav('/subjects/')).toBe('subjects');
    expect(activeNav('/admin/users/')).toBe('users');
    expect(activeNav('/admin/roles/')).toBe('roles');
    expect(activeNav('/profile/')).toBeNull();
  });

  it('checks one permission', () => {
    expect(can(officer, 'audit.read')).toBe(true);
    expect(can(officer, 'requests.read')).toBe(false);
    expect(can(null, 'audit.read')).toBe(false);
  });
});
