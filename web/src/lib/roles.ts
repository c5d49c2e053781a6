// The role editor's rules: permissions in a stable order, and the PATCH an edit comes to.
import type { Translate } from './i18n';
import { PERMISSIONS, type Permission, type Role, type RolePatch } from './types';

/** Permissions in the UI's order (the known ones as listed, then others alphabetically), without repeats. */
export function sortPermissions(perms: readonly string[]): string[] {
  const known = PERMISSIONS as readonly string[];
  const set = new Set(perms);
  const others = [...set].filter((p) => !known.includes(p)).sort();
  return [...known.filter((p) => set.has(p)), ...others];
}

/** Every permission the editor lists: the known ones and any others some role holds. */
export function allPermissions(roles: readonly Role[]): string[] {
  return sortPermissions([...PERMISSIONS, ...roles.flatMap((r) => r.permissions ?? [])]);
}

export interface RoleDraft {
  name: string;
  permissions: string[];
}

/**
 * The PATCH body for an edited role: only what changed (the name trimmed, permissions as a
 * set), or null when nothing did.
 */
export function roleDiff(original: Pick<Role, 'name' | 'permissions'>, draft: RoleDraft): RolePatch | null {
  const patch: RolePatch = {};
  const name = draft.name.trim();
  if (name !== original.name) patch.name = name;
  const before = sortPermissions(original.permissions ?? []);
  const after = sortPermissions(draft.permissions);
  if (before.length !== after.length || before.some((p, i) => p !== after[i])) patch.permissions = after;
  return Object.keys(patch).length ? patch : null;
}

/** Permissions added and removed by an edit, for the confirmation line. */
export function permissionChanges(before: readonly string[], after: readonly string[]): { added: string[]; removed: string[] } {
  const b = new Set(before);
  const a = new Set(after);
  return {
    added: sortPermissions([...a].filter((p) => !b.has(p))),
    removed: sortPermissions([...b].filter((p) => !a.has(p))),
  };
}

/** Toggles one permission in a list, keeping the order. */
export function togglePermission(perms: readonly string[], perm: string, on: boolean): string[] {
  return sortPermissions(on ? [...perms, perm] : perms.filter((p) => p !== perm));
}

export const ROLE_ID_PATTERN = /^[a-z][a-z0-9_]{1,39}$/;

/** A permission's name in the interface language; an unknown one as its id. */
export function permissionLabel(t: Translate, perm: string): string {
  return (PERMISSIONS as readonly string[]).includes(perm) ? t(`perm.${perm as Permission}`) : perm;
}
