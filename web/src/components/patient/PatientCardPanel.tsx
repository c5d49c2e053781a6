'use client';

import { Paper, Stack, Text, Title } from '@mantine/core';
import { useT } from '@/lib/i18n';

/** The right column; MIS data (record, appointments, booking) comes here later. */
export function PatientCardPanel() {
  const t = useT();
  return (
    <Stack p="sm" gap="sm">
      <Title order={5}>{t('patient.title')}</Title>
      <Paper p="lg" radius="md" bg="gray.0" style={{ border: '1px dashed var(--mantine-color-gray-4)' }}>
        <Text size="sm" c="dimmed" ta="center">
          {t('patient.placeholder')}
        </Text>
      </Paper>
    </Stack>
  );
}
