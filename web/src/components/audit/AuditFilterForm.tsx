'use client';

import { Autocomplete, Button, Group, Paper, Select, TextInput } from '@mantine/core';
import { type FormEvent, useEffect, useState } from 'react';
import { EMPTY_AUDIT_FILTERS, KNOWN_ACTIONS, KNOWN_OBJECT_TYPES, periodInvalid } from '@/lib/audit';
import { useT } from '@/lib/i18n';
import type { AuditFilters } from '@/lib/types';

/** The search form; `applied` is what the table shows now (from the address). */
export function AuditFilterForm({ applied, onApply }: { applied: AuditFilters; onApply: (f: AuditFilters) => void }) {
  const t = useT();
  const [form, setForm] = useState<AuditFilters>(applied);
  useEffect(() => setForm(applied), [applied]);
  const set = (patch: Partial<AuditFilters>) => setForm((f) => ({ ...f, ...patch }));
  const badPeriod = periodInvalid(form);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (badPeriod) return;
    onApply(form);
  };

  return (
    <Paper withBorder p="sm" radius="md">
      <form onSubmit={submit} noValidate data-testid="audit-filters">
        <Group gap="sm" align="flex-end" wrap="wrap">
          <TextInput
            label={t('audit.actor')}
            placeholder={t('audit.actorHint')}
            size="xs"
            w={170}
            value={form.actor}
            onChange={(e) => set({ actor: e.currentTarget.value })}
            data-testid="audit-actor"
          />
          <TextInput
            label={t('audit.object')}
            placeholder={t('audit.objectHint')}
            size="xs"
            w={250}
            value={form.object}
            onChange={(e) => set({ object: e.currentTarget.value })}
            styles={{ input: { fontFamily: form.object ? 'var(--mantine-font-family-monospace)' : undefined } }}
            data-testid="audit-object"
          />
          <Select
            label={t('audit.objectType')}
            size="xs"
            w={130}
            clearable
            placeholder={t('audit.any')}
            data={[...KNOWN_OBJECT_TYPES]}
            value={form.object_type || null}
            onChange={(v) => set({ object_type: v ?? '' })}
            comboboxProps={{ withinPortal: true }}
            data-testid="audit-object-type"
          />
          <Autocomplete
            label={t('audit.action')}
            placeholder={t('audit.actionHint')}
            size="xs"
            w={190}
            data={[...KNOWN_ACTIONS]}
            value={form.action}
            onChange={(v) => set({ action: v })}
            comboboxProps={{ withinPortal: true }}
            data-testid="audit-action"
          />
          <TextInput
            type="datetime-local"
            label={t('audit.from')}
            size="xs"
            w={190}
            value={form.from}
            onChange={(e) => set({ from: e.currentTarget.value })}
            data-testid="audit-from"
          />
          <TextInput
            type="datetime-local"
            label={t('audit.to')}
            size="xs"
            w={190}
            value={form.to}
            onChange={(e) => set({ to: e.currentTarget.value })}
            error={badPeriod ? t('audit.periodInvalid') : undefined}
            data-testid="audit-to"
          />
          <Group gap={6} wrap="nowrap">
            <Button type="submit" size="xs" disabled={badPeriod} data-testid="audit-search">
              {t('audit.search')}
            </Button>
            <Button
              type="button"
              size="xs"
              variant="subtle"
              color="gray"
              onClick={() => {
                setForm(EMPTY_AUDIT_FILTERS);
                onApply(EMPTY_AUDIT_FILTERS);
              }}
              data-testid="audit-reset"
            >
              {t('audit.reset')}
            </Button>
          </Group>
        </Group>
      </form>
    </Paper>
  );
}
