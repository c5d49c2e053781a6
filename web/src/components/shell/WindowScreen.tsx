'use client';

import { AppShell } from '@mantine/core';
import { useLiveInbox } from '@/hooks/useLiveInbox';
import { usePageAccess } from '@/hooks/usePageAccess';
import { contactHref, useSelectedContact, useSelectedId } from '@/hooks/useSelectedId';
import { ContactPane } from '../contact/ContactPane';
import { InboxPanel } from '../inbox/InboxPanel';
import type { Target } from '../inbox/WorkItems';
import { PatientCardPanel } from '../patient/PatientCardPanel';
import { RequestDetail } from '../request/RequestDetail';
import { AppHeader } from './AppHeader';
import { FullPageLoader } from './FullPageLoader';

const ACCESS = { permission: 'requests.read' };

/**
 * The single window: inbox, the open request, the patient card. Those without requests.read
 * (the security officer) are sent to their own home page before anything is loaded.
 */
export function WindowScreen() {
  const user = usePageAccess(ACCESS);
  const [selectedId, open] = useSelectedId();
  const selectedContact = useSelectedContact();
  useLiveInbox(user !== null, open);

  // A call or a task opens its request, else its person.
  const openTarget = (t: Target) => {
    if (t.request) open(t.request);
    else if (t.contact) window.history.pushState(null, '', contactHref(t.contact));
  };

  if (!user) return <FullPageLoader />;

  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: { base: 320, lg: 380 }, breakpoint: 'sm' }}
      aside={{ width: { md: 280, lg: 340 }, breakpoint: 'md', collapsed: { mobile: true } }}
      padding={0}
    >
      <AppShell.Header>
        <AppHeader live />
      </AppShell.Header>
      <AppShell.Navbar>
        <InboxPanel selectedId={selectedId} selectedContact={selectedContact} onOpen={open} onOpenTarget={openTarget} />
      </AppShell.Navbar>
      <AppShell.Main bg="gray.0">
        {!selectedId && selectedContact ? <ContactPane contactId={selectedContact} /> : <RequestDetail id={selectedId} />}
      </AppShell.Main>
      <AppShell.Aside>
        <PatientCardPanel requestId={selectedId} />
      </AppShell.Aside>
    </AppShell>
  );
}
