'use client';

import { Alert, Box, Button, Center, Code, CopyButton, Group, Loader, Stack, Text, TextInput } from '@mantine/core';
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { api, isApiError } from '@/lib/api';
import { useT } from '@/lib/i18n';
import { normalizeTotp } from '@/lib/loginFlow';
import { problemMessage } from '@/lib/problems';
import type { TotpSetup } from '@/lib/types';
import { RecoveryCodes } from './RecoveryCodes';

const QR_SIZE = 200;

/** The otpauth:// address as a PNG data: URL (the CSP allows data: images, nothing inline runs). */
async function qrDataUrl(text: string): Promise<string> {
  const { toDataURL } = await import('qrcode');
  return toDataURL(text, { errorCorrectionLevel: 'M', margin: 1, width: QR_SIZE * 2, color: { dark: '#1a1b1e', light: '#ffffff' } });
}

/**
 * Sets up TOTP: asks the server for a secret, shows it as a QR code and as text, checks the
 * first code, then shows the recovery codes once. `onDone` runs when the user has put the
 * codes away (the caller reloads `me`).
 */
export function TotpEnrollment({ onDone, doneLabel }: { onDone: () => void | Promise<void>; doneLabel?: string }) {
  const t = useT();
  const [setup, setSetup] = useState<TotpSetup | null>(null);
  const [qr, setQr] = useState<string | null>(null);
  const [setupError, setSetupError] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);
  const [code, setCode] = useState('');
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [codeError, setCodeError] = useState<string | null>(null);
  const [recoveryCodes, setRecoveryCodes] = useState<string[] | null>(null);
  const started = useRef(-1);

  // One setup per attempt (a POST: React's development double effects must not send two).
  useEffect(() => {
    if (started.current === attempt) return;
    started.current = attempt;
    let cancelled = false;
    setSetupError(null);
    api
      .totpSetup()
      .then(async (s) => {
        if (cancelled) return;
        setSetup(s);
        try {
          const url = await qrDataUrl(s.otpauth_url);
          if (!cancelled) setQr(url);
        } catch {
          // The key is shown as text too; the QR code is a convenience.
        }
      })
      .catch((err) => !cancelled && setSetupError(err));
    return () => {
      cancelled = true;
    };
  }, [attempt]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (code.length !== 6 || busy) return;
    setBusy(true);
    setCodeError(null);
    try {
      const res = await api.totpEnable(code);
      setRecoveryCodes(res.recovery_codes ?? []);
    } catch (err) {
      setCode('');
      setTouched(false);
      const wrongCode = isApiError(err, 401) || isApiError(err, 422) || isApiError(err, 400);
      setCodeError(wrongCode ? t('enroll.codeInvalid') : (problemMessage(err) ?? t('common.failed')));
    } finally {
      setBusy(false);
    }
  };

  if (recoveryCodes) {
    return <RecoveryCodes codes={recoveryCodes} onDone={onDone} doneLabel={doneLabel} />;
  }

  if (setupError) {
    return (
      <Alert color="red" variant="light" title={t('enroll.setupFailed')} role="alert" data-testid="enroll-error">
        <Stack gap="xs" align="flex-start">
          <Text size="sm">{problemMessage(setupError) ?? t('common.failed')}</Text>
          <Button size="compact-xs" variant="light" color="red" onClick={() => setAttempt((n) => n + 1)}>
            {t('common.retry')}
          </Button>
        </Stack>
      </Alert>
    );
  }

  if (!setup) {
    return (
      <Center py="xl">
        <Loader size="sm" />
      </Center>
    );
  }

  return (
    <form onSubmit={submit} noValidate data-testid="enroll-form">
      <Stack gap="md">
        <Text size="sm">{t('enroll.step1')}</Text>
        <Group align="center" gap="lg" wrap="wrap">
          <Box
            w={QR_SIZE + 16}
            h={QR_SIZE + 16}
            p={8}
            bg="white"
            style={{ border: '1px solid var(--mantine-color-gray-3)', borderRadius: 'var(--mantine-radius-md)', flex: 'none' }}
          >
            {qr ? (
              // A data: URL, not a static asset: next/image has nothing to optimise here.
              <img src={qr} width={QR_SIZE} height={QR_SIZE} alt={t('enroll.qrAlt')} data-testid="enroll-qr" style={{ display: 'block' }} />
            ) : (
              <Center h={QR_SIZE}>
                <Loader size="sm" />
              </Center>
            )}
          </Box>
          <Stack gap={6} style={{ flex: 1, minWidth: 200 }}>
            <Text size="sm" c="dimmed">
              {t('enroll.manual')}
            </Text>
            <Code
              block
              data-testid="enroll-secret"
              style={{ fontSize: 15, letterSpacing: '0.08em', wordBreak: 'break-all', whiteSpace: 'pre-wrap' }}
            >
              {setup.secret}
            </Code>
            <CopyButton value={setup.secret}>
              {({ copied, copy }) => (
                <Button size="compact-xs" variant="subtle" onClick={copy} style={{ alignSelf: 'flex-start' }}>
                  {copied ? t('common.copied') : t('common.copy')}
                </Button>
              )}
            </CopyButton>
          </Stack>
        </Group>
        <Text size="sm">{t('enroll.step2')}</Text>
        {codeError && (
          <Alert color="red" variant="light" role="alert" data-testid="enroll-code-error">
            {codeError}
          </Alert>
        )}
        <Group align="flex-start" gap="sm" wrap="nowrap">
          <TextInput
            aria-label={t('enroll.code')}
            placeholder="000000"
            name="totp"
            autoComplete="one-time-code"
            inputMode="numeric"
            maxLength={6}
            value={code}
            onChange={(e) => setCode(normalizeTotp(e.currentTarget.value))}
            error={touched && code.length !== 6 ? t('login.codeRequired') : undefined}
            w={170}
            styles={{ input: { fontSize: 20, letterSpacing: '0.35em', textAlign: 'center', fontVariantNumeric: 'tabular-nums' } }}
            data-testid="enroll-code"
          />
          <Button type="submit" loading={busy} data-testid="enroll-submit">
            {t('enroll.submit')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
