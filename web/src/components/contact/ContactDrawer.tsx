'use client';

import { Drawer } from '@mantine/core';
import { useT } from '@/lib/i18n';
import { ContactCardView } from './ContactCardView';

/** The contact's card and history beside a request. */
export function ContactDrawer({ contactId, opened, onClose, onOpenRequest }: { contactId: string; opened: boolean; onClose: () => void; onOpenRequest: (id: string) => void }) {
  const t = useT();
  return (
    <Drawer opened={opened} onClose={onClose} position="right" size="md" title={t('card.title')} data-testid="contact-drawer">
      {opened && (
        <ContactCardView
          key={contactId}
          contactId={contactId}
          onOpenRequest={(id) => {
            onClose();
            onOpenRequest(id);
          }}
        />
      )}
    </Drawer>
  );
}
