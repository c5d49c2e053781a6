'use client';

import { Alert, Button, Code, Group, Modal, Stack, Text, TextInput } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { useLang, useT } from '@/lib/i18n';
import { confirmWordMatches, FORGET_WORD } from '@/lib/subjects';
import { ProblemAlert } from '../common/ProblemAlert';

/**
 * Asks before forgetting a person: says what is erased and that it cannot be undone, and
 * opens the button only once the word shown is typed. `onConfirm` runs the call; the dialog
 * closes when it succeeds and shows the server's problem when it fails.
 */
export function AnonymizeDialog({
  opened,
  onConfirm,
  onClose,
}: {
  opened: boolean;
  onConfirm: () => Promise<void>;
  onClose: () => void;
}) {
  const t = useT();
  const lang = useLang((s) => s.lang);
  const word = FORGET_WORD[lang];
  const [typed, setTyped] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const ok = confirmWordMatches(typed, word);

  const close = () => {
    if (busy) return;
    setTyped('');
    setError(null);
    onClose();
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!ok || busy) return;
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
      setBusy(false);
      setTyped('');
      onClose();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <Modal opened={opened} onClose={close} title={<Text fw={600}>{t('subjects.anonymizeTitle')}</Text>} centered size="md">
      <form onSubmit={submit} noValidate data-testid="subjects-anonymize-dialog">
        <Stack gap="md">
          <Alert color="red" variant="light" role="note">
            <Text size="sm">{t('subjects.anonymizeWarning')}</Text>
          </Alert>
          <TextInput
            label={
              <>
                {t('subjects.anonymizeType')}{' '}
                <Code fz="sm" fw={700} c="red.8">
                  {word}
                </Code>
              </>
            }
            autoComplete="off"
            spellCheck={false}
            value={typed}
            onChange={(e) => setTyped(e.currentTarget.value)}
            disabled={busy}
            data-autofocus
            data-testid="subjects-anonymize-confirm-input"
          />
          <ProblemAlert error={error} />
          <Group justify="flex-end" gap="sm">
            <Button variant="default" onClick={close} disabled={busy}>
              {t('common.cancel')}
            </Button>
            <Button type="submit" color="red" disabled={!ok} loading={busy} data-testid="subjects-anonymize-confirm">
              {t('subjects.anonymize')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
