'use client';

import { useSearchParams } from 'next/navigation';
import { useCallback, useEffect } from 'react';
import { inboxStore } from '@/stores/inbox';

export function requestHref(id: string): string {
  return `/?id=${encodeURIComponent(id)}`;
}

/** The window with a contact's card in the middle (no request chosen): from a call, a task. */
export function contactHref(id: string): string {
  return `/?contact=${encodeURIComponent(id)}`;
}

/** The contact named in the address (/?contact=…), or null. Inside <Suspense>. */
export function useSelectedContact(): string | null {
  return useSearchParams().get('contact') || null;
}

/**
 * The open request lives in the address (/?id=…), so it survives a reload and can be shared.
 * Opening one is a history push that Next's router observes: no page load, no fetch.
 * Must be used inside <Suspense> (static export).
 */
export function useSelectedId(): [string | null, (id: string | null) => void] {
  const id = useSearchParams().get('id') || null;

  useEffect(() => inboxStore.getState().select(id), [id]);

  const open = useCallback((next: string | null) => {
    window.history.pushState(null, '', next ? requestHref(next) : '/');
  }, []);

  return [id, open];
}
