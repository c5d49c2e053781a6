'use client';

import { ScrollArea, Stack, Text, Title } from '@mantine/core';
import { useT } from '@/lib/i18n';
import { can } from '@/lib/nav';
import { useAuth } from '@/stores/auth';
import { useInbox } from '@/stores/inbox';
import { PatientCard } from './PatientCard';

/** The right column: the patient card of the open request's contact (with mis.read). */
export function PatientCardPanel({ requestId }: { requestId: string | null }) {
  const t = useT();
  const user = useAuth((s) => s.user);
  const request = useInbox((s) => (requestId ? s.byId[requestId] : undefined));
  const misRead = can(user, 'mis.read');
  return (
    <ScrollArea h="100%" type="auto">
      <Stack p="sm" gap="sm">
        <Title order={5}>{t('patient.title')}</Title>
        {!misRead ? (
          <Text size="sm" c="dimmed">
            {t('patient.noMisAccess')}
          </Text>
        ) : request && user ? (
          <PatientCard key={request.id} request={request} user={user} />
        ) : (
          <Text size="sm" c="dimmed">
            {t('patient.noRequest')}
          </Text>
        )}
      </Stack>
    </ScrollArea>
  );
}
