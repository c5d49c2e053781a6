'use client';

import { Alert, Badge, Button, Group, Stack, TextInput } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { type FormEvent, useState } from 'react';
import { api, isApiError } from '@/lib/api';
import { useT } from '@/lib/i18n';
import { normalizeTotp } from '@/lib/loginFlow';
import { fieldErrors } from '@/lib/problems';
import { hasTotp, type User } from '@/lib/types';
import { useAuth } from '@/stores/auth';
import { ProblemAlert } from '../common/ProblemAlert';
import { Section } from '../common/Section';
import { TotpEnrollment } from '../security/TotpEnrollment';

/** 2FA status, its setup, and turning it off with a current code (refused for roles that require it). */
export function TwoFactorCard({ user }: { user: User }) {
  const t = useT();
  const on = hasTotp(user);
  const [enrolling, setEnrolling] = useState(false);
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  // The server names the code field when the code is wrong (422), or may answer 401.
  const wrongCode = !!fieldErrors(error).code || isApiError(error, 401);

  const disable = async (e: FormEvent) => {
    e.preventDefault();
    if (code.length !== 6) return;
    setBusy(true);
    setError(null);
    try {
      await api.totpDisable(code);
      setCode('');
      notifications.show({ color: 'teal', message: t('profile.2faDisabled') });
      await useAuth.getState().me();
    } catch (err) {
      setError(err);
      setCode('');
    } finally {
      setBusy(false);
    }
  };

  const badge = (
    <Badge color={on ? 'teal' : 'gray'} variant="light" radius="sm" tt="none" data-testid="totp-status" data-enabled={on}>
      {on ? t('profile.2faOn') : t('profile.2faOff')}
    </Badge>
  );

  return (
    <Section title={t('profile.2fa')} hint={on ? t('profile.2faOnHint') : t('profile.2faOffHint')} actions={badge} testId="twofactor-card">
      {enrolling ? (
        <TotpEnrollment
          doneLabel={t('common.close')}
          onDone={async () => {
            await useAuth.getState().me();
            setEnrolling(false);
          }}
        />
      ) : on ? (
        <form onSubmit={disable} noValidate>
          <Stack gap="sm">
            {wrongCode ? (
              <Alert color="red" variant="light" role="alert" data-testid="totp-disable-error">
                {t('enroll.codeInvalid')}
              </Alert>
            ) : (
              <ProblemAlert error={error} testId="totp-disable-error" />
            )}
            <Group gap="sm" align="flex-end">
              <TextInput
                label={t('profile.2faDisableCode')}
                placeholder="000000"
                inputMode="numeric"
                autoComplete="one-time-code"
                maxLength={6}
                size="xs"
                w={150}
                value={code}
                onChange={(e) => setCode(normalizeTotp(e.currentTarget.value))}
                data-testid="totp-disable-code"
              />
              <Button type="submit" size="xs" color="red" variant="light" loading={busy} disabled={code.length !== 6} data-testid="totp-disable">
                {t('profile.2faDisable')}
              </Button>
            </Group>
          </Stack>
        </form>
      ) : (
        <Button size="xs" onClick={() => setEnrolling(true)} data-testid="totp-enroll">
          {t('profile.2faEnable')}
        </Button>
      )}
    </Section>
  );
}
