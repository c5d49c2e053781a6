'use client';

import { Badge, type BadgeProps, type MantineColor } from '@mantine/core';
import { useT } from '@/lib/i18n';
import type { RequestStatus } from '@/lib/types';

const STATUS_COLOR: Record<RequestStatus, MantineColor> = {
  new: 'orange',
  in_progress: 'blue',
  booked: 'teal',
  visited: 'green',
  lost: 'gray',
};

export function StatusBadge({ status, ...rest }: { status: RequestStatus } & BadgeProps) {
  const t = useT();
  const known = status in STATUS_COLOR;
  return (
    <Badge variant="light" color={known ? STATUS_COLOR[status] : 'gray'} radius="sm" tt="none" fw={600} {...rest}>
      {known ? t(`status.${status}`) : status}
    </Badge>
  );
}
