'use client';

import { Badge, type BadgeProps, type MantineColor } from '@mantine/core';
import { callOutcomeKey } from '@/lib/cc';
import { useT, type MessageKey } from '@/lib/i18n';

const COLOR: Record<string, MantineColor> = {
  'call.result.answered': 'teal',
  'call.result.missed': 'red',
  'call.result.abandoned': 'orange',
  'call.state.started': 'gray',
  'call.state.ringing': 'blue',
  'call.state.answered': 'teal',
  'call.state.ended': 'gray',
};

/** A call's result once it ended (answered, missed, abandoned), else its state. */
export function CallOutcomeBadge({ call, ...rest }: { call: { state: string; result: string } } & BadgeProps) {
  const t = useT();
  const key = callOutcomeKey(call);
  if (!key) return null;
  return (
    <Badge variant="light" color={COLOR[key] ?? 'gray'} radius="sm" tt="none" fw={600} data-result={call.result || call.state} {...rest}>
      {t(key as MessageKey)}
    </Badge>
  );
}
