'use client';

import { useEffect } from 'react';
import { useLang } from '@/lib/i18n';

/** Applies the saved language once the page has hydrated in the default one. */
export function LangSync() {
  useEffect(() => useLang.getState().restore(), []);
  return null;
}
