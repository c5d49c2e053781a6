'use client';

import { Alert, Anchor, Button, Group, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { type FormEvent, useEffect, useReducer, useState } from 'react';
import { type Translate, useT } from '@/lib/i18n';
import {
  initialLoginFlow,
  loginReducer,
  normalizeRecovery,
  normalizeTotp,
  onSecondStep,
  outcomeOf,
  secondsLeft,
  splitWait,
  type LoginError,
} from '@/lib/loginFlow';
import type { LoginCredentials } from '@/lib/types';
import { useAuth } from '@/stores/auth';

const ERROR_KEY = {
  invalid: 'login.invalid',
  code_invalid: 'login.codeInvalid',
  failed: 'login.failed',
} as const satisfies Record<LoginError, string>;

function waitText(t: Translate, seconds: number): string {
  const { min, sec } = splitWait(seconds);
  const wait = min > 0 ? t('login.waitMin', { min, sec: String(sec).padStart(2, '0') }) : t('login.waitSec', { sec });
  return t('login.throttledWait', { wait });
}

/**
 * The password, then (when the server asks) the TOTP or a recovery code. On success the auth
 * store turns authenticated; the login screen then moves on.
 */
export function LoginForm() {
  const t = useT();
  const [flow, dispatch] = useReducer(loginReducer, initialLoginFlow);
  const [login, setLogin] = useState('');
  const [password, setPassword] = useState('');
  const [totp, setTotp] = useState('');
  const [recovery, setRecovery] = useState('');
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [now, setNow] = useState(() => Date.now());

  const locked = flow.step === 'locked';
  const secondStep = onSecondStep(flow);
  const left = secondsLeft(flow, now);

  // While locked: a countdown, and the form opens again when it reaches zero.
  useEffect(() => {
    if (!locked) return;
    const tick = () => {
      const at = Date.now();
      setNow(at);
      if (flow.lockedUntil !== null && at >= flow.lockedUntil) dispatch({ type: 'unlock' });
    };
    tick();
    const timer = setInterval(tick, 1000);
    return () => clearInterval(timer);
  }, [locked, flow.lockedUntil]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (locked || busy || flow.step === 'done') return;
    setTouched(true);
    const creds: LoginCredentials = { login: login.trim(), password };
    if (!creds.login || !password) return;
    if (secondStep) {
      if (flow.factor === 'totp') {
        if (totp.length !== 6) return;
        creds.totp_code = totp;
      } else {
        const code = normalizeRecovery(recovery);
        if (!code) return;
        creds.recovery_code = code;
      }
    }
    setBusy(true);
    try {
      await useAuth.getState().login(creds);
      // Stays busy: the login screen moves on.
      dispatch({ type: 'answer', outcome: { kind: 'ok' }, now: Date.now() });
    } catch (err) {
      const outcome = outcomeOf(err);
      dispatch({ type: 'answer', outcome, now: Date.now() });
      setTouched(false);
      if (outcome.kind === 'unauthorized' && !secondStep) setPassword('');
      if (secondStep) {
        setTotp('');
        setRecovery('');
      }
      setBusy(false);
    }
  };

  const restart = () => {
    dispatch({ type: 'restart' });
    setPassword('');
    setTotp('');
    setRecovery('');
    setTouched(false);
  };

  const errorAlert = (locked || flow.error) && (
    <Alert color={locked ? 'orange' : 'red'} variant="light" data-testid="login-error" data-locked={locked || undefined} role="alert">
      {locked ? waitText(t, left) : t(ERROR_KEY[flow.error!])}
    </Alert>
  );

  if (secondStep) {
    const byTotp = flow.factor === 'totp';
    return (
      <form onSubmit={submit} noValidate data-testid="login-form" data-step="second_factor">
        <Stack gap="md">
          <div>
            <Title order={4}>{t('login.secondFactorTitle')}</Title>
            <Text size="sm" c="dimmed" mt={4}>
              {byTotp ? t('login.totpHint') : t('login.recoveryHint')}
            </Text>
          </div>
          {errorAlert}
          {byTotp ? (
            <TextInput
              key="totp"
              label={t('login.totp')}
              name="totp"
              autoComplete="one-time-code"
              inputMode="numeric"
              maxLength={6}
              autoFocus
              value={totp}
              onChange={(e) => setTotp(normalizeTotp(e.currentTarget.value))}
              error={touched && totp.length !== 6 ? t('login.codeRequired') : undefined}
              styles={{ input: { fontSize: 22, letterSpacing: '0.4em', textAlign: 'center', fontVariantNumeric: 'tabular-nums' } }}
              data-testid="totp-input"
            />
          ) : (
            <TextInput
              key="recovery"
              label={t('login.recovery')}
              name="recovery"
              autoComplete="off"
              autoCapitalize="off"
              spellCheck={false}
              autoFocus
              value={recovery}
              onChange={(e) => setRecovery(e.currentTarget.value)}
              error={touched && !normalizeRecovery(recovery) ? t('login.required') : undefined}
              styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
              data-testid="recovery-input"
            />
          )}
          <Button type="submit" loading={busy} disabled={locked} fullWidth data-testid="login-submit">
            {t('login.confirm')}
          </Button>
          <Group justify="space-between" gap="xs">
            <Anchor
              component="button"
              type="button"
              size="sm"
              onClick={() => dispatch({ type: 'use_factor', factor: byTotp ? 'recovery' : 'totp' })}
              data-testid={byTotp ? 'use-recovery' : 'use-totp'}
            >
              {byTotp ? t('login.useRecovery') : t('login.useTotp')}
            </Anchor>
            <Anchor component="button" type="button" size="sm" c="dimmed" onClick={restart} data-testid="login-back">
              {t('login.back')}
            </Anchor>
          </Group>
        </Stack>
      </form>
    );
  }

  return (
    <form onSubmit={submit} noValidate data-testid="login-form" data-step="password">
      <Stack gap="md">
        <Title order={4}>{t('login.title')}</Title>
        {errorAlert}
        <TextInput
          label={t('login.login')}
          name="username"
          autoComplete="username"
          autoFocus
          value={login}
          onChange={(e) => setLogin(e.currentTarget.value)}
          error={touched && !login.trim() ? t('login.required') : undefined}
          data-testid="login-input"
        />
        <PasswordInput
          label={t('login.password')}
          name="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.currentTarget.value)}
          error={touched && !password ? t('login.required') : undefined}
          data-testid="password-input"
        />
        <Button type="submit" loading={busy} disabled={locked} fullWidth data-testid="login-submit">
          {t('login.submit')}
        </Button>
      </Stack>
    </form>
  );
}
