'use client';

import { Alert, Button, Divider, Group, SimpleGrid, Stack, Table, Text, Tooltip } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { type ReactNode, useState } from 'react';
import { useResource } from '@/hooks/useResource';
import { api, subjectReportHref } from '@/lib/api';
import { useLang, useT } from '@/lib/i18n';
import { can } from '@/lib/nav';
import { summarizeReport } from '@/lib/subjects';
import { formatDateTime, formatShortDateTime } from '@/lib/time';
import type { Channel, Contact, RequestStatus, User } from '@/lib/types';
import { LoadState } from '../common/LoadState';
import { Section } from '../common/Section';
import { ChannelBadge } from '../request/ChannelBadge';
import { StatusBadge } from '../request/StatusBadge';
import { AnonymizeDialog } from './AnonymizeDialog';
import { SubjectConsents } from './SubjectConsents';

function Field({ label, children, mono = false }: { label: string; children: ReactNode; mono?: boolean }) {
  return (
    <div style={{ minWidth: 0 }}>
      <Text size="xs" c="dimmed" fw={500}>
        {label}
      </Text>
      <Text size="sm" component="div" mt={2} ff={mono ? 'monospace' : undefined} style={{ overflowWrap: 'anywhere' }}>
        {children}
      </Text>
    </div>
  );
}

/** One person: what is held on them (the subject report), their consents, forgetting them. */
export function SubjectPanel({
  contactId,
  user,
  onAnonymized,
}: {
  contactId: string;
  user: User;
  onAnonymized: (c: Contact) => void;
}) {
  const t = useT();
  const lang = useLang((s) => s.lang);
  const report = useResource((signal) => api.subjectReport(contactId, signal));
  const consents = useResource((signal) => api.contactConsents(contactId, signal));
  const [forgetting, setForgetting] = useState(false);

  const data = report.data;
  const summary = data ? summarizeReport(data, consents.data?.items) : null;
  const contact = data?.contact;
  const erased = <Text span size="sm" c="dimmed" fs="italic">{t('subjects.erased')}</Text>;
  const value = (v: string | undefined) => (v ? v : summary?.anonymized ? erased : '—');

  const anonymize = async () => {
    await api.anonymizeContact(contactId);
    // Nothing of the person stays on screen until the report says what is left.
    report.set(() => null);
    report.reload();
    consents.reload();
    onAnonymized({ id: contactId, name: '', phone: '', email: '' });
    notifications.show({ color: 'teal', message: t('subjects.anonymizeDone') });
  };

  return (
    <Stack gap="md">
      <div data-testid="subjects-report" data-id={contactId} data-loaded={!!data} data-anonymized={!!summary?.anonymized}>
        <Section
          title={t('subjects.report')}
          hint={data ? t('subjects.reportHint', { at: formatDateTime(data.generated_at, lang) }) : undefined}
          actions={
            <Group gap="xs" wrap="nowrap">
              <Button
                component="a"
                href={subjectReportHref(contactId)}
                download
                size="xs"
                variant="default"
                data-testid="subjects-report-download"
              >
                {t('subjects.download')}
              </Button>
              <Button
                size="xs"
                color="red"
                disabled={!data || !!summary?.anonymized}
                onClick={() => setForgetting(true)}
                data-testid="subjects-anonymize"
              >
                {t('subjects.anonymize')}
              </Button>
            </Group>
          }
        >
          {!data || !summary ? (
            <LoadState loading={report.loading} error={report.error} onRetry={report.reload} />
          ) : (
            <Stack gap="md">
              {summary.anonymized && (
                <Alert color="gray" variant="light" data-testid="subjects-anonymized">
                  <Text size="sm">{t('subjects.anonymizedNote', { at: formatDateTime(summary.anonymizedAt ?? '', lang) })}</Text>
                </Alert>
              )}
              <SimpleGrid cols={{ base: 1, xs: 2, md: 4 }} spacing="md" verticalSpacing="sm">
                <Field label={t('subjects.name')}>
                  <span data-testid="subjects-name">{value(contact?.name)}</span>
                </Field>
                <Field label={t('subjects.phone')} mono>
                  {value(contact?.phone)}
                </Field>
                <Field label={t('subjects.email')} mono>
                  {value(contact?.email)}
                </Field>
                <Field label={t('subjects.id')} mono>
                  <Text span size="xs" ff="monospace">
                    {contactId}
                  </Text>
                </Field>
              </SimpleGrid>

              <Divider />

              <div>
                <Group gap="xs" mb="xs" wrap="wrap">
                  <Text size="sm" fw={600} data-testid="subjects-request-count" data-count={summary.requestCount}>
                    {t('subjects.requestCount', { count: summary.requestCount })}
                  </Text>
                  {summary.requestCount > 1 && summary.firstAt && summary.lastAt && (
                    <Text size="sm" c="dimmed">
                      {t('subjects.period', { from: formatShortDateTime(summary.firstAt), to: formatShortDateTime(summary.lastAt) })}
                    </Text>
                  )}
                  {summary.byStatus.map((s) => (
                    <Group key={s.status} gap={4} wrap="nowrap">
                      <StatusBadge status={s.status as RequestStatus} size="sm" />
                      <Text size="xs" c="dimmed">
                        × {s.count}
                      </Text>
                    </Group>
                  ))}
                  <Text size="sm" c="dimmed" ml="auto" data-testid="subjects-consent-count">
                    {t('subjects.consentCount', summary.consents)}
                  </Text>
                </Group>
                {summary.requests.length === 0 ? (
                  <Text size="sm" c="dimmed">
                    {t('subjects.noRequests')}
                  </Text>
                ) : (
                  <Table.ScrollContainer minWidth={640}>
                    <Table verticalSpacing={6} fz="sm" striped data-testid="subjects-requests">
                      <Table.Thead>
                        <Table.Tr>
                          <Table.Th w={150}>{t('subjects.date')}</Table.Th>
                          <Table.Th w={160}>{t('detail.channel')}</Table.Th>
                          <Table.Th w={120}>{t('detail.status')}</Table.Th>
                          <Table.Th>{t('detail.message')}</Table.Th>
                        </Table.Tr>
                      </Table.Thead>
                      <Table.Tbody>
                        {summary.requests.map((r) => (
                          <Table.Tr key={r.id} data-testid="subjects-request" data-id={r.id}>
                            <Table.Td>
                              <Tooltip label={r.id} openDelay={400} ff="monospace">
                                <span>{formatShortDateTime(r.created_at)}</span>
                              </Tooltip>
                            </Table.Td>
                            <Table.Td>
                              <ChannelBadge channel={r.channel as Channel} />
                            </Table.Td>
                            <Table.Td>
                              <StatusBadge status={r.status as RequestStatus} />
                            </Table.Td>
                            <Table.Td>
                              {r.message ? (
                                <Text size="sm" lineClamp={2} style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>
                                  {r.message}
                                </Text>
                              ) : (
                                value('')
                              )}
                            </Table.Td>
                          </Table.Tr>
                        ))}
                      </Table.Tbody>
                    </Table>
                  </Table.ScrollContainer>
                )}
              </div>
            </Stack>
          )}
        </Section>
      </div>

      <SubjectConsents contactId={contactId} consents={consents} canWithdraw={can(user, 'consents.manage')} />

      <AnonymizeDialog opened={forgetting} onClose={() => setForgetting(false)} onConfirm={anonymize} />
    </Stack>
  );
}
