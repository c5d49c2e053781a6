'use client';

import { SegmentedControl, Tooltip } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useEffect, useRef, useState } from 'react';
import { ccApi } from '@/lib/ccApi';
import { useT } from '@/lib/i18n';
import { liveBus } from '@/lib/liveBus';
import { problemMessage } from '@/lib/problems';
import { useAuth } from '@/stores/auth';

type Choice = 'online' | 'away';

/**
 * My presence: online operators are given work, away ones are not. The gateway marks me online
 * when my first tab connects (unless I stepped away: that outlasts a reload and new tabs) and
 * offline a few seconds after the last one closes; here I step away and back. What is shown is
 * what the contact center stores, read on load and after every reconnect.
 */
export function PresenceSwitch() {
  const t = useT();
  const me = useAuth((s) => s.user?.id ?? '');
  // Null until read: showing "online" first would flash the wrong state after a reload.
  const [value, setValue] = useState<Choice | null>(null);
  const [busy, setBusy] = useState(false);
  // Bumped by my own changes: a read that started before one must not undo it.
  const changes = useRef(0);

  useEffect(() => {
    if (!me) return;
    let cancelled = false;
    const read = () => {
      const at = changes.current;
      ccApi
        .operators()
        .then((r) => {
          const mine = r.items.find((o) => o.user_id === me);
          // Offline only means my socket is not counted yet: I am here, so online.
          if (!cancelled && at === changes.current) setValue(mine?.presence === 'away' ? 'away' : 'online');
        })
        .catch(() => undefined);
    };
    read();
    const off = liveBus.onOpen(read);
    const offFrame = liveBus.onFrame((f) => {
      if (f.type === 'operator.presence' && f.data.user_id === me) setValue(f.data.presence === 'away' ? 'away' : 'online');
    });
    return () => {
      cancelled = true;
      off();
      offFrame();
    };
  }, [me]);

  const change = async (v: string) => {
    if (v !== 'online' && v !== 'away') return;
    const before = value;
    changes.current++;
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
        data-value={value ?? 'unknown'}
        aria-label={t('presence.label')}
        size="xs"
        value={value ?? ''}
        disabled={busy || value === null}
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
