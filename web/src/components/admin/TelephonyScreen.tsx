'use client';

import { Alert, Button, Code, CopyButton, Group, Modal, PasswordInput, Select, Stack, Switch, Table, Text, TextInput, Title } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { useResource } from '@/hooks/useResource';
import { newPbxBody, PBX_FIELDS, PBX_KINDS, pbxSecretRequired, type PbxIntegration, type PbxKind, type PbxSettings } from '@/lib/cc';
import { ccApi } from '@/lib/ccApi';
import { useT, type MessageKey } from '@/lib/i18n';
import { fieldErrors } from '@/lib/problems';
import { formatShortDateTime } from '@/lib/time';
import { ConfirmDialog } from '../common/ConfirmDialog';
import { LoadState } from '../common/LoadState';
import { ProblemAlert } from '../common/ProblemAlert';
import { Section } from '../common/Section';
import { PageShell } from '../shell/PageShell';

const ACCESS = { permission: 'telephony.manage' };

function Copyable({ value, testId }: { value: string; testId: string }) {
  const t = useT();
  return (
    <Group gap="xs" wrap="nowrap" align="center">
      <Code data-testid={testId} style={{ wordBreak: 'break-all', flex: 1 }}>
        {value}
      </Code>
      <CopyButton value={value}>
        {({ copied, copy }) => (
          <Button size="compact-xs" variant="light" onClick={copy} data-testid={`${testId}-copy`}>
            {copied ? t('common.copied') : t('common.copy')}
          </Button>
        )}
      </CopyButton>
    </Group>
  );
}

/** The answer that created an integration (or changed its secret): the address and secret, shown this once. */
function ShownOnce({ p, onClose }: { p: PbxIntegration; onClose: () => void }) {
  const t = useT();
  return (
    <Modal opened onClose={onClose} title={<Text fw={600}>{t('pbx.onceTitle')}</Text>} size="lg" centered closeOnClickOutside={false}>
      <Stack gap="sm" data-testid="pbx-once">
        <Alert color="orange" variant="light" title={t('pbx.onceWarnTitle')}>
          {t('pbx.onceWarn')}
        </Alert>
        {p.webhook_url && (
          <div>
            <Text size="sm" fw={500} mb={4}>
              {t('pbx.webhookUrl')}
            </Text>
            <Copyable value={p.webhook_url} testId="pbx-webhook-url" />
          </div>
        )}
        {p.secret && (
          <div>
            <Text size="sm" fw={500} mb={4}>
              {t('pbx.secret')}
            </Text>
            <Copyable value={p.secret} testId="pbx-secret" />
          </div>
        )}
        {p.kind === 'generic' && (
          <Text size="xs" c="dimmed">
            {t('pbx.genericHint')}
          </Text>
        )}
        <Group justify="flex-end">
          <Button onClick={onClose} data-testid="pbx-once-done">
            {t('pbx.onceDone')}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

function AddPbx({ queues, onClose, onCreated }: { queues: { value: string; label: string }[]; onClose: () => void; onCreated: (p: PbxIntegration) => void }) {
  const t = useT();
  const [kind, setKind] = useState<PbxKind>('generic');
  const [name, setName] = useState('');
  const [queue, setQueue] = useState('none');
  const [secret, setSecret] = useState('');
  const [settings, setSettings] = useState<PbxSettings>({});
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const fe = fieldErrors(error);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const p = await ccApi.createPbx(newPbxBody(kind, name, queue === 'none' ? '' : queue, secret, settings));
      onCreated(p);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const fields = PBX_FIELDS[kind];
  return (
    <Modal opened onClose={onClose} title={<Text fw={600}>{t('pbx.addTitle')}</Text>} size="lg" centered>
      <form onSubmit={submit} data-testid="pbx-form">
        <Stack gap="sm">
          <Select
            label={t('pbx.kind')}
            data={PBX_KINDS.map((k) => ({ value: k, label: t(`pbx.kind.${k}` as MessageKey) }))}
            value={kind}
            onChange={(v) => v && setKind(v as PbxKind)}
            allowDeselect={false}
            error={fe.kind}
            data-testid="pbx-kind"
          />
          <Text size="xs" c="dimmed">
            {t(`pbx.kindHint.${kind}` as MessageKey)}
          </Text>
          <TextInput label={t('pbx.name')} value={name} onChange={(e) => setName(e.currentTarget.value)} required error={fe.name} data-testid="pbx-name" />
          <Select
            label={t('pbx.queue')}
            data={[{ value: 'none', label: t('pbx.noQueue') }, ...queues]}
            value={queue}
            onChange={(v) => setQueue(v ?? 'none')}
            allowDeselect={false}
            error={fe.queue_id}
          />
          {fields.map((f) => (
            <TextInput
              key={f}
              label={t(`pbx.field.${f}` as MessageKey)}
              value={settings[f] ?? ''}
              onChange={(e) => {
                const v = e.currentTarget.value;
                setSettings((s) => ({ ...s, [f]: v }));
              }}
              required={f === 'mango_api_key' || f === 'ami_addr' || f === 'ami_username'}
              error={fe[`settings.${f}`]}
              placeholder={f === 'originate_channel' ? 'PJSIP/{ext}' : f === 'originate_context' ? 'from-internal' : f === 'ami_addr' ? '10.0.0.5:5038' : undefined}
            />
          ))}
          <PasswordInput
            label={t(`pbx.secretLabel.${kind}` as MessageKey)}
            description={pbxSecretRequired(kind) ? undefined : t('pbx.secretGenerated')}
            value={secret}
            onChange={(e) => setSecret(e.currentTarget.value)}
            required={pbxSecretRequired(kind)}
            error={fe.secret}
            autoComplete="new-password"
            data-testid="pbx-secret-input"
          />
          <ProblemAlert error={error} fields={['kind', 'name', 'queue_id', 'secret', ...fields.map((f) => `settings.${f}`)]} />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose} disabled={busy}>
              {t('common.cancel')}
            </Button>
            <Button type="submit" loading={busy} data-testid="pbx-create">
              {t('common.create')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

function Integrations() {
  const t = useT();
  const list = useResource((signal) => ccApi.pbxList(signal));
  const queues = useResource((signal) => ccApi.queues(signal));
  const [adding, setAdding] = useState(false);
  const [shown, setShown] = useState<PbxIntegration | null>(null);
  const [rotating, setRotating] = useState<PbxIntegration | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const queueData = (queues.data?.items ?? []).map((q) => ({ value: q.id, label: q.name }));
  const queueName = (id: string) => queues.data?.items.find((q) => q.id === id)?.name;

  const patch = async (p: PbxIntegration, change: { active?: boolean; secret?: string }) => {
    setBusy(p.id);
    setError(null);
    try {
      const next = await ccApi.updatePbx(p.id, change);
      list.set((d) => (d ? { items: d.items.map((x) => (x.id === next.id ? { ...next, secret: undefined } : x)) } : d));
      if (next.secret) setShown(next);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };

  return (
    <Stack gap="md">
      <Title order={3}>{t('pbx.title')}</Title>
      <Section
        title={t('pbx.integrations')}
        hint={t('pbx.hint')}
        actions={
          <Button size="xs" onClick={() => setAdding(true)} data-testid="pbx-add">
            {t('pbx.add')}
          </Button>
        }
        testId="pbx-list"
      >
        <ProblemAlert error={error} />
        {!list.data ? (
          <LoadState loading={list.loading} error={list.error} onRetry={list.reload} />
        ) : list.data.items.length === 0 ? (
          <Text size="sm" c="dimmed" data-testid="pbx-empty">
            {t('pbx.empty')}
          </Text>
        ) : (
          <Table verticalSpacing="xs">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('pbx.name')}</Table.Th>
                <Table.Th>{t('pbx.kind')}</Table.Th>
                <Table.Th>{t('pbx.queueShort')}</Table.Th>
                <Table.Th>{t('pbx.webhookUrl')}</Table.Th>
                <Table.Th>{t('pbx.created')}</Table.Th>
                <Table.Th>{t('pbx.active')}</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {list.data.items.map((p) => (
                <Table.Tr key={p.id} data-testid="pbx-row" data-id={p.id} data-active={p.active}>
                  <Table.Td>
                    <Text size="sm" fw={500}>
                      {p.name}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">{t(`pbx.kind.${p.kind}` as MessageKey)}</Text>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm" c={p.queue_id ? undefined : 'dimmed'}>
                      {queueName(p.queue_id) ?? t('pbx.noQueue')}
                    </Text>
                  </Table.Td>
                  <Table.Td maw={360}>
                    {p.webhook_url ? (
                      <Text size="xs" ff="monospace" style={{ wordBreak: 'break-all' }}>
                        {p.webhook_url}
                      </Text>
                    ) : (
                      <Text size="xs" c="dimmed">
                        {t('pbx.amiNoWebhook')}
                      </Text>
                    )}
                    {!p.has_secret && (
                      <Text size="xs" c="red">
                        {t('pbx.noSecret')}
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">{formatShortDateTime(p.created_at)}</Text>
                  </Table.Td>
                  <Table.Td>
                    <Switch
                      checked={p.active}
                      disabled={busy === p.id}
                      onChange={(e) => void patch(p, { active: e.currentTarget.checked })}
                      aria-label={t('pbx.active')}
                      data-testid="pbx-active"
                    />
                  </Table.Td>
                  <Table.Td>
                    {p.kind === 'generic' && (
                      <Button size="compact-xs" variant="subtle" color="orange" loading={busy === p.id} onClick={() => setRotating(p)}>
                        {t('pbx.rotate')}
                      </Button>
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </Section>
      {adding && (
        <AddPbx
          queues={queueData}
          onClose={() => setAdding(false)}
          onCreated={(p) => {
            setAdding(false);
            setShown(p);
            list.set((d) => ({ items: [...(d?.items ?? []), { ...p, secret: undefined }] }));
          }}
        />
      )}
      {shown && <ShownOnce p={shown} onClose={() => setShown(null)} />}
      <ConfirmDialog
        opened={rotating !== null}
        title={t('pbx.rotateTitle')}
        message={t('pbx.rotateConfirm', { name: rotating?.name ?? '' })}
        confirmLabel={t('pbx.rotate')}
        color="orange"
        onConfirm={async () => {
          if (!rotating) return;
          const next = await ccApi.updatePbx(rotating.id, { secret: '' });
          list.set((d) => (d ? { items: d.items.map((x) => (x.id === next.id ? { ...next, secret: undefined } : x)) } : d));
          setShown(next);
        }}
        onClose={() => setRotating(null)}
      />
    </Stack>
  );
}

export function TelephonyScreen() {
  return (
    <PageShell access={ACCESS} size="100%">
      {() => <Integrations />}
    </PageShell>
  );
}
