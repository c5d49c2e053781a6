'use client';

import { Alert, Button, PasswordInput, Stack, TextInput, Title } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { isApiError } from '@/lib/api';
import { type MessageKey, useT } from '@/lib/i18n';
import { useAuth } from '@/stores/auth';

function errorKey(err: unknown): MessageKey {
  if (isApiError(err, 401)) return 'login.invalid';
  if (isApiError(err, 429)) return 'login.throttled';
  return 'login.failed';
}

/** On success the auth store turns authenticated; the login screen then moves on. */
export function LoginForm() {
  const t = useT();
  const [login, setLogin] = useState('');
  const [password, setPassword] = useState('');
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<MessageKey | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (!login.trim() || !password) return;
    setBusy(true);
    setError(null);
    try {
      await useAuth.getState().login(login.trim(), password);
    } catch (err) {
      setError(errorKey(err));
      setPassword('');
      setBusy(false);
    }
  };

  return (
    <form onSubmit={submit} noValidate data-testid="login-form">
      <Stack gap="md">
        <Title order={4}>{t('login.title')}</Title>
        {error && (
          <Alert color="red" variant="light" data-testid="login-error" role="alert">
            {t(error)}
          </Alert>
        )}
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
          error={touched && !password && !error ? t('login.required') : undefined}
          data-testid="password-input"
        />
        <Button type="submit" loading={busy} fullWidth data-testid="login-submit">
          {t('login.submit')}
        </Button>
      </Stack>
    </form>
  );
}
