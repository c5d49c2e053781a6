'use client';

import { notifications } from '@mantine/notifications';
import { useEffect, useRef } from 'react';
import { translate, useLang } from '@/lib/i18n';
import { openLiveSocket, socketUrl, type ServerFrame } from '@/lib/socket';
import { useAuth } from '@/stores/auth';
import { inboxStore } from '@/stores/inbox';
import { useWs } from '@/stores/ws';

/**
 * Keeps the inbox live while `enabled`: loads the list, holds the socket open, resyncs
 * on every (re)connect, merges pushed requests and announces new ones.
 */
export function useLiveInbox(enabled: boolean, openRequest: (id: string) => void) {
  const openRef = useRef(openRequest);
  openRef.current = openRequest;

  useEffect(() => {
    if (!enabled) return;
    const inbox = inboxStore.getState();
    // Show the list at once; the socket's open resyncs again, closing any gap before it.
    void inbox.resync();

    const onFrame = (frame: ServerFrame) => {
      if (frame.type !== 'request.created' && frame.type !== 'request.updated') return;
      const kind = frame.type === 'request.created' ? 'created' : 'updated';
      const outcome = inboxStore.getState().applyLive(kind, frame.data);
      if (kind === 'created' && outcome === 'inserted') {
        const lang = useLang.getState().lang;
        const id = frame.data.id;
        notifications.show({
          id: `request-${id}`,
          title: translate(lang, 'notify.newRequest'),
          message: frame.data.contact?.name || translate(lang, 'inbox.noName'),
          color: 'teal',
          style: { cursor: 'pointer' },
          onClick: () => openRef.current(id),
        });
      }
    };

    const live = openLiveSocket({
      url: socketUrl(window.location),
      onOpen: () => void inboxStore.getState().resync(),
      onFrame,
      onState: (s) => useWs.getState().setState(s),
      onUnauthorized: () => useAuth.getState().expire(),
    });
    const online = () => live.reconnectNow();
    window.addEventListener('online', online);
    return () => {
      window.removeEventListener('online', online);
      live.close();
      useWs.getState().setState('reconnecting');
    };
  }, [enabled]);
}
