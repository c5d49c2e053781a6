'use client';

import { AppShell } from '@mantine/core';
import { useAuthGuard } from '@/hooks/useAuthGuard';
import { useLiveInbox } from '@/hooks/useLiveInbox';
import { useSelectedId } from '@/hooks/useSelectedId';
import { InboxPanel } from '../inbox/InboxPanel';
import { PatientCardPanel } from '../patient/PatientCardPanel';
import { RequestDetail } from '../request/RequestDetail';
import { AppHeader } from './AppHeader';
import { FullPageLoader } from './FullPageLoader';

/** The single window: inbox, the open request, the patient card. */
export function WindowScreen() {
  const status = useAuthGuard();
  const [selectedId, open] = useSelectedId();
  useLiveInbox(status === 'authenticated', open);

  if (status !== 'authenticated') return <FullPageLoader />;

  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: { base: 320, lg: 380 }, breakpoint: 'sm' }}
      aside={{ width: { md: 280, lg: 340 }, breakpoint: 'md', collapsed: { mobile: true } }}
      padding={0}
    >
      <AppShell.Header>
        <AppHeader />
      </AppShell.Header>
      <AppShell.Navbar>
        <InboxPanel selectedId={selectedId} onOpen={open} />
      </AppShell.Navbar>
      <AppShell.Main bg="gray.0">
        <RequestDetail id={selectedId} />
      </AppShell.Main>
      <AppShell.Aside>
        <PatientCardPanel />
      </AppShell.Aside>
    </AppShell>
  );
}
