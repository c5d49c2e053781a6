'use client';

import { Group, Paper, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';

/** A titled card of a page: title, one line of explanation, actions on the right. */
export function Section({
  title,
  hint,
  actions,
  children,
  testId,
}: {
  title: ReactNode;
  hint?: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
  testId?: string;
}) {
  return (
    <Paper withBorder p="md" radius="md" data-testid={testId}>
      <Group justify="space-between" align="flex-start" mb="sm" wrap="nowrap" gap="md">
        <div style={{ minWidth: 0 }}>
          <Title order={5}>{title}</Title>
          {hint && (
            <Text size="xs" c="dimmed" mt={2}>
              {hint}
            </Text>
          )}
        </div>
        {actions}
      </Group>
      {children}
    </Paper>
  );
}
