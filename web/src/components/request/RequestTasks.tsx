'use client';

import { Badge, Button, Group, Paper, Stack, Text, Textarea, TextInput } from '@mantine/core';
import { useEffect, useState } from 'react';
import { fromLocalInput, toLocalInput, type Task } from '@/lib/cc';
import { ccApi } from '@/lib/ccApi';
import { useT, type MessageKey } from '@/lib/i18n';
import { liveBus } from '@/lib/liveBus';
import { can } from '@/lib/nav';
import { fieldErrors } from '@/lib/problems';
import { formatShortDateTime } from '@/lib/time';
import type { PatientRequest } from '@/lib/types';
import { useAuth } from '@/stores/auth';
import { nameOf, useRoster } from '@/stores/roster';
import { ProblemAlert } from '../common/ProblemAlert';
import classes from './RequestView.module.css';

/**
 * The request's tasks: a follow-up is created with a due time and an optional reminder; an
 * open task is completed or cancelled here. Tasks are found through the contact's history (the
 * API lists tasks by id) and kept live by the task frames.
 */
export function RequestTasks({ item }: { item: PatientRequest }) {
  const t = useT();
  const user = useAuth((s) => s.user);
  const operators = useRoster((s) => s.operators);
  const [tasks, setTasks] = useState<Task[] | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [adding, setAdding] = useState(false);
  const [note, setNote] = useState('');
  const [due, setDue] = useState('');
  const [remind, setRemind] = useState('');
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const manage = can(user, 'tasks.manage');
  const contactId = item.contact?.id ?? '';

  useEffect(() => {
    const ctl = new AbortController();
    setTasks(null);
    setLoadError(null);
    (async () => {
      const card = await ccApi.contactCard(contactId, ctl.signal);
      const ids = card.timeline.filter((x) => x.kind === 'task').map((x) => x.id);
      if (ids.length === 0) return [];
      const page = await ccApi.tasks({ ids: ids.slice(0, 200), limit: 200 }, ctl.signal);
      return page.items.filter((k) => k.request_id === item.id);
    })()
      .then((list) => !ctl.signal.aborted && setTasks(list))
      .catch((err) => !ctl.signal.aborted && setLoadError(err));
    const off = liveBus.onFrame((f) => {
      if (!f.type.startsWith('task.')) return;
      const k = f.data as Task;
      if (k.request_id !== item.id) return;
      setTasks((list) => {
        const rest = (list ?? []).filter((x) => x.id !== k.id);
        return [k, ...rest];
      });
    });
    return () => {
      ctl.abort();
      off();
    };
  }, [item.id, contactId]);

  const openForm = () => {
    setAdding(true);
    setError(null);
    setNote('');
    setDue(toLocalInput(new Date(Date.now() + 60 * 60_000)));
    setRemind('');
  };

  const create = async () => {
    setBusy('create');
    setError(null);
    try {
      const dueAt = fromLocalInput(due);
      const remindAt = remind ? fromLocalInput(remind) : null;
      const k = await ccApi.createTask({
        kind: 'follow_up',
        request_id: item.id,
        note: note.trim(),
        due_at: dueAt ?? due,
        ...(remindAt ? { remind_at: remindAt } : {}),
      });
      setTasks((list) => [k, ...(list ?? []).filter((x) => x.id !== k.id)]);
      setAdding(false);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };

  const close = async (k: Task, status: 'done' | 'cancelled') => {
    setBusy(k.id);
    setError(null);
    try {
      const next = await ccApi.updateTask(k.id, { status });
      setTasks((list) => (list ?? []).map((x) => (x.id === next.id ? next : x)));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };

  const fe = fieldErrors(error);
  const sorted = [...(tasks ?? [])].sort((a, b) => (a.status === 'open' ? 0 : 1) - (b.status === 'open' ? 0 : 1) || Date.parse(a.due_at) - Date.parse(b.due_at));

  return (
    <Paper withBorder p="md" data-testid="request-tasks">
      <Group justify="space-between" mb={6}>
        <Text size="xs" c="dimmed" fw={500} className={classes.label}>
          {t('tasks.title')}
        </Text>
        {manage && !adding && (
          <Button size="compact-xs" variant="light" onClick={openForm} data-testid="task-add">
            {t('tasks.add')}
          </Button>
        )}
      </Group>
      {adding && (
        <Stack gap="xs" mb="sm" data-testid="task-form">
          <Textarea size="xs" label={t('tasks.note')} value={note} onChange={(e) => setNote(e.currentTarget.value)} autosize minRows={2} error={fe.note} data-testid="task-note" />
          <Group gap="xs" grow>
            <TextInput size="xs" type="datetime-local" label={t('tasks.due')} value={due} onChange={(e) => setDue(e.currentTarget.value)} error={fe.due_at} required data-testid="task-due" />
            <TextInput size="xs" type="datetime-local" label={t('tasks.remind')} value={remind} onChange={(e) => setRemind(e.currentTarget.value)} error={fe.remind_at} data-testid="task-remind" />
          </Group>
          <ProblemAlert error={error} fields={['note', 'due_at', 'remind_at']} />
          <Group justify="flex-end" gap="xs">
            <Button size="xs" variant="default" onClick={() => setAdding(false)}>
              {t('common.cancel')}
            </Button>
            <Button size="xs" onClick={() => void create()} loading={busy === 'create'} disabled={!due} data-testid="task-create">
              {t('common.create')}
            </Button>
          </Group>
        </Stack>
      )}
      {loadError ? <ProblemAlert error={loadError} /> : null}
      {tasks && tasks.length === 0 && !adding && (
        <Text size="sm" c="dimmed">
          {t('tasks.none')}
        </Text>
      )}
      <Stack gap={6}>
        {sorted.map((k) => {
          const overdue = k.status === 'open' && (k.overdue || Date.parse(k.due_at) < Date.now());
          return (
            <Group key={k.id} justify="space-between" wrap="nowrap" data-testid="request-task" data-status={k.status}>
              <div style={{ minWidth: 0 }}>
                <Group gap={6} wrap="nowrap">
                  <Badge size="xs" variant="light" radius="sm" tt="none" color={k.kind === 'callback' ? 'orange' : 'blue'}>
                    {t(`task.kind.${k.kind}` as MessageKey)}
                  </Badge>
                  <Text size="xs" c={overdue ? 'red' : 'dimmed'}>
                    {t('task.due', { at: formatShortDateTime(k.due_at) })}
                  </Text>
                  {k.remind_at && k.status === 'open' && (
                    <Text size="xs" c="dimmed">
                      · {t('tasks.remindAt', { at: formatShortDateTime(k.remind_at) })}
                    </Text>
                  )}
                  {k.status !== 'open' && (
                    <Badge size="xs" variant="outline" color="gray" radius="sm" tt="none">
                      {t(`task.status.${k.status}` as MessageKey)}
                    </Badge>
                  )}
                </Group>
                {k.note && (
                  <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
                    {k.note}
                  </Text>
                )}
                {k.assignee_id && (
                  <Text size="xs" c="dimmed">
                    {nameOf(operators, k.assignee_id)}
                  </Text>
                )}
              </div>
              {manage && k.status === 'open' && (
                <Group gap={4} wrap="nowrap">
                  <Button size="compact-xs" variant="light" color="teal" loading={busy === k.id} onClick={() => void close(k, 'done')} data-testid="task-done">
                    {t('tasks.done')}
                  </Button>
                  <Button size="compact-xs" variant="subtle" color="gray" disabled={busy === k.id} onClick={() => void close(k, 'cancelled')}>
                    {t('tasks.cancel')}
                  </Button>
                </Group>
              )}
            </Group>
          );
        })}
      </Stack>
    </Paper>
  );
}
