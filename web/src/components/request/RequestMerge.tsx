'use client';

import { Alert, Anchor, Button, Group, Paper, Stack, Text } from '@mantine/core';
import { useEffect, useState } from 'react';
import type { TimelineItem } from '@/lib/cc';
import { ccApi } from '@/lib/ccApi';
import { useLang, useT } from '@/lib/i18n';
import { can } from '@/lib/nav';
import { formatDateTime } from '@/lib/time';
import type { Channel, PatientRequest, RequestStatus } from '@/lib/types';
import { useAuth } from '@/stores/auth';
import { ConfirmDialog } from '../common/ConfirmDialog';
import { ChannelBadge } from './ChannelBadge';
import classes from './RequestView.module.css';
import { StatusBadge } from './StatusBadge';

/**
 * A duplicate: the same person's other requests, any of which this one can be merged into (this
 * one is closed as merged; its history stays). A merged request says where it went.
 */
export function RequestMerge({ item, onOpen }: { item: PatientRequest; onOpen: (id: string) => void }) {
  const t = useT();
  const lang = useLang((s) => s.lang);
  const user = useAuth((s) => s.user);
  const [others, setOthers] = useState<TimelineItem[]>([]);
  const [into, setInto] = useState<TimelineItem | null>(null);
  const contactId = item.contact?.id ?? '';

  useEffect(() => {
    const ctl = new AbortController();
    setOthers([]);
    if (!contactId || item.merged_into) return;
    ccApi
      .contactCard(contactId, ctl.signal)
      .then((card) => setOthers(card.timeline.filter((x) => x.kind === 'request' && x.id !== item.id)))
      .catch(() => undefined);
    return () => ctl.abort();
  }, [contactId, item.id, item.merged_into]);

  if (item.merged_into) {
    return (
      <Alert color="gray" variant="light" data-testid="request-merged">
        {t('merge.mergedInto')}{' '}
        <Anchor component="button" size="sm" onClick={() => onOpen(item.merged_into as string)}>
          {t('merge.openSurvivor')}
        </Anchor>
      </Alert>
    );
  }
  if (!can(user, 'requests.update') || others.length === 0) return null;

  return (
    <Paper withBorder p="md" data-testid="request-merge">
      <Text size="xs" c="dimmed" fw={500} className={classes.label} mb={4}>
        {t('merge.title')}
      </Text>
      <Text size="xs" c="dimmed" mb="xs">
        {t('merge.hint')}
      </Text>
      <Stack gap={6}>
        {others.slice(0, 8).map((o) => (
          <Group key={o.id} justify="space-between" wrap="nowrap">
            <Group gap={6} wrap="nowrap">
              <Anchor component="button" size="sm" onClick={() => onOpen(o.id)}>
                {formatDateTime(o.at, lang)}
              </Anchor>
              {o.status && <StatusBadge status={o.status as RequestStatus} size="xs" />}
              {o.channel && <ChannelBadge channel={o.channel as Channel} size="xs" />}
            </Group>
            <Button size="compact-xs" variant="light" color="orange" onClick={() => setInto(o)} data-testid="merge-into">
              {t('merge.into')}
            </Button>
          </Group>
        ))}
      </Stack>
      <ConfirmDialog
        opened={into !== null}
        title={t('merge.confirmTitle')}
        message={t('merge.confirm', { at: into ? formatDateTime(into.at, lang) : '' })}
        confirmLabel={t('merge.ok')}
        color="orange"
        onConfirm={async () => {
          if (!into) return;
          await ccApi.mergeRequest(item.id, into.id);
          onOpen(into.id);
        }}
        onClose={() => setInto(null)}
      />
    </Paper>
  );
}
