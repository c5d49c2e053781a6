'use client';

import { ActionIcon, Tooltip } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useState } from 'react';
import { ccApi } from '@/lib/ccApi';
import { useT } from '@/lib/i18n';
import { can } from '@/lib/nav';
import { problemMessage } from '@/lib/problems';
import { useAuth } from '@/stores/auth';

export function PhoneIcon({ size = 16 }: { size?: number }) {
  return (
    <svg width={size} height={size} viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round" aria-hidden>
      <path d="M22 16.92v3a2 2 0 0 1-2.18 2 19.8 19.8 0 0 1-8.63-3.07 19.5 19.5 0 0 1-6-6A19.8 19.8 0 0 1 2.12 4.18 2 2 0 0 1 4.11 2h3a2 2 0 0 1 2 1.72c.13.96.36 1.9.7 2.81a2 2 0 0 1-.45 2.11L8.09 9.91a16 16 0 0 0 6 6l1.27-1.27a2 2 0 0 1 2.11-.45c.9.34 1.85.57 2.81.7A2 2 0 0 1 22 16.92z" />
    </svg>
  );
}

/**
 * Click-to-call: the PBX rings my extension, then the contact. Shown to holders of calls.dial
 * only; the server's reason is shown when it cannot (no extension, no PBX able to dial).
 */
export function DialButton({ contactId, size = 'md' }: { contactId: string; size?: 'sm' | 'md' }) {
  const t = useT();
  const user = useAuth((s) => s.user);
  const [busy, setBusy] = useState(false);
  if (!can(user, 'calls.dial') || !contactId) return null;

  const dial = async () => {
    setBusy(true);
    try {
      await ccApi.dial(contactId);
      notifications.show({ color: 'teal', title: t('dial.placed'), message: t('dial.placedText') });
    } catch (err) {
      notifications.show({ color: 'red', title: t('dial.failed'), message: problemMessage(err) ?? t('common.failed'), autoClose: 10000 });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Tooltip label={t('dial.hint')} withArrow openDelay={300}>
      <ActionIcon
        variant="light"
        color="teal"
        size={size}
        loading={busy}
        onClick={() => void dial()}
        aria-label={t('dial.label')}
        data-testid="dial-button"
      >
        <PhoneIcon size={size === 'sm' ? 14 : 16} />
      </ActionIcon>
    </Tooltip>
  );
}
