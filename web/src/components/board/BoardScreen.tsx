'use client';

import { Anchor, Badge, Group, Paper, ScrollArea, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import Link from 'next/link';
import { useEffect, useRef, useState } from 'react';
import { contactHref, requestHref } from '@/hooks/useSelectedId';
import type { Board, OperatorView, Task } from '@/lib/cc';
import { ccApi } from '@/lib/ccApi';
import { apiFetch } from '@/lib/api';
import { useT, type MessageKey } from '@/lib/i18n';
import { liveBus } from '@/lib/liveBus';
import { formatPhone } from '@/lib/phone';
import { formatShortDateTime } from '@/lib/time';
import type { PatientRequest, RequestPage } from '@/lib/types';
import { nameOf } from '@/stores/roster';
import { LoadState } from '../common/LoadState';
import { Section } from '../common/Section';
import { StatusBadge } from '../request/StatusBadge';
import { PageShell } from '../shell/PageShell';

const ACCESS = { permission: 'board.read' };

const PRESENCE_COLOR: Record<string, string> = { online: 'teal', away: 'orange', offline: 'gray' };

interface BoardData {
  board: Board;
  overdue: Task[];
  callbacks: Task[];
  breached: PatientRequest[];
}

async function loadBoard(signal?: AbortSignal): Promise<BoardData> {
  const board = await ccApi.board(signal);
  const [overdue, callbacks, breached] = await Promise.all([
    board.overdue_task_ids.length ? ccApi.tasks({ ids: board.overdue_task_ids.slice(0, 100), limit: 100 }, signal) : { items: [] as Task[] },
    ccApi.tasks({ kind: 'callback', status: 'open', limit: 100 }, signal),
    board.breached_request_ids.length
      ? apiFetch<RequestPage>(`/api/v1/requests?limit=100&ids=${encodeURIComponent(board.breached_request_ids.slice(0, 100).join(','))}`, { signal })
      : { items: [] as PatientRequest[] },
  ]);
  return { board, overdue: overdue.items, callbacks: callbacks.items, breached: breached.items };
}

function Num({ n, alert }: { n: number; alert?: boolean }) {
  return (
    <Text size="sm" fw={n > 0 && alert ? 700 : 400} c={n > 0 && alert ? 'red' : undefined}>
      {n}
    </Text>
  );
}

function TaskTable({ tasks, operators, testId }: { tasks: Task[]; operators: OperatorView[]; testId: string }) {
  const t = useT();
  return (
    <Table verticalSpacing={6} data-testid={testId}>
      <Table.Thead>
        <Table.Tr>
          <Table.Th>{t('board.col.task')}</Table.Th>
          <Table.Th>{t('board.col.contact')}</Table.Th>
          <Table.Th>{t('board.col.due')}</Table.Th>
          <Table.Th>{t('board.col.assignee')}</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {tasks.map((k) => {
          const overdue = k.overdue || Date.parse(k.due_at) < Date.now();
          const href = k.request_id ? requestHref(k.request_id) : k.contact?.id ? contactHref(k.contact.id) : null;
          const who = k.contact?.name || formatPhone(k.contact?.phone ?? '') || '—';
          return (
            <Table.Tr key={k.id} data-testid="board-task" data-id={k.id} data-kind={k.kind}>
              <Table.Td>
                <Group gap={4} wrap="nowrap">
                  <Badge size="xs" variant="light" radius="sm" tt="none" color={k.kind === 'callback' ? 'orange' : 'blue'}>
                    {t(`task.kind.${k.kind}` as MessageKey)}
                  </Badge>
                  {k.attempts > 1 && (
                    <Text size="xs" c="dimmed">
                      {t('task.attempts', { n: k.attempts })}
                    </Text>
                  )}
                  {k.escalated_at && (
                    <Badge size="xs" color="red" variant="light" radius="sm" tt="none">
                      {t('task.escalated')}
                    </Badge>
                  )}
                </Group>
              </Table.Td>
              <Table.Td>
                {href ? (
                  <Anchor component={Link} href={href} size="sm">
                    {who}
                  </Anchor>
                ) : (
                  <Text size="sm">{who}</Text>
                )}
                {k.contact?.name && k.contact.phone && (
                  <Text size="xs" c="dimmed">
                    {formatPhone(k.contact.phone)}
                  </Text>
                )}
              </Table.Td>
              <Table.Td>
                <Text size="sm" c={overdue ? 'red' : undefined} fw={overdue ? 600 : 400}>
                  {formatShortDateTime(k.due_at)}
                </Text>
              </Table.Td>
              <Table.Td>
                <Text size="sm" c={k.assignee_id ? undefined : 'dimmed'}>
                  {k.assignee_id ? nameOf(operators, k.assignee_id) : t('board.unassigned')}
                </Text>
              </Table.Td>
            </Table.Tr>
          );
        })}
      </Table.Tbody>
    </Table>
  );
}

function BoardView() {
  const t = useT();
  const [data, setData] = useState<BoardData | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const seq = useRef(0);

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    const ctl = new AbortController();
    const refresh = () => {
      const n = ++seq.current;
      loadBoard(ctl.signal)
        .then((d) => {
          if (n !== seq.current) return;
          setData(d);
          setError(null);
        })
        .catch((err) => {
          if (n === seq.current && !ctl.signal.aborted) setError(err);
        })
        .finally(() => n === seq.current && setLoading(false));
    };
    // Frames come in bursts (a missed call: the call, its task): one refetch for each burst.
    const soon = () => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(refresh, 300);
    };
    refresh();
    const offFrame = liveBus.onFrame((f) => {
      if (f.type.startsWith('task.') || f.type.startsWith('request.') || f.type === 'operator.presence') soon();
    });
    const offOpen = liveBus.onOpen(soon);
    return () => {
      ctl.abort();
      if (timer) clearTimeout(timer);
      offFrame();
      offOpen();
    };
  }, []);

  if (!data) return <LoadState loading={loading} error={error} onRetry={() => window.location.reload()} />;
  const { board, overdue, callbacks, breached } = data;
  const ops = board.operators;
  const online = ops.filter((o) => o.presence === 'online').length;
  const totals = board.queues.reduce(
    (a, q) => ({ waiting: a.waiting + q.waiting, callbacks: a.callbacks + q.open_callbacks, overdue: a.overdue + q.overdue_tasks, breached: a.breached + q.breached_sla }),
    { waiting: 0, callbacks: 0, overdue: 0, breached: 0 },
  );

  return (
    <Stack gap="md" data-testid="board">
      <Group justify="space-between">
        <Title order={3}>{t('board.title')}</Title>
      </Group>
      <SimpleGrid cols={{ base: 2, md: 5 }} spacing="sm">
        {[
          { key: 'waiting', label: t('board.kpi.waiting'), n: totals.waiting, alert: false },
          { key: 'callbacks', label: t('board.kpi.callbacks'), n: totals.callbacks, alert: false },
          { key: 'overdue', label: t('board.kpi.overdue'), n: totals.overdue, alert: true },
          { key: 'breached', label: t('board.kpi.breached'), n: totals.breached, alert: true },
          { key: 'online', label: t('board.kpi.online'), n: online, alert: false },
        ].map((k) => (
          <Paper key={k.key} withBorder p="sm" radius="md" data-testid={`kpi-${k.key}`} data-value={k.n}>
            <Text size="xs" c="dimmed" fw={600} tt="uppercase">
              {k.label}
            </Text>
            <Text size="xl" fw={700} c={k.alert && k.n > 0 ? 'red' : undefined}>
              {k.n}
            </Text>
          </Paper>
        ))}
      </SimpleGrid>

      <Section title={t('board.queues')} testId="board-queues">
        <ScrollArea type="auto">
          <Table verticalSpacing={6} miw={700}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('board.col.queue')}</Table.Th>
                <Table.Th>{t('board.col.waiting')}</Table.Th>
                <Table.Th>{t('board.col.open')}</Table.Th>
                <Table.Th>{t('board.col.callbacks')}</Table.Th>
                <Table.Th>{t('board.col.overdue')}</Table.Th>
                <Table.Th>{t('board.col.breached')}</Table.Th>
                <Table.Th>{t('board.col.online')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {board.queues.map((q) => (
                <Table.Tr key={q.queue_id || 'none'} data-testid="board-queue" data-id={q.queue_id} data-callbacks={q.open_callbacks}>
                  <Table.Td>
                    <Text size="sm" fw={500}>
                      {q.name || t('board.noQueue')}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Num n={q.waiting} />
                  </Table.Td>
                  <Table.Td>
                    <Num n={q.open} />
                  </Table.Td>
                  <Table.Td>
                    <Num n={q.open_callbacks} />
                  </Table.Td>
                  <Table.Td>
                    <Num n={q.overdue_tasks} alert />
                  </Table.Td>
                  <Table.Td>
                    <Num n={q.breached_sla} alert />
                  </Table.Td>
                  <Table.Td>
                    <Num n={q.online_operators} />
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          {board.queues.length === 0 && (
            <Text size="sm" c="dimmed" py="sm">
              {t('board.noQueues')}
            </Text>
          )}
        </ScrollArea>
      </Section>

      <SimpleGrid cols={{ base: 1, lg: 2 }} spacing="md">
        <Section title={t('board.operators')} testId="board-operators">
          <Table verticalSpacing={6}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('board.col.operator')}</Table.Th>
                <Table.Th>{t('board.col.presence')}</Table.Th>
                <Table.Th>{t('board.col.extension')}</Table.Th>
                <Table.Th>{t('board.col.requests')}</Table.Th>
                <Table.Th>{t('board.col.tasks')}</Table.Th>
                <Table.Th>{t('board.col.overdue')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {ops.map((o) => (
                <Table.Tr key={o.user_id} data-testid="board-operator" data-login={o.login} data-presence={o.presence}>
                  <Table.Td>
                    <Text size="sm" fw={500}>
                      {o.name || o.login}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Badge size="sm" variant="dot" color={PRESENCE_COLOR[o.presence] ?? 'gray'} tt="none">
                      {t(`presence.${o.presence}` as MessageKey)}
                    </Badge>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm" c={o.extension ? undefined : 'dimmed'}>
                      {o.extension || '—'}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Num n={o.open_requests} />
                  </Table.Td>
                  <Table.Td>
                    <Num n={o.open_tasks} />
                  </Table.Td>
                  <Table.Td>
                    <Num n={o.overdue_tasks} alert />
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Section>

        <Stack gap="md">
          <Section title={t('board.overdueTasks')} hint={t('board.overdueHint')} testId="board-overdue">
            {overdue.length === 0 ? (
              <Text size="sm" c="dimmed">
                {t('board.nothingOverdue')}
              </Text>
            ) : (
              <TaskTable tasks={overdue} operators={ops} testId="board-overdue-table" />
            )}
          </Section>
          <Section title={t('board.callbacks')} hint={t('board.callbacksHint')} testId="board-callbacks">
            {callbacks.length === 0 ? (
              <Text size="sm" c="dimmed">
                {t('board.noCallbacks')}
              </Text>
            ) : (
              <TaskTable tasks={callbacks} operators={ops} testId="board-callbacks-table" />
            )}
          </Section>
          {breached.length > 0 && (
            <Section title={t('board.breached')} testId="board-breached">
              <Stack gap={4}>
                {breached.map((r) => (
                  <Group key={r.id} gap="xs" wrap="nowrap">
                    <Anchor component={Link} href={requestHref(r.id)} size="sm">
                      {r.contact?.name || t('inbox.noName')}
                    </Anchor>
                    <StatusBadge status={r.status} size="xs" />
                    <Text size="xs" c="red">
                      {(r.breached ?? []).map((b) => t(`sla.${b}` as MessageKey)).join(', ')}
                    </Text>
                  </Group>
                ))}
              </Stack>
            </Section>
          )}
        </Stack>
      </SimpleGrid>
    </Stack>
  );
}

export function BoardScreen() {
  return <PageShell access={ACCESS} size="100%">{() => <BoardView />}</PageShell>;
}
