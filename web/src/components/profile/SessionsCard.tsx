'use client';

import { Badge, Button, Table, Text, Tooltip } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useState } from 'react';
import { useResource } from '@/hooks/useResource';
import { api } from '@/lib/api';
import { useT } from '@/lib/i18n';
import { problemMessage } from '@/lib/problems';
import { formatShortDateTime } from '@/lib/time';
import { describeUserAgent } from '@/lib/userAgent';
import { LoadState } from '../common/LoadState';
import { Section } from '../common/Section';

/** Where I am signed in; any other session can be ended here. */
export function SessionsCard() {
  const t = useT();
  const sessions = useResource((signal) => api.mySessions(signal));
  const [revoking, setRevoking] = useState<string | null>(null);

  const revoke = async (id: string) => {
    setRevoking(id);
    try {
      await api.revokeSession(id);
      sessions.set((d) => (d ? { items: d.items.filter((s) => s.id !== id) } : d));
      notifications.show({ color: 'teal', message: t('profile.revoked') });
    } catch (err) {
      notifications.show({ color: 'red', message: problemMessage(err) ?? t('common.failed') });
    } finally {
      setRevoking(null);
    }
  };

  const items = sessions.data?.items ?? [];
  const sorted = [...items].sort((a, b) => Number(b.current) - Number(a.current) || Date.parse(b.last_seen_at) - Date.parse(a.last_seen_at));

  return (
    <Section title={t('profile.sessions')} hint={t('profile.sessionsHint')} testId="sessions-card">
      {!sessions.data ? (
        <LoadState loading={sessions.loading} error={sessions.error} onRetry={sessions.reload} />
      ) : (
        <Table.ScrollContainer minWidth={560}>
          <Table verticalSpacing={6} fz="sm" highlightOnHover data-testid="sessions-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('profile.device')}</Table.Th>
                <Table.Th>{t('profile.address')}</Table.Th>
                <Table.Th>{t('profile.signedIn')}</Table.Th>
                <Table.Th>{t('profile.lastSeen')}</Table.Th>
                <Table.Th w={130} />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {sorted.map((s) => (
                <Table.Tr key={s.id} data-testid="session-row" data-current={s.current || undefined}>
                  <Table.Td>
                    <Tooltip label={s.user_agent || '—'} openDelay={400} multiline maw={420}>
                      <Text size="sm" span>
                        {describeUserAgent(s.user_agent) || '—'}
                      </Text>
                    </Tooltip>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm" ff="monospace">
                      {s.client_addr || '—'}
                    </Text>
                  </Table.Td>
                  <Table.Td>{formatShortDateTime(s.created_at)}</Table.Td>
                  <Table.Td>{formatShortDateTime(s.last_seen_at)}</Table.Td>
                  <Table.Td ta="right">
                    {s.current ? (
                      <Badge color="teal" variant="light" radius="sm" tt="none">
                        {t('profile.current')}
                      </Badge>
                    ) : (
                      <Button
                        size="compact-xs"
                        variant="subtle"
                        color="red"
                        loading={revoking === s.id}
                        onClick={() => void revoke(s.id)}
                        data-testid="session-revoke"
                      >
                        {t('profile.revoke')}
                      </Button>
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Section>
  );
}
