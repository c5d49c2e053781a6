'use client';

import { Alert, Anchor, Badge, Button, Group, Paper, Stack, Text, TextInput, Timeline, Title } from '@mantine/core';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { contactHref, requestHref } from '@/hooks/useSelectedId';
import { useResource } from '@/hooks/useResource';
import type { ContactCard, TimelineItem } from '@/lib/cc';
import { ccApi } from '@/lib/ccApi';
import { api } from '@/lib/api';
import { useLang, useT, type MessageKey } from '@/lib/i18n';
import { can } from '@/lib/nav';
import { formatPhone } from '@/lib/phone';
import { formatDateTime } from '@/lib/time';
import type { Contact } from '@/lib/types';
import { useAuth } from '@/stores/auth';
import { ConfirmDialog } from '../common/ConfirmDialog';
import { LoadState } from '../common/LoadState';
import { ProblemAlert } from '../common/ProblemAlert';
import { CallOutcomeBadge } from '../calls/CallOutcomeBadge';
import { DialButton } from '../calls/DialButton';
import { ChannelBadge } from '../request/ChannelBadge';
import { StatusBadge } from '../request/StatusBadge';
import type { Channel, RequestStatus } from '@/lib/types';

function TimelineLine({ item, onOpenRequest }: { item: TimelineItem; onOpenRequest: (id: string) => void }) {
  const t = useT();
  if (item.kind === 'request') {
    return (
      <Group gap={6}>
        <Anchor component="button" size="sm" onClick={() => onOpenRequest(item.id)} data-testid="timeline-request">
          {t('card.request')}
        </Anchor>
        {item.status && <StatusBadge status={item.status as RequestStatus} size="xs" />}
        {item.channel && <ChannelBadge channel={item.channel as Channel} size="xs" />}
      </Group>
    );
  }
  if (item.kind === 'call') {
    return (
      <Group gap={6}>
        <Text size="sm">{t(item.direction === 'outbound' ? 'call.outbound' : 'call.inbound')}</Text>
        <CallOutcomeBadge call={{ state: item.status ?? '', result: item.result ?? '' }} size="xs" />
      </Group>
    );
  }
  return (
    <Group gap={6}>
      <Text size="sm">{t(`task.kind.${item.task_kind}` as MessageKey)}</Text>
      <Badge size="xs" variant="light" color={item.status === 'open' ? 'orange' : 'gray'} radius="sm" tt="none">
        {t(`task.status.${item.status}` as MessageKey)}
      </Badge>
    </Group>
  );
}

/** Merging this card into another: find the other by phone, confirm, go to it. */
function MergeContact({ card, onMerged }: { card: ContactCard; onMerged: (into: string) => void }) {
  const t = useT();
  const [phone, setPhone] = useState('');
  const [found, setFound] = useState<Contact[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [into, setInto] = useState<Contact | null>(null);

  const search = async () => {
    setError(null);
    try {
      const r = await api.searchContacts({ phone: phone.trim() });
      setFound(r.items.filter((c) => c.id !== card.id));
    } catch (err) {
      setError(err);
    }
  };

  return (
    <Stack gap="xs" data-testid="contact-merge">
      <Text size="xs" c="dimmed">
        {t('card.mergeHint')}
      </Text>
      <Group gap="xs" wrap="nowrap" align="flex-end">
        <TextInput size="xs" label={t('card.mergePhone')} value={phone} onChange={(e) => setPhone(e.currentTarget.value)} style={{ flex: 1 }} />
        <Button size="xs" variant="default" onClick={() => void search()} disabled={phone.trim().length < 5}>
          {t('card.mergeFind')}
        </Button>
      </Group>
      <ProblemAlert error={error} />
      {found && found.length === 0 && (
        <Text size="sm" c="dimmed">
          {t('card.mergeNone')}
        </Text>
      )}
      {found?.map((c) => (
        <Group key={c.id} justify="space-between" wrap="nowrap">
          <Text size="sm">
            {c.name || t('inbox.noName')} · {formatPhone(c.phone)}
          </Text>
          <Button size="compact-xs" color="red" variant="light" onClick={() => setInto(c)}>
            {t('card.mergeInto')}
          </Button>
        </Group>
      ))}
      <ConfirmDialog
        opened={into !== null}
        title={t('card.mergeTitle')}
        message={t('card.mergeConfirm', { name: into?.name || formatPhone(into?.phone ?? '') })}
        confirmLabel={t('card.mergeOk')}
        onConfirm={async () => {
          if (!into) return;
          await ccApi.mergeContact(card.id, into.id);
          onMerged(into.id);
        }}
        onClose={() => setInto(null)}
      />
    </Stack>
  );
}

/** A person with every phone and e-mail (as the server shows them to this viewer) and their history. */
export function ContactCardView({ contactId, onOpenRequest }: { contactId: string; onOpenRequest?: (id: string) => void }) {
  const t = useT();
  const lang = useLang((s) => s.lang);
  const router = useRouter();
  const user = useAuth((s) => s.user);
  const card = useResource((signal) => ccApi.contactCard(contactId, signal));
  const [merging, setMerging] = useState(false);
  const openRequest = onOpenRequest ?? ((id: string) => router.push(requestHref(id)));

  if (!card.data) return <LoadState loading={card.loading} error={card.error} onRetry={card.reload} />;
  const c = card.data;

  return (
    <Stack gap="md" data-testid="contact-card" data-id={c.id}>
      <Group justify="space-between" align="flex-start" wrap="nowrap">
        <div>
          <Title order={4} c={c.name ? undefined : 'dimmed'}>
            {c.name || t('inbox.noName')}
          </Title>
          {c.masked && (
            <Text size="xs" c="dimmed">
              {t('card.masked')}
            </Text>
          )}
        </div>
        {can(user, 'contacts.merge') && !c.merged_into && (
          <Button size="xs" variant="subtle" color="gray" onClick={() => setMerging((m) => !m)} data-testid="contact-merge-open">
            {t('card.merge')}
          </Button>
        )}
      </Group>
      {c.merged_into && (
        <Alert color="gray" variant="light">
          {t('card.mergedInto')}{' '}
          <Anchor component="button" size="sm" onClick={() => router.push(contactHref(c.merged_into))}>
            {t('card.openSurvivor')}
          </Anchor>
        </Alert>
      )}
      <Paper withBorder p="sm">
        <Stack gap={4}>
          {c.phones.map((p, i) => (
            <Group key={`${p}-${i}`} gap="xs" wrap="nowrap">
              <Text size="sm" data-testid="card-phone">
                {formatPhone(p)}
              </Text>
              {i === 0 && !c.merged_into && <DialButton contactId={c.id} size="sm" />}
            </Group>
          ))}
          {c.emails.map((e, i) => (
            <Text key={`${e}-${i}`} size="sm">
              {e}
            </Text>
          ))}
          {c.phones.length === 0 && c.emails.length === 0 && (
            <Text size="sm" c="dimmed">
              —
            </Text>
          )}
        </Stack>
      </Paper>
      {merging && (
        <Paper withBorder p="sm">
          <MergeContact
            card={c}
            onMerged={(into) => {
              setMerging(false);
              router.push(contactHref(into));
            }}
          />
        </Paper>
      )}
      <div>
        <Text size="xs" c="dimmed" fw={600} mb="xs" tt="uppercase">
          {t('card.timeline')}
        </Text>
        {c.timeline.length === 0 ? (
          <Text size="sm" c="dimmed">
            {t('card.timelineEmpty')}
          </Text>
        ) : (
          <Timeline bulletSize={12} lineWidth={2} data-testid="contact-timeline">
            {c.timeline.map((it) => (
              <Timeline.Item key={`${it.kind}-${it.id}`} title={<TimelineLine item={it} onOpenRequest={openRequest} />}>
                <Text size="xs" c="dimmed">
                  {formatDateTime(it.at, lang)}
                </Text>
              </Timeline.Item>
            ))}
          </Timeline>
        )}
      </div>
    </Stack>
  );
}
