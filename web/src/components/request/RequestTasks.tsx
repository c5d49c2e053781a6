'use client';

import { Badge, Button, Group, Paper, Stack, Text, Textarea, TextInput } from '@mantine/core';
import { useEffect, useState } from 'react';
import { applyTaskFrame, fromLocalInput, toLocalInput, type Task } from '@/lib/cc';
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

/** Reads every page of a request's tasks (a request rarely has more than one). */
async function loadRequestTasks(requestId: string, signal: AbortSignal): Promise<Task[]> {
  const out: Task[] = [];
  let cursor: string | null = null;
  do {
    const page = await ccApi.tasks({ request_id: requestId, limit: 200, cursor }, signal);
    out.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return out;
}

/**
 * The request's tasks: a follow-up is created with a due time and an optional reminder; an
 * open task is completed or cancelled here. The list is the API's tasks of this request, kept
 * live by the task frames and read again after a reconnect (frames may have been missed).
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

  useEffect(() => {
    let ctl = new AbortController();
    // Frames that arrive while a read is on its way are applied to what it brings.
    let early: Task[] | null = null;
    const load = () => {
      ctl.abort();
      const mine = (ctl = new AbortController());
      early = [];
      setLoadError(null);
      loadRequestTasks(item.id, mine.signal)
        .then((list) => {
          if (mine.signal.aborted) return;
          const held = early ?? [];
          early = null;
          setTasks(held.reduce((l, k) => applyTaskFrame(l, k, item.id), list));
        })
        .catch((err) => {
          if (mine.signal.aborted) return;
          early = null;
          setLoadError(err);
        });
    };
    setTasks(null);
    load();
    const offFrame = liveBus.onFrame((f) => {
      if (!f.type.startsWith('task.')) return;
      const k = f.data as Task;
      if (early) early.push(k);
      else setTasks((list) => (list ? applyTaskFrame(list, k, item.id) : list));
    });
    const offOpen = liveBus.onOpen(load);
    return () => {
      ctl.abort();
      offFrame();
      offOpen();
    };
  }, [item.id]);

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
