'use client';

import { Badge, Button, Group, Stack, Table, Text, Title, Tooltip } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useState } from 'react';
import { useResource } from '@/hooks/useResource';
import { api } from '@/lib/api';
import { useT } from '@/lib/i18n';
import { allPermissions, permissionLabel, sortPermissions } from '@/lib/roles';
import type { Role } from '@/lib/types';
import { LoadState } from '../common/LoadState';
import { PageShell } from '../shell/PageShell';
import { RoleFormModal } from './RoleFormModal';

const ACCESS = { permission: 'roles.manage' };

/** /admin/roles/: roles and the permissions each grants. */
export function RolesScreen() {
  return <PageShell access={ACCESS}>{(me) => <RolesPage held={me.permissions} />}</PageShell>;
}

function RolesPage({ held }: { held: string[] }) {
  const t = useT();
  const roles = useResource((signal) => api.roles(signal));
  const [editing, setEditing] = useState<Role | null>(null);
  const [creating, setCreating] = useState(false);
  const items = roles.data?.items ?? [];
  const known = allPermissions(items);

  const saved = () => {
    setEditing(null);
    setCreating(false);
    notifications.show({ color: 'teal', message: t('roles.saved') });
    roles.reload();
  };

  return (
    <Stack gap="md">
      <Group justify="space-between">
        <Title order={3}>{t('roles.title')}</Title>
        <Button size="xs" onClick={() => setCreating(true)} data-testid="role-create">
          {t('roles.add')}
        </Button>
      </Group>

      {!roles.data ? (
        <LoadState loading={roles.loading} error={roles.error} onRetry={roles.reload} />
      ) : (
        <Table.ScrollContainer minWidth={760}>
          <Table withTableBorder bg="white" verticalSpacing={8} fz="sm" highlightOnHover striped data-testid="roles-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th w={270}>{t('roles.name')}</Table.Th>
                <Table.Th w={160}>{t('roles.id')}</Table.Th>
                <Table.Th>{t('roles.permissions')}</Table.Th>
                <Table.Th w={100} />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((r) => (
                <Table.Tr key={r.id} data-testid="role-row" data-id={r.id}>
                  <Table.Td fw={500} style={{ whiteSpace: 'nowrap' }}>
                    {r.name || r.id}
                    {r.builtin && (
                      <Badge size="xs" variant="light" color="gray" radius="sm" tt="none" ml={6}>
                        {t('roles.builtin')}
                      </Badge>
                    )}
                  </Table.Td>
                  <Table.Td ff="monospace">{r.id}</Table.Td>
                  <Table.Td>
                    <Group gap={4}>
                      {sortPermissions(r.permissions ?? []).map((p) => (
                        <Tooltip key={p} label={p} openDelay={400}>
                          <Badge size="sm" variant="light" color="blue" radius="sm" tt="none" fw={500}>
                            {permissionLabel(t, p)}
                          </Badge>
                        </Tooltip>
                      ))}
                      {(r.permissions ?? []).length === 0 && (
                        <Text size="sm" c="dimmed">
                          —
                        </Text>
                      )}
                    </Group>
                  </Table.Td>
                  <Table.Td ta="right">
                    <Button size="compact-xs" variant="subtle" onClick={() => setEditing(r)} data-testid="role-edit">
                      {t('common.edit')}
                    </Button>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}

      <RoleFormModal opened={creating} role={null} permissions={known} held={held} onClose={() => setCreating(false)} onSaved={saved} />
      <RoleFormModal opened={editing !== null} role={editing} permissions={known} held={held} onClose={() => setEditing(null)} onSaved={saved} />
    </Stack>
  );
}
