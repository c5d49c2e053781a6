'use client';

import { Group, Text, ThemeIcon } from '@mantine/core';
import { useT } from '@/lib/i18n';

/** The Okno mark: a window of four panes, and the name. */
export function Brand({ withTagline = false }: { withTagline?: boolean }) {
  const t = useT();
  return (
    <Group gap={10} wrap="nowrap">
      <ThemeIcon size={30} radius="md" variant="filled" aria-hidden>
        <svg width="18" height="18" viewBox="0 0 18 18" fill="none" stroke="currentColor" strokeWidth="1.8">
          <rect x="2" y="2" width="14" height="14" rx="2.5" />
          <path d="M9 2v14M2 9h14" />
        </svg>
      </ThemeIcon>
      <div>
        <Text fw={700} size="lg" lh={1.1}>
          {t('app.brand')}
        </Text>
        {withTagline && (
          <Text size="xs" c="dimmed" lh={1.2} visibleFrom="md">
            {t('app.tagline')}
          </Text>
        )}
      </div>
    </Group>
  );
}
