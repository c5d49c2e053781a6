'use client';

import { Alert, Button, Group, Loader, Modal, Paper, ScrollArea, Select, SimpleGrid, Stack, Text, TextInput } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useEffect, useMemo, useRef, useState } from 'react';
import { ProblemAlert } from '@/components/common/ProblemAlert';
import { useResource } from '@/hooks/useResource';
import { api, isApiError } from '@/lib/api';
import {
  addDays,
  alternativesFrom,
  clinicDateTime,
  clinicDay,
  DEFAULT_RANGE_DAYS,
  dayLabel,
  defaultRange,
  groupSlotsByDay,
  nearestSearch,
  rangeProblem,
  shortName,
  slotLabel,
  type SlotSearch,
} from '@/lib/booking';
import { useLang, useT } from '@/lib/i18n';
import { bookingPatient, formatPrice, patientName } from '@/lib/mis';
import type { Appointment, ContactAppointment, LinkedPatient, MisDoctor, MisService, MisSlot, PatientRequest } from '@/lib/types';

type SlotState =
  | { state: 'idle' }
  | { state: 'loading' }
  | { state: 'done'; items: MisSlot[]; specialty: string }
  | { state: 'error'; error: unknown };

/** A slot as a button: "10:30 · Иванов И.И. · ул. Малышева". */
function SlotButton({ slot, selected, onPick }: { slot: MisSlot; selected: boolean; onPick(s: MisSlot): void }) {
  return (
    <Button
      size="xs"
      variant={selected ? 'filled' : 'light'}
      onClick={() => onPick(slot)}
      data-testid="book-slot"
      data-slot-id={slot.id}
      data-start={slot.start}
      data-selected={selected ? 'true' : 'false'}
      styles={{ root: { height: 'auto', minHeight: 30 }, label: { whiteSpace: 'normal', textAlign: 'left', padding: '4px 0' } }}
    >
      {slotLabel(slot)}
    </Button>
  );
}

/** Slots by the clinic's day. */
function SlotList({ slots, selectedId, onPick }: { slots: MisSlot[]; selectedId: string | null; onPick(s: MisSlot): void }) {
  const lang = useLang((s) => s.lang);
  return (
    <Stack gap="sm">
      {groupSlotsByDay(slots).map((g) => (
        <div key={g.day} data-testid="book-day" data-day={g.day}>
          <Text size="xs" fw={600} c="dimmed" tt="uppercase" mb={4}>
            {dayLabel(g.day, lang)}
          </Text>
          <Group gap={6}>
            {g.slots.map((s) => (
              <SlotButton key={s.id} slot={s} selected={s.id === selectedId} onPick={onPick} />
            ))}
          </Group>
        </div>
      ))}
    </Stack>
  );
}

/** The 503 of the MIS: our words, then the server's detail. */
export function UnavailableAlert({ error }: { error: unknown }) {
  const t = useT();
  if (!isApiError(error, 503)) return <ProblemAlert error={error} testId="book-problem" />;
  return (
    <Alert color="orange" variant="light" title={t('book.unavailable')} role="alert" data-testid="book-unavailable">
      {error.problem.detail || error.problem.title}
      {error.retryAfter ? ` ${t('book.retryAfter', { sec: error.retryAfter })}` : ''}
    </Alert>
  );
}

/** "27.11.2026 10:00 · Иванов И.И. · ул. Малышева" */
export function appointmentLine(a: Pick<MisSlot, 'start' | 'doctor' | 'branch'>): string {
  return [clinicDateTime(a.start), shortName(a.doctor?.name || a.doctor?.id || ''), a.branch?.name || a.branch?.id || ''].filter(Boolean).join(' · ');
}

/**
 * Booking for one request: specialty and its service, optional branch and doctor, a range of
 * days; free slots by day; the chosen one booked for the request's contact. A taken slot
 * offers the server's alternatives. With `reschedule` the same picker moves that appointment
 * (same specialty); with `initialSlot` (from the schedule grid) it opens on that slot.
 */
export function BookingModal({
  request,
  patients = [],
  reschedule,
  initialSlot,
  onClose,
  onBooked,
}: {
  request: PatientRequest;
  /** The MIS patients linked to the request's contact: with several, the operator says for whom. */
  patients?: LinkedPatient[];
  reschedule?: ContactAppointment;
  initialSlot?: MisSlot;
  onClose(): void;
  onBooked(a: Appointment): void;
}) {
  const t = useT();
  const lang = useLang((s) => s.lang);
  const preset = reschedule ?? initialSlot;
  const specialties = useResource((signal) => api.misSpecialties(signal));
  const branches = useResource((signal) => api.misBranches(signal));
  const [specialty, setSpecialty] = useState<string | null>(preset?.specialty?.id || null);
  const [branch, setBranch] = useState<string | null>(initialSlot?.branch?.id || null);
  const [doctor, setDoctor] = useState<string | null>(preset?.doctor?.id || null);
  const [range, setRange] = useState(() => {
    if (!initialSlot) return defaultRange();
    const day = clinicDay(initialSlot.start);
    return { fromDay: day, toDay: addDays(day, DEFAULT_RANGE_DAYS) };
  });
  const [doctors, setDoctors] = useState<MisDoctor[]>([]);
  const [services, setServices] = useState<{ specialty: string; items: MisService[] } | { specialty: string; error: unknown } | null>(null);
  const [service, setService] = useState<string | null>(null);
  const [slots, setSlots] = useState<SlotState>({ state: 'idle' });
  const [nearest, setNearest] = useState(0);
  // Bumped after a 409, so the list no longer offers the taken slot.
  const [refresh, setRefresh] = useState(0);
  const [selected, setSelected] = useState<MisSlot | null>(initialSlot ?? null);
  // The grid's slot stays chosen when its first search comes back.
  const keepInitial = useRef(initialSlot ?? null);
  const [alternatives, setAlternatives] = useState<MisSlot[] | null>(null);
  const [busy, setBusy] = useState(false);
  const [bookError, setBookError] = useState<unknown>(null);
  const [patientChoice, setPatientChoice] = useState<string | null>(null);
  const patient = reschedule ? undefined : bookingPatient(patients.map((p) => p.patient.id), patientChoice);

  const problem = rangeProblem(range.fromDay, range.toDay);

  // Doctors of the specialty (in the branch).
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

  // The specialty's services and their prices (not when moving: the service stays).
  useEffect(() => {
    setServices(null);
    setService(null);
    if (!specialty || reschedule) return;
    const ctl = new AbortController();
    api
      .misServices(specialty, ctl.signal)
      .then((r) => {
        if (ctl.signal.aborted) return;
        const items = r.items ?? [];
        setServices({ specialty, items });
        // One service is no choice.
        if (items.length === 1) setService(items[0].id);
      })
      .catch((error) => {
        if (!ctl.signal.aborted) setServices({ specialty, error });
      });
    return () => ctl.abort();
  }, [specialty, reschedule]);

  // Free slots: the chosen filters, or the nearest one in any branch.
  const search: SlotSearch | null = useMemo(() => {
    if (!specialty) return null;
    void refresh;
    if (nearest > 0) return nearestSearch(specialty);
    if (problem) return null;
    return { specialty, branch: branch ?? '', doctor: doctor ?? '', fromDay: range.fromDay, toDay: range.toDay };
  }, [specialty, branch, doctor, range, problem, nearest, refresh]);

  useEffect(() => {
    const keep = keepInitial.current;
    keepInitial.current = null;
    setSelected(keep);
    if (!search) {
      setSlots({ state: 'idle' });
      return;
    }
    const ctl = new AbortController();
    setSlots({ state: 'loading' });
    api
      .misSlots(search, ctl.signal)
      .then((r) => {
        if (ctl.signal.aborted) return;
        const items = r.items ?? [];
        setSlots({ state: 'done', items, specialty: search.specialty });
        if (search.limit === 1 && items.length === 1) setSelected(items[0]);
      })
      .catch((error) => {
        if (!ctl.signal.aborted) setSlots({ state: 'error', error });
      });
    return () => ctl.abort();
  }, [search]);

  const filtersChanged = () => {
    setNearest(0);
    setAlternatives(null);
    setBookError(null);
  };

  const pick = (s: MisSlot) => {
    setSelected(s);
    setBookError(null);
  };

  const book = async () => {
    if (!selected || patient === null) return;
    setBusy(true);
    setBookError(null);
    try {
      const a = reschedule
        ? await api.rescheduleAppointment(reschedule.id, selected.id)
        : await api.book({
            slot_id: selected.id,
            contact_id: request.contact.id,
            request_id: request.id,
            ...(service ? { service_id: service } : {}),
            ...(patient ? { patient_id: patient } : {}),
          });
      notifications.show({
        color: 'teal',
        message: t(reschedule ? 'book.moved' : 'book.done', { when: clinicDateTime(a.start), doctor: shortName(a.doctor?.name ?? '') }),
      });
      onBooked(a);
    } catch (err) {
      if (isApiError(err, 409)) {
        setAlternatives(alternativesFrom(err, selected.id));
        setSelected(null);
        setRefresh((n) => n + 1);
      } else {
        setBookError(err);
      }
    } finally {
      setBusy(false);
    }
  };

  const specialtyData = (specialties.data?.items ?? []).map((s) => ({ value: s.id, label: s.name || s.id }));
  const branchData = (branches.data?.items ?? []).map((b) => ({ value: b.id, label: b.name || b.id }));
  const doctorData = doctors.map((d) => ({ value: d.id, label: d.name || d.id }));
  // The preset doctor shows by name before the doctor list arrives.
  if (doctor && preset?.doctor && !doctorData.some((d) => d.value === doctor)) doctorData.push({ value: doctor, label: preset.doctor.name || doctor });
  if (specialty && preset?.specialty && !specialtyData.some((d) => d.value === specialty))
    specialtyData.push({ value: specialty, label: preset.specialty.name || specialty });
  const serviceItems = services && 'items' in services && services.specialty === specialty ? services.items : [];
  const serviceData = serviceItems.map((x) => ({ value: x.id, label: `${x.name} — ${formatPrice(x.price, x.currency, lang)}` }));
  const chosenService = serviceItems.find((x) => x.id === service);
  const rangeText = problem === 'order' ? t('book.rangeOrder') : problem === 'tooLong' ? t('book.rangeTooLong') : problem ? t('book.rangeInvalid') : null;

  return (
    <Modal opened onClose={() => !busy && onClose()} title={<Text fw={600}>{t(reschedule ? 'book.rescheduleTitle' : 'book.title')}</Text>} size="lg" centered>
      <Stack gap="sm" data-testid="book-dialog" data-mode={reschedule ? 'reschedule' : 'book'}>
        {!!(specialties.error || branches.error) && <UnavailableAlert error={specialties.error || branches.error} />}
        {reschedule && (
          <Paper withBorder p="xs" radius="sm" bg="gray.0" data-testid="book-current">
            <Text size="xs" c="dimmed">
              {t('book.current')}
            </Text>
            <Text size="sm">{appointmentLine(reschedule)}</Text>
          </Paper>
        )}
        <Select
          label={t('book.specialty')}
          placeholder={t('book.specialtyPlaceholder')}
          data={specialtyData}
          value={specialty}
          onChange={(v) => {
            setSpecialty(v);
            filtersChanged();
          }}
          searchable
          nothingFoundMessage="—"
          disabled={(specialties.loading && !specialties.data) || !!reschedule}
          rightSection={specialties.loading && !specialties.data ? <Loader size={14} /> : undefined}
          comboboxProps={{ withinPortal: true }}
          data-testid="book-specialty"
        />
        {!reschedule && patients.length > 1 && (
          <Select
            label={t('book.patient')}
            description={t('book.patientFamily')}
            placeholder={t('book.patientPlaceholder')}
            data={patients.map((p) => ({ value: p.patient.id, label: patientName(p.patient) || p.patient.id }))}
            value={patientChoice}
            onChange={setPatientChoice}
            required
            comboboxProps={{ withinPortal: true }}
            data-testid="book-patient"
          />
        )}
        {!reschedule && specialty && (
          <Select
            label={t('book.service')}
            placeholder={serviceData.length ? t('book.servicePlaceholder') : t('book.noServices')}
            data={serviceData}
            value={service}
            onChange={setService}
            clearable
            disabled={!serviceData.length}
            rightSection={services === null ? <Loader size={14} /> : undefined}
            error={services && 'error' in services ? t('book.servicesFailed') : undefined}
            comboboxProps={{ withinPortal: true }}
            data-testid="book-service"
          />
        )}
        <SimpleGrid cols={2} spacing="sm">
          <Select
            label={t('book.branch')}
            placeholder={t('book.anyBranch')}
            data={branchData}
            value={branch}
            onChange={(v) => {
              setBranch(v);
              filtersChanged();
            }}
            clearable
            comboboxProps={{ withinPortal: true }}
            data-testid="book-branch"
          />
          <Select
            label={t('book.doctor')}
            placeholder={t('book.anyDoctor')}
            data={doctorData}
            value={doctor}
            onChange={(v) => {
              setDoctor(v);
              filtersChanged();
            }}
            clearable
            searchable
            disabled={!specialty}
            comboboxProps={{ withinPortal: true }}
            data-testid="book-doctor"
          />
          <TextInput
            type="date"
            label={t('book.from')}
            value={range.fromDay}
            onChange={(e) => {
              const fromDay = e.currentTarget.value;
              setRange((r) => ({ ...r, fromDay }));
              filtersChanged();
            }}
            error={problem === 'order' || problem === 'invalid' ? rangeText : undefined}
            data-testid="book-from"
          />
          <TextInput
            type="date"
            label={t('book.to')}
            value={range.toDay}
            onChange={(e) => {
              const toDay = e.currentTarget.value;
              setRange((r) => ({ ...r, toDay }));
              filtersChanged();
            }}
            error={problem === 'tooLong' ? rangeText : undefined}
            data-testid="book-to"
          />
        </SimpleGrid>
        <Group justify="space-between" gap="xs">
          <Button
            size="xs"
            variant="subtle"
            disabled={!specialty}
            onClick={() => {
              setBranch(null);
              setDoctor(null);
              setAlternatives(null);
              setBookError(null);
              setNearest((n) => n + 1);
            }}
            data-testid="book-nearest"
          >
            {t('book.nearest')}
          </Button>
          <Text size="xs" c="dimmed">
            {t('book.tzNote')}
          </Text>
        </Group>

        {alternatives && (
          <Alert color="orange" variant="light" title={t('book.taken')} role="alert" data-testid="book-alternatives" data-count={alternatives.length}>
            <Text size="sm" mb="xs">
              {alternatives.length ? t('book.takenAlternatives') : t('book.takenNone')}
            </Text>
            <SlotList slots={alternatives} selectedId={selected?.id ?? null} onPick={pick} />
          </Alert>
        )}

        <div
          data-testid="book-slots"
          data-state={slots.state}
          data-count={slots.state === 'done' ? slots.items.length : 0}
          data-specialty={slots.state === 'done' ? slots.specialty : undefined}
        >
          {slots.state === 'idle' && (
            <Text size="sm" c="dimmed">
              {t('book.chooseSpecialty')}
            </Text>
          )}
          {slots.state === 'loading' && (
            <Group justify="center" py="md">
              <Loader size="sm" />
            </Group>
          )}
          {slots.state === 'error' && <UnavailableAlert error={slots.error} />}
          {slots.state === 'done' &&
            (slots.items.length ? (
              <ScrollArea.Autosize mah={320} type="auto" offsetScrollbars>
                <SlotList slots={slots.items} selectedId={selected?.id ?? null} onPick={pick} />
              </ScrollArea.Autosize>
            ) : (
              <Text size="sm" c="dimmed" data-testid="book-no-slots">
                {t('book.noSlots')}
              </Text>
            ))}
        </div>

        {bookError !== null && <UnavailableAlert error={bookError} />}

        <Group justify="space-between" gap="sm" wrap="nowrap">
          <Text size="sm" c={selected ? undefined : 'dimmed'} style={{ minWidth: 0 }} data-testid="book-selected">
            {selected ? t('book.selected', { slot: appointmentLine(selected) }) : ''}
            {selected && chosenService ? ` · ${formatPrice(chosenService.price, chosenService.currency, lang)}` : ''}
          </Text>
          <Group gap="sm" wrap="nowrap">
            <Button variant="default" onClick={onClose} disabled={busy}>
              {t('common.cancel')}
            </Button>
            <Button onClick={book} disabled={!selected || patient === null} loading={busy} data-testid="book-confirm">
              {t(reschedule ? 'book.moveConfirm' : 'book.confirm')}
            </Button>
          </Group>
        </Group>
      </Stack>
    </Modal>
  );
}
