'use client';

import { Alert } from '@mantine/core';
import { isApiError } from '@/lib/api';
import { useT } from '@/lib/i18n';
import { problemMessage } from '@/lib/problems';

/** A failed call, above a form or a table: the server's own words when it gave some. */
export function ProblemAlert({ error, fields = [], testId = 'problem' }: { error: unknown; fields?: string[]; testId?: string }) {
  const t = useT();
  if (!error) return null;
  const message = problemMessage(error, fields);
  // Every field problem is shown under its input.
  if (!message && isApiError(error) && (error.problem.errors?.length ?? 0) > 0) return null;
  const title = isApiError(error, 403) ? t('common.forbidden') : undefined;
  return (
    <Alert color="red" variant="light" title={title} role="alert" data-testid={testId}>
      {message ?? t('common.failed')}
    </Alert>
  );
}
