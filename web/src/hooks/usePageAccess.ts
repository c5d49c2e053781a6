'use client';

import { useRouter } from 'next/navigation';
import { useEffect } from 'react';
import { type PageAccess, redirectFor } from '@/lib/nav';
import type { User } from '@/lib/types';
import { useAuth } from '@/stores/auth';
import { useAuthGuard } from './useAuthGuard';

/**
 * The signed-in user when they may see this page, else null while the session is checked or
 * they are sent elsewhere: to /login/ when anonymous, to the 2FA setup while their role still
 * requires it, to their home page when they lack the page's permission.
 */
export function usePageAccess(access: PageAccess): User | null {
  const status = useAuthGuard();
  const user = useAuth((s) => s.user);
  const router = useRouter();
  const target = status === 'authenticated' && user ? redirectFor(user, access) : null;

  useEffect(() => {
    if (target) router.replace(target);
  }, [target, router]);

  return status === 'authenticated' && user && !target ? user : null;
}
