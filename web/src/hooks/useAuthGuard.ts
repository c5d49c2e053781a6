'use client';

import { useEffect } from 'react';
import { onUnauthorized } from '@/lib/api';
import { type AuthStatus, useAuth } from '@/stores/auth';

const RETRY_MS = 3000;

/**
 * Asks who is signed in, and sends the anonymous (or expired) to the login page with a full
 * page load, so nothing of the previous session stays in memory.
 */
export function useAuthGuard(): AuthStatus {
  const status = useAuth((s) => s.status);

  useEffect(() => onUnauthorized(() => useAuth.getState().expire()), []);

  useEffect(() => {
    if (status !== 'unknown') return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let cancelled = false;
    const ask = () => {
      useAuth
        .getState()
        .me()
        .catch(() => {
          // The server is unreachable: keep asking until it answers.
          if (!cancelled) timer = setTimeout(ask, RETRY_MS);
        });
    };
    ask();
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [status]);

  useEffect(() => {
    if (status === 'anonymous') window.location.replace('/login/');
  }, [status]);

  return status;
}
