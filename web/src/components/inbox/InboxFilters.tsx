'use client';

import { Checkbox, Group, SegmentedControl, Select, Stack } from '@mantine/core';
import { useEffect } from 'react';
import { useResource } from '@/hooks/useResource';
import { INBOX_KINDS, type InboxKind } from '@/lib/cc';
import { ccApi } from '@/lib/ccApi';
import { useT } from '@/lib/i18n';
import { can } from '@/lib/nav';
import { CHANNELS, STATUSES, type ChannelFilter, type StatusFilter } from '@/lib/types';
import { useAuth } from '@/stores/auth';
import { inboxStore, useInbox } from '@/stores/inbox';
import { useInboxView } from '@/stores/inboxView';
import { inboxCalls, inboxTasks } from '@/stores/work';

/** The kinds of items this user may see in the inbox. */
export function inboxKinds(perms: { calls: boolean; tasks: boolean }): InboxKind[] {
  return INBOX_KINDS.filter((k) => (k !== 'calls' || perms.calls) && (k !== 'tasks' || perms.tasks));
}

export function InboxFilters() {
  const t = useT();
  const user = useAuth((s) => s.user);
  const me = user?.id ?? '';
  const filters = useInbox((s) => s.filters);
  const setFilters = useInbox((s) => s.setFilters);
  const kind = useInboxView((s) => s.kind);
  const setKind = useInboxView((s) => s.setKind);
  const kinds = inboxKinds({ calls: can(user, 'calls.read'), tasks: can(user, 'tasks.read') });
  const queues = useResource((signal) => ccApi.queues(signal));

  // Calls and tasks follow the same "mine / queue / overdue" as requests.
  const mine = !!filters.mine;
  const queue = filters.queue ?? '';
  const overdue = !!filters.overdue;
  useEffect(() => {
    inboxStore.getState().setMe(me);
    const work = { mine, queue, overdue, me };
    if (can(user, 'calls.read')) inboxCalls.getState().setFilters(work);
    if (can(user, 'tasks.read')) inboxTasks.getState().setFilters(work);
  }, [mine, queue, overdue, me, user]);

  const statusData = [
    { value: 'all', label: t('inbox.allStatuses') },
    ...STATUSES.map((s) => ({ value: s, label: t(`status.${s}`) })),
  ];
  const channelData = [
    { value: 'all', label: t('inbox.allChannels') },
    ...CHANNELS.map((c) => ({ value: c, label: t(`channel.${c}`) })),
  ];
  const queueData = [{ value: 'all', label: t('inbox.allQueues') }, ...(queues.data?.items ?? []).map((q) => ({ value: q.id, label: q.name }))];

  const chooseKind = (v: string) => {
    const k = v as InboxKind;
    setKind(k);
    // Status and channel are a request's: other kinds show every one.
    if (k !== 'requests') setFilters({ status: 'all', channel: 'all' });
  };

  return (
    <Stack gap={6}>
      {kinds.length > 1 && (
        <SegmentedControl
          data-testid="filter-kind"
          data-value={kind}
          size="xs"
          fullWidth
          value={kind}
          onChange={chooseKind}
          data={kinds.map((k) => ({ value: k, label: t(`inbox.kind.${k}`) }))}
        />
      )}
      {kind === 'requests' || kinds.length === 1 ? (
        <Group gap="xs" grow wrap="nowrap">
          <Select<StatusFilter>
            aria-label={t('inbox.status')}
            data-testid="filter-status"
            size="xs"
            data={statusData as { value: StatusFilter; label: string }[]}
            value={filters.status}
            allowDeselect={false}
            onChange={(v) => v && setFilters({ status: v })}
            comboboxProps={{ withinPortal: true }}
          />
          <Select<ChannelFilter>
            aria-label={t('inbox.channel')}
            data-testid="filter-channel"
            size="xs"
            data={channelData as { value: ChannelFilter; label: string }[]}
            value={filters.channel}
            allowDeselect={false}
            onChange={(v) => v && setFilters({ channel: v })}
            comboboxProps={{ withinPortal: true }}
          />
        </Group>
      ) : null}
      <Group gap="xs" wrap="nowrap" justify="space-between">
        <Checkbox
          size="xs"
          label={t('inbox.mine')}
          checked={mine}
          onChange={(e) => setFilters({ mine: e.currentTarget.checked })}
          data-testid="filter-mine"
        />
        <Checkbox
          size="xs"
          label={t('inbox.overdue')}
          checked={overdue}
          onChange={(e) => setFilters({ overdue: e.currentTarget.checked })}
          data-testid="filter-overdue"
        />
        {(queues.data?.items.length ?? 0) > 0 && (
          <Select
            aria-label={t('inbox.queue')}
            data-testid="filter-queue"
            size="xs"
            w={130}
            data={queueData}
            value={queue || 'all'}
            allowDeselect={false}
            onChange={(v) => setFilters({ queue: !v || v === 'all' ? '' : v })}
            comboboxProps={{ withinPortal: true }}
          />
        )}
      </Group>
    </Stack>
  );
}
