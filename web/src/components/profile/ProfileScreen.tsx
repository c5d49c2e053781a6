'use client';

import { Badge, Group, Paper, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';
import { useT } from '@/lib/i18n';
import { permissionLabel, sortPermissions } from '@/lib/roles';
import type { User } from '@/lib/types';
import { PageShell } from '../shell/PageShell';
import { SessionsCard } from './SessionsCard';
import { TokensCard } from './TokensCard';
import { TwoFactorCard } from './TwoFactorCard';

const ACCESS = {};

/** /profile/: who I am, my second factor, where I am signed in, my API tokens. */
export function ProfileScreen() {
  const t = useT();
  return (
    <PageShell access={ACCESS} size="lg">
      {(user) => (
        <Stack gap="md" data-testid="profile">
          <Title order={3}>{t('profile.title')}</Title>
          <AccountCard user={user} />
          <TwoFactorCard user={user} />
          <SessionsCard />
          <TokensCard user={user} />
        </Stack>
      )}
    </PageShell>
  );
}

function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <Text size="xs" c="dimmed" fw={500}>
        {label}
      </Text>
      <Text size="sm" component="div" mt={2}>
        {children}
      </Text>
    </div>
  );
}

function AccountCard({ user }: { user: User }) {
  const t = useT();
  return (
    <Paper withBorder p="md" radius="md" data-testid="account-card">
      <Title order={5} mb="sm">
        {t('profile.account')}
      </Title>
      <SimpleGrid cols={{ base: 1, sm: 3 }} spacing="md" verticalSpacing="sm">
        <Field label={t('profile.name')}>{user.name || '—'}</Field>
        <Field label={t('profile.login')}>
          <Text span size="sm" ff="monospace">
            {user.login}
          </Text>
        </Field>
        <Field label={t('profile.role')}>
          <Text span size="sm" ff="monospace">
            {user.role}
          </Text>
        </Field>
      </SimpleGrid>
      <Text size="xs" c="dimmed" fw={500} mt="sm">
        {t('profile.permissions')}
      </Text>
      <Group gap={6} mt={4}>
        {sortPermissions(user.permissions ?? []).map((p) => (
          <Badge key={p} variant="light" color="blue" radius="sm" tt="none" fw={500}>
            {permissionLabel(t, p)}
          </Badge>
        ))}
      </Group>
    </Paper>
  );
}
