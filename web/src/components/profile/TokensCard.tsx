'use client';

import {
  Alert,
  Badge,
  Button,
  Checkbox,
  Code,
  CopyButton,
  Group,
  Modal,
  NumberInput,
  Stack,
  Table,
  Text,
  TextInput,
  Tooltip,
} from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { useResource } from '@/hooks/useResource';
import { api } from '@/lib/api';
import { useT } from '@/lib/i18n';
import { fieldErrors } from '@/lib/problems';
import { permissionLabel, sortPermissions } from '@/lib/roles';
import { formatShortDateTime } from '@/lib/time';
import type { ApiToken, CreatedToken, User } from '@/lib/types';
import { ConfirmDialog } from '../common/ConfirmDialog';
import { PermissionLabel } from '../common/PermissionLabel';
import { LoadState } from '../common/LoadState';
import { ProblemAlert } from '../common/ProblemAlert';
import { Section } from '../common/Section';

type TokenState = 'active' | 'revoked' | 'expired';

function tokenState(tok: ApiToken, now: number): TokenState {
  if (tok.revoked) return 'revoked';
  if (tok.expires_at && Date.parse(tok.expires_at) <= now) return 'expired';
  return 'active';
}

const STATE_COLOR: Record<TokenState, string> = { active: 'teal', revoked: 'gray', expired: 'orange' };
const STATE_KEY = { active: 'profile.tokenActive', revoked: 'profile.tokenRevoked', expired: 'profile.tokenExpired' } as const;

/** My API tokens: the list, a new one (its secret shown once), revoking. */
export function TokensCard({ user }: { user: User }) {
  const t = useT();
  const tokens = useResource((signal) => api.myTokens(signal));
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<CreatedToken | null>(null);
  const [revoke, setRevoke] = useState<ApiToken | null>(null);
  const now = Date.now();
  const items = tokens.data?.items ?? [];

  return (
    <Section
      title={t('profile.tokens')}
      hint={t('profile.tokensHint')}
      testId="tokens-card"
      actions={
        <Button size="xs" variant="light" onClick={() => setCreating(true)} data-testid="token-create">
          {t('profile.tokenNew')}
        </Button>
      }
    >
      {created && (
        <Alert color="teal" variant="light" mb="sm" withCloseButton onClose={() => setCreated(null)} data-testid="token-created">
          <Stack gap={6}>
            <Text size="sm">{t('profile.tokenShown')}</Text>
            <Group gap="xs" wrap="nowrap">
              <Code data-testid="token-secret" style={{ wordBreak: 'break-all', flex: 1 }}>
                {created.token}
              </Code>
              <CopyButton value={created.token}>
                {({ copied, copy }) => (
                  <Button size="compact-xs" variant="light" onClick={copy}>
                    {copied ? t('common.copied') : t('common.copy')}
                  </Button>
                )}
              </CopyButton>
            </Group>
          </Stack>
        </Alert>
      )}
      {!tokens.data ? (
        <LoadState loading={tokens.loading} error={tokens.error} onRetry={tokens.reload} />
      ) : items.length === 0 ? (
        <Text size="sm" c="dimmed" data-testid="tokens-empty">
          {t('profile.noTokens')}
        </Text>
      ) : (
        <Table.ScrollContainer minWidth={640}>
          <Table verticalSpacing={6} fz="sm" highlightOnHover data-testid="tokens-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('profile.tokenName')}</Table.Th>
                <Table.Th>{t('profile.tokenScopes')}</Table.Th>
                <Table.Th>{t('profile.tokenCreated')}</Table.Th>
                <Table.Th>{t('profile.tokenExpires')}</Table.Th>
                <Table.Th>{t('profile.tokenLastUsed')}</Table.Th>
                <Table.Th>{t('profile.tokenState')}</Table.Th>
                <Table.Th w={110} />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((tok) => {
                const state = tokenState(tok, now);
                return (
                  <Table.Tr key={tok.id} data-testid="token-row" data-state={state}>
                    <Table.Td fw={500}>{tok.name}</Table.Td>
                    <Table.Td>
                      <Group gap={4}>
                        {tok.scopes === null && (
                          <Badge size="xs" variant="light" color="blue" radius="sm" tt="none">
                            {t('profile.tokenAllScopes')}
                          </Badge>
                        )}
                        {sortPermissions(tok.scopes ?? []).map((s) => (
                          <Tooltip key={s} label={permissionLabel(t, s)} openDelay={300}>
                            <Badge size="xs" variant="outline" color="gray" radius="sm" tt="none" ff="monospace">
                              {s}
                            </Badge>
                          </Tooltip>
                        ))}
                      </Group>
                    </Table.Td>
                    <Table.Td>{formatShortDateTime(tok.created_at)}</Table.Td>
                    <Table.Td>{formatShortDateTime(tok.expires_at) || '—'}</Table.Td>
                    <Table.Td>{formatShortDateTime(tok.last_used_at) || t('common.never')}</Table.Td>
                    <Table.Td>
                      <Badge color={STATE_COLOR[state]} variant="light" radius="sm" tt="none">
                        {t(STATE_KEY[state])}
                      </Badge>
                    </Table.Td>
                    <Table.Td ta="right">
                      {state === 'active' && (
                        <Button size="compact-xs" variant="subtle" color="red" onClick={() => setRevoke(tok)} data-testid="token-revoke">
                          {t('profile.tokenRevoke')}
                        </Button>
                      )}
                    </Table.Td>
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}

      <NewTokenModal
        opened={creating}
        permissions={user.permissions}
        onClose={() => setCreating(false)}
        onCreated={(tok) => {
          setCreating(false);
          setCreated(tok);
          tokens.reload();
        }}
      />
      <ConfirmDialog
        opened={revoke !== null}
        title={t('profile.tokenRevoke')}
        message={t('profile.tokenRevokeConfirm', { name: revoke?.name ?? '' })}
        confirmLabel={t('profile.tokenRevoke')}
        onClose={() => setRevoke(null)}
        onConfirm={async () => {
          if (!revoke) return;
          await api.revokeToken(revoke.id);
          tokens.reload();
        }}
      />
    </Section>
  );
}

function NewTokenModal({
  opened,
  permissions,
  onClose,
  onCreated,
}: {
  opened: boolean;
  permissions: string[];
  onClose: () => void;
  onCreated: (tok: CreatedToken) => void;
}) {
  const t = useT();
  const [name, setName] = useState('');
  const [ttl, setTtl] = useState<number | string>(90);
  const [scopes, setScopes] = useState<string[]>([]);
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const fields = fieldErrors(error);

  const reset = () => {
    setName('');
    setTtl(90);
    setScopes([]);
    setTouched(false);
    setError(null);
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    const days = typeof ttl === 'number' ? ttl : Number(ttl);
    if (!name.trim() || !scopes.length || !Number.isFinite(days) || days < 1) return;
    setBusy(true);
    setError(null);
    try {
      const tok = await api.createToken({ name: name.trim(), ttl_days: Math.round(days), scopes: sortPermissions(scopes) });
      reset();
      onCreated(tok);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal
      opened={opened}
      onClose={() => {
        reset();
        onClose();
      }}
      title={<Text fw={600}>{t('profile.tokenNew')}</Text>}
      centered
    >
      <form onSubmit={submit} noValidate data-testid="token-form">
        <Stack gap="sm">
          <ProblemAlert error={error} fields={['name', 'ttl_days', 'scopes']} />
          <TextInput
            label={t('profile.tokenName')}
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            error={fields.name ?? (touched && !name.trim() ? t('common.required') : undefined)}
            data-autofocus
            data-testid="token-name"
          />
          <NumberInput
            label={t('profile.tokenTtl')}
            min={1}
            max={3650}
            allowDecimal={false}
            value={ttl}
            onChange={setTtl}
            error={fields.ttl_days}
            w={200}
          />
          <Checkbox.Group
            label={t('profile.tokenScopes')}
            description={t('profile.tokenScopesHint')}
            value={scopes}
            onChange={setScopes}
            error={fields.scopes ?? (touched && !scopes.length ? t('profile.tokenScopesRequired') : undefined)}
          >
            <Stack gap={6} mt={6}>
              {sortPermissions(permissions).map((p) => (
                <Checkbox key={p} value={p} size="xs" label={<PermissionLabel perm={p} />} />
              ))}
            </Stack>
          </Checkbox.Group>
          <Group justify="flex-end" mt="xs">
            <Button type="submit" loading={busy} data-testid="token-submit">
              {t('common.create')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
