'use client';

import { Alert, Box, Button, Center, Group, Paper, Stack, Text, Title } from '@mantine/core';
import { useRouter } from 'next/navigation';
import { useEffect, useState } from 'react';
import { usePageAccess } from '@/hooks/usePageAccess';
import { useT } from '@/lib/i18n';
import { homePath, ROUTES } from '@/lib/nav';
import { hasTotp } from '@/lib/types';
import { useAuth } from '@/stores/auth';
import { Brand } from '../shell/Brand';
import { FullPageLoader } from '../shell/FullPageLoader';
import { LangSwitch } from '../shell/LangSwitch';
import { signOut } from '../shell/AppHeader';
import { TotpEnrollment } from './TotpEnrollment';

const ACCESS = { enrollment: true };

/**
 * /enroll/: the 2FA setup a role requires before anything else (the gateway allows such a
 * session nothing but me, logout and 2FA). Also reachable from the profile.
 */
export function EnrollScreen() {
  const t = useT();
  const router = useRouter();
  const user = usePageAccess(ACCESS);
  const [leaving, setLeaving] = useState(false);
  const [finishing, setFinishing] = useState(false);
  const alreadyOn = !!user && hasTotp(user) && !user.enrollment_required;

  // Someone with 2FA already on has nothing to do here.
  useEffect(() => {
    if (alreadyOn && !finishing) router.replace(homePath(user));
  }, [alreadyOn, finishing, user, router]);

  if (!user || (alreadyOn && !finishing)) return <FullPageLoader />;

  // After the codes are put away: ask who we are again (enrollment_required is now false).
  const done = async () => {
    const required = !!user.enrollment_required;
    setFinishing(true);
    await useAuth.getState().me();
    const next = useAuth.getState().user;
    router.replace(required ? homePath(next) : ROUTES.profile);
  };

  return (
    <Box mih="100vh" style={{ display: 'flex', flexDirection: 'column' }}>
      <Group justify="space-between" p="md">
        <Brand />
        <Group gap="md">
          <LangSwitch />
          <Button
            variant="default"
            size="xs"
            loading={leaving}
            onClick={() => {
              setLeaving(true);
              void signOut();
            }}
            data-testid="logout"
          >
            {t('enroll.logout')}
          </Button>
        </Group>
      </Group>
      <Center style={{ flex: 1 }} px="md" pb={60}>
        <Paper withBorder shadow="xs" p="xl" radius="md" w="100%" maw={560} data-testid="enroll-screen">
          <Stack gap="md">
            <div>
              <Title order={4}>{t('enroll.title')}</Title>
              <Text size="sm" c="dimmed" mt={2}>
                {user.name || user.login}
              </Text>
            </div>
            {user.enrollment_required && (
              <Alert color="blue" variant="light" data-testid="enroll-required">
                {t('enroll.required')}
              </Alert>
            )}
            <TotpEnrollment onDone={done} />
          </Stack>
        </Paper>
      </Center>
    </Box>
  );
}
