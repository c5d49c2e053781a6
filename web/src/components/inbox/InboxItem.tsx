'use client';

import { Group, Text } from '@mantine/core';
import type { MouseEvent } from 'react';
import { requestHref } from '@/hooks/useSelectedId';
import { useLang, useT } from '@/lib/i18n';
import { formatListTime } from '@/lib/time';
import type { PatientRequest } from '@/lib/types';
import { ChannelBadge } from '../request/ChannelBadge';
import { StatusBadge } from '../request/StatusBadge';
import classes from './InboxItem.module.css';

interface Props {
  item: PatientRequest;
  selected: boolean;
  fresh: boolean;
  onOpen: (id: string) => void;
}

export function InboxItem({ item, selected, fresh, onOpen }: Props) {
  const t = useT();
  const lang = useLang((s) => s.lang);
  const name = item.contact?.name;

  const click = (e: MouseEvent<HTMLAnchorElement>) => {
    // Let the browser handle new-tab clicks; a plain click opens in place.
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    onOpen(item.id);
  };

  return (
    <a
      href={requestHref(item.id)}
      onClick={click}
      className={classes.item}
      data-testid="inbox-item"
      data-id={item.id}
      data-fresh={fresh || undefined}
      aria-current={selected ? 'true' : undefined}
    >
      <Group justify="space-between" gap="xs" wrap="nowrap">
        <Text size="sm" fw={600} truncate c={name ? undefined : 'dimmed'} fs={name ? undefined : 'italic'}>
          {name || t('inbox.noName')}
        </Text>
        <Text size="xs" c="dimmed" style={{ flexShrink: 0 }}>
          <time dateTime={item.created_at}>{formatListTime(item.created_at, lang)}</time>
        </Text>
      </Group>
      <Text size="xs" c="dimmed" lineClamp={1} mt={2} className={classes.preview}>
        {item.message || item.contact?.phone || t('inbox.noMessage')}
      </Text>
      <Group gap={6} mt={6} wrap="nowrap">
        <StatusBadge status={item.status} size="xs" />
        <ChannelBadge channel={item.channel} size="xs" />
      </Group>
    </a>
  );
}
