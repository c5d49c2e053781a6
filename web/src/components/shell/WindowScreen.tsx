'use client';

import { AppShell } from '@mantine/core';
import { useLiveInbox } from '@/hooks/useLiveInbox';
import { usePageAccess } from '@/hooks/usePageAccess';
import { useSelectedId } from '@/hooks/useSelectedId';
import { InboxPanel } from '../inbox/InboxPanel';
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
  useLiveInbox(user !== null, open);

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
        <InboxPanel selectedId={selectedId} onOpen={open} />
      </AppShell.Navbar>
      <AppShell.Main bg="gray.0">
        <RequestDetail id={selectedId} />
      </AppShell.Main>
      <AppShell.Aside>
        <PatientCardPanel requestId={selectedId} />
      </AppShell.Aside>
    </AppShell>
  );
}
