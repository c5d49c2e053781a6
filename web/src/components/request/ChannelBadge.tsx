'use client';

import { Badge, type BadgeProps, type MantineColor } from '@mantine/core';
import { useT } from '@/lib/i18n';
import type { Channel } from '@/lib/types';

const CHANNEL_COLOR: Record<Channel, MantineColor> = {
  web_form: 'blue',
  phone: 'orange',
  chat: 'cyan',
  telegram: 'indigo',
  whatsapp: 'green',
  vk: 'violet',
  email: 'gray',
};

export function ChannelBadge({ channel, ...rest }: { channel: Channel } & BadgeProps) {
  const t = useT();
  const known = channel in CHANNEL_COLOR;
  return (
    <Badge
      variant="dot"
      color={known ? CHANNEL_COLOR[channel] : 'gray'}
      radius="sm"
      tt="none"
      fw={500}
      data-channel={channel}
      {...rest}
    >
      {known ? t(`channel.${channel}`) : channel}
    </Badge>
  );
}
