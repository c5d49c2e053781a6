'use client';

import { Anchor, Badge, Button, Group, Paper, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useRouter } from 'next/navigation';
import { useEffect, useState, type ReactNode } from 'react';
import { requestHref } from '@/hooks/useSelectedId';
import { apiFetch } from '@/lib/api';
import { can } from '@/lib/nav';
import { useAuth } from '@/stores/auth';
import { DialButton } from '../calls/DialButton';
import { ContactDrawer } from '../contact/ContactDrawer';
import { formatPhone } from '@/lib/phone';
import { useLang, useT } from '@/lib/i18n';
import { formatDateTime } from '@/lib/time';
import type { PatientRequest, RevealedContact } from '@/lib/types';
import { ChannelBadge } from './ChannelBadge';
import { RequestMerge } from './RequestMerge';
import { RequestPipeline } from './RequestPipeline';
import { RequestTasks } from './RequestTasks';
import { RequestTrail } from './RequestTrail';
import classes from './RequestView.module.css';
import { StatusBadge } from './StatusBadge';

const NONE = '—';

function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <Text size="xs" c="dimmed" fw={500} className={classes.label}>
        {label}
      </Text>
      <Text size="sm" component="div" mt={2}>
        {children}
      </Text>
    </div>
  );
}

/** One request, read-only. Every value is rendered as text. */
export function RequestView({ item }: { item: PatientRequest }) {
  const t = useT();
  const lang = useLang((s) => s.lang);
  const { consent } = item;
  const [revealed, setRevealed] = useState<RevealedContact | null>(null);
  const [revealError, setRevealError] = useState(false);
  const [revealing, setRevealing] = useState(false);
  const [cardOpen, setCardOpen] = useState(false);
  const router = useRouter();
  const user = useAuth((s) => s.user);
  const openRequest = (id: string) => router.push(requestHref(id));
  useEffect(() => {
    setRevealed(null);
    setRevealError(false);
  }, [item.contact.id]);
  const contact = revealed && revealed.id === item.contact.id ? { ...item.contact, ...revealed, masked: false } : item.contact;

  const reveal = async () => {
    setRevealing(true);
    setRevealError(false);
    try {
      setRevealed(await apiFetch<RevealedContact>(`/api/v1/contacts/${encodeURIComponent(item.contact.id)}/reveal`, { method: 'POST' }));
    } catch {
      setRevealError(true);
    } finally {
      setRevealing(false);
    }
  };

  return (
    <Stack gap="md" p="lg" maw={880}>
      <Group justify="space-between" align="flex-start" wrap="nowrap">
        <div style={{ minWidth: 0 }}>
          <Title order={3} data-testid="request-name" style={{ overflowWrap: 'anywhere' }} c={contact.name ? undefined : 'dimmed'}>
            {contact.name || t('inbox.noName')}
          </Title>
          <Text size="sm" c="dimmed" mt={4}>
            {t('detail.created')}: {formatDateTime(item.created_at, lang)}
          </Text>
        </div>
        <Group gap="xs" wrap="nowrap">
          <StatusBadge status={item.status} size="lg" data-testid="request-status" data-status={item.status} />
          <ChannelBadge channel={item.channel} size="lg" />
        </Group>
      </Group>

      <Paper withBorder p="md">
        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="md" verticalSpacing="sm">
          <Field label={t('detail.phone')}>
            {contact.masked ? (
              <span data-testid="contact-phone" data-masked="true">{contact.phone || NONE}</span>
            ) : contact.phone ? (
              <Anchor href={`tel:${contact.phone}`} size="sm" data-testid="contact-phone" data-masked="false">
                {formatPhone(contact.phone)}
              </Anchor>
            ) : (
              NONE
            )}
            {contact.phone && <span style={{ marginLeft: 8, verticalAlign: 'middle', display: 'inline-block' }}><DialButton contactId={item.contact.id} size="sm" /></span>}
          </Field>
          <Field label={t('detail.email')}>
            {contact.masked ? (
              contact.email || NONE
            ) : contact.email ? (
              <Anchor href={`mailto:${contact.email}`} size="sm">
                {contact.email}
              </Anchor>
            ) : (
              NONE
            )}
          </Field>
          <Field label={t('detail.channel')}>{t(`channel.${item.channel}`)}</Field>
          <Field label={t('detail.source')}>
            {item.source_name || item.source || NONE}
            {item.source_name && item.source && (
              <Text span size="xs" c="dimmed" ml={6}>
                {item.source}
              </Text>
            )}
          </Field>
          <Field label={t('detail.updated')}>{formatDateTime(item.updated_at, lang)}</Field>
          {can(user, 'contacts.read') && item.contact.id && (
            <Field label={t('card.title')}>
              <Anchor component="button" size="sm" onClick={() => setCardOpen(true)} data-testid="contact-card-open">
                {t('card.openHistory')}
              </Anchor>
            </Field>
          )}
        </SimpleGrid>
        {contact.masked && (
          <Group gap="sm" mt="sm" wrap="nowrap">
            <Button size="xs" variant="light" loading={revealing} onClick={reveal} data-testid="reveal-contact">
              {t('detail.reveal')}
            </Button>
            <Text size="xs" c={revealError ? 'red' : 'dimmed'}>
              {revealError ? t('detail.revealFailed') : t('detail.revealHint')}
            </Text>
          </Group>
        )}
      </Paper>

      <RequestMerge item={item} onOpen={openRequest} />
      <RequestPipeline item={item} />

      <Paper withBorder p="md">
        <Text size="xs" c="dimmed" fw={500} className={classes.label} mb={6}>
          {t('detail.message')}
        </Text>
        {item.message ? (
          <Text size="sm" className={classes.message} data-testid="request-message">
            {item.message}
          </Text>
        ) : (
          <Text size="sm" c="dimmed" fs="italic">
            {t('inbox.noMessage')}
          </Text>
        )}
      </Paper>

      <Paper withBorder p="md" data-testid="request-consent">
        <Text size="xs" c="dimmed" fw={500} className={classes.label} mb={6}>
          {t('detail.consent')}
        </Text>
        {consent ? (
          <Group gap="xs">
            <Badge color="teal" variant="light" radius="sm" tt="none">
              {t('detail.consentGiven', { at: formatDateTime(consent.given_at, lang) })}
            </Badge>
            {consent.text_version && (
              <Text size="sm" c="dimmed">
                {t('detail.consentVersion', { version: consent.text_version })}
              </Text>
            )}
          </Group>
        ) : (
          <Badge color="red" variant="light" radius="sm" tt="none">
            {t('detail.consentMissing')}
          </Badge>
        )}
      </Paper>

      <RequestTasks item={item} />
      <RequestTrail item={item} />
      {item.contact.id && <ContactDrawer contactId={item.contact.id} opened={cardOpen} onClose={() => setCardOpen(false)} onOpenRequest={openRequest} />}
    </Stack>
  );
}
