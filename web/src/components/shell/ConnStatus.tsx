'use client';

import { Badge, Tooltip } from '@mantine/core';
import { useT } from '@/lib/i18n';
import { useWs } from '@/stores/ws';

export function ConnStatus() {
  const t = useT();
  const state = useWs((s) => s.state);
  const everLive = useWs((s) => s.everLive);
  const live = state === 'live';
  const label = live ? t('conn.live') : everLive ? t('conn.reconnecting') : t('conn.connecting');
  return (
    <Tooltip label={live ? t('conn.liveHint') : t('conn.reconnectingHint')} withArrow openDelay={300}>
      <Badge
        data-testid="conn-status"
        data-state={state}
        role="status"
        aria-live="polite"
        variant="dot"
        color={live ? 'teal' : 'orange'}
        size="md"
        radius="sm"
        tt="none"
        fw={500}
      >
        {label}
      </Badge>
    </Tooltip>
  );
}
