'use client';

import { Badge, Group, Text } from '@mantine/core';
import type { MouseEvent, ReactNode } from 'react';
import { contactHref, requestHref } from '@/hooks/useSelectedId';
import { callerLabel, type CallView, type Task } from '@/lib/cc';
import { useLang, useT, type MessageKey } from '@/lib/i18n';
import { formatPhone } from '@/lib/phone';
import { formatListTime, formatShortDateTime } from '@/lib/time';
import { CallOutcomeBadge } from '../calls/CallOutcomeBadge';
import classes from './InboxItem.module.css';

/** Where a call or a task leads in the window: its request, else its person. */
export interface Target {
  request?: string;
  contact?: string;
}

function Row({
  href,
  target,
  onOpen,
  selected,
  fresh,
  testId,
  id,
  children,
}: {
  href: string;
  target: Target;
  onOpen: (t: Target) => void;
  selected: boolean;
  fresh: boolean;
  testId: string;
  id: string;
  children: ReactNode;
}) {
  const click = (e: MouseEvent<HTMLAnchorElement>) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    onOpen(target);
  };
  return (
    <a
      href={href}
      onClick={click}
      className={classes.item}
      data-testid={testId}
      data-id={id}
      data-fresh={fresh || undefined}
      aria-current={selected ? 'true' : undefined}
    >
      {children}
    </a>
  );
}

function targetHref(t: Target): string {
  if (t.request) return requestHref(t.request);
  if (t.contact) return contactHref(t.contact);
  return '/';
}

export function CallItem({
  call,
  selected,
  fresh,
  onOpen,
}: {
  call: CallView;
  selected: boolean;
  fresh: boolean;
  onOpen: (t: Target) => void;
}) {
  const t = useT();
  const lang = useLang((s) => s.lang);
  const who = callerLabel(call);
  const target: Target = { request: call.request_id || undefined, contact: call.contact?.id };
  return (
    <Row href={targetHref(target)} target={target} onOpen={onOpen} selected={selected} fresh={fresh} testId="inbox-call" id={call.id}>
      <Group justify="space-between" gap="xs" wrap="nowrap">
        <Text size="sm" fw={600} truncate c={who.name || who.phone ? undefined : 'dimmed'}>
          {who.name || formatPhone(who.phone) || t('popup.unknown')}
        </Text>
        <Text size="xs" c="dimmed" style={{ flexShrink: 0 }}>
          <time dateTime={call.started_at}>{formatListTime(call.started_at, lang)}</time>
        </Text>
      </Group>
      <Text size="xs" c="dimmed" lineClamp={1} mt={2}>
        {t(call.direction === 'outbound' ? 'call.outbound' : 'call.inbound')}
        {who.name && who.phone ? ` · ${formatPhone(who.phone)}` : ''}
        {call.operator_name ? ` · ${call.operator_name}` : ''}
      </Text>
      <Group gap={6} mt={6} wrap="nowrap">
        <Badge size="xs" variant="outline" color="gray" radius="sm" tt="none">
          {t('inbox.kindCall')}
        </Badge>
        <CallOutcomeBadge call={call} size="xs" />
      </Group>
    </Row>
  );
}

export function TaskItem({
  task,
  selected,
  fresh,
  onOpen,
}: {
  task: Task;
  selected: boolean;
  fresh: boolean;
  onOpen: (t: Target) => void;
}) {
  const t = useT();
  const lang = useLang((s) => s.lang);
  const name = task.contact?.name;
  const phone = task.contact?.phone ?? '';
  const overdue = task.overdue || Date.parse(task.due_at) < Date.now();
  const target: Target = { request: task.request_id || undefined, contact: task.contact?.id };
  return (
    <Row href={targetHref(target)} target={target} onOpen={onOpen} selected={selected} fresh={fresh} testId="inbox-task" id={task.id}>
      <Group justify="space-between" gap="xs" wrap="nowrap">
        <Text size="sm" fw={600} truncate c={name || phone ? undefined : 'dimmed'}>
          {name || formatPhone(phone) || t('inbox.noName')}
        </Text>
        <Text size="xs" c="dimmed" style={{ flexShrink: 0 }}>
          <time dateTime={task.created_at}>{formatListTime(task.created_at, lang)}</time>
        </Text>
      </Group>
      <Text size="xs" c={overdue ? 'red' : 'dimmed'} lineClamp={1} mt={2} data-overdue={overdue || undefined}>
        {t('task.due', { at: formatShortDateTime(task.due_at) })}
        {task.attempts > 1 ? ` · ${t('task.attempts', { n: task.attempts })}` : ''}
        {task.note ? ` · ${task.note}` : ''}
      </Text>
      <Group gap={6} mt={6} wrap="nowrap">
        <Badge size="xs" variant="light" color={task.kind === 'callback' ? 'orange' : 'blue'} radius="sm" tt="none" data-kind={task.kind}>
          {t(`task.kind.${task.kind}` as MessageKey)}
        </Badge>
        {overdue && (
          <Badge size="xs" variant="filled" color="red" radius="sm" tt="none">
            {t('task.overdue')}
          </Badge>
        )}
        {task.escalated_at && (
          <Badge size="xs" variant="light" color="red" radius="sm" tt="none">
            {t('task.escalated')}
          </Badge>
        )}
      </Group>
    </Row>
  );
}
