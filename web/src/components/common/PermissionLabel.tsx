'use client';

import { Text } from '@mantine/core';
import { useT } from '@/lib/i18n';
import { permissionLabel } from '@/lib/roles';

/** A permission's name, with its id in small type ("Просмотр заявок requests.read"). */
export function PermissionLabel({ perm, note }: { perm: string; note?: string }) {
  const t = useT();
  return (
    <>
      {permissionLabel(t, perm)}{' '}
      <Text span size="xs" c="dimmed" ff="monospace">
        {perm}
      </Text>
      {note && (
        <Text span size="xs" c="orange.8" ml={6}>
          · {note}
        </Text>
      )}
    </>
  );
}
