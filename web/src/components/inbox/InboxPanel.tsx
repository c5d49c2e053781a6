'use client';

import { Alert, AppShell, Button, Center, Group, Loader, ScrollArea, Stack, Text, Title } from '@mantine/core';
import { useT } from '@/lib/i18n';
import { inboxStore, useInbox } from '@/stores/inbox';
import { InboxFilters } from './InboxFilters';
import { InboxItem } from './InboxItem';

export function InboxPanel({ selectedId, onOpen }: { selectedId: string | null; onOpen: (id: string) => void }) {
  const t = useT();
  const ids = useInbox((s) => s.ids);
  const byId = useInbox((s) => s.byId);
  const fresh = useInbox((s) => s.fresh);
  const loaded = useInbox((s) => s.loaded);
  const error = useInbox((s) => s.error);
  const nextCursor = useInbox((s) => s.nextCursor);
  const loadingMore = useInbox((s) => s.loadingMore);

  return (
    <>
      <AppShell.Section p="sm" pb="xs">
        <Group justify="space-between" mb={8}>
          <Title order={5}>{t('inbox.title')}</Title>
        </Group>
        <InboxFilters />
      </AppShell.Section>

      <AppShell.Section grow component={ScrollArea} type="auto" style={{ borderTop: '1px solid var(--mantine-color-gray-3)' }}>
        {error && (
          <Alert color="red" variant="light" m="sm" title={t('inbox.loadError')}>
            <Button size="compact-xs" variant="light" color="red" onClick={() => void inboxStore.getState().resync()}>
              {t('inbox.retry')}
            </Button>
          </Alert>
        )}
        <div data-testid="inbox-list" aria-busy={!loaded}>
          {ids.map((id) => (
            <InboxItem key={id} item={byId[id]} selected={id === selectedId} fresh={!!fresh[id]} onOpen={onOpen} />
          ))}
        </div>
        {!loaded && !error && (
          <Center py="xl">
            <Loader size="sm" />
          </Center>
        )}
        {loaded && ids.length === 0 && (
          <Text c="dimmed" size="sm" ta="center" py="xl">
            {t('inbox.empty')}
          </Text>
        )}
        {nextCursor && (
          <Stack p="sm">
            <Button variant="subtle" size="xs" loading={loadingMore} onClick={() => void inboxStore.getState().loadMore()}>
              {t('inbox.loadMore')}
            </Button>
          </Stack>
        )}
      </AppShell.Section>
    </>
  );
}
