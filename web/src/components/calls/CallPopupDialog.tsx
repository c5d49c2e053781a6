'use client';

import { Badge, Button, Dialog, Divider, Group, Stack, Text, UnstyledButton } from '@mantine/core';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { contactHref, requestHref } from '@/hooks/useSelectedId';
import { callerLabel, formatDuration } from '@/lib/cc';
import { ccApi } from '@/lib/ccApi';
import { isApiError } from '@/lib/api';
import { useLang, useT } from '@/lib/i18n';
import { can } from '@/lib/nav';
import { formatPhone } from '@/lib/phone';
import { problemMessage } from '@/lib/problems';
import { formatListTime } from '@/lib/time';
import { useAuth } from '@/stores/auth';
import { inboxStore } from '@/stores/inbox';
import { usePopup } from '@/stores/popup';
import { ChannelBadge } from '../request/ChannelBadge';
import { StatusBadge } from '../request/StatusBadge';
import { CallOutcomeBadge } from './CallOutcomeBadge';

/**
 * The incoming-call card: who calls (as the server gave it, masked or not), their open
 * requests and last calls; open the person in the window or make a request of the call.
 */
export function CallPopupDialog() {
  const t = useT();
  const lang = useLang((s) => s.lang);
  const router = useRouter();
  const popup = usePopup((s) => s.popup);
  const close = usePopup((s) => s.close);
  const user = useAuth((s) => s.user);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  if (!popup) return null;
  const { call } = popup;
  const who = callerLabel(call);
  const canCreate = can(user, 'requests.update');

  const open = () => {
    const first = popup.open_requests[0];
    if (first) router.push(requestHref(first.id));
    else if (call.contact?.id) router.push(contactHref(call.contact.id));
    close();
  };

  const create = async () => {
    setBusy(true);
    setError(null);
    try {
      const req = await ccApi.createRequest({ call_id: call.id });
      inboxStore.getState().applyLive('created', req);
      router.push(requestHref(req.id));
      close();
    } catch (err) {
      if (isApiError(err, 409) && call.request_id) {
        router.push(requestHref(call.request_id));
        close();
      } else {
        setError(problemMessage(err) ?? t('common.failed'));
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog
      opened
      withCloseButton
      onClose={close}
      size={420}
      radius="md"
      shadow="xl"
      position={{ top: 68, right: 20 }}
      zIndex={300}
      data-testid="call-popup"
      data-call-id={call.id}
      data-state={call.state}
      withBorder
    >
      <Stack gap="sm">
        <Group gap="xs">
          <Text size="xs" fw={700} tt="uppercase" c="teal.8">
            {call.state === 'ringing' || call.state === 'started' ? t('popup.incoming') : t('popup.call')}
          </Text>
          <CallOutcomeBadge call={call} size="xs" />
        </Group>
        <div>
          <Text fw={700} size="lg" data-testid="popup-name" c={who.name ? undefined : 'dimmed'}>
            {who.name || t('popup.unknown')}
          </Text>
          <Text size="sm" data-testid="popup-phone" data-masked={call.masked || call.contact?.masked ? 'true' : 'false'}>
            {formatPhone(who.phone) || '—'}
          </Text>
          {call.line && (
            <Text size="xs" c="dimmed">
              {t('popup.line', { line: formatPhone(call.line) })}
            </Text>
          )}
        </div>

        <Divider />
        <div data-testid="popup-requests">
          <Text size="xs" c="dimmed" fw={600} mb={4}>
            {t('popup.openRequests', { n: popup.open_requests.length })}
          </Text>
          {popup.open_requests.length === 0 ? (
            <Text size="sm" c="dimmed">
              {t('popup.noOpenRequests')}
            </Text>
          ) : (
            <Stack gap={4}>
              {popup.open_requests.slice(0, 4).map((r) => (
                <UnstyledButton
                  key={r.id}
                  onClick={() => {
                    router.push(requestHref(r.id));
                    close();
                  }}
                  data-testid="popup-request"
                >
                  <Group gap={6} wrap="nowrap">
                    <StatusBadge status={r.status} size="xs" />
                    <ChannelBadge channel={r.channel} size="xs" />
                    <Text size="xs" c="dimmed">
                      {formatListTime(r.created_at, lang)}
                    </Text>
                  </Group>
                </UnstyledButton>
              ))}
            </Stack>
          )}
        </div>
        <div>
          <Text size="xs" c="dimmed" fw={600} mb={4}>
            {t('popup.recentCalls')}
          </Text>
          {popup.recent_calls.length === 0 ? (
            <Text size="sm" c="dimmed">
              {t('popup.firstCall')}
            </Text>
          ) : (
            <Stack gap={2}>
              {popup.recent_calls.slice(0, 3).map((c) => (
                <Group key={c.id} gap={6} wrap="nowrap">
                  <Text size="xs" w={110}>
                    {formatListTime(c.started_at, lang)}
                  </Text>
                  <Text size="xs" c="dimmed">
                    {t(c.direction === 'outbound' ? 'call.outbound' : 'call.inbound')}
                  </Text>
                  <CallOutcomeBadge call={c} size="xs" />
                  {c.duration_seconds > 0 && (
                    <Text size="xs" c="dimmed">
                      {formatDuration(c.duration_seconds)}
                    </Text>
                  )}
                </Group>
              ))}
            </Stack>
          )}
        </div>
        {popup.open_tasks > 0 && (
          <Badge color="orange" variant="light" tt="none" radius="sm">
            {t('popup.openTasks', { n: popup.open_tasks })}
          </Badge>
        )}
        {error && (
          <Text size="sm" c="red" role="alert" data-testid="popup-error">
            {error}
          </Text>
        )}
        <Group justify="flex-end" gap="xs">
          <Button variant="default" size="xs" onClick={open} disabled={!call.contact?.id} data-testid="popup-open">
            {t('popup.open')}
          </Button>
          {canCreate && (
            <Button size="xs" color="teal" loading={busy} onClick={() => void create()} data-testid="popup-create">
              {t('popup.create')}
            </Button>
          )}
        </Group>
      </Stack>
    </Dialog>
  );
}
