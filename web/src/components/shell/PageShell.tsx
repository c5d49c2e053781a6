'use client';

import { AppShell, Container } from '@mantine/core';
import type { ReactNode } from 'react';
import { usePageAccess } from '@/hooks/usePageAccess';
import type { PageAccess } from '@/lib/nav';
import type { User } from '@/lib/types';
import { AppHeader } from './AppHeader';
import { FullPageLoader } from './FullPageLoader';

/**
 * A page with the header and one scrolling column, shown once the visitor may see it.
 * `children` gets the signed-in user.
 */
export function PageShell({
  access,
  size = 'xl',
  children,
}: {
  access: PageAccess;
  size?: 'md' | 'lg' | 'xl' | '100%';
  children: (user: User) => ReactNode;
}) {
  const user = usePageAccess(access);
  if (!user) return <FullPageLoader />;
  return (
    <AppShell header={{ height: 56 }} padding={0}>
      <AppShell.Header>
        <AppHeader />
      </AppShell.Header>
      <AppShell.Main bg="gray.0">
        <Container size={size === '100%' ? undefined : size} fluid={size === '100%'} px="lg" py="lg">
          {children(user)}
        </Container>
      </AppShell.Main>
    </AppShell>
  );
}
