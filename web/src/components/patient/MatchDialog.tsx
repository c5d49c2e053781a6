'use client';

import { Alert, Badge, Button, Center, Group, Loader, Modal, Paper, Radio, ScrollArea, Stack, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useEffect, useState } from 'react';
import { ConfirmDialog } from '@/components/common/ConfirmDialog';
import { ProblemAlert } from '@/components/common/ProblemAlert';
import { api } from '@/lib/api';
import { useT, type MessageKey } from '@/lib/i18n';
import { birthLabel, confidenceColor, confidencePercent, isFamilyPhone, patientName, preselect, reasonTone, sortCandidates, sortReasons } from '@/lib/mis';
import { formatPhone } from '@/lib/phone';
import { MATCH_REASONS, type MatchCandidate } from '@/lib/types';
import { UnavailableAlert } from './BookingModal';

const REASON_COLOR = { match: 'teal', similar: 'yellow', differs: 'red' } as const;

type Match = { state: 'loading' } | { state: 'done'; candidates: MatchCandidate[] } | { state: 'error'; error: unknown };

function reasonLabel(t: (k: MessageKey) => string, r: string): string {
  return (MATCH_REASONS as readonly string[]).includes(r) ? t(`match.reason.${r as (typeof MATCH_REASONS)[number]}`) : r;
}

function Candidate({ c, selected }: { c: MatchCandidate; selected: boolean }) {
  const t = useT();
  const name = patientName(c.patient) || c.patient.id;
  const phones = (c.patient.phones ?? []).map((p) => (p.includes('*') ? p : formatPhone(p)));
  return (
    <Paper
      withBorder
      p="sm"
      radius="md"
      style={{ borderColor: selected ? 'var(--mantine-color-teal-5)' : undefined, opacity: c.linked ? 0.75 : 1 }}
      data-testid="match-candidate"
      data-patient-id={c.patient.id}
      data-confidence={c.confidence}
      data-linked={c.linked ? 'true' : 'false'}
    >
      <Group justify="space-between" wrap="nowrap" align="flex-start" gap="sm">
        <Radio
          value={c.patient.id}
          disabled={c.linked}
          label={
            <Text size="sm" fw={600} style={{ overflowWrap: 'anywhere' }}>
              {name}
            </Text>
          }
          description={[c.patient.birth_date ? t('match.born', { date: birthLabel(c.patient.birth_date) }) : '', phones.join(', ')].filter(Boolean).join(' · ')}
          data-testid="match-radio"
        />
        <Stack gap={4} align="flex-end">
          <Badge color={confidenceColor(c.confidence)} variant="light" radius="sm" tt="none" data-testid="match-confidence">
            {t('match.confidence', { pct: confidencePercent(c.confidence) })}
          </Badge>
          {c.linked && (
            <Badge color="gray" variant="outline" radius="sm" tt="none">
              {t('match.alreadyLinked')}
            </Badge>
          )}
        </Stack>
      </Group>
      {(c.reasons ?? []).length > 0 && (
        <Group gap={4} mt={6} ml={30}>
          <Text size="xs" c="dimmed">
            {t('match.reasons')}
          </Text>
          {sortReasons(c.reasons).map((r) => (
            <Badge key={r} size="xs" variant="dot" color={REASON_COLOR[reasonTone(r)]} radius="sm" tt="none" fw={500} data-testid="match-reason" data-reason={r}>
              {reasonLabel(t, r)}
            </Badge>
          ))}
        </Group>
      )}
    </Paper>
  );
}

/**
 * The matching step: the MIS's patients who may be this contact (the server compares the
 * contact's phone, name and birth date), with how sure it is and why. A confident one is
 * pre-selected, still linked only by a click; with nobody fitting, the contact can be
 * registered as a new patient.
 */
export function MatchDialog({
  contactId,
  canLink,
  onLinked,
  onClose,
}: {
  contactId: string;
  canLink: boolean;
  onLinked(): void;
  onClose(): void;
}) {
  const t = useT();
  const [match, setMatch] = useState<Match>({ state: 'loading' });
  const [choice, setChoice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [registering, setRegistering] = useState(false);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    const ctl = new AbortController();
    setMatch({ state: 'loading' });
    api
      .matchPatients(contactId, ctl.signal)
      .then((r) => {
        if (ctl.signal.aborted) return;
        const candidates = sortCandidates(r.candidates ?? []).map((c) => ({ ...c, linked: c.linked || (r.linked ?? []).includes(c.patient.id) }));
        setMatch({ state: 'done', candidates });
        setChoice(preselect(candidates));
      })
      .catch((err) => {
        if (!ctl.signal.aborted) setMatch({ state: 'error', error: err });
      });
    return () => ctl.abort();
  }, [contactId, attempt]);

  const candidates = match.state === 'done' ? match.candidates : [];
  const family = isFamilyPhone(candidates);
  const preselected = match.state === 'done' && choice !== null && choice === preselect(candidates);

  const link = async () => {
    if (!choice) return;
    setBusy(true);
    setError(null);
    try {
      await api.linkPatient(contactId, choice);
      notifications.show({ color: 'teal', message: t('match.linked') });
      onLinked();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal opened onClose={() => !busy && onClose()} title={<Text fw={600}>{t('match.title')}</Text>} size="lg" centered>
      <Stack gap="sm" data-testid="match-dialog" data-state={match.state} data-count={candidates.length} data-family={family ? 'true' : 'false'}>
        <Text size="xs" c="dimmed">
          {t('match.hint')}
        </Text>
        {match.state === 'loading' && (
          <Center py="lg">
            <Loader size="sm" />
          </Center>
        )}
        {match.state === 'error' && (
          <>
            <UnavailableAlert error={match.error} />
            <Button size="xs" variant="light" onClick={() => setAttempt((n) => n + 1)} style={{ alignSelf: 'flex-start' }}>
              {t('common.retry')}
            </Button>
          </>
        )}
        {family && (
          <Alert color="yellow" variant="light" title={t('match.familyTitle')} data-testid="match-family">
            {t('match.family', { n: candidates.filter((c) => c.reasons?.includes('phone')).length })}
          </Alert>
        )}
        {match.state === 'done' && candidates.length === 0 && (
          <Text size="sm" data-testid="match-none">
            {t('match.none')}
          </Text>
        )}
        {candidates.length > 0 && (
          <ScrollArea.Autosize mah={380} type="auto" offsetScrollbars>
            <Radio.Group value={choice} onChange={setChoice}>
              <Stack gap="xs">
                {candidates.map((c) => (
                  <Candidate key={c.patient.id} c={c} selected={c.patient.id === choice} />
                ))}
              </Stack>
            </Radio.Group>
          </ScrollArea.Autosize>
        )}
        {preselected && (
          <Text size="xs" c="teal.8" data-testid="match-preselected">
            {t('match.preselected')}
          </Text>
        )}
        <ProblemAlert error={error} testId="match-problem" />
        <Group justify="space-between" gap="sm">
          {canLink && match.state === 'done' ? (
            <Button variant="subtle" size="sm" onClick={() => setRegistering(true)} disabled={busy} data-testid="match-register">
              {t('match.register')}
            </Button>
          ) : (
            <span />
          )}
          <Group gap="sm">
            <Button variant="default" onClick={onClose} disabled={busy}>
              {t('common.cancel')}
            </Button>
            {canLink && (
              <Button onClick={link} disabled={!choice} loading={busy} data-testid="match-link">
                {t('match.link')}
              </Button>
            )}
          </Group>
        </Group>
        {!canLink && (
          <Text size="xs" c="dimmed">
            {t('match.noPermission')}
          </Text>
        )}
      </Stack>
      <ConfirmDialog
        opened={registering}
        title={t('match.registerTitle')}
        message={family || candidates.length ? t('match.registerConfirmOthers') : t('match.registerConfirm')}
        confirmLabel={t('match.registerOk')}
        color="teal"
        onConfirm={async () => {
          await api.registerPatient(contactId);
          notifications.show({ color: 'teal', message: t('match.registered') });
          onLinked();
        }}
        onClose={() => setRegistering(false)}
      />
    </Modal>
  );
}
