'use client';

import { Badge, Button, Table, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useState } from 'react';
import type { Resource } from '@/hooks/useResource';
import { api } from '@/lib/api';
import { useLang, useT } from '@/lib/i18n';
import { consentActive, purposeLabel } from '@/lib/subjects';
import { formatDateTime, formatShortDateTime } from '@/lib/time';
import type { Channel, ConsentRecord, Items } from '@/lib/types';
import { ConfirmDialog } from '../common/ConfirmDialog';
import { LoadState } from '../common/LoadState';
import { Section } from '../common/Section';
import { ChannelBadge } from '../request/ChannelBadge';

/** A person's consents to personal-data processing; withdrawing one (consents.manage). */
export function SubjectConsents({
  contactId,
  consents,
  canWithdraw,
}: {
  contactId: string;
  consents: Resource<Items<ConsentRecord>>;
  canWithdraw: boolean;
}) {
  const t = useT();
  const lang = useLang((s) => s.lang);
  const [withdrawing, setWithdrawing] = useState<ConsentRecord | null>(null);
  const items = consents.data?.items ?? [];

  return (
    <Section title={t('subjects.consents')} hint={t('subjects.consentsHint')} testId="subjects-consents">
      {!consents.data ? (
        <LoadState loading={consents.loading} error={consents.error} onRetry={consents.reload} />
      ) : items.length === 0 ? (
        <Text size="sm" c="dimmed">
          {t('subjects.noConsents')}
        </Text>
      ) : (
        <Table.ScrollContainer minWidth={720}>
          <Table verticalSpacing={6} fz="sm" highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('subjects.purpose')}</Table.Th>
                <Table.Th>{t('subjects.textVersion')}</Table.Th>
                <Table.Th>{t('subjects.channel')}</Table.Th>
                <Table.Th>{t('subjects.given')}</Table.Th>
                <Table.Th>{t('subjects.state')}</Table.Th>
                <Table.Th w={110} />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((c) => {
                const active = consentActive(c);
                return (
                  <Table.Tr key={c.id} data-testid="subjects-consent" data-id={c.id} data-active={active}>
                    <Table.Td fw={500}>{purposeLabel(t, c.purpose)}</Table.Td>
                    <Table.Td ff="monospace">{c.text_version || '—'}</Table.Td>
                    <Table.Td>{c.channel ? <ChannelBadge channel={c.channel as Channel} /> : '—'}</Table.Td>
                    <Table.Td>{formatShortDateTime(c.given_at)}</Table.Td>
                    <Table.Td>
                      <Badge variant="light" radius="sm" tt="none" color={active ? 'teal' : 'gray'}>
                        {active ? t('subjects.consentActive') : t('subjects.consentWithdrawn', { at: formatShortDateTime(c.withdrawn_at) })}
                      </Badge>
                    </Table.Td>
                    <Table.Td ta="right">
                      {active && canWithdraw && (
                        <Button
                          size="compact-xs"
                          variant="subtle"
                          color="red"
                          onClick={() => setWithdrawing(c)}
                          data-testid="subjects-withdraw"
                        >
                          {t('subjects.withdraw')}
                        </Button>
                      )}
                    </Table.Td>
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}

      <ConfirmDialog
        opened={withdrawing !== null}
        title={t('subjects.withdrawTitle')}
        message={t('subjects.withdrawConfirm', {
          at: withdrawing ? formatDateTime(withdrawing.given_at, lang) : '',
          purpose: withdrawing ? purposeLabel(t, withdrawing.purpose) : '',
          version: withdrawing?.text_version || '—',
        })}
        confirmLabel={t('subjects.withdraw')}
        onClose={() => setWithdrawing(null)}
        onConfirm={async () => {
          if (!withdrawing) return;
          await api.withdrawConsent(contactId, withdrawing.id);
          consents.reload();
          notifications.show({ color: 'teal', message: t('subjects.withdrawn') });
        }}
      />
    </Section>
  );
}
