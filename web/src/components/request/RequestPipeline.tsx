'use client';

import { Badge, Button, Group, Paper, Select, SimpleGrid, Stack, TagsInput, Text } from '@mantine/core';
import { useEffect, useState } from 'react';
import { useResource } from '@/hooks/useResource';
import { slaLines, type RequestChange, type SlaState } from '@/lib/cc';
import { ccApi } from '@/lib/ccApi';
import { useT, type MessageKey } from '@/lib/i18n';
import { can } from '@/lib/nav';
import { formatShortDateTime } from '@/lib/time';
import { STATUSES, type PatientRequest, type RequestStatus } from '@/lib/types';
import { useAuth } from '@/stores/auth';
import { inboxStore } from '@/stores/inbox';
import { nameOf, useRoster } from '@/stores/roster';
import { ProblemAlert } from '../common/ProblemAlert';
import classes from './RequestView.module.css';

const SLA_COLOR: Record<SlaState, string> = { met: 'teal', pending: 'blue', soon: 'orange', breached: 'red', none: 'gray' };

/** The ticking clock for SLA states: once a minute is enough for "due soon". */
function useNow(ms = 30_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const h = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(h);
  }, [ms]);
  return now;
}

function Label({ children }: { children: React.ReactNode }) {
  return (
    <Text size="xs" c="dimmed" fw={500} className={classes.label} mb={4}>
      {children}
    </Text>
  );
}

/**
 * Where the request stands and who works it: the status (lost with a reason), the assignee
 * (take it; hand it on with requests.assign), tags, the SLA due times and breaches.
 */
export function RequestPipeline({ item }: { item: PatientRequest }) {
  const t = useT();
  const user = useAuth((s) => s.user);
  const me = user?.id ?? '';
  const operators = useRoster((s) => s.operators);
  const queues = useRoster((s) => s.queues);
  const loadRoster = useRoster((s) => s.load);
  const reasons = useResource((signal) => ccApi.lostReasons(signal));
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [lostReason, setLostReason] = useState<string | null>(null);
  const [askLost, setAskLost] = useState(false);
  const now = useNow();
  const mayUpdate = can(user, 'requests.update');
  const mayAssign = can(user, 'requests.assign');

  useEffect(() => {
    void loadRoster();
  }, [loadRoster]);
  useEffect(() => {
    setAskLost(false);
    setError(null);
    setLostReason(null);
  }, [item.id]);

  const change = async (what: string, c: RequestChange) => {
    setBusy(what);
    setError(null);
    try {
      const next = await ccApi.updateRequest(item.id, c);
      inboxStore.getState().applyLive('updated', next);
      if (c.status) setAskLost(false);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };

  const status = item.status;
  const activeReasons = (reasons.data?.reasons ?? []).filter((r) => r.active);
  const queueName = queues.find((q) => q.id === item.queue_id)?.name;
  const sla = slaLines(item, now);
  const assignee = item.assignee_id ?? '';

  return (
    <Paper withBorder p="md" data-testid="request-pipeline">
      <Stack gap="md">
        <div>
          <Label>{t('pipeline.status')}</Label>
          <Group gap={6} wrap="wrap" data-testid="status-buttons">
            {STATUSES.filter((s) => s !== 'lost').map((s) => (
              <Button
                key={s}
                size="compact-sm"
                variant={s === status ? 'filled' : 'default'}
                color={s === status ? 'teal' : 'gray'}
                disabled={!mayUpdate || !!item.merged_into}
                loading={busy === `status-${s}`}
                onClick={() => s !== status && void change(`status-${s}`, { status: s as RequestStatus })}
                data-testid={`status-${s}`}
                aria-pressed={s === status}
              >
                {t(`status.${s}`)}
              </Button>
            ))}
            <Button
              size="compact-sm"
              variant={status === 'lost' ? 'filled' : 'default'}
              color={status === 'lost' ? 'gray' : 'red'}
              disabled={!mayUpdate || !!item.merged_into}
              onClick={() => setAskLost((v) => !v)}
              data-testid="status-lost"
              aria-pressed={status === 'lost'}
            >
              {t('status.lost')}
            </Button>
          </Group>
          {status === 'lost' && item.lost_reason && (
            <Text size="sm" mt={6} data-testid="lost-reason">
              {t('pipeline.lostBecause', { reason: item.lost_reason })}
            </Text>
          )}
          {askLost && (
            <Group gap="xs" mt="xs" align="flex-end" wrap="nowrap">
              <Select
                size="xs"
                label={t('pipeline.lostReason')}
                placeholder={t('pipeline.lostReasonPick')}
                data={activeReasons.map((r) => r.name)}
                value={lostReason}
                onChange={setLostReason}
                comboboxProps={{ withinPortal: true }}
                style={{ flex: 1 }}
                data-testid="lost-reason-select"
              />
              <Button
                size="xs"
                color="red"
                disabled={!lostReason}
                loading={busy === 'status-lost'}
                onClick={() => lostReason && void change('status-lost', { status: 'lost', lost_reason: lostReason })}
                data-testid="lost-confirm"
              >
                {t('pipeline.markLost')}
              </Button>
            </Group>
          )}
        </div>

        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="md">
          <div>
            <Label>{t('pipeline.assignee')}</Label>
            <Group gap="xs" wrap="nowrap">
              {mayAssign ? (
                <Select
                  size="xs"
                  data={[{ value: 'none', label: t('pipeline.nobody') }, ...operators.map((o) => ({ value: o.user_id, label: o.name || o.login }))]}
                  value={assignee || 'none'}
                  onChange={(v) => {
                    const next = !v || v === 'none' ? '' : v;
                    if (next !== assignee) void change('assign', { assignee_id: next });
                  }}
                  disabled={!!busy || !!item.merged_into}
                  comboboxProps={{ withinPortal: true }}
                  searchable
                  style={{ flex: 1 }}
                  data-testid="assignee-select"
                />
              ) : (
                <Text size="sm" data-testid="assignee-name" c={assignee ? undefined : 'dimmed'}>
                  {assignee === me ? t('pipeline.me') : assignee ? nameOf(operators, assignee) : t('pipeline.nobody')}
                </Text>
              )}
              {mayUpdate && assignee !== me && !item.merged_into && (
                <Button size="compact-xs" variant="light" loading={busy === 'take'} onClick={() => void change('take', { assignee_id: me })} data-testid="take-request">
                  {t('pipeline.take')}
                </Button>
              )}
            </Group>
          </div>
          <div>
            <Label>{t('pipeline.queue')}</Label>
            <Text size="sm" c={queueName ? undefined : 'dimmed'}>
              {queueName ?? t('pipeline.noQueue')}
            </Text>
          </div>
        </SimpleGrid>

        <div>
          <Label>{t('pipeline.sla')}</Label>
          <Stack gap={4} data-testid="request-sla">
            {sla.map((l) => (
              <Group key={l.name} gap="xs" wrap="nowrap" data-sla={l.name} data-state={l.state}>
                <Text size="sm" w={170}>
                  {t(`sla.${l.name}` as MessageKey)}
                </Text>
                <Badge size="sm" variant={l.state === 'breached' ? 'filled' : 'light'} color={SLA_COLOR[l.state]} radius="sm" tt="none">
                  {t(`sla.state.${l.state}` as MessageKey)}
                </Badge>
                <Text size="xs" c="dimmed">
                  {l.due ? t('sla.due', { at: formatShortDateTime(l.due) }) : ''}
                  {l.done ? ` · ${t('sla.done', { at: formatShortDateTime(l.done) })}` : ''}
                </Text>
              </Group>
            ))}
          </Stack>
        </div>

        <div>
          <Label>{t('pipeline.tags')}</Label>
          <TagsInput
            size="xs"
            value={item.tags ?? []}
            onChange={(tags) => void change('tags', { tags })}
            placeholder={mayUpdate ? t('pipeline.tagsPlaceholder') : undefined}
            disabled={!mayUpdate || !!item.merged_into}
            splitChars={[',', ' ']}
            clearable={false}
            data-testid="request-tags"
          />
        </div>
        <ProblemAlert error={error} />
      </Stack>
    </Paper>
  );
}
