'use client';

import { Badge, Button, Group, Paper, Stack, Text } from '@mantine/core';
import { clinicDateTime, shortName } from '@/lib/booking';
import { useT } from '@/lib/i18n';
import { isAppointmentStatus, isChangeable, statusColor } from '@/lib/mis';
import type { ContactAppointment } from '@/lib/types';

/** An appointment's status in words: Записан, Подтверждён, Пришёл, Приём состоялся, Не пришёл, Отменена. */
export function AppointmentStatusBadge({ status }: { status: string }) {
  const t = useT();
  return (
    <Badge color={statusColor(status)} variant="light" radius="sm" tt="none" data-testid="appt-status">
      {isAppointmentStatus(status) ? t(`appt.${status}`) : status}
    </Badge>
  );
}

/**
 * One appointment in the patient card: when, who, where, its status; for an upcoming one that
 * may still change, move and cancel buttons (with appointments.book).
 */
export function AppointmentCard({
  appointment: a,
  patientName,
  canBook,
  compact = false,
  onReschedule,
  onCancel,
}: {
  appointment: ContactAppointment;
  /** Whose appointment, when the contact has more than one patient. */
  patientName?: string;
  canBook: boolean;
  compact?: boolean;
  onReschedule(a: ContactAppointment): void;
  onCancel(a: ContactAppointment): void;
}) {
  const t = useT();
  const changeable = canBook && isChangeable(a);
  return (
    <Paper
      withBorder
      p={compact ? 6 : 'sm'}
      radius="md"
      bg={compact ? 'gray.0' : undefined}
      data-testid="book-result"
      data-status={a.status}
      data-id={a.id}
      data-start={a.start}
    >
      <Group justify="space-between" gap={6} wrap="nowrap" align="flex-start">
        <Text size="sm" fw={compact ? 500 : 600} style={{ whiteSpace: 'nowrap' }}>
          {clinicDateTime(a.start)}
        </Text>
        <AppointmentStatusBadge status={a.status} />
      </Group>
      <Stack gap={0} mt={2}>
        <Text size="xs">
          {a.specialty?.name || a.specialty?.id}
          {a.doctor?.name || a.doctor?.id ? ` · ${shortName(a.doctor?.name || a.doctor?.id || '')}` : ''}
        </Text>
        <Text size="xs" c="dimmed">
          {a.branch?.name || a.branch?.id}
        </Text>
        {patientName && (
          <Text size="xs" c="dimmed" data-testid="appt-patient">
            {t('appt.for', { name: patientName })}
          </Text>
        )}
      </Stack>
      {changeable && (
        <Group gap={6} mt={8}>
          <Button size="compact-xs" variant="light" onClick={() => onReschedule(a)} data-testid="book-reschedule">
            {t('appt.reschedule')}
          </Button>
          <Button size="compact-xs" variant="subtle" color="red" onClick={() => onCancel(a)} data-testid="book-cancel">
            {t('book.cancel')}
          </Button>
        </Group>
      )}
    </Paper>
  );
}
