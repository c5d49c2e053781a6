'use client';

import { Anchor, Button, Group, ScrollArea, Select, Stack, Table, Text, Title } from '@mantine/core';
import Link from 'next/link';
import { useEffect } from 'react';
import { contactHref, requestHref } from '@/hooks/useSelectedId';
import { CALL_DIRECTIONS, CALL_RESULTS, callerLabel, formatDuration, recordingHref, type CallView } from '@/lib/cc';
import { useT, type MessageKey } from '@/lib/i18n';
import { liveBus } from '@/lib/liveBus';
import { formatPhone } from '@/lib/phone';
import { formatLogTime } from '@/lib/time';
import { useLiveList } from '@/stores/liveList';
import { callLog } from '@/stores/work';
import { LoadState } from '../common/LoadState';
import { PageShell } from '../shell/PageShell';
import { CallOutcomeBadge } from './CallOutcomeBadge';

const ACCESS = { permission: 'calls.read' };

/** Only the time when the day is the call's start day: "14:05:09". */
function sameDayTime(iso: string | null, start: string): string {
  if (!iso) return '—';
  const full = formatLogTime(iso);
  return full.slice(0, 10) === formatLogTime(start).slice(0, 10) ? full.slice(11) : full;
}

function CallRow({ c }: { c: CallView }) {
  const t = useT();
  const who = callerLabel(c);
  const rec = recordingHref(c.recording_url);
  return (
    <Table.Tr data-testid="call-row" data-id={c.id} data-result={c.result} data-state={c.state}>
      <Table.Td>
        <Text size="sm">{t(c.direction === 'outbound' ? 'call.outbound' : 'call.inbound')}</Text>
      </Table.Td>
      <Table.Td>
        {who.name && (
          <Text size="sm" fw={500}>
            {c.contact?.id ? (
              <Anchor component={Link} href={contactHref(c.contact.id)} size="sm">
                {who.name}
              </Anchor>
            ) : (
              who.name
            )}
          </Text>
        )}
        <Text size={who.name ? 'xs' : 'sm'} c={who.name ? 'dimmed' : undefined} data-testid="call-caller" data-masked={c.masked ? 'true' : 'false'}>
          {formatPhone(who.phone) || '—'}
        </Text>
      </Table.Td>
      <Table.Td>
        <Text size="sm">{formatPhone(c.line) || '—'}</Text>
      </Table.Td>
      <Table.Td>
        <Text size="sm">{c.operator_name || '—'}</Text>
        {c.extension && (
          <Text size="xs" c="dimmed">
            {t('calls.ext', { ext: c.extension })}
          </Text>
        )}
      </Table.Td>
      <Table.Td>
        <Text size="sm" style={{ whiteSpace: 'nowrap' }}>
          {formatLogTime(c.started_at)}
        </Text>
      </Table.Td>
      <Table.Td>
        <Text size="sm">{sameDayTime(c.answered_at, c.started_at)}</Text>
      </Table.Td>
      <Table.Td>
        <Text size="sm">{sameDayTime(c.ended_at, c.started_at)}</Text>
      </Table.Td>
      <Table.Td>
        <Text size="sm">{c.duration_seconds > 0 ? formatDuration(c.duration_seconds) : '—'}</Text>
      </Table.Td>
      <Table.Td>
        <CallOutcomeBadge call={c} size="sm" />
      </Table.Td>
      <Table.Td>
        {rec ? (
          <Anchor href={rec} target="_blank" rel="noopener noreferrer" size="sm" data-testid="call-recording">
            {t('calls.listen')}
          </Anchor>
        ) : (
          <Text size="sm" c="dimmed">
            —
          </Text>
        )}
      </Table.Td>
      <Table.Td>
        {c.request_id ? (
          <Anchor component={Link} href={requestHref(c.request_id)} size="sm">
            {t('calls.request')}
          </Anchor>
        ) : (
          <Text size="sm" c="dimmed">
            —
          </Text>
        )}
      </Table.Td>
    </Table.Tr>
  );
}

function CallLog() {
  const t = useT();
  const s = useLiveList(callLog, (x) => x);

  useEffect(() => {
    const store = callLog.getState();
    if (store.loaded) void store.resync();
    else store.setFilters(store.filters);
    const offFrame = liveBus.onFrame((f) => {
      if (f.type === 'call.updated') callLog.getState().applyLive(f.data);
    });
    const offOpen = liveBus.onOpen(() => void callLog.getState().resync());
    return () => {
      offFrame();
      offOpen();
    };
  }, []);

  const directionData = [{ value: 'all', label: t('calls.allDirections') }, ...CALL_DIRECTIONS.map((d) => ({ value: d, label: t(`call.${d}` as MessageKey) }))];
  const resultData = [{ value: 'all', label: t('calls.allResults') }, ...CALL_RESULTS.map((r) => ({ value: r, label: t(`call.result.${r}` as MessageKey) }))];
  const setFilter = (patch: Partial<typeof s.filters>) => callLog.getState().setFilters({ ...s.filters, ...patch });

  return (
    <Stack gap="md">
      <Group justify="space-between" align="flex-end">
        <Title order={3}>{t('calls.title')}</Title>
        <Group gap="xs">
          <Select
            size="xs"
            aria-label={t('calls.direction')}
            data={directionData}
            value={s.filters.direction || 'all'}
            onChange={(v) => setFilter({ direction: !v || v === 'all' ? '' : v })}
            allowDeselect={false}
            data-testid="calls-direction"
          />
          <Select
            size="xs"
            aria-label={t('calls.result')}
            data={resultData}
            value={s.filters.result || 'all'}
            onChange={(v) => setFilter({ result: !v || v === 'all' ? '' : v })}
            allowDeselect={false}
            data-testid="calls-result"
          />
        </Group>
      </Group>
      {!s.loaded || s.error ? (
        <LoadState loading={!s.loaded} error={s.error} onRetry={() => void callLog.getState().resync()} />
      ) : null}
      {s.loaded && (
        <ScrollArea type="auto">
          <Table striped highlightOnHover verticalSpacing="xs" miw={1100} data-testid="calls-table" bg="white">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('calls.col.direction')}</Table.Th>
                <Table.Th>{t('calls.col.caller')}</Table.Th>
                <Table.Th>{t('calls.col.line')}</Table.Th>
                <Table.Th>{t('calls.col.operator')}</Table.Th>
                <Table.Th>{t('calls.col.started')}</Table.Th>
                <Table.Th>{t('calls.col.answered')}</Table.Th>
                <Table.Th>{t('calls.col.ended')}</Table.Th>
                <Table.Th>{t('calls.col.duration')}</Table.Th>
                <Table.Th>{t('calls.col.result')}</Table.Th>
                <Table.Th>{t('calls.col.recording')}</Table.Th>
                <Table.Th>{t('calls.col.request')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {s.ids.map((id) => (
                <CallRow key={id} c={s.byId[id]} />
              ))}
            </Table.Tbody>
          </Table>
          {s.ids.length === 0 && (
            <Text c="dimmed" size="sm" ta="center" py="xl">
              {t('calls.empty')}
            </Text>
          )}
        </ScrollArea>
      )}
      {s.nextCursor && (
        <Group justify="center">
          <Button variant="subtle" size="xs" loading={s.loadingMore} onClick={() => void callLog.getState().loadMore()}>
            {t('common.loadMore')}
          </Button>
        </Group>
      )}
    </Stack>
  );
}

export function CallsScreen() {
  return <PageShell access={ACCESS} size="100%">{() => <CallLog />}</PageShell>;
}
