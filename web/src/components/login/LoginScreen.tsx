'use client';

import { Box, Center, Group, Paper, Stack, Text } from '@mantine/core';
import { useRouter } from 'next/navigation';
import { useEffect } from 'react';
import { useT } from '@/lib/i18n';
import { homePath } from '@/lib/nav';
import { useAuth } from '@/stores/auth';
import { Brand } from '../shell/Brand';
import { LangSwitch } from '../shell/LangSwitch';
import { LoginForm } from './LoginForm';

export function LoginScreen() {
  const t = useT();
  const router = useRouter();
  const status = useAuth((s) => s.status);
  const user = useAuth((s) => s.user);

  // Someone already signed in (or just signed in) goes to their first page: the window, the
  // audit log for the security officer, or the 2FA setup their role still requires.
  useEffect(() => {
    if (status === 'unknown') useAuth.getState().me().catch(() => undefined);
  }, [status]);
  useEffect(() => {
    if (status === 'authenticated' && user) router.replace(homePath(user));
  }, [status, user, router]);

  return (
    <Box mih="100vh" style={{ display: 'flex', flexDirection: 'column' }}>
      <Group justify="flex-end" p="md">
        <LangSwitch />
      </Group>
      <Center style={{ flex: 1 }} px="md" pb={80}>
        <Stack w="100%" maw={380} gap="lg">
          <Stack gap={4} align="center">
            <Brand />
            <Text size="sm" c="dimmed">
              {t('app.tagline')}
            </Text>
          </Stack>
          <Paper withBorder shadow="xs" p="xl" radius="md">
            <LoginForm />
          </Paper>
        </Stack>
      </Center>
    </Box>
  );
}
