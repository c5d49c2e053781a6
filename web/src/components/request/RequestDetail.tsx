'use client';

import { Center, Loader, Text } from '@mantine/core';
import { useEffect, useState } from 'react';
import { isApiError } from '@/lib/api';
import { useT } from '@/lib/i18n';
import { inboxStore, useInbox } from '@/stores/inbox';
import { RequestView } from './RequestView';

type Lookup = 'idle' | 'loading' | 'not_found' | 'error';

/** The middle column: the request named in the address, fetched if the list does not hold it. */
export function RequestDetail({ id }: { id: string | null }) {
  const t = useT();
  const item = useInbox((s) => (id ? s.byId[id] : undefined));
  const missing = id !== null && item === undefined;
  const [lookup, setLookup] = useState<Lookup>('idle');

  useEffect(() => {
    if (!missing || id === null) return;
    let cancelled = false;
    setLookup('loading');
    inboxStore
      .getState()
      .fetchOne(id)
      .then(() => !cancelled && setLookup('idle'))
      .catch((err) => {
        if (!cancelled) setLookup(isApiError(err, 404) ? 'not_found' : 'error');
      });
    return () => {
      cancelled = true;
    };
  }, [id, missing]);

  let body;
  if (item) body = <RequestView item={item} />;
  else if (id === null) body = <Placeholder text={t('detail.empty')} />;
  else if (lookup === 'not_found') body = <Placeholder text={t('detail.notFound')} />;
  else if (lookup === 'error') body = <Placeholder text={t('detail.loadError')} />;
  else
    body = (
      <Center py="xl">
        <Loader size="sm" />
      </Center>
    );

  return (
    <div data-testid="request-detail" data-id={item?.id}>
      {body}
    </div>
  );
}

function Placeholder({ text }: { text: string }) {
  return (
    <Center h="60vh" px="lg">
      <Text c="dimmed" size="sm" ta="center">
        {text}
      </Text>
    </Center>
  );
}
