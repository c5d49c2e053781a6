'use client';

import { Badge, Button, Group, Stack, Table, Text, Title, Tooltip } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useState } from 'react';
import { useResource } from '@/hooks/useResource';
import { api } from '@/lib/api';
import { useT } from '@/lib/i18n';
import { formatShortDateTime } from '@/lib/time';
import { hasTotp, type AdminUser, type Role } from '@/lib/types';
import { ConfirmDialog } from '../common/ConfirmDialog';
import { LoadState } from '../common/LoadState';
import { PageShell } from '../shell/PageShell';
import { UserFormModal } from './UserFormModal';

const ACCESS = { permission: 'users.manage' };

/** Role choices: the roles list when this user may read it, else the roles users already have. */
export function roleOptions(roles: Role[] | null, users: AdminUser[]): { value: string; label: string }[] {
  if (roles && roles.length) return roles.map((r) => ({ value: r.id, label: r.name ? `${r.name} (${r.id})` : r.id }));
  const ids = [...new Set(['operator', 'supervisor', 'admin', 'security_officer', ...users.map((u) => u.role)])];
  return ids.map((id) => ({ value: id, label: id }));
}

/** /admin/users/: staff accounts, their roles, blocking. */
export function UsersScreen() {
  return <PageShell access={ACCESS}>{(me) => <UsersPage myId={me.id} />}</PageShell>;
}

function UsersPage({ myId }: { myId: string }) {
  const t = useT();
  const users = useResource((signal) => api.users(signal));
  const roles = useResource((signal) => api.roles(signal));
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<AdminUser | null>(null);
  const [blocking, setBlocking] = useState<AdminUser | null>(null);

  const items = users.data?.items ?? [];
  const roleList = roles.data?.items ?? null;
  const roleName = (id: string) => roleList?.find((r) => r.id === id)?.name || id;
  const options = roleOptions(roleList, items);
  const sorted = [...items].sort((a, b) => Number(a.blocked) - Number(b.blocked) || a.login.localeCompare(b.login));

  const replace = (u: AdminUser) =>
    users.set((d) => (d ? { items: d.items.map((x) => (x.id === u.id ? { ...x, ...u } : x)) } : d));

  return (
    <Stack gap="md">
      <Group justify="space-between">
        <Title order={3}>{t('users.title')}</Title>
        <Button size="xs" onClick={() => setCreating(true)} data-testid="user-create">
          {t('users.add')}
        </Button>
      </Group>

      {!users.data ? (
        <LoadState loading={users.loading} error={users.error} onRetry={users.reload} />
      ) : (
        <Table.ScrollContainer minWidth={820}>
          <Table
            withTableBorder
            bg="white"
            verticalSpacing={6}
            fz="sm"
            highlightOnHover
            striped
            data-testid="users-table"
          >
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('users.name')}</Table.Th>
                <Table.Th>{t('users.login')}</Table.Th>
                <Table.Th>{t('users.role')}</Table.Th>
                <Table.Th>{t('users.2fa')}</Table.Th>
                <Table.Th>{t('users.state')}</Table.Th>
                <Table.Th>{t('users.created')}</Table.Th>
                <Table.Th w={220} />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {sorted.map((u) => (
                <Table.Tr key={u.id} data-testid="user-row" data-login={u.login} data-blocked={u.blocked}>
                  <Table.Td fw={500} c={u.blocked ? 'dimmed' : undefined}>
                    {u.name || '—'}
                    {u.id === myId && (
                      <Text span size="xs" c="dimmed" ml={6}>
                        ({t('users.you')})
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td ff="monospace">{u.login}</Table.Td>
                  <Table.Td>
                    <Tooltip label={u.role} openDelay={400}>
                      <Text span size="sm">
                        {roleName(u.role)}
                      </Text>
                    </Tooltip>
                  </Table.Td>
                  <Table.Td>
                    <Badge size="sm" variant="light" radius="sm" tt="none" color={hasTotp(u) ? 'teal' : 'gray'}>
                      {hasTotp(u) ? t('profile.2faOn') : t('profile.2faOff')}
                    </Badge>
                  </Table.Td>
                  <Table.Td>
                    <Badge size="sm" variant="light" radius="sm" tt="none" color={u.blocked ? 'red' : 'teal'}>
                      {u.blocked ? t('users.blocked') : t('users.active')}
                    </Badge>
                  </Table.Td>
                  <Table.Td>{formatShortDateTime(u.created_at)}</Table.Td>
                  <Table.Td>
                    <Group gap={4} justify="flex-end" wrap="nowrap">
                      <Button size="compact-xs" variant="subtle" onClick={() => setEditing(u)} data-testid="user-edit">
                        {t('common.edit')}
                      </Button>
                      {u.id !== myId && (
                        <Button
                          size="compact-xs"
                          variant="subtle"
                          color={u.blocked ? 'teal' : 'red'}
                          onClick={() => setBlocking(u)}
                          data-testid="user-block"
                        >
                          {u.blocked ? t('users.unblock') : t('users.block')}
                        </Button>
                      )}
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}

      <UserFormModal
        opened={creating}
        user={null}
        roles={options}
        onClose={() => setCreating(false)}
        onSaved={() => {
          setCreating(false);
          notifications.show({ color: 'teal', message: t('users.createdToast') });
          users.reload();
        }}
      />
      <UserFormModal
        opened={editing !== null}
        user={editing}
        roles={options}
        onClose={() => setEditing(null)}
        onSaved={(u) => {
          setEditing(null);
          if (u) replace(u);
          notifications.show({ color: 'teal', message: t('users.saved') });
          users.reload();
        }}
      />
      <ConfirmDialog
        opened={blocking !== null}
        title={blocking?.blocked ? t('users.unblockTitle') : t('users.blockTitle')}
        message={t(blocking?.blocked ? 'users.unblockConfirm' : 'users.blockConfirm', {
          name: blocking?.name || blocking?.login || '',
          login: blocking?.login ?? '',
        })}
        confirmLabel={blocking?.blocked ? t('users.unblock') : t('users.block')}
        color={blocking?.blocked ? 'teal' : 'red'}
        onClose={() => setBlocking(null)}
        onConfirm={async () => {
          if (!blocking) return;
          const updated = await api.updateUser(blocking.id, { blocked: !blocking.blocked });
          replace(updated && typeof updated === 'object' ? updated : { ...blocking, blocked: !blocking.blocked });
          users.reload();
        }}
      />
    </Stack>
  );
}
