'use client';

import { Box } from '@mantine/core';
import { ContactCardView } from './ContactCardView';

/** The window's middle column for a person without a chosen request (/?contact=…): a call, a task. */
export function ContactPane({ contactId }: { contactId: string }) {
  return (
    <Box p="lg" maw={880} data-testid="contact-pane">
      <ContactCardView key={contactId} contactId={contactId} />
    </Box>
  );
}
