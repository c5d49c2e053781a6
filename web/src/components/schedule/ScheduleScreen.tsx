'use client';

import { Alert, Anchor, Button, Center, Group, Loader, Paper, SegmentedControl, Select, Stack, Text, TextInput, Title } from '@mantine/core';
import Link from 'next/link';
import { useSearchParams } from 'next/navigation';
import { useEffect, useMemo, useState } from 'react';
import { BookingModal, UnavailableAlert } from '@/components/patient/BookingModal';
import { requestHref } from '@/hooks/useSelectedId';
import { useResource } from '@/hooks/useResource';
import { api } from '@/lib/api';
import { clinicDateTime, clinicDay, dayLabel, shortName } from '@/lib/booking';
import { useLang, useT } from '@/lib/i18n';
import { fromBooking } from '@/lib/mis';
import { can } from '@/lib/nav';
import { buildGrid, shiftDay, viewDays, type ScheduleView } from '@/lib/schedule';
import type { Appointment, LinkedPatient, MisDoctor, PatientRequest, ScheduleSlot, User } from '@/lib/types';
import { useBookings } from '@/stores/bookings';
import { PageShell } from '../shell/PageShell';
import { ScheduleGrid } from './ScheduleGrid';

const ACCESS = { permission: 'mis.read' };

/** /schedule/: the MIS's schedule as a grid; opened from a request (?request=…) its free slots book for it. */
export function ScheduleScreen() {
  return (
    <PageShell access={ACCESS} size="100%">
      {(me) => <SchedulePage user={me} />}
    </PageShell>
  );
}

type Loaded = { state: 'idle' } | { state: 'loading' } | { state: 'done'; items: ScheduleSlot[]; key: string } | { state: 'error'; error: unknown };

/**
 * The request the page books for, when it was opened from one, and the MIS patients linked to
 * its contact (with several, the booking asks whom).
 */
function useRequest(id: string | null, allowed: boolean) {
  const [request, setRequest] = useState<PatientRequest | null>(null);
  const [patients, setPatients] = useState<LinkedPatient[]>([]);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    setRequest(null);
    setPatients([]);
    setError(null);
    if (!id || !allowed) return;
    const ctl = new AbortController();
    api
      .getRequest(id, ctl.signal)
      .then((r) => {
        if (ctl.signal.aborted) return;
        setRequest(r);
        return api.contactPatients(r.contact.id, ctl.signal).then((p) => {
          if (!ctl.signal.aborted) setPatients((p.items ?? []).filter((l) => !l.unavailable));
        });
      })
      .catch((err) => !ctl.signal.aborted && setError((e: unknown) => e ?? err));
    return () => ctl.abort();
  }, [id, allowed]);
  return { request, patients, error };
}

function SchedulePage({ user }: { user: User }) {
  const t = useT();
  const lang = useLang((s) => s.lang);
  const requestId = useSearchParams().get('request') || null;
  const canBook = can(user, 'appointments.book');
  const { request, patients, error: requestError } = useRequest(requestId, can(user, 'requests.read'));
  const specialties = useResource((signal) => api.misSpecialties(signal));
  const branches = useResource((signal) => api.misBranches(signal));
  const [branch, setBranch] = useState<string | null>(null);
  const [specialty, setSpecialty] = useState<string | null>(null);
  const [doctor, setDoctor] = useState<string | null>(null);
  const [doctors, setDoctors] = useState<MisDoctor[]>([]);
  const [view, setView] = useState<ScheduleView>('day');
  const [day, setDay] = useState(() => clinicDay(new Date()));
  const [loaded, setLoaded] = useState<Loaded>({ state: 'idle' });
  const [version, setVersion] = useState(0);
  const [picked, setPicked] = useState<ScheduleSlot | null>(null);
  const [booked, setBooked] = useState<Appointment | null>(null);

  // The first branch is the usual one: chosen until the operator picks another.
  const branchItems = branches.data?.items;
  useEffect(() => {
    if (branchItems?.length) setBranch((b) => b ?? branchItems[0].id);
  }, [branchItems]);

  useEffect(() => {
    setDoctors([]);
    if (!specialty) return;
    const ctl = new AbortController();
    api
      .misDoctors(specialty, branch ?? '', ctl.signal)
      .then((r) => {
        if (ctl.signal.aborted) return;
        setDoctors(r.items ?? []);
        setDoctor((d) => (d && (r.items ?? []).some((x) => x.id === d) ? d : null));
      })
      .catch(() => undefined);
    return () => ctl.abort();
  }, [specialty, branch]);

  const key = branch && specialty && /^\d{4}-\d{2}-\d{2}$/.test(day) ? `${branch}|${specialty}|${doctor ?? ''}|${view}|${day}` : '';
  useEffect(() => {
    if (!key || !branch || !specialty) {
      setLoaded({ state: 'idle' });
      return;
    }
    void version;
    const ctl = new AbortController();
    setLoaded((l) => (l.state === 'done' ? l : { state: 'loading' }));
    api
      .misSchedule({ branch, specialty, doctor: doctor ?? '', view, day }, ctl.signal)
      .then((r) => !ctl.signal.aborted && setLoaded({ state: 'done', items: r.items ?? [], key }))
      .catch((error) => !ctl.signal.aborted && setLoaded({ state: 'error', error }));
    return () => ctl.abort();
    // key names everything the query depends on.
  }, [key, version]);

  const grid = useMemo(() => (loaded.state === 'done' ? buildGrid(loaded.items, view, day) : null), [loaded, view, day]);
  const stale = loaded.state === 'done' && loaded.key !== key;
  const days = viewDays(view, day);
  const canPick = canBook && request !== null;

  const specialtyData = (specialties.data?.items ?? []).map((s) => ({ value: s.id, label: s.name || s.id }));
  const branchData = (branches.data?.items ?? []).map((b) => ({ value: b.id, label: b.name || b.id }));
  const doctorData = doctors.map((d) => ({ value: d.id, label: d.name || d.id }));

  return (
    <Stack gap="md">
      <Group justify="space-between" align="flex-end">
        <Title order={3}>{t('schedule.title')}</Title>
        {requestId && (
          <Anchor component={Link} href={requestHref(requestId)} size="sm" data-testid="schedule-back">
            ← {t('schedule.back')}
          </Anchor>
        )}
      </Group>

      {requestId &&
        (request ? (
          <Alert color="teal" variant="light" data-testid="schedule-for" data-request-id={request.id}>
            {canBook ? t('schedule.forRequest', { name: request.contact.name || t('inbox.noName') }) : t('schedule.noBookPermission')}
          </Alert>
        ) : requestError ? (
          <Alert color="red" variant="light" data-testid="schedule-request-error">
            {t('schedule.requestFailed')}
          </Alert>
        ) : null)}
      {!requestId && canBook && (
        <Text size="sm" c="dimmed" data-testid="schedule-hint">
          {t('schedule.openFromRequest')}
        </Text>
      )}

      {booked && (
        <Alert color="teal" variant="light" withCloseButton onClose={() => setBooked(null)} data-testid="schedule-booked" data-id={booked.id}>
          {t('book.done', { when: clinicDateTime(booked.start), doctor: shortName(booked.doctor?.name ?? '') })}
          {requestId && (
            <>
              {' · '}
              <Anchor component={Link} href={requestHref(requestId)} size="sm">
                {t('schedule.back')}
              </Anchor>
            </>
          )}
        </Alert>
      )}

      <Paper withBorder p="sm" radius="md">
        <Group gap="sm" align="flex-end" wrap="wrap">
          <Select
            label={t('book.branch')}
            data={branchData}
            value={branch}
            onChange={setBranch}
            w={280}
            comboboxProps={{ withinPortal: true }}
            data-testid="schedule-branch"
          />
          <Select
            label={t('book.specialty')}
            placeholder={t('book.specialtyPlaceholder')}
            data={specialtyData}
            value={specialty}
            onChange={setSpecialty}
            searchable
            w={240}
            comboboxProps={{ withinPortal: true }}
            data-testid="schedule-specialty"
          />
          <Select
            label={t('book.doctor')}
            placeholder={t('book.anyDoctor')}
            data={doctorData}
            value={doctor}
            onChange={setDoctor}
            clearable
            searchable
            disabled={!specialty}
            w={240}
            comboboxProps={{ withinPortal: true }}
            data-testid="schedule-doctor"
          />
          <SegmentedControl
            value={view}
            onChange={(v) => setView(v as ScheduleView)}
            data={[
              { value: 'day', label: t('schedule.day') },
              { value: 'week', label: t('schedule.week') },
            ]}
            data-testid="schedule-view"
          />
          <Group gap={4} align="flex-end">
            <Button variant="default" onClick={() => setDay((d) => shiftDay(view, d, -1))} aria-label={t('schedule.prev')} data-testid="schedule-prev">
              ←
            </Button>
            <TextInput type="date" value={day} onChange={(e) => setDay(e.currentTarget.value)} aria-label={t('schedule.date')} w={150} data-testid="schedule-date" />
            <Button variant="default" onClick={() => setDay((d) => shiftDay(view, d, 1))} aria-label={t('schedule.next')} data-testid="schedule-next">
              →
            </Button>
            <Button variant="subtle" onClick={() => setDay(clinicDay(new Date()))}>
              {t('schedule.today')}
            </Button>
          </Group>
        </Group>
      </Paper>

      <Group justify="space-between" gap="sm">
        <Text fw={600} data-testid="schedule-range">
          {view === 'day' ? dayLabel(days[0], lang) : `${dayLabel(days[0], lang)} — ${dayLabel(days[6], lang)}`}
        </Text>
        <Group gap="md">
          <Legend state="free" text={canPick ? t('schedule.legendFreeClick') : t('schedule.free')} />
          <Legend state="busy" text={t('schedule.busy')} />
          <Legend state="past" text={t('schedule.past')} />
          <Text size="xs" c="dimmed">
            {t('book.tzNote')}
          </Text>
        </Group>
      </Group>

      <div data-testid="schedule" data-state={stale ? 'loading' : loaded.state} data-count={grid ? grid.rows.length : 0}>
        {!!(specialties.error || branches.error) && <UnavailableAlert error={specialties.error || branches.error} />}
        {loaded.state === 'idle' && (
          <Text size="sm" c="dimmed">
            {t('schedule.choose')}
          </Text>
        )}
        {loaded.state === 'loading' && (
          <Center py="xl">
            <Loader size="sm" />
          </Center>
        )}
        {loaded.state === 'error' && <UnavailableAlert error={loaded.error} />}
        {grid &&
          (grid.rows.length ? (
            <div style={{ opacity: stale ? 0.55 : 1, transition: 'opacity 120ms' }}>
              <ScheduleGrid grid={grid} view={view} canPick={canPick} onPick={setPicked} />
            </div>
          ) : (
            <Text size="sm" c="dimmed" data-testid="schedule-empty">
              {t('schedule.empty')}
            </Text>
          ))}
      </div>

      {picked && request && (
        <BookingModal
          request={request}
          patients={patients}
          initialSlot={picked}
          onClose={() => setPicked(null)}
          onBooked={(a) => {
            setPicked(null);
            setBooked(a);
            // The window's card shows it at once when the operator goes back.
            useBookings.getState().put(request.contact.id, fromBooking(a));
            setVersion((v) => v + 1);
          }}
        />
      )}
    </Stack>
  );
}

function Legend({ state, text }: { state: 'free' | 'busy' | 'past'; text: string }) {
  const colors = {
    free: ['var(--mantine-color-teal-0)', 'var(--mantine-color-teal-3)'],
    busy: ['var(--mantine-color-gray-1)', 'var(--mantine-color-gray-4)'],
    past: ['transparent', 'var(--mantine-color-gray-3)'],
  }[state];
  return (
    <Group gap={4} wrap="nowrap">
      <span style={{ display: 'inline-block', width: 14, height: 10, borderRadius: 3, background: colors[0], border: `1px solid ${colors[1]}` }} />
      <Text size="xs" c="dimmed">
        {text}
      </Text>
    </Group>
  );
}
