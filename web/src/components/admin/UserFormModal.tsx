'use client';

import { Button, Group, Modal, PasswordInput, Select, Stack, Text, TextInput } from '@mantine/core';
import { type FormEvent, useEffect, useState } from 'react';
import { api } from '@/lib/api';
import { useT } from '@/lib/i18n';
import { fieldErrors } from '@/lib/problems';
import type { AdminUser, UserPatch } from '@/lib/types';
import { ProblemAlert } from '../common/ProblemAlert';

const FIELDS = ['login', 'name', 'role', 'password'];

/** Only what an edit changed, or null. */
export function userPatch(user: Pick<AdminUser, 'name' | 'role'>, name: string, role: string): UserPatch | null {
  const patch: UserPatch = {};
  if (name.trim() !== user.name) patch.name = name.trim();
  if (role && role !== user.role) patch.role = role;
  return Object.keys(patch).length ? patch : null;
}

/** A new user (login, name, role, password) or an existing one's name and role. */
export function UserFormModal({
  opened,
  user,
  roles,
  onClose,
  onSaved,
}: {
  opened: boolean;
  user: AdminUser | null;
  roles: { value: string; label: string }[];
  onClose: () => void;
  onSaved: (user: AdminUser | null) => void;
}) {
  const t = useT();
  const editing = user !== null;
  const [login, setLogin] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState<string | null>(null);
  const [password, setPassword] = useState('');
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const fields = fieldErrors(error);

  useEffect(() => {
    if (!opened) return;
    setLogin(user?.login ?? '');
    setName(user?.name ?? '');
    setRole(user?.role ?? null);
    setPassword('');
    setTouched(false);
    setError(null);
  }, [opened, user]);

  const required = (v: string | null) => (touched && !(v ?? '').trim() ? t('common.required') : undefined);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (!name.trim() || !role || (!editing && (!login.trim() || !password))) return;
    setBusy(true);
    setError(null);
    try {
      if (editing) {
        const patch = userPatch(user, name, role);
        onSaved(patch ? await api.updateUser(user.id, patch) : null);
      } else {
        onSaved(await api.createUser({ login: login.trim(), name: name.trim(), role, password }));
      }
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
      title={<Text fw={600}>{editing ? t('users.editTitle', { login: user.login }) : t('users.add')}</Text>}
    >
      <form onSubmit={submit} noValidate data-testid="user-form">
        <Stack gap="sm">
          <ProblemAlert error={error} fields={FIELDS} testId="user-form-error" />
          {!editing && (
            <TextInput
              label={t('users.login')}
              autoComplete="off"
              autoCapitalize="off"
              spellCheck={false}
              value={login}
              onChange={(e) => setLogin(e.currentTarget.value)}
              error={fields.login ?? required(login)}
              data-autofocus
              data-testid="user-login"
            />
          )}
          <TextInput
            label={t('users.name')}
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            error={fields.name ?? required(name)}
            data-testid="user-name-input"
          />
          <Select
            label={t('users.role')}
            data={roles}
            value={role}
            onChange={setRole}
            allowDeselect={false}
            searchable
            error={fields.role ?? required(role)}
            comboboxProps={{ withinPortal: true }}
            data-testid="user-role"
          />
          {!editing && (
            <PasswordInput
              label={t('users.password')}
              description={t('users.passwordHint')}
              autoComplete="new-password"
              value={password}
              onChange={(e) => setPassword(e.currentTarget.value)}
              error={fields.password ?? required(password)}
              data-testid="user-password"
            />
          )}
          <Group justify="flex-end" gap="sm" mt="xs">
            <Button variant="default" onClick={onClose} disabled={busy}>
              {t('common.cancel')}
            </Button>
            <Button type="submit" loading={busy} data-testid="user-submit">
              {editing ? t('common.save') : t('common.create')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
