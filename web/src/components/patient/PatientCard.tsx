'use client';

import { Alert, Anchor, Badge, Button, Center, Divider, Group, Loader, Paper, Stack, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import Link from 'next/link';
import { useEffect, useMemo, useState } from 'react';
import { ConfirmDialog } from '@/components/common/ConfirmDialog';
import { useResource } from '@/hooks/useResource';
import { api, isApiError } from '@/lib/api';
import { clinicDateTime, shortName } from '@/lib/booking';
import { useT } from '@/lib/i18n';
import { birthLabel, fromBooking, isMasked, mergeAppointments, patientName, splitAppointments } from '@/lib/mis';
import { can } from '@/lib/nav';
import { formatPhone } from '@/lib/phone';
import { problemMessage } from '@/lib/problems';
import { scheduleHref } from '@/lib/schedule';
import type { ContactAppointment, LinkedPatient, PatientRequest, User } from '@/lib/types';
import { useBookings } from '@/stores/bookings';
import { AppointmentCard } from './AppointmentCard';
import { BookingModal } from './BookingModal';
import { MatchDialog } from './MatchDialog';

const PAST_SHOWN = 3;
const EMPTY: ContactAppointment[] = [];

function SectionTitle({ children }: { children: string }) {
  return (
    <Text size="xs" fw={700} c="dimmed" tt="uppercase" mt={4}>
      {children}
    </Text>
  );
}

/** A failure of one part of the card that is not the MIS being down (that one is said once, above). */
function PartError({ error, onRetry }: { error: unknown; onRetry(): void }) {
  const t = useT();
  return (
    <Text size="xs" c="red.8" data-testid="card-part-error">
      {problemMessage(error) ?? t('common.failed')}{' '}
      <Anchor component="button" size="xs" onClick={onRetry}>
        {t('common.retry')}
      </Anchor>
    </Text>
  );
}

function LinkedPatientCard({ item, canLink, onUnlink }: { item: LinkedPatient; canLink: boolean; onUnlink(item: LinkedPatient): void }) {
  const t = useT();
  const p = item.patient;
  if (item.unavailable) {
    return (
      <Paper withBorder p="sm" radius="md" data-testid="linked-patient" data-patient-id={p.id} data-link-id={item.link_id} data-unavailable="true">
        <Text size="sm" c="dimmed">
          {t('patient.unavailable')}
        </Text>
        {canLink && (
          <Button size="compact-xs" variant="subtle" color="red" mt={6} onClick={() => onUnlink(item)} data-testid="patient-unlink">
            {t('patient.unlink')}
          </Button>
        )}
      </Paper>
    );
  }
  const phones = (p.phones ?? []).map((x) => (x.includes('*') ? x : formatPhone(x)));
  return (
    <Paper withBorder p="sm" radius="md" data-testid="linked-patient" data-patient-id={p.id} data-link-id={item.link_id}>
      <Group justify="space-between" gap={6} wrap="nowrap" align="flex-start">
        <Text size="sm" fw={600} style={{ overflowWrap: 'anywhere' }} data-testid="linked-patient-name">
          {patientName(p) || p.id}
        </Text>
        {isMasked(p) && (
          <Badge size="xs" color="gray" variant="light" radius="sm" tt="none" style={{ flexShrink: 0 }}>
            {t('patient.masked')}
          </Badge>
        )}
      </Group>
      {p.birth_date && (
        <Text size="xs" c="dimmed">
          {t('match.born', { date: birthLabel(p.birth_date) })}
        </Text>
      )}
      {phones.length > 0 && (
        <Text size="xs" c="dimmed">
          {phones.join(', ')}
        </Text>
      )}
      {canLink && (
        <Button size="compact-xs" variant="subtle" color="red" mt={6} onClick={() => onUnlink(item)} data-testid="patient-unlink">
          {t('patient.unlink')}
        </Button>
      )}
    </Paper>
  );
}

/**
 * The patient card of the open request's contact: the MIS patients linked to it (masked as the
 * server masks them for this viewer), the matching step, booking, and the contact's upcoming and
 * past appointments with move and cancel. When the MIS is down it says so and the rest of the
 * window carries on.
 */
export function PatientCard({ request, user }: { request: PatientRequest; user: User }) {
  const t = useT();
  const contactId = request.contact.id;
  const canBook = can(user, 'appointments.book');
  const canLink = can(user, 'patients.link');
  const patients = useResource((signal) => api.contactPatients(contactId, signal));
  const appointments = useResource((signal) => api.contactAppointments(contactId, signal));
  const local = useBookings((s) => s.byContact[contactId] ?? EMPTY);
  const put = useBookings((s) => s.put);
  const drop = useBookings((s) => s.drop);
  const [matching, setMatching] = useState(false);
  const [booking, setBooking] = useState(false);
  const [moving, setMoving] = useState<ContactAppointment | null>(null);
  const [cancelling, setCancelling] = useState<ContactAppointment | null>(null);
  const [unlinking, setUnlinking] = useState<LinkedPatient | null>(null);
  const [allPast, setAllPast] = useState(false);

  // The request changed (booked, visited, …): its appointments may have too.
  const reloadAppointments = appointments.reload;
  const updatedAt = request.updated_at;
  const [seenUpdate, setSeenUpdate] = useState(updatedAt);
  useEffect(() => {
    if (updatedAt !== seenUpdate) {
      setSeenUpdate(updatedAt);
      reloadAppointments();
    }
  }, [updatedAt, seenUpdate, reloadAppointments]);

  const linked = patients.data?.items ?? [];
  const names = useMemo(() => new Map((patients.data?.items ?? []).map((l) => [l.patient.id, patientName(l.patient)])), [patients.data]);
  const { upcoming, past } = useMemo(() => splitAppointments(mergeAppointments(appointments.data?.items ?? [], local)), [appointments.data, local]);
  // The MIS is down: a 503, or the card served from what Okno keeps.
  const down503 = [patients.error, appointments.error].find((e) => isApiError(e, 503));
  const down = down503 ?? (linked.some((l) => l.unavailable) ? true : undefined);
  // With the MIS down and nothing to show, the sections would only be empty headings.
  const showPatients = !isApiError(patients.error, 503) || patients.data !== null;
  const showAppointments = !isApiError(appointments.error, 503) || appointments.data !== null || local.length > 0;
  const whose = (a: ContactAppointment) => (linked.length > 1 && a.patient_id ? names.get(a.patient_id) : undefined);

  const retryAll = () => {
    patients.reload();
    appointments.reload();
  };

  const remember = (a: ContactAppointment) => {
    put(contactId, a);
    appointments.reload();
  };

  const card = (a: ContactAppointment, compact = false) => (
    <AppointmentCard
      key={a.id}
      appointment={a}
      patientName={whose(a)}
      canBook={canBook}
      compact={compact}
      onReschedule={setMoving}
      onCancel={setCancelling}
    />
  );

  return (
    <Stack gap="sm" data-testid="patient-card" data-contact-id={contactId} data-mis={down ? 'down' : 'up'}>
      {down !== undefined && (
        <Alert color="orange" variant="light" title={t('patient.misDown')} role="status" data-testid="mis-unavailable">
          <Text size="xs">{t('patient.misDownText')}</Text>
          {isApiError(down503) && down503.retryAfter ? (
            <Text size="xs" mt={4}>
              {t('book.retryAfter', { sec: down503.retryAfter })}
            </Text>
          ) : null}
          <Button size="compact-xs" variant="light" color="orange" mt={8} onClick={retryAll} data-testid="mis-retry">
            {t('common.retry')}
          </Button>
        </Alert>
      )}

      {showPatients && (
        <>
          <SectionTitle>{t('patient.inMis')}</SectionTitle>
          <div data-testid="linked-patients" data-state={patients.data ? 'done' : patients.error ? 'error' : 'loading'} data-count={linked.length}>
            {!patients.data && patients.loading && (
              <Center py="xs">
                <Loader size="xs" />
              </Center>
            )}
            {patients.error !== null && !isApiError(patients.error, 503) && <PartError error={patients.error} onRetry={patients.reload} />}
            {patients.data && linked.length === 0 && (
              <Text size="sm" c="dimmed" data-testid="patient-not-linked">
                {t('patient.notLinked')}
              </Text>
            )}
            <Stack gap={6}>
              {linked.length > 1 && (
                <Text size="xs" c="yellow.9" data-testid="patient-family">
                  {t('patient.family', { n: linked.length })}
                </Text>
              )}
              {linked.map((l) => (
                <LinkedPatientCard key={l.link_id} item={l} canLink={canLink} onUnlink={setUnlinking} />
              ))}
            </Stack>
          </div>
          {down === undefined && (
            <Button size="xs" variant={linked.length ? 'subtle' : 'light'} onClick={() => setMatching(true)} data-testid="patient-find">
              {linked.length ? t('patient.findMore') : t('patient.find')}
            </Button>
          )}
        </>
      )}

      <Divider />
      <Stack gap={6}>
        {canBook && (
          <Button size="xs" onClick={() => setBooking(true)} data-testid="book-open">
            {t('book.open')}
          </Button>
        )}
        <Button size="xs" variant="default" component={Link} href={scheduleHref(request.id)} data-testid="open-schedule">
          {t('patient.scheduleOpen')}
        </Button>
      </Stack>

      {showAppointments && (
        <>
          <SectionTitle>{t('patient.upcoming')}</SectionTitle>
          <Stack gap={6} data-testid="appointments-upcoming" data-count={upcoming.length}>
            {!appointments.data && appointments.loading && (
              <Center py="xs">
                <Loader size="xs" />
              </Center>
            )}
            {appointments.error !== null && !isApiError(appointments.error, 503) && <PartError error={appointments.error} onRetry={appointments.reload} />}
            {upcoming.map((a) => card(a))}
            {(appointments.data || local.length > 0) && upcoming.length === 0 && (
              <Text size="sm" c="dimmed">
                {t('patient.noUpcoming')}
              </Text>
            )}
          </Stack>
        </>
      )}

      {past.length > 0 && (
        <>
          <SectionTitle>{t('patient.past')}</SectionTitle>
          <Stack gap={4} data-testid="appointments-past" data-count={past.length}>
            {(allPast ? past : past.slice(0, PAST_SHOWN)).map((a) => card(a, true))}
            {past.length > PAST_SHOWN && (
              <Anchor component="button" size="xs" onClick={() => setAllPast((v) => !v)} style={{ alignSelf: 'flex-start' }}>
                {allPast ? t('patient.pastLess') : t('patient.pastAll', { n: past.length })}
              </Anchor>
            )}
          </Stack>
        </>
      )}

      {matching && (
        <MatchDialog
          contactId={contactId}
          canLink={canLink}
          onClose={() => setMatching(false)}
          onLinked={() => {
            setMatching(false);
            patients.reload();
            appointments.reload();
          }}
        />
      )}
      {booking && (
        <BookingModal
          request={request}
          patients={linked.filter((l) => !l.unavailable)}
          onClose={() => setBooking(false)}
          onBooked={(a) => {
            setBooking(false);
            remember(fromBooking(a));
          }}
        />
      )}
      {moving && (
        <BookingModal
          request={request}
          reschedule={moving}
          onClose={() => setMoving(null)}
          onBooked={(a) => {
            if (a.id !== moving.id) drop(contactId, moving.id);
            setMoving(null);
            remember({ ...fromBooking(a), patient_id: moving.patient_id });
          }}
        />
      )}
      <ConfirmDialog
        opened={cancelling !== null}
        title={t('book.cancelTitle')}
        message={
          cancelling
            ? t('book.cancelConfirm', {
                when: clinicDateTime(cancelling.start),
                doctor: shortName(cancelling.doctor?.name ?? ''),
                branch: cancelling.branch?.name ?? '',
              })
            : ''
        }
        confirmLabel={t('book.cancelOk')}
        onConfirm={async () => {
          if (!cancelling) return;
          const a = await api.cancelAppointment(cancelling.id);
          remember({ ...fromBooking(a), patient_id: cancelling.patient_id });
          notifications.show({ color: 'teal', message: t('book.cancelDone') });
        }}
        onClose={() => setCancelling(null)}
      />
      <ConfirmDialog
        opened={unlinking !== null}
        title={t('patient.unlinkTitle')}
        message={unlinking ? t('patient.unlinkConfirm', { name: patientName(unlinking.patient) || unlinking.patient.id }) : ''}
        confirmLabel={t('patient.unlink')}
        onConfirm={async () => {
          if (!unlinking) return;
          await api.unlinkPatient(unlinking.link_id);
          notifications.show({ color: 'teal', message: t('patient.unlinked') });
          patients.reload();
          appointments.reload();
        }}
        onClose={() => setUnlinking(null)}
      />
    </Stack>
  );
}
