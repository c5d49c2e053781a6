'use client';

import { Group, Select } from '@mantine/core';
import { useT } from '@/lib/i18n';
import { CHANNELS, STATUSES, type ChannelFilter, type StatusFilter } from '@/lib/types';
import { useInbox } from '@/stores/inbox';

export function InboxFilters() {
  const t = useT();
  const filters = useInbox((s) => s.filters);
  const setFilters = useInbox((s) => s.setFilters);

  const statusData = [
    { value: 'all', label: t('inbox.allStatuses') },
    ...STATUSES.map((s) => ({ value: s, label: t(`status.${s}`) })),
  ];
  const channelData = [
    { value: 'all', label: t('inbox.allChannels') },
    ...CHANNELS.map((c) => ({ value: c, label: t(`channel.${c}`) })),
  ];

  return (
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
  );
}
