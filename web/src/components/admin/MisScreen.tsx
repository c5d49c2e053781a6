'use client';

import { Alert, Badge, Button, Code, Group, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useState, type ReactNode } from 'react';
import { useResource } from '@/hooks/useResource';
import { api } from '@/lib/api';
import { useLang, useT } from '@/lib/i18n';
import { breakerColor, healthProblems, kindLabel } from '@/lib/misHealth';
import { formatDateTime } from '@/lib/time';
import type { MisCheck } from '@/lib/types';
import { LoadState } from '../common/LoadState';
import { ProblemAlert } from '../common/ProblemAlert';
import { Section } from '../common/Section';
import { PageShell } from '../shell/PageShell';

const ACCESS = { permission: 'mis.manage' };

/** /admin/mis/: which MIS Okno talks to and how that goes; a live check and a cache refresh. */
export function MisScreen() {
  return <PageShell access={ACCESS}>{() => <MisPage />}</PageShell>;
}

function Field({ label, children, testId }: { label: string; children: ReactNode; testId?: string }) {
  return (
    <div>
      <Text size="xs" c="dimmed" fw={500}>
        {label}
      </Text>
      <Text size="sm" component="div" mt={2} style={{ overflowWrap: 'anywhere' }} data-testid={testId}>
        {children}
      </Text>
    </div>
  );
}

function MisPage() {
  const t = useT();
  const lang = useLang((s) => s.lang);
  const health = useResource((signal) => api.misHealth(signal));
  const [checking, setChecking] = useState(false);
  const [check, setCheck] = useState<MisCheck | null>(null);
  const [checkError, setCheckError] = useState<unknown>(null);
  const [refreshing, setRefreshing] = useState(false);
  const [refreshError, setRefreshError] = useState<unknown>(null);
  const h = health.data;
  const when = (iso: string | null | undefined) => (iso ? formatDateTime(iso, lang) : t('mis.never'));

  const runCheck = async () => {
    setChecking(true);
    setCheckError(null);
    try {
      setCheck(await api.misCheck());
    } catch (err) {
      setCheck(null);
      setCheckError(err);
    } finally {
      setChecking(false);
      health.reload();
    }
  };

  const refresh = async () => {
    setRefreshing(true);
    setRefreshError(null);
    try {
      await api.misRefresh();
      notifications.show({ color: 'teal', message: t('mis.refreshStarted') });
      health.reload();
    } catch (err) {
      setRefreshError(err);
    } finally {
      setRefreshing(false);
    }
  };

  const problems = h ? healthProblems(h) : [];

  return (
    <Stack gap="md" data-testid="mis-admin">
      <Group justify="space-between">
        <Title order={3}>{t('mis.title')}</Title>
        <Group gap="sm">
          <Button size="xs" variant="default" onClick={health.reload} loading={health.loading && !!h}>
            {t('mis.reload')}
          </Button>
          <Button size="xs" variant="light" onClick={runCheck} loading={checking} data-testid="mis-check">
            {t('mis.check')}
          </Button>
          <Button size="xs" onClick={refresh} loading={refreshing} data-testid="mis-refresh">
            {t('mis.refresh')}
          </Button>
        </Group>
      </Group>

      <Alert color="blue" variant="light" data-testid="mis-secrets-note">
        <Text size="sm">{t('mis.secretsNote')}</Text>
        <Text size="xs" c="dimmed" mt={4}>
          <Code>OKNO_MIS_FHIR_URL</Code>, <Code>OKNO_MIS_*</Code>, <Code>OKNO_MIS_*_FILE</Code>
        </Text>
      </Alert>

      {check && (
        <Alert
          color={check.ok ? 'teal' : 'red'}
          variant="light"
          title={check.ok ? t('mis.checkOk', { ms: check.latency_ms }) : t('mis.checkFailed')}
          data-testid="mis-check-result"
          data-ok={check.ok ? 'true' : 'false'}
          withCloseButton
          onClose={() => setCheck(null)}
        >
          {!check.ok && (check.error || t('common.failed'))}
        </Alert>
      )}
      <ProblemAlert error={checkError} testId="mis-check-problem" />
      <ProblemAlert error={refreshError} testId="mis-refresh-problem" />

      {!h ? (
        <LoadState loading={health.loading} error={health.error} onRetry={health.reload} />
      ) : (
        <>
          {problems.length > 0 && (
            <Alert color="orange" variant="light" title={t('mis.attention')} data-testid="mis-problems">
              <Stack gap={2}>
                {problems.map((p) => (
                  <Text key={p} size="sm">
                    {t(p)}
                  </Text>
                ))}
              </Stack>
            </Alert>
          )}
          <Section title={t('mis.connection')} testId="mis-connection">
            <SimpleGrid cols={{ base: 1, sm: 3 }} spacing="md">
              <Field label={t('mis.kind')} testId="mis-kind">
                {kindLabel(h.kind, t)}
              </Field>
              <Field label={t('mis.baseUrl')} testId="mis-base-url">
                {h.base_url ? <Code>{h.base_url}</Code> : '—'}
              </Field>
              <Field label={t('mis.breaker')}>
                <Badge color={breakerColor(h.breaker)} variant="light" radius="sm" tt="none" data-testid="mis-breaker" data-state={h.breaker}>
                  {h.breaker === 'closed' ? t('mis.breakerClosed') : h.breaker === 'open' ? t('mis.breakerOpen') : h.breaker === 'half-open' ? t('mis.breakerHalfOpen') : h.breaker}
                </Badge>
              </Field>
            </SimpleGrid>
          </Section>

          <Section title={t('mis.cache')} hint={t('mis.cacheHint')} testId="mis-cache">
            <SimpleGrid cols={{ base: 2, sm: 4 }} spacing="md" mb="md">
              <Field label={t('mis.countBranches')}>{h.counts?.branches ?? '—'}</Field>
              <Field label={t('mis.countSpecialties')}>{h.counts?.specialties ?? '—'}</Field>
              <Field label={t('mis.countDoctors')}>{h.counts?.doctors ?? '—'}</Field>
              <Field label={t('mis.countServices')}>{h.counts?.services ?? '—'}</Field>
            </SimpleGrid>
            <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="md">
              <Field label={t('mis.lastRefresh')} testId="mis-last-refresh">
                {when(h.last_refresh_at)}
              </Field>
              <Field label={t('mis.lastRefreshError')}>
                {h.last_refresh_error ? (
                  <Text span size="sm" c="red.8">
                    {h.last_refresh_error}
                  </Text>
                ) : (
                  t('mis.none')
                )}
              </Field>
            </SimpleGrid>
          </Section>

          <Section title={t('mis.feed')} hint={t('mis.feedHint')} testId="mis-feed">
            {h.feed ? (
              <SimpleGrid cols={{ base: 1, sm: 2, md: 4 }} spacing="md">
                <Field label={t('mis.feedCursor')}>{when(h.feed.cursor_at)}</Field>
                <Field label={t('mis.feedLastPoll')}>{when(h.feed.last_poll_at)}</Field>
                <Field label={t('mis.feedApplied')} testId="mis-feed-applied">
                  {h.feed.applied_total ?? 0}
                </Field>
                <Field label={t('mis.feedError')}>
                  {h.feed.last_error ? (
                    <Text span size="sm" c="red.8">
                      {h.feed.last_error}
                    </Text>
                  ) : (
                    t('mis.none')
                  )}
                </Field>
              </SimpleGrid>
            ) : (
              <Text size="sm" c="dimmed">
                {t('mis.feedOff')}
              </Text>
            )}
          </Section>
        </>
      )}
    </Stack>
  );
}
