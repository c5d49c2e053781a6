'use client';

import { notifications } from '@mantine/notifications';
import { useEffect, useRef } from 'react';
import { translate, useLang } from '@/lib/i18n';
import { liveBus } from '@/lib/liveBus';
import { can } from '@/lib/nav';
import { TASK_FRAMES, type ServerFrame } from '@/lib/socket';
import { useAuth } from '@/stores/auth';
import { inboxStore } from '@/stores/inbox';
import { inboxCalls, inboxTasks } from '@/stores/work';

/**
 * Keeps the inbox live while `enabled`: loads the lists (requests; calls and open tasks for
 * those who may read them), resyncs on every (re)connect of the shell's socket, merges pushed
 * items and announces new requests.
 */
export function useLiveInbox(enabled: boolean, openRequest: (id: string) => void) {
  const openRef = useRef(openRequest);
  openRef.current = openRequest;
  const user = useAuth((s) => s.user);
  const calls = can(user, 'calls.read');
  const tasks = can(user, 'tasks.read');

  useEffect(() => {
    if (!enabled) return;
    const resync = () => {
      void inboxStore.getState().resync();
      if (calls) void inboxCalls.getState().resync();
      if (tasks) void inboxTasks.getState().resync();
    };
    // Show the lists at once; every reconnect resyncs again, closing any gap.
    resync();

    const onFrame = (frame: ServerFrame) => {
      if (frame.type === 'call.updated') {
        if (calls) inboxCalls.getState().applyLive(frame.data);
        return;
      }
      if ((TASK_FRAMES as readonly string[]).includes(frame.type)) {
        if (tasks) inboxTasks.getState().applyLive(frame.data as never);
        return;
      }
      if (frame.type !== 'request.created' && frame.type !== 'request.updated' && frame.type !== 'request.sla_breached') return;
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
    const offFrame = liveBus.onFrame(onFrame);
    const offOpen = liveBus.onOpen(resync);
    return () => {
      offFrame();
      offOpen();
    };
  }, [enabled, calls, tasks]);
}
