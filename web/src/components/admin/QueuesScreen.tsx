'use client';

import {
  ActionIcon,
  Badge,
  Button,
  Checkbox,
  Group,
  Modal,
  MultiSelect,
  NumberInput,
  Select,
  SimpleGrid,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { useResource } from '@/hooks/useResource';
import {
  minutesToSeconds,
  moveRule,
  secondsToMinutes,
  specFromWeekForm,
  splitMinutes,
  STRATEGIES,
  WEEKDAYS,
  weekFormOf,
  type LostReason,
  type OperatorView,
  type Queue,
  type RoutingRule,
  type WeekForm,
} from '@/lib/cc';
import { ccApi } from '@/lib/ccApi';
import { useT, type MessageKey, type Translate } from '@/lib/i18n';
import { fieldErrors } from '@/lib/problems';
import { CHANNELS } from '@/lib/types';
import { useRoster } from '@/stores/roster';
import { LoadState } from '../common/LoadState';
import { ProblemAlert } from '../common/ProblemAlert';
import { Section } from '../common/Section';
import { PageShell } from '../shell/PageShell';

const ACCESS = { permission: 'queues.manage' };

/** "15 мин", "24 ч", "1 ч 30 мин". */
function slaText(t: Translate, seconds: number): string {
  const { hours, minutes } = splitMinutes(secondsToMinutes(seconds));
  if (hours && minutes) return t('queues.hm', { h: hours, m: minutes });
  if (hours) return t('queues.h', { h: hours });
  return t('queues.m', { m: minutes });
}

function QueueForm({ queue, operators, onClose, onSaved }: { queue: Queue | null; operators: OperatorView[]; onClose: () => void; onSaved: (q: Queue) => void }) {
  const t = useT();
  const [name, setName] = useState(queue?.name ?? '');
  const [strategy, setStrategy] = useState<string>(queue?.strategy ?? 'manual');
  const [first, setFirst] = useState<number>(secondsToMinutes(queue?.first_response_sla_seconds ?? 900));
  const [resolution, setResolution] = useState<number>(secondsToMinutes(queue?.resolution_sla_seconds ?? 86400));
  const [callback, setCallback] = useState<number>(secondsToMinutes(queue?.callback_sla_seconds ?? 900));
  const [members, setMembers] = useState<string[]>(queue?.members ?? []);
  const [always, setAlways] = useState(!!queue?.hours?.always_open);
  const [week, setWeek] = useState<WeekForm>(() =>
    queue ? weekFormOf(queue.hours) : { mon: '08:00-20:00', tue: '08:00-20:00', wed: '08:00-20:00', thu: '08:00-20:00', fri: '08:00-20:00', sat: '09:00-15:00', sun: '' },
  );
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [dayErrors, setDayErrors] = useState<Partial<Record<string, string>>>({});
  const fe = fieldErrors(error);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const { spec, errors } = specFromWeekForm(week, queue?.hours, always);
    setDayErrors(errors);
    if (Object.keys(errors).length) return;
    setBusy(true);
    setError(null);
    const body = {
      name: name.trim(),
      strategy,
      hours: spec,
      first_response_sla_seconds: minutesToSeconds(first),
      resolution_sla_seconds: minutesToSeconds(resolution),
      callback_sla_seconds: minutesToSeconds(callback),
      members,
      position: queue?.position ?? 0,
    };
    try {
      onSaved(queue ? await ccApi.saveQueue(queue.id, body) : await ccApi.createQueue(body));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const hoursError = (d: string) => dayErrors[d] ? t('queues.badInterval', { value: dayErrors[d] as string }) : Object.entries(fe).find(([k]) => k.startsWith(`hours.week.${d}`))?.[1];

  return (
    <Modal opened onClose={onClose} title={<Text fw={600}>{queue ? t('queues.editTitle') : t('queues.addTitle')}</Text>} size="xl" centered>
      <form onSubmit={submit} data-testid="queue-form">
        <Stack gap="sm">
          <SimpleGrid cols={2}>
            <TextInput label={t('queues.name')} value={name} onChange={(e) => setName(e.currentTarget.value)} required error={fe.name} data-testid="queue-name" />
            <Select
              label={t('queues.strategy')}
              data={STRATEGIES.map((s) => ({ value: s, label: t(`queues.strategy.${s}` as MessageKey) }))}
              value={strategy}
              onChange={(v) => v && setStrategy(v)}
              allowDeselect={false}
              error={fe.strategy}
            />
          </SimpleGrid>
          <SimpleGrid cols={3}>
            <NumberInput label={t('queues.slaFirst')} suffix={` ${t('queues.min')}`} min={1} value={first} onChange={(v) => setFirst(Number(v) || 0)} error={fe.first_response_sla_seconds} />
            <NumberInput label={t('queues.slaResolution')} suffix={` ${t('queues.min')}`} min={1} value={resolution} onChange={(v) => setResolution(Number(v) || 0)} error={fe.resolution_sla_seconds} />
            <NumberInput label={t('queues.slaCallback')} suffix={` ${t('queues.min')}`} min={1} value={callback} onChange={(v) => setCallback(Number(v) || 0)} error={fe.callback_sla_seconds} />
          </SimpleGrid>
          <Text size="xs" c="dimmed">
            {t('queues.slaHint')}
          </Text>
          <MultiSelect
            label={t('queues.members')}
            data={operators.map((o) => ({ value: o.user_id, label: o.name || o.login }))}
            value={members}
            onChange={setMembers}
            searchable
            error={fe.members}
            comboboxProps={{ withinPortal: true }}
            data-testid="queue-members"
          />
          <div>
            <Group justify="space-between" mb={4}>
              <Text size="sm" fw={500}>
                {t('queues.hours')}
              </Text>
              <Switch label={t('queues.alwaysOpen')} checked={always} onChange={(e) => setAlways(e.currentTarget.checked)} size="xs" />
            </Group>
            {!always && (
              <>
                <SimpleGrid cols={{ base: 2, sm: 4 }} spacing="xs" data-testid="queue-week">
                  {WEEKDAYS.map((d) => (
                    <TextInput
                      key={d}
                      size="xs"
                      label={t(`weekday.${d}` as MessageKey)}
                      placeholder={t('queues.closed')}
                      value={week[d]}
                      onChange={(e) => {
                        const v = e.currentTarget.value;
                        setWeek((w) => ({ ...w, [d]: v }));
                      }}
                      error={hoursError(d)}
                      data-testid={`queue-day-${d}`}
                    />
                  ))}
                </SimpleGrid>
                <Text size="xs" c="dimmed" mt={4}>
                  {t('queues.hoursHint', { tz: queue?.hours?.tz || 'Asia/Yekaterinburg' })}
                </Text>
              </>
            )}
          </div>
          <ProblemAlert error={error} fields={Object.keys(fe).filter((k) => k !== 'hours')} />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose} disabled={busy}>
              {t('common.cancel')}
            </Button>
            <Button type="submit" loading={busy} data-testid="queue-save">
              {t('common.save')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

function QueuesSection({ operators }: { operators: OperatorView[] }) {
  const t = useT();
  const queues = useResource((signal) => ccApi.queues(signal));
  const [editing, setEditing] = useState<Queue | 'new' | null>(null);
  const name = (id: string) => operators.find((o) => o.user_id === id)?.name ?? id.slice(0, 8);
  return (
    <Section
      title={t('queues.title')}
      hint={t('queues.hint')}
      actions={
        <Button size="xs" onClick={() => setEditing('new')} data-testid="queue-add">
          {t('queues.add')}
        </Button>
      }
      testId="queues"
    >
      {!queues.data ? (
        <LoadState loading={queues.loading} error={queues.error} onRetry={queues.reload} />
      ) : queues.data.items.length === 0 ? (
        <Text size="sm" c="dimmed">
          {t('queues.empty')}
        </Text>
      ) : (
        <Table verticalSpacing="xs">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('queues.name')}</Table.Th>
              <Table.Th>{t('queues.strategy')}</Table.Th>
              <Table.Th>{t('queues.sla')}</Table.Th>
              <Table.Th>{t('queues.members')}</Table.Th>
              <Table.Th>{t('queues.hours')}</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {queues.data.items.map((q) => (
              <Table.Tr key={q.id} data-testid="queue-row">
                <Table.Td>
                  <Text size="sm" fw={500}>
                    {q.name}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Text size="sm">{t(`queues.strategy.${q.strategy}` as MessageKey)}</Text>
                </Table.Td>
                <Table.Td>
                  <Text size="xs">
                    {t('queues.slaLine', {
                      first: slaText(t, q.first_response_sla_seconds),
                      resolution: slaText(t, q.resolution_sla_seconds),
                      callback: slaText(t, q.callback_sla_seconds),
                    })}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Text size="xs">{q.members.map(name).join(', ') || '—'}</Text>
                </Table.Td>
                <Table.Td>
                  <Text size="xs">
                    {q.hours?.always_open
                      ? t('queues.alwaysOpen')
                      : WEEKDAYS.filter((d) => (q.hours?.week?.[d] ?? []).length)
                          .map((d) => `${t(`weekday.${d}` as MessageKey)} ${(q.hours?.week?.[d] ?? []).join(', ')}`)
                          .join('; ')}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Button size="compact-xs" variant="subtle" onClick={() => setEditing(q)}>
                    {t('common.edit')}
                  </Button>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {editing && (
        <QueueForm
          queue={editing === 'new' ? null : editing}
          operators={operators}
          onClose={() => setEditing(null)}
          onSaved={(q) => {
            setEditing(null);
            queues.set((d) => ({ items: d?.items.some((x) => x.id === q.id) ? d.items.map((x) => (x.id === q.id ? q : x)) : [...(d?.items ?? []), q] }));
            void useRoster.getState().load(true);
          }}
        />
      )}
    </Section>
  );
}

const EMPTY_RULE: RoutingRule = { position: 0, channel: '', line: '', source: '', specialty: '', branch: '', queue_id: '' };

function RoutingSection() {
  const t = useT();
  const rules = useResource((signal) => ccApi.routingRules(signal));
  // The roster's queues: fetched again when a queue is saved above.
  const queues = useRoster((s) => s.queues);
  const [draft, setDraft] = useState<RoutingRule[] | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  // The arrow to focus once a moved rule is in its new place: the rows are drawn anew when
  // the saved list comes back (the server numbers the rules afresh), and keyboard users
  // should stay on the rule they are moving.
  const refocus = useRef<{ index: number; by: -1 | 1 } | null>(null);
  const arrows = useRef(new Map<string, HTMLButtonElement>());
  useEffect(() => {
    if (rules.data) setDraft(rules.data.rules);
  }, [rules.data]);
  useEffect(() => {
    const f = refocus.current;
    if (!f || !draft || busy) return;
    refocus.current = null;
    const arrow = (by: -1 | 1) => arrows.current.get(`${f.index}:${by}`);
    const el = arrow(f.by);
    (el && !el.disabled ? el : arrow(f.by === -1 ? 1 : -1))?.focus();
  }, [draft, busy]);

  const edit = (i: number, patch: Partial<RoutingRule>) => {
    setSaved(false);
    setDraft((d) => (d ?? []).map((r, j) => (j === i ? { ...r, ...patch } : r)));
  };
  const persist = async (list: RoutingRule[]) => {
    setBusy(true);
    setError(null);
    try {
      const r = await ccApi.saveRoutingRules(list.map((r, i) => ({ ...r, position: i })));
      setDraft(r.rules);
      setSaved(true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  // The order is what routing tries, so a move is saved at once (with the rest of the list:
  // the API stores the list as a whole). If that fails, the moved draft stays for Save.
  const move = (i: number, by: -1 | 1) => {
    if (!draft) return;
    const next = moveRule(draft, i, by);
    setSaved(false);
    setDraft(next);
    refocus.current = { index: i + by, by };
    void persist(next);
  };
  const arrowRef = (i: number, by: -1 | 1) => (el: HTMLButtonElement | null) => {
    if (el) arrows.current.set(`${i}:${by}`, el);
    else arrows.current.delete(`${i}:${by}`);
  };
  const queueData = queues.map((q) => ({ value: q.id, label: q.name }));
  const channelData = [{ value: 'any', label: t('routing.any') }, ...CHANNELS.map((c) => ({ value: c, label: t(`channel.${c}`) }))];

  return (
    <Section title={t('routing.title')} hint={t('routing.hint')} testId="routing">
      {!draft ? (
        <LoadState loading={rules.loading} error={rules.error} onRetry={rules.reload} />
      ) : (
        <Stack gap="xs">
          {draft.length > 0 && (
            <Table verticalSpacing={4}>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>#</Table.Th>
                  <Table.Th>{t('routing.channel')}</Table.Th>
                  <Table.Th>{t('routing.line')}</Table.Th>
                  <Table.Th>{t('routing.source')}</Table.Th>
                  <Table.Th>{t('routing.specialty')}</Table.Th>
                  <Table.Th>{t('routing.branch')}</Table.Th>
                  <Table.Th>{t('routing.queue')}</Table.Th>
                  <Table.Th />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {draft.map((r, i) => (
                  <Table.Tr key={r.id ?? `new-${i}`} data-testid="routing-row" data-position={i}>
                    <Table.Td>{i + 1}</Table.Td>
                    <Table.Td>
                      <Select size="xs" data={channelData} value={r.channel || 'any'} onChange={(v) => edit(i, { channel: !v || v === 'any' ? '' : v })} allowDeselect={false} w={140} aria-label={t('routing.channel')} />
                    </Table.Td>
                    <Table.Td>
                      <TextInput size="xs" value={r.line} placeholder="+73432000000" onChange={(e) => edit(i, { line: e.currentTarget.value })} aria-label={t('routing.line')} />
                    </Table.Td>
                    <Table.Td>
                      <TextInput size="xs" value={r.source} onChange={(e) => edit(i, { source: e.currentTarget.value })} aria-label={t('routing.source')} data-testid="routing-source" />
                    </Table.Td>
                    <Table.Td>
                      <TextInput size="xs" value={r.specialty} onChange={(e) => edit(i, { specialty: e.currentTarget.value })} aria-label={t('routing.specialty')} />
                    </Table.Td>
                    <Table.Td>
                      <TextInput size="xs" value={r.branch} onChange={(e) => edit(i, { branch: e.currentTarget.value })} aria-label={t('routing.branch')} />
                    </Table.Td>
                    <Table.Td>
                      <Select
                        size="xs"
                        data={queueData}
                        value={r.queue_id || null}
                        onChange={(v) => edit(i, { queue_id: v ?? '' })}
                        placeholder={t('routing.pickQueue')}
                        w={160}
                        aria-label={t('routing.queue')}
                        data-testid="routing-queue"
                      />
                    </Table.Td>
                    <Table.Td>
                      <Group gap={2} wrap="nowrap">
                        <ActionIcon
                          ref={arrowRef(i, -1)}
                          variant="subtle"
                          color="gray"
                          aria-label={t('routing.up', { n: i + 1 })}
                          title={t('routing.up', { n: i + 1 })}
                          disabled={i === 0 || busy}
                          onClick={() => move(i, -1)}
                          data-testid="routing-up"
                        >
                          ↑
                        </ActionIcon>
                        <ActionIcon
                          ref={arrowRef(i, 1)}
                          variant="subtle"
                          color="gray"
                          aria-label={t('routing.down', { n: i + 1 })}
                          title={t('routing.down', { n: i + 1 })}
                          disabled={i === draft.length - 1 || busy}
                          onClick={() => move(i, 1)}
                          data-testid="routing-down"
                        >
                          ↓
                        </ActionIcon>
                        <ActionIcon variant="subtle" color="red" aria-label={t('routing.remove')} onClick={() => setDraft((d) => (d ?? []).filter((_, j) => j !== i))}>
                          ×
                        </ActionIcon>
                      </Group>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
          {draft.length === 0 && (
            <Text size="sm" c="dimmed">
              {t('routing.empty')}
            </Text>
          )}
          {draft.length > 1 && (
            <Text size="xs" c="dimmed">
              {t('routing.moveHint')}
            </Text>
          )}
          <ProblemAlert error={error} />
          <Group justify="space-between">
            <Button size="xs" variant="default" onClick={() => setDraft((d) => [...(d ?? []), { ...EMPTY_RULE }])} disabled={queueData.length === 0} data-testid="routing-add">
              {t('routing.add')}
            </Button>
            <Group gap="xs">
              {saved && (
                <Text size="xs" c="teal" data-testid="routing-saved">
                  {t('common.saved')}
                </Text>
              )}
              <Button size="xs" onClick={() => void (draft && persist(draft))} loading={busy} data-testid="routing-save">
                {t('common.save')}
              </Button>
            </Group>
          </Group>
        </Stack>
      )}
    </Section>
  );
}

function LostReasonsSection() {
  const t = useT();
  const reasons = useResource((signal) => ccApi.lostReasons(signal));
  const [draft, setDraft] = useState<LostReason[] | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    if (reasons.data) setDraft(reasons.data.reasons);
  }, [reasons.data]);
  const edit = (i: number, patch: Partial<LostReason>) => {
    setSaved(false);
    setDraft((d) => (d ?? []).map((r, j) => (j === i ? { ...r, ...patch } : r)));
  };
  const save = async () => {
    if (!draft) return;
    setBusy(true);
    setError(null);
    try {
      const r = await ccApi.saveLostReasons(draft.map((r, i) => ({ ...r, position: i })));
      setDraft(r.reasons);
      setSaved(true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const fe = fieldErrors(error);
  return (
    <Section title={t('lost.title')} hint={t('lost.hint')} testId="lost-reasons">
      {!draft ? (
        <LoadState loading={reasons.loading} error={reasons.error} onRetry={reasons.reload} />
      ) : (
        <Stack gap={6}>
          {draft.map((r, i) => (
            <Group key={r.id ?? `new-${i}`} gap="xs" wrap="nowrap">
              <TextInput size="xs" value={r.name} onChange={(e) => edit(i, { name: e.currentTarget.value })} style={{ flex: 1 }} error={fe[`reasons[${i}].name`]} />
              <Checkbox size="xs" label={t('lost.active')} checked={r.active} onChange={(e) => edit(i, { active: e.currentTarget.checked })} />
            </Group>
          ))}
          <ProblemAlert error={error} fields={draft.map((_, i) => `reasons[${i}].name`)} />
          <Group justify="space-between">
            <Button size="xs" variant="default" onClick={() => setDraft((d) => [...(d ?? []), { name: '', active: true, position: d?.length ?? 0 }])}>
              {t('lost.add')}
            </Button>
            <Group gap="xs">
              {saved && (
                <Text size="xs" c="teal">
                  {t('common.saved')}
                </Text>
              )}
              <Button size="xs" onClick={() => void save()} loading={busy}>
                {t('common.save')}
              </Button>
            </Group>
          </Group>
        </Stack>
      )}
    </Section>
  );
}

function ExtensionRow({ o, onSaved }: { o: OperatorView; onSaved: (ext: string) => void }) {
  const t = useT();
  const [ext, setExt] = useState(o.extension);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const dirty = ext.trim() !== o.extension;
  const save = async () => {
    setBusy(true);
    setError(null);
    try {
      const r = await ccApi.setExtension(o.user_id, ext.trim());
      onSaved(r.extension);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Table.Tr data-testid="extension-row" data-login={o.login}>
      <Table.Td>
        <Text size="sm" fw={500}>
          {o.name || o.login}
        </Text>
        <Text size="xs" c="dimmed">
          {o.login} · {o.role}
        </Text>
      </Table.Td>
      <Table.Td>
        <Badge size="sm" variant="dot" tt="none" color={o.presence === 'online' ? 'teal' : o.presence === 'away' ? 'orange' : 'gray'}>
          {t(`presence.${o.presence}` as MessageKey)}
        </Badge>
      </Table.Td>
      <Table.Td>
        <Group gap="xs" wrap="nowrap">
          <TextInput
            size="xs"
            w={110}
            value={ext}
            onChange={(e) => setExt(e.currentTarget.value)}
            error={fieldErrors(error).extension}
            aria-label={t('ext.label')}
            data-testid="extension-input"
          />
          <Button size="compact-xs" disabled={!dirty} loading={busy} onClick={() => void save()} data-testid="extension-save">
            {t('common.save')}
          </Button>
        </Group>
        {error && !fieldErrors(error).extension ? <ProblemAlert error={error} /> : null}
      </Table.Td>
    </Table.Tr>
  );
}

function ExtensionsSection() {
  const t = useT();
  const ops = useResource((signal) => ccApi.operators(signal));
  return (
    <Section title={t('ext.title')} hint={t('ext.hint')} testId="extensions">
      {!ops.data ? (
        <LoadState loading={ops.loading} error={ops.error} onRetry={ops.reload} />
      ) : (
        <Table verticalSpacing="xs">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('ext.operator')}</Table.Th>
              <Table.Th>{t('ext.presence')}</Table.Th>
              <Table.Th>{t('ext.label')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {ops.data.items.map((o) => (
              <ExtensionRow
                key={`${o.user_id}-${o.extension}`}
                o={o}
                onSaved={(ext) => {
                  ops.set((d) => (d ? { items: d.items.map((x) => (x.user_id === o.user_id ? { ...x, extension: ext } : x)) } : d));
                  void useRoster.getState().load(true);
                }}
              />
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Section>
  );
}

function QueuesPage() {
  const t = useT();
  const operators = useRoster((s) => s.operators);
  useEffect(() => {
    void useRoster.getState().load();
  }, []);
  return (
    <Stack gap="md">
      <Title order={3}>{t('queues.pageTitle')}</Title>
      <QueuesSection operators={operators} />
      <ExtensionsSection />
      <RoutingSection />
      <LostReasonsSection />
    </Stack>
  );
}

export function QueuesScreen() {
  return <PageShell access={ACCESS}>{() => <QueuesPage />}</PageShell>;
}
