'use client';

import { Button, Group, Menu, Text, UnstyledButton } from '@mantine/core';
import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { useState } from 'react';
import { useT } from '@/lib/i18n';
import { activeNav, can, navLinks, ROUTES } from '@/lib/nav';
import { useAuth } from '@/stores/auth';
import { Brand } from './Brand';
import { ConnStatus } from './ConnStatus';
import { LangSwitch } from './LangSwitch';
import { PresenceSwitch } from './PresenceSwitch';

export async function signOut() {
  try {
    await useAuth.getState().logout();
  } catch {
    // The session is dropped locally either way.
  }
  // A full load: nothing of this session stays in memory.
  window.location.replace(ROUTES.login);
}

function Chevron() {
  return (
    <svg width="12" height="12" viewBox="0 0 12 12" fill="none" stroke="currentColor" strokeWidth="1.6" aria-hidden>
      <path d="M3 4.5 6 7.5 9 4.5" />
    </svg>
  );
}

/** The top bar: the sections this user may open, the language, and the user menu. */
export function AppHeader({ live = false }: { live?: boolean }) {
  const t = useT();
  const user = useAuth((s) => s.user);
  const pathname = usePathname() ?? '/';
  const active = activeNav(pathname);
  const links = navLinks(user);
  const [leaving, setLeaving] = useState(false);
  // The shell keeps one socket open on every page for those who read requests.
  const connected = live || (can(user, 'requests.read') && !user?.enrollment_required);

  const logout = () => {
    setLeaving(true);
    void signOut();
  };

  return (
    <Group h="100%" px="md" justify="space-between" wrap="nowrap" gap="md">
      <Group gap="lg" wrap="nowrap" style={{ minWidth: 0 }}>
        <Brand withTagline={links.length <= 1} />
        {connected && <ConnStatus />}
        {links.length > 0 && (
          <Group component="nav" aria-label={t('nav.sections')} gap={4} wrap="nowrap">
            {links.map((l) => {
              const on = l.key === active;
              return (
                <Button
                  key={l.key}
                  component={Link}
                  href={l.href}
                  size="compact-sm"
                  variant={on ? 'light' : 'subtle'}
                  color={on ? 'teal' : 'gray'}
                  fw={on ? 600 : 500}
                  aria-current={on ? 'page' : undefined}
                  data-testid={l.testId}
                >
                  {t(l.label)}
                </Button>
              );
            })}
          </Group>
        )}
      </Group>
      <Group gap="md" wrap="nowrap">
        {connected && <PresenceSwitch />}
        <LangSwitch />
        {user ? (
          <Menu position="bottom-end" width={220} shadow="md" withinPortal>
            <Menu.Target>
              <UnstyledButton aria-label={t('header.userMenu')} data-testid="user-menu">
                <Group gap={6} wrap="nowrap">
                  <div style={{ minWidth: 0, textAlign: 'right' }}>
                    <Text size="sm" fw={500} truncate maw={220} lh={1.2} data-testid="user-name">
                      {user.name || user.login}
                    </Text>
                  </div>
                  <Chevron />
                </Group>
              </UnstyledButton>
            </Menu.Target>
            <Menu.Dropdown>
              <Menu.Label>
                {user.login} · {user.role}
              </Menu.Label>
              {!user.enrollment_required && (
                <Menu.Item component={Link} href={ROUTES.profile} data-testid="nav-profile">
                  {t('nav.profile')}
                </Menu.Item>
              )}
              <Menu.Divider />
              <Menu.Item color="red" onClick={logout} disabled={leaving} data-testid="logout">
                {t('header.logout')}
              </Menu.Item>
            </Menu.Dropdown>
          </Menu>
        ) : (
          <Button variant="default" size="xs" onClick={logout} loading={leaving} data-testid="logout">
            {t('header.logout')}
          </Button>
        )}
      </Group>
    </Group>
  );
}
