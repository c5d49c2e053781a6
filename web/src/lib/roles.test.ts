import { describe, expect, it } from 'vitest';
import { translate } from './i18n';
import { allPermissions, permissionChanges, permissionLabel, roleDiff, sortPermissions, togglePermission } from './roles';
import { PERMISSIONS, type Role } from './types';

const role: Role = { id: 'operator', name: 'Оператор', permissions: ['contacts.read', 'requests.read'], builtin: true };

describe('roleDiff', () => {
  it('is null when nothing changed (permission order and name spaces do not count)', () => {
    expect(roleDiff(role, { name: ' Оператор ', permissions: ['requests.read', 'contacts.read'] })).toBeNull();
  });

  it('sends only the new name', () => {
    expect(roleDiff(role, { name: 'Оператор КЦ', permissions: [...role.permissions] })).toEqual({ name: 'Оператор КЦ' });
  });

  it('sends the whole new permission list, in order, when any changed', () => {
    expect(roleDiff(role, { name: role.name, permissions: ['requests.read', 'contacts.read', 'contacts.reveal'] })).toEqual({
      permissions: ['requests.read', 'contacts.read', 'contacts.reveal'],
    });
    expect(roleDiff(role, { name: role.name, permissions: ['requests.read'] })).toEqual({ permissions: ['requests.read'] });
    expect(roleDiff(role, { name: role.name, permissions: [] })).toEqual({ permissions: [] });
  });

  it('sends both when both changed', () => {
    expect(roleDiff(role, { name: 'X', permissions: ['audit.read'] })).toEqual({ name: 'X', permissions: ['audit.read'] });
  });

  it('treats a role without a permission list as empty', () => {
    const bare = { name: 'R', permissions: null as unknown as string[] };
    expect(roleDiff(bare, { name: 'R', permissions: [] })).toBeNull();
    expect(roleDiff(bare, { name: 'R', permissions: ['audit.read'] })).toEqual({ permissions: ['audit.read'] });
  });
});

describe('permission lists', () => {
  it('sorts known permissions as listed, unknown ones after, without repeats', () => {
    expect(sortPermissions(['zeta.x', 'audit.read', 'requests.read', 'audit.read', 'alpha.y'])).toEqual([
      'requests.read',
      'audit.read',
      'alpha.y',
      'zeta.x',
    ]);
  });

  it('lists every known permission plus any a role holds', () => {
    const list = allPermissions([{ ...role, permissions: ['mis.book'] }]);
    expect(list.slice(0, PERMISSIONS.length)).toEqual([...PERMISSIONS]);
    expect(list).toContain('mis.book');
  });

  it('toggles one permission', () => {
    expect(togglePermission(['audit.read'], 'requests.read', true)).toEqual(['requests.read', 'audit.read']);
    expect(togglePermission(['requests.read', 'audit.read'], 'requests.read', false)).toEqual(['audit.read']);
  });

  it('names the added and removed permissions', () => {
    expect(permissionChanges(['requests.read', 'contacts.read'], ['contacts.read', 'audit.read'])).toEqual({
      added: ['audit.read'],
      removed: ['requests.read'],
    });
  });

  it('labels every permission in both languages, an unknown one by its id', () => {
    for (const p of PERMISSIONS) {
      expect(permissionLabel((k, v) => translate('ru', k, v), p)).not.toBe(p);
      expect(permissionLabel((k, v) => translate('en', k, v), p)).not.toBe(p);
    }
    expect(permissionLabel((k, v) => translate('ru', k, v), 'contacts.reveal')).toMatch(/Раскрытие/);
    expect(permissionLabel((k, v) => translate('en', k, v), 'mis.book')).toBe('mis.book');
  });
});
