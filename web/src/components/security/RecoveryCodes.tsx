'use client';

import { Alert, Button, Checkbox, CopyButton, Group, Paper, SimpleGrid, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import { useT } from '@/lib/i18n';

/** The recovery codes, shown once: copy them, confirm they are saved, continue. */
export function RecoveryCodes({ codes, onDone, doneLabel }: { codes: string[]; onDone: () => void | Promise<void>; doneLabel?: string }) {
  const t = useT();
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);

  const done = async () => {
    setBusy(true);
    try {
      await onDone();
    } finally {
      setBusy(false);
    }
  };

  return (
    <Stack gap="md" data-testid="recovery-step">
      <Alert color="teal" variant="light" title={t('enroll.enabled')} data-testid="enroll-enabled">
        {t('enroll.codesHint')}
      </Alert>
      <div>
        <Text size="sm" fw={600} mb={6}>
          {t('enroll.codesTitle')}
        </Text>
        <Paper withBorder p="sm" bg="gray.0">
          <SimpleGrid cols={2} spacing="xs" verticalSpacing={4} data-testid="recovery-codes">
            {codes.map((c) => (
              <Text key={c} ff="monospace" size="sm" ta="center" data-testid="recovery-code">
                {c}
              </Text>
            ))}
          </SimpleGrid>
        </Paper>
      </div>
      <Group justify="space-between" wrap="wrap" gap="sm">
        <CopyButton value={codes.join('\n')}>
          {({ copied, copy }) => (
            <Button size="xs" variant="light" onClick={copy} data-testid="recovery-copy">
              {copied ? t('common.copied') : t('enroll.copyCodes')}
            </Button>
          )}
        </CopyButton>
      </Group>
      <Checkbox
        label={t('enroll.saved')}
        checked={saved}
        onChange={(e) => setSaved(e.currentTarget.checked)}
        data-testid="recovery-saved"
      />
      <Button onClick={done} disabled={!saved} loading={busy} data-testid="enroll-done">
        {doneLabel ?? t('enroll.continue')}
      </Button>
    </Stack>
  );
}
