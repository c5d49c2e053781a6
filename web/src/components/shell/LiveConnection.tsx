'use client';

import { notifications } from '@mantine/notifications';
import { useRouter } from 'next/navigation';
import { useEffect, useRef } from 'react';
import { requestHref } from '@/hooks/useSelectedId';
import { translate, useLang } from '@/lib/i18n';
import { liveBus } from '@/lib/liveBus';
import { can } from '@/lib/nav';
import { formatPhone } from '@/lib/phone';
import { openLiveSocket, socketUrl, type ServerFrame } from '@/lib/socket';
import { useAuth } from '@/stores/auth';
import { usePopup } from '@/stores/popup';
import { useWs } from '@/stores/ws';
import { CallPopupDialog } from '../calls/CallPopupDialog';

/**
 * The one WebSocket of this tab, open while a signed-in user may read requests, whatever page
 * they are on (the gateway counts sockets for presence: one per tab, kept across pages). It
 * publishes frames on the live bus, shows the incoming-call card, and tells supervisors of
 * escalations and assignees of reminders.
 */
export function LiveConnection() {
  const user = useAuth((s) => s.user);
  const router = useRouter();
  const routerRef = useRef(router);
  routerRef.current = router;
  const userId = user && !user.enrollment_required && can(user, 'requests.read') ? user.id : null;
  const supervisor = !!user && can(user, 'board.read');

  useEffect(() => {
    if (!userId) return;
    const onFrame = (frame: ServerFrame) => {
      liveBus.emitFrame(frame);
      const lang = useLang.getState().lang;
      switch (frame.type) {
        case 'call.ringing':
          usePopup.getState().show(frame.data);
          break;
        case 'call.updated':
          usePopup.getState().follow(frame.data);
          break;
        case 'task.escalated': {
          if (!supervisor) break;
          const t = frame.data;
          notifications.show({
            id: `escalated-${t.id}`,
            title: translate(lang, 'notify.escalated'),
            message: translate(lang, 'notify.escalatedText', {
              kind: translate(lang, `task.kind.${t.kind}` as never) || t.kind,
              who: t.contact?.name || formatPhone(t.contact?.phone ?? '') || '—',
            }),
            color: 'red',
            autoClose: false,
            style: { cursor: 'pointer' },
            onClick: () => routerRef.current.push('/board/'),
          });
          break;
        }
        case 'task.reminder': {
          const t = frame.data;
          if (t.assignee_id !== userId) break;
          notifications.show({
            id: `reminder-${t.id}`,
            title: translate(lang, 'notify.reminder'),
            message: t.note || t.contact?.name || translate(lang, `task.kind.${t.kind}` as never),
            color: 'blue',
            autoClose: false,
            style: { cursor: t.request_id ? 'pointer' : undefined },
            onClick: () => t.request_id && routerRef.current.push(requestHref(t.request_id)),
          });
          break;
        }
        case 'request.sla_breached': {
          const r = frame.data;
          if (r.assignee_id !== userId && !supervisor) break;
          notifications.show({
            id: `breach-${r.id}`,
            title: translate(lang, 'notify.breached'),
            message: r.contact?.name || translate(lang, 'inbox.noName'),
            color: 'orange',
            style: { cursor: 'pointer' },
            onClick: () => routerRef.current.push(requestHref(r.id)),
          });
          break;
        }
        default:
      }
    };
    const live = openLiveSocket({
      url: socketUrl(window.location),
      onOpen: () => liveBus.emitOpen(),
      onFrame,
      onState: (s) => useWs.getState().setState(s),
      onUnauthorized: () => useAuth.getState().expire(),
    });
    const online = () => live.reconnectNow();
    window.addEventListener('online', online);
    return () => {
      window.removeEventListener('online', online);
      live.close();
      usePopup.getState().close();
      useWs.getState().setState('reconnecting');
    };
  }, [userId, supervisor]);

  return userId ? <CallPopupDialog /> : null;
}
