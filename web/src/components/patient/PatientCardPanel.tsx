'use client';

import { Badge, Button, Group, Paper, Stack, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useState, type ReactNode } from 'react';
import { ConfirmDialog } from '@/components/common/ConfirmDialog';
import { api } from '@/lib/api';
import { clinicDateTime, shortName } from '@/lib/booking';
import { useT } from '@/lib/i18n';
import { can } from '@/lib/nav';
import type { Appointment, PatientRequest } from '@/lib/types';
import { useAuth } from '@/stores/auth';
import { useBookings } from '@/stores/bookings';
import { useInbox } from '@/stores/inbox';
import { BookingModal } from './BookingModal';

function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
        {children}
      </Text>
    </div>
  );
}

/** The appointment booked for this request in this session, with its cancel button. */
function BookedAppointment({ appointment, canBook, onCancelled }: { appointment: Appointment; canBook: boolean; onCancelled(a: Appointment): void }) {
  const t = useT();
  const [confirming, setConfirming] = useState(false);
  const cancelled = appointment.status === 'cancelled';
  const when = clinicDateTime(appointment.start);
  return (
    <Paper withBorder p="sm" radius="md" data-testid="book-result" data-status={appointment.status} data-id={appointment.id}>
      <Group justify="space-between" mb={6} wrap="nowrap">
        <Text size="sm" fw={600}>
          {t('book.booked')}
        </Text>
        <Badge color={cancelled ? 'gray' : 'teal'} variant="light" radius="sm" tt="none">
          {cancelled ? t('book.cancelled') : t('status.booked')}
        </Badge>
      </Group>
      <Stack gap={6}>
        <Row label={t('book.when')}>{when}</Row>
        <Row label={t('book.specialty')}>{appointment.specialty?.name || appointment.specialty?.id}</Row>
        <Row label={t('book.doctor')}>{appointment.doctor?.name || appointment.doctor?.id}</Row>
        <Row label={t('book.branch')}>{appointment.branch?.name || appointment.branch?.id}</Row>
      </Stack>
      {canBook && !cancelled && (
        <Button size="xs" color="red" variant="light" mt="sm" onClick={() => setConfirming(true)} data-testid="book-cancel">
          {t('book.cancel')}
        </Button>
      )}
      <ConfirmDialog
        opened={confirming}
        title={t('book.cancelTitle')}
        message={t('book.cancelConfirm', {
          when,
          doctor: shortName(appointment.doctor?.name ?? ''),
          branch: appointment.branch?.name ?? '',
        })}
        confirmLabel={t('book.cancelOk')}
        onConfirm={async () => {
          const a = await api.cancelAppointment(appointment.id);
          onCancelled(a);
          notifications.show({ color: 'teal', message: t('book.cancelDone') });
        }}
        onClose={() => setConfirming(false)}
      />
    </Paper>
  );
}

function Booking({ request, canBook }: { request: PatientRequest; canBook: boolean }) {
  const t = useT();
  const appointment = useBookings((s) => s.byRequest[request.id]);
  const put = useBookings((s) => s.put);
  const [open, setOpen] = useState(false);
  const active = appointment && appointment.status !== 'cancelled';
  return (
    <Stack gap="sm" data-testid="booking">
      {appointment && <BookedAppointment appointment={appointment} canBook={canBook} onCancelled={(a) => put(request.id, a)} />}
      {canBook && !active && (
        <Button onClick={() => setOpen(true)} data-testid="book-open">
          {appointment ? t('book.again') : t('book.open')}
        </Button>
      )}
      {open && (
        <BookingModal
          request={request}
          onClose={() => setOpen(false)}
          onBooked={(a) => {
            put(request.id, a);
            setOpen(false);
          }}
        />
      )}
    </Stack>
  );
}

/** The right column: booking for the open request (with mis.read); the MIS record comes later. */
export function PatientCardPanel({ requestId }: { requestId: string | null }) {
  const t = useT();
  const user = useAuth((s) => s.user);
  const request = useInbox((s) => (requestId ? s.byId[requestId] : undefined));
  const misRead = can(user, 'mis.read');
  return (
    <Stack p="sm" gap="sm">
      <Title order={5}>{t('patient.title')}</Title>
      {misRead &&
        (request ? (
          <Booking key={request.id} request={request} canBook={can(user, 'appointments.book')} />
        ) : (
          <Text size="sm" c="dimmed">
            {t('patient.noRequest')}
          </Text>
        ))}
      <Paper p="lg" radius="md" bg="gray.0" style={{ border: '1px dashed var(--mantine-color-gray-4)' }}>
        <Text size="sm" c="dimmed" ta="center">
          {t('patient.placeholder')}
        </Text>
      </Paper>
    </Stack>
  );
}
