'use client';

import { SegmentedControl, Tooltip } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useEffect, useState } from 'react';
import { ccApi } from '@/lib/ccApi';
import { useT } from '@/lib/i18n';
import { liveBus } from '@/lib/liveBus';
import { problemMessage } from '@/lib/problems';
import { useAuth } from '@/stores/auth';

type Choice = 'online' | 'away';

/**
 * My presence: online operators are given work, away ones are not. The gateway marks me online
 * when my first tab connects and offline when the last one closes; here I step away and back.
 */
export function PresenceSwitch() {
  const t = useT();
  const me = useAuth((s) => s.user?.id ?? '');
  const [value, setValue] = useState<Choice>('online');
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!me) return;
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const read = () => {
      ccApi
        .operators()
        .then((r) => {
          const mine = r.items.find((o) => o.user_id === me);
          if (!cancelled && mine) setValue(mine.presence === 'away' ? 'away' : 'online');
        })
        .catch(() => undefined);
    };
    read();
    // The gateway records a (re)connect a moment after the socket opens.
    const off = liveBus.onOpen(() => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(read, 1000);
    });
    const offFrame = liveBus.onFrame((f) => {
      if (f.type === 'operator.presence' && f.data.user_id === me) setValue(f.data.presence === 'away' ? 'away' : 'online');
    });
    return () => {
      cancelled = true;
      if (timer) clearTimeout(timer);
      off();
      offFrame();
    };
  }, [me]);

  const change = async (v: string) => {
    if (v !== 'online' && v !== 'away') return;
    const before = value;
    setValue(v);
    setBusy(true);
    try {
      await ccApi.setPresence(v);
    } catch (err) {
      setValue(before);
      notifications.show({ color: 'red', title: t('presence.failed'), message: problemMessage(err) ?? t('common.failed') });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Tooltip label={t('presence.hint')} withArrow openDelay={300}>
      <SegmentedControl
        data-testid="presence-switch"
        data-value={value}
        aria-label={t('presence.label')}
        size="xs"
        value={value}
        disabled={busy}
        onChange={(v) => void change(v)}
        color={value === 'online' ? 'teal' : 'orange'}
        data={[
          { value: 'online', label: t('presence.online') },
          { value: 'away', label: t('presence.away') },
        ]}
      />
    </Tooltip>
  );
}
