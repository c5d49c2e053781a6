'use client';

import { Badge } from '@mantine/core';
import { useT } from '@/lib/i18n';
import { OUTCOMES, type Outcome } from '@/lib/types';

const COLOR: Record<Outcome, string> = { success: 'teal', denied: 'orange', failure: 'red' };

export function OutcomeBadge({ outcome }: { outcome: string }) {
  const t = useT();
  const known = (OUTCOMES as readonly string[]).includes(outcome);
  return (
    <Badge size="sm" variant="light" radius="sm" tt="none" color={known ? COLOR[outcome as Outcome] : 'gray'} data-outcome={outcome}>
      {known ? t(`audit.outcome.${outcome as Outcome}`) : outcome}
    </Badge>
  );
}
