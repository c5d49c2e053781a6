'use client';

import { Alert, AppShell, Button, Center, Group, Loader, ScrollArea, Stack, Text, Title } from '@mantine/core';
import { mergeTimeline, type TimelineSource } from '@/lib/cc';
import { useT } from '@/lib/i18n';
import { can } from '@/lib/nav';
import { useAuth } from '@/stores/auth';
import { inboxStore, useInbox } from '@/stores/inbox';
import { useInboxView } from '@/stores/inboxView';
import { useLiveList } from '@/stores/liveList';
import { inboxCalls, inboxTasks } from '@/stores/work';
import { InboxFilters } from './InboxFilters';
import { InboxItem } from './InboxItem';
import { CallItem, TaskItem, type Target } from './WorkItems';

/**
 * The left column: requests, calls and open tasks as one newest-first list (or one kind of
 * them), each live.
 */
export function InboxPanel({
  selectedId,
  selectedContact,
  onOpen,
  onOpenTarget,
}: {
  selectedId: string | null;
  selectedContact: string | null;
  onOpen: (id: string) => void;
  onOpenTarget: (t: Target) => void;
}) {
  const t = useT();
  const user = useAuth((s) => s.user);
  const kind = useInboxView((s) => s.kind);
  const showCalls = can(user, 'calls.read') && (kind === 'all' || kind === 'calls');
  const showTasks = can(user, 'tasks.read') && (kind === 'all' || kind === 'tasks');
  const showRequests = kind === 'all' || kind === 'requests';

  const ids = useInbox((s) => s.ids);
  const byId = useInbox((s) => s.byId);
  const fresh = useInbox((s) => s.fresh);
  const loaded = useInbox((s) => s.loaded);
  const error = useInbox((s) => s.error);
  const nextCursor = useInbox((s) => s.nextCursor);
  const loadingMore = useInbox((s) => s.loadingMore);

  const calls = useLiveList(inboxCalls, (s) => s);
  const tasks = useLiveList(inboxTasks, (s) => s);

  const sources: TimelineSource[] = [];
  if (showRequests) sources.push({ entries: ids.map((id) => ({ kind: 'request', id, at: byId[id].created_at })), more: nextCursor !== null });
  if (showCalls) sources.push({ entries: calls.ids.map((id) => ({ kind: 'call', id, at: calls.byId[id].started_at })), more: calls.nextCursor !== null });
  if (showTasks) sources.push({ entries: tasks.ids.map((id) => ({ kind: 'task', id, at: tasks.byId[id].created_at })), more: tasks.nextCursor !== null });
  const list = mergeTimeline(sources);

  const allLoaded = (!showRequests || loaded) && (!showCalls || calls.loaded) && (!showTasks || tasks.loaded);
  const anyError = (showRequests && error) || (showCalls && calls.error) || (showTasks && tasks.error);
  const busy = (showRequests && loadingMore) || (showCalls && calls.loadingMore) || (showTasks && tasks.loadingMore);

  const retry = () => {
    void inboxStore.getState().resync();
    if (showCalls) void inboxCalls.getState().resync();
    if (showTasks) void inboxTasks.getState().resync();
  };
  const more = () => {
    if (showRequests) void inboxStore.getState().loadMore();
    if (showCalls) void inboxCalls.getState().loadMore();
    if (showTasks) void inboxTasks.getState().loadMore();
  };
  const callSelected = (id: string) => {
    const c = calls.byId[id];
    return !!c && ((!!c.request_id && c.request_id === selectedId) || (!c.request_id && !selectedId && c.contact?.id === selectedContact));
  };
  const taskSelected = (id: string) => {
    const k = tasks.byId[id];
    return !!k && ((!!k.request_id && k.request_id === selectedId) || (!k.request_id && !selectedId && k.contact?.id === selectedContact));
  };

  return (
    <>
      <AppShell.Section p="sm" pb="xs">
        <Group justify="space-between" mb={8}>
          <Title order={5}>{t('inbox.title')}</Title>
        </Group>
        <InboxFilters />
      </AppShell.Section>

      <AppShell.Section grow component={ScrollArea} type="auto" style={{ borderTop: '1px solid var(--mantine-color-gray-3)' }}>
        {anyError && (
          <Alert color="red" variant="light" m="sm" title={t('inbox.loadError')}>
            <Button size="compact-xs" variant="light" color="red" onClick={retry}>
              {t('inbox.retry')}
            </Button>
          </Alert>
        )}
        <div data-testid="inbox-list" aria-busy={!allLoaded} data-kind={kind}>
          {list.entries.map((e) => {
            if (e.kind === 'request') {
              return <InboxItem key={`r-${e.id}`} item={byId[e.id]} selected={e.id === selectedId} fresh={!!fresh[e.id]} onOpen={onOpen} />;
            }
            if (e.kind === 'call') {
              return (
                <CallItem key={`c-${e.id}`} call={calls.byId[e.id]} selected={callSelected(e.id)} fresh={!!calls.fresh[e.id]} onOpen={onOpenTarget} />
              );
            }
            return (
              <TaskItem key={`t-${e.id}`} task={tasks.byId[e.id]} selected={taskSelected(e.id)} fresh={!!tasks.fresh[e.id]} onOpen={onOpenTarget} />
            );
          })}
        </div>
        {!allLoaded && !anyError && (
          <Center py="xl">
            <Loader size="sm" />
          </Center>
        )}
        {allLoaded && list.entries.length === 0 && (
          <Text c="dimmed" size="sm" ta="center" py="xl">
            {t(kind === 'calls' ? 'inbox.emptyCalls' : kind === 'tasks' ? 'inbox.emptyTasks' : 'inbox.empty')}
          </Text>
        )}
        {list.more && (
          <Stack p="sm">
            <Button variant="subtle" size="xs" loading={!!busy} onClick={more}>
              {t('inbox.loadMore')}
            </Button>
          </Stack>
        )}
      </AppShell.Section>
    </>
  );
}
