'use client';

import { Box, Group, Table, Text, Tooltip, UnstyledButton } from '@mantine/core';
import { clinicDay, clinicTime, dayLabel, shortName } from '@/lib/booking';
import { useLang, useT } from '@/lib/i18n';
import { bookable, isWeekend, type Grid, type ScheduleView } from '@/lib/schedule';
import type { ScheduleSlot } from '@/lib/types';
import classes from './ScheduleGrid.module.css';

/** One slot in a cell: a button when it can be booked from here, else a greyed mark. */
function SlotMark({ slot, label, canPick, now, onPick }: { slot: ScheduleSlot; label: string; canPick: boolean; now: Date; onPick(s: ScheduleSlot): void }) {
  const t = useT();
  const free = bookable(slot, now);
  const state = slot.status === 'free' ? (free ? 'free' : 'past') : 'busy';
  const title = `${clinicTime(slot.start)}–${clinicTime(slot.end)} · ${state === 'busy' ? t('schedule.busy') : state === 'past' ? t('schedule.past') : t('schedule.free')}`;
  if (free && canPick) {
    return (
      <Tooltip label={title} openDelay={300}>
        <UnstyledButton
          className={classes.slot}
          data-state="free"
          onClick={() => onPick(slot)}
          data-testid="schedule-slot"
          data-slot-id={slot.id}
          aria-label={title}
        >
          {label}
        </UnstyledButton>
      </Tooltip>
    );
  }
  return (
    <Box className={classes.slot} data-state={state} data-testid="schedule-slot" data-slot-id={slot.id} title={title} aria-disabled>
      {label}
    </Box>
  );
}

/**
 * The grid: a row per doctor; columns are start times (a day) or the days of a week. Free slots
 * are teal and, when the page books for a request, clickable; taken ones are grey.
 */
export function ScheduleGrid({
  grid,
  view,
  canPick,
  onPick,
  now = new Date(),
}: {
  grid: Grid;
  view: ScheduleView;
  canPick: boolean;
  onPick(s: ScheduleSlot): void;
  now?: Date;
}) {
  const t = useT();
  const lang = useLang((s) => s.lang);
  const today = clinicDay(now);
  const shade = (c: string) => (view !== 'week' ? undefined : c === today ? classes.today : isWeekend(c) ? classes.weekend : undefined);
  return (
    <Table.ScrollContainer minWidth={view === 'day' ? Math.max(640, 200 + grid.columns.length * 62) : 1100} type="native">
      <Table withTableBorder withColumnBorders bg="white" fz="sm" verticalSpacing={6} className={classes.table} data-testid="schedule-grid" data-view={view}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th className={classes.doctorCol}>{t('book.doctor')}</Table.Th>
            {grid.columns.map((c) => (
              <Table.Th
                key={c}
                ta="center"
                className={shade(c)}
                style={{ whiteSpace: 'nowrap', fontWeight: 600 }}
                data-testid="schedule-col"
              >
                {view === 'day' ? c : dayLabel(c, lang)}
              </Table.Th>
            ))}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {grid.rows.map((r) => (
            <Table.Tr key={r.doctor.id} data-testid="schedule-row" data-doctor-id={r.doctor.id}>
              <Table.Td className={classes.doctorCol}>
                <Text size="sm" fw={500} style={{ whiteSpace: 'nowrap' }} title={r.doctor.name}>
                  {shortName(r.doctor.name || r.doctor.id)}
                </Text>
                <Text size="xs" c="dimmed">
                  {t('schedule.freeCount', { n: r.free })}
                </Text>
              </Table.Td>
              {grid.columns.map((c) => {
                const cell = r.cells[c] ?? [];
                return (
                  <Table.Td key={c} className={shade(c)} ta={view === 'day' ? 'center' : undefined}>
                    {view === 'day' ? (
                      cell.map((s) => <SlotMark key={s.id} slot={s} label={clinicTime(s.start)} canPick={canPick} now={now} onPick={onPick} />)
                    ) : (
                      <Group gap={3}>
                        {cell.map((s) => (
                          <SlotMark key={s.id} slot={s} label={clinicTime(s.start)} canPick={canPick} now={now} onPick={onPick} />
                        ))}
                      </Group>
                    )}
                  </Table.Td>
                );
              })}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
