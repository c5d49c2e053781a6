'use client';

import { Button, Group, Text } from '@mantine/core';
import { useState } from 'react';
import { useT } from '@/lib/i18n';
import { useAuth } from '@/stores/auth';
import { Brand } from './Brand';
import { ConnStatus } from './ConnStatus';
import { LangSwitch } from './LangSwitch';

export function AppHeader() {
  const t = useT();
  const user = useAuth((s) => s.user);
  const [leaving, setLeaving] = useState(false);

  const logout = async () => {
    setLeaving(true);
    try {
      await useAuth.getState().logout();
    } catch {
      // The session is dropped locally either way.
    }
    // A full load: nothing of this session stays in memory.
    window.location.replace('/login/');
  };

  return (
    <Group h="100%" px="md" justify="space-between" wrap="nowrap">
      <Group gap="lg" wrap="nowrap">
        <Brand withTagline />
        <ConnStatus />
      </Group>
      <Group gap="md" wrap="nowrap">
        <LangSwitch />
        {user && (
          <Text size="sm" fw={500} truncate maw={240} data-testid="user-name">
            {user.name || user.login}
          </Text>
        )}
        <Button variant="default" size="xs" onClick={logout} loading={leaving}>
          {t('header.logout')}
        </Button>
      </Group>
    </Group>
  );
}
