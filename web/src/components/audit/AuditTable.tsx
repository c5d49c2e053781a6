'use client';

import { Code, Table, Text } from '@mantine/core';
import { useT, type Translate } from '@/lib/i18n';
import { formatLogTime } from '@/lib/time';
import type { AuditEntry } from '@/lib/types';
import { OutcomeBadge } from './OutcomeBadge';

export function actorName(t: Translate, e: Pick<AuditEntry, 'actor_login' | 'actor_id'>): string {
  if (e.actor_login) return e.actor_login;
  if (e.actor_id === 'system') return t('audit.system');
  return e.actor_id || t('audit.anonymous');
}

/** The trail, newest first, one dense row per record; a click opens the record. */
export function AuditTable({
  items,
  query,
  onOpen,
  busy,
}: {
  items: AuditEntry[];
  query: string;
  onOpen: (e: AuditEntry) => void;
  busy: boolean;
}) {
  const t = useT();
  return (
    <Table.ScrollContainer minWidth={1100}>
      <Table
        withTableBorder
        bg="white"
        verticalSpacing={4}
        horizontalSpacing="xs"
        fz="xs"
        highlightOnHover
        striped
        aria-busy={busy}
        style={{ opacity: busy ? 0.6 : 1, transition: 'opacity 120ms' }}
        data-testid="audit-table"
        data-query={query}
      >
        <Table.Thead>
          <Table.Tr>
            <Table.Th w={140}>{t('audit.time')}</Table.Th>
            <Table.Th w={170}>{t('audit.actor')}</Table.Th>
            <Table.Th w={120}>{t('audit.address')}</Table.Th>
            <Table.Th w={170}>{t('audit.action')}</Table.Th>
            <Table.Th>{t('audit.object')}</Table.Th>
            <Table.Th>{t('audit.fields')}</Table.Th>
            <Table.Th w={96}>{t('audit.outcome')}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {items.map((e) => (
            <Table.Tr
              key={e.seq}
              onClick={() => onOpen(e)}
              style={{ cursor: 'pointer' }}
              data-testid="audit-row"
              data-seq={e.seq}
              data-action={e.action}
              data-outcome={e.outcome}
              data-actor={e.actor_login}
            >
              <Table.Td style={{ whiteSpace: 'nowrap', fontVariantNumeric: 'tabular-nums' }}>{formatLogTime(e.at)}</Table.Td>
              <Table.Td style={{ whiteSpace: 'nowrap' }}>
                <Text size="xs" fw={500} span>
                  {actorName(t, e)}
                </Text>
                {e.actor_role && (
                  <Text size="xs" c="dimmed" span ml={6}>
                    {e.actor_role}
                  </Text>
                )}
              </Table.Td>
              <Table.Td ff="monospace" style={{ whiteSpace: 'nowrap' }}>
                {e.client_addr || '—'}
              </Table.Td>
              <Table.Td style={{ whiteSpace: 'nowrap' }}>
                <Code fz="xs" bg="transparent" p={0}>
                  {e.action}
                </Code>
              </Table.Td>
              <Table.Td style={{ whiteSpace: 'nowrap' }}>
                {e.object_type && (
                  <Text size="xs" c="dimmed" span mr={6}>
                    {e.object_type}
                  </Text>
                )}
                <Text size="xs" ff="monospace" span>
                  {e.object_id || (e.object_type ? '' : '—')}
                </Text>
              </Table.Td>
              {/* One line per record: long field lists are cut here and shown whole in the drawer. */}
              <Table.Td
                c={(e.fields ?? []).length ? undefined : 'dimmed'}
                title={(e.fields ?? []).join(', ') || undefined}
                style={{ maxWidth: 0, width: '30%', whiteSpace: 'nowrap', overflow: 'hidden', textOverflow: 'ellipsis' }}
              >
                {(e.fields ?? []).join(', ') || '—'}
              </Table.Td>
              <Table.Td>
                <OutcomeBadge outcome={e.outcome} />
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
