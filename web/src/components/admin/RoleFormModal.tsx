'use client';

import { Button, Checkbox, Group, Modal, Stack, Text, TextInput } from '@mantine/core';
import { type FormEvent, useEffect, useState } from 'react';
import { api } from '@/lib/api';
import { useT } from '@/lib/i18n';
import { fieldErrors } from '@/lib/problems';
import { permissionChanges, permissionLabel, ROLE_ID_PATTERN, roleDiff, sortPermissions } from '@/lib/roles';
import type { Role } from '@/lib/types';
import { PermissionLabel } from '../common/PermissionLabel';
import { ProblemAlert } from '../common/ProblemAlert';

const FIELDS = ['id', 'name', 'permissions'];

/**
 * A new role, or an existing one's name and permissions (sent as a PATCH of what changed).
 * Granting a permission one does not hold is the server's to refuse (403, its detail shown).
 */
export function RoleFormModal({
  opened,
  role,
  permissions,
  held,
  onClose,
  onSaved,
}: {
  opened: boolean;
  role: Role | null;
  permissions: string[];
  held: string[];
  onClose: () => void;
  onSaved: () => void;
}) {
  const t = useT();
  const editing = role !== null;
  const [id, setId] = useState('');
  const [name, setName] = useState('');
  const [perms, setPerms] = useState<string[]>([]);
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [unchanged, setUnchanged] = useState(false);
  const fields = fieldErrors(error);

  useEffect(() => {
    if (!opened) return;
    setId(role?.id ?? '');
    setName(role?.name ?? '');
    setPerms(sortPermissions(role?.permissions ?? []));
    setTouched(false);
    setError(null);
    setUnchanged(false);
  }, [opened, role]);

  const changes = editing ? permissionChanges(role.permissions ?? [], perms) : null;
  const names = (list: string[]) => list.map((p) => permissionLabel(t, p)).join(', ');

  const idError = !editing && touched ? (!id.trim() ? t('common.required') : !ROLE_ID_PATTERN.test(id.trim()) ? t('roles.idInvalid') : undefined) : undefined;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    setUnchanged(false);
    if (!name.trim() || (!editing && !ROLE_ID_PATTERN.test(id.trim()))) return;
    setBusy(true);
    setError(null);
    try {
      if (editing) {
        const patch = roleDiff(role, { name, permissions: perms });
        if (!patch) {
          setUnchanged(true);
          return;
        }
        await api.updateRole(role.id, patch);
      } else {
        await api.createRole({ id: id.trim(), name: name.trim(), permissions: sortPermissions(perms) });
      }
      onSaved();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal
      opened={opened}
      onClose={onClose}
      centered
      size="lg"
      title={<Text fw={600}>{editing ? t('roles.editTitle', { name: role.name || role.id }) : t('roles.add')}</Text>}
    >
      <form onSubmit={submit} noValidate data-testid="role-form">
        <Stack gap="sm">
          <ProblemAlert error={error} fields={FIELDS} testId="role-form-error" />
          <Group grow align="flex-start">
            <TextInput
              label={t('roles.id')}
              description={editing ? undefined : t('roles.idHint')}
              value={id}
              disabled={editing}
              autoCapitalize="off"
              spellCheck={false}
              onChange={(e) => setId(e.currentTarget.value)}
              error={fields.id ?? idError}
              styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
              data-testid="role-id"
            />
            <TextInput
              label={t('roles.name')}
              description={editing ? undefined : ' '}
              value={name}
              onChange={(e) => setName(e.currentTarget.value)}
              error={fields.name ?? (touched && !name.trim() ? t('common.required') : undefined)}
              data-testid="role-name"
            />
          </Group>
          <Checkbox.Group label={t('roles.permissions')} value={perms} onChange={(v) => setPerms(sortPermissions(v))} error={fields.permissions}>
            <Stack gap={8} mt={8} data-testid="role-permissions">
              {permissions.map((p) => (
                <Checkbox
                  key={p}
                  value={p}
                  size="sm"
                  label={<PermissionLabel perm={p} note={held.includes(p) ? undefined : t('roles.notHeld')} />}
                  data-testid={`perm-${p}`}
                />
              ))}
            </Stack>
          </Checkbox.Group>
          {changes && (changes.added.length > 0 || changes.removed.length > 0) && (
            <Stack gap={2} data-testid="role-changes">
              {changes.added.length > 0 && (
                <Text size="xs" c="teal.8">
                  {t('roles.added', { list: names(changes.added) })}
                </Text>
              )}
              {changes.removed.length > 0 && (
                <Text size="xs" c="red.8">
                  {t('roles.removed', { list: names(changes.removed) })}
                </Text>
              )}
            </Stack>
          )}
          {unchanged && (
            <Text size="sm" c="dimmed">
              {t('roles.unchanged')}
            </Text>
          )}
          <Group justify="flex-end" gap="sm" mt="xs">
            <Button variant="default" onClick={onClose} disabled={busy}>
              {t('common.cancel')}
            </Button>
            <Button type="submit" loading={busy} data-testid="role-submit">
              {editing ? t('common.save') : t('common.create')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
