'use client';

import { Button, Group, Paper, Stack, Text, Textarea } from '@mantine/core';
import { useEffect, useState } from 'react';
import type { HistoryEntry, RequestTrail as Trail } from '@/lib/cc';
import { ccApi } from '@/lib/ccApi';
import { useLang, useT, type MessageKey, type Translate } from '@/lib/i18n';
import { can } from '@/lib/nav';
import { formatDateTime } from '@/lib/time';
import type { OperatorView } from '@/lib/cc';
import { STATUSES, CHANNELS, type PatientRequest } from '@/lib/types';
import { useAuth } from '@/stores/auth';
import { nameOf, useRoster } from '@/stores/roster';
import { ProblemAlert } from '../common/ProblemAlert';
import classes from './RequestView.module.css';

/** A history value in words: statuses and channels by name, people and queues by name. */
function valueText(t: Translate, field: string, v: string, operators: OperatorView[], queues: { id: string; name: string }[]): string {
  if (!v) return '—';
  if (field === 'status' && (STATUSES as readonly string[]).includes(v)) return t(`status.${v}` as MessageKey);
  if (field === 'created' && (CHANNELS as readonly string[]).includes(v)) return t(`channel.${v}` as MessageKey);
  if (field === 'assignee_id') return nameOf(operators, v);
  if (field === 'queue_id') return queues.find((q) => q.id === v)?.name ?? v;
  if (field === 'tags') return v.split(' ').join(', ');
  return v;
}

const FIELDS = ['status', 'lost_reason', 'assignee_id', 'queue_id', 'tags', 'created', 'merged_into'];

function HistoryLine({ h }: { h: HistoryEntry }) {
  const t = useT();
  const lang = useLang((s) => s.lang);
  const operators = useRoster((s) => s.operators);
  const queues = useRoster((s) => s.queues);
  const who = h.actor_id === 'system' || !h.actor_id ? t('history.system') : nameOf(operators, h.actor_id);
  const field = FIELDS.includes(h.field) ? t(`history.field.${h.field}` as MessageKey) : h.field;
  return (
    <div data-testid="history-line" data-field={h.field}>
      <Text size="sm">
        {h.field === 'created' ? (
          <>
            {t('history.created')} · {valueText(t, h.field, h.new, operators, queues)}
          </>
        ) : (
          <>
            {field}: {valueText(t, h.field, h.old, operators, queues)} → <b>{valueText(t, h.field, h.new, operators, queues)}</b>
          </>
        )}
      </Text>
      <Text size="xs" c="dimmed">
        {who} · {formatDateTime(h.at, lang)}
      </Text>
    </div>
  );
}

/** Comments and the history of changes, oldest first, fetched again whenever the request changes. */
export function RequestTrail({ item }: { item: PatientRequest }) {
  const t = useT();
  const lang = useLang((s) => s.lang);
  const user = useAuth((s) => s.user);
  const operators = useRoster((s) => s.operators);
  const [trail, setTrail] = useState<Trail | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [body, setBody] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    const ctl = new AbortController();
    ccApi
      .trail(item.id, ctl.signal)
      .then((tr) => {
        setTrail(tr);
        setLoadError(null);
      })
      .catch((err) => !ctl.signal.aborted && setLoadError(err));
    return () => ctl.abort();
  }, [item.id, item.updated_at]);

  useEffect(() => {
    setTrail(null);
    setBody('');
    setError(null);
  }, [item.id]);

  const add = async () => {
    setBusy(true);
    setError(null);
    try {
      const c = await ccApi.comment(item.id, body);
      setTrail((tr) => (tr ? { ...tr, comments: [...tr.comments.filter((x) => x.id !== c.id), c] } : tr));
      setBody('');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  // One stream, oldest first: comments and changes as they happened.
  const stream = [
    ...(trail?.comments ?? []).map((c) => ({ at: c.created_at, key: `c-${c.id}`, comment: c, history: null })),
    ...(trail?.history ?? []).map((h) => ({ at: h.at, key: `h-${h.id}`, comment: null, history: h })),
  ].sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || (a.key < b.key ? -1 : 1));

  return (
    <Paper withBorder p="md" data-testid="request-trail">
      <Text size="xs" c="dimmed" fw={500} className={classes.label} mb={6}>
        {t('trail.title')}
      </Text>
      {loadError ? <ProblemAlert error={loadError} /> : null}
      <Stack gap="xs">
        {stream.map((e) =>
          e.comment ? (
            <Paper key={e.key} bg="yellow.0" p="xs" radius="sm" data-testid="comment">
              <Text size="sm" style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>
                {e.comment.body}
              </Text>
              <Text size="xs" c="dimmed">
                {nameOf(operators, e.comment.author_id)} · {formatDateTime(e.comment.created_at, lang)}
              </Text>
            </Paper>
          ) : (
            e.history && <HistoryLine key={e.key} h={e.history} />
          ),
        )}
        {trail && stream.length === 0 && (
          <Text size="sm" c="dimmed">
            {t('trail.empty')}
          </Text>
        )}
      </Stack>
      {can(user, 'requests.update') && (
        <Stack gap="xs" mt="sm">
          <Textarea
            size="sm"
            placeholder={t('trail.commentPlaceholder')}
            value={body}
            onChange={(e) => setBody(e.currentTarget.value)}
            autosize
            minRows={2}
            maxRows={8}
            data-testid="comment-input"
          />
          <ProblemAlert error={error} />
          <Group justify="flex-end">
            <Button size="xs" onClick={() => void add()} loading={busy} disabled={!body.trim()} data-testid="comment-add">
              {t('trail.comment')}
            </Button>
          </Group>
        </Stack>
      )}
    </Paper>
  );
}
