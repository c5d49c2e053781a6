'use client';

import { Button, Code, Drawer, Group, Stack, Table, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import { useT } from '@/lib/i18n';
import { formatLogTime } from '@/lib/time';
import type { AuditEntry, AuditFilters } from '@/lib/types';
import { actorName } from './AuditTable';
import { OutcomeBadge } from './OutcomeBadge';

function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Table.Tr>
      <Table.Th w={150} fw={500} c="dimmed" fz="xs" style={{ verticalAlign: 'top' }}>
        {label}
      </Table.Th>
      <Table.Td fz="xs" style={{ wordBreak: 'break-all' }}>
        {children}
      </Table.Td>
    </Table.Tr>
  );
}

const mono = (v: string) => (v ? <Text span size="xs" ff="monospace">{v}</Text> : '—');

/** Every field of one record, with links to the user's and the object's other records. */
export function AuditEntryDrawer({
  entry,
  onClose,
  onFilter,
}: {
  entry: AuditEntry | null;
  onClose: () => void;
  onFilter: (patch: Partial<AuditFilters>) => void;
}) {
  const t = useT();
  const e = entry;
  const details = Object.entries(e?.details ?? {});
  return (
    <Drawer
      opened={e !== null}
      onClose={onClose}
      position="right"
      size="md"
      title={e ? <Text fw={600}>{t('audit.entry', { seq: e.seq })}</Text> : null}
    >
      {e && (
        <Stack gap="sm" data-testid="audit-entry">
          <Table withRowBorders verticalSpacing={4}>
            <Table.Tbody>
              <Row label={t('audit.time')}>{formatLogTime(e.at)}</Row>
              <Row label={t('audit.recordedAt')}>{formatLogTime(e.recorded_at)}</Row>
              <Row label={t('audit.service')}>{mono(e.service)}</Row>
              <Row label={t('audit.actor')}>
                {actorName(t, e)} {e.actor_role && <Text span size="xs" c="dimmed">({e.actor_role})</Text>}
                {e.actor_id && e.actor_id !== e.actor_login && <div>{mono(e.actor_id)}</div>}
              </Row>
              <Row label={t('audit.address')}>{mono(e.client_addr)}</Row>
              <Row label={t('audit.action')}>{mono(e.action)}</Row>
              <Row label={t('audit.object')}>
                {e.object_type} {mono(e.object_id)}
              </Row>
              <Row label={t('audit.fields')}>{(e.fields ?? []).join(', ') || '—'}</Row>
              <Row label={t('audit.outcome')}>
                <OutcomeBadge outcome={e.outcome} />
              </Row>
              {details.length > 0 && (
                <Row label={t('audit.details')}>
                  {details.map(([k, v]) => (
                    <div key={k}>
                      <Text span size="xs" c="dimmed">
                        {k}:
                      </Text>{' '}
                      {mono(String(v))}
                    </div>
                  ))}
                </Row>
              )}
              <Row label={t('audit.eventId')}>{mono(e.event_id)}</Row>
              <Row label={t('audit.prevHash')}>
                <Code fz={10}>{e.prev_hash || '—'}</Code>
              </Row>
              <Row label={t('audit.hash')}>
                <Code fz={10}>{e.hash || '—'}</Code>
              </Row>
            </Table.Tbody>
          </Table>
          <Group gap="xs">
            {(e.actor_id || e.actor_login) && (
              <Button size="compact-xs" variant="light" onClick={() => onFilter({ actor: e.actor_login || e.actor_id })}>
                {t('audit.filterByActor')}
              </Button>
            )}
            {e.object_id && (
              <Button size="compact-xs" variant="light" onClick={() => onFilter({ object: e.object_id, object_type: '' })}>
                {t('audit.filterByObject')}
              </Button>
            )}
          </Group>
        </Stack>
      )}
    </Drawer>
  );
}
