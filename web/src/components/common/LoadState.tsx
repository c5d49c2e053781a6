'use client';

import { Alert, Button, Center, Loader, Text } from '@mantine/core';
import { useT } from '@/lib/i18n';
import { problemMessage } from '@/lib/problems';

/** What stands in for a table before its data: a spinner, or the error with a retry. */
export function LoadState({ loading, error, onRetry }: { loading: boolean; error: unknown; onRetry: () => void }) {
  const t = useT();
  if (error) {
    return (
      <Alert color="red" variant="light" title={t('common.loadError')} role="alert" data-testid="load-error">
        {problemMessage(error) && (
          <Text size="sm" mb={6}>
            {problemMessage(error)}
          </Text>
        )}
        <Button size="compact-xs" variant="light" color="red" onClick={onRetry}>
          {t('common.retry')}
        </Button>
      </Alert>
    );
  }
  if (loading) {
    return (
      <Center py="lg">
        <Loader size="sm" />
      </Center>
    );
  }
  return null;
}
