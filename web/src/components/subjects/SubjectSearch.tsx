'use client';

import { Badge, Button, Group, Paper, SimpleGrid, Stack, Text, TextInput, UnstyledButton } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { api } from '@/lib/api';
import { useT } from '@/lib/i18n';
import { fieldErrors } from '@/lib/problems';
import { searchBody, type SearchForm } from '@/lib/subjects';
import type { Contact } from '@/lib/types';
import { ProblemAlert } from '../common/ProblemAlert';
import { Section } from '../common/Section';

/** A contact the search found; `anonymized` once it was forgotten on this page. */
export type FoundContact = Contact & { anonymized?: boolean };

const EMPTY: SearchForm = { phone: '', email: '' };

/** Find a person by exact phone or e-mail; the matches as cards to choose from. */
export function SubjectSearch({
  results,
  onResults,
  selectedId,
  onChoose,
}: {
  results: FoundContact[] | null;
  onResults: (items: FoundContact[] | null) => void;
  selectedId: string;
  onChoose: (id: string) => void;
}) {
  const t = useT();
  const [form, setForm] = useState<SearchForm>(EMPTY);
  const [local, setLocal] = useState<{ field: keyof SearchForm; message: string } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const fields = fieldErrors(error);

  // One of the two: typing in one clears the other.
  const edit = (field: keyof SearchForm, value: string) => {
    setForm({ ...EMPTY, [field]: value });
    setLocal(null);
    setError(null);
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const built = searchBody(form);
    if ('error' in built) {
      setLocal({ field: built.field, message: built.error === 'email' ? t('subjects.emailInvalid') : t('subjects.required') });
      return;
    }
    setBusy(true);
    setError(null);
    setLocal(null);
    try {
      const found = await api.searchContacts(built.body);
      const items = found.items ?? [];
      onResults(items);
      // The person shown below belongs to the search before: close them unless found again.
      if (selectedId && !items.some((c) => c.id === selectedId)) onChoose('');
    } catch (err) {
      setError(err);
      onResults(null);
    } finally {
      setBusy(false);
    }
  };

  const errorFor = (field: keyof SearchForm) => (local?.field === field ? local.message : fields[field]);

  return (
    <Section title={t('subjects.search')} hint={t('subjects.searchHint')} testId="subjects-search">
      <form onSubmit={submit} noValidate>
        <Group gap="sm" align="flex-start" wrap="wrap">
          <TextInput
            label={t('subjects.phone')}
            placeholder="+7 900 000-00-00"
            type="tel"
            autoComplete="off"
            w={230}
            value={form.phone}
            onChange={(e) => edit('phone', e.currentTarget.value)}
            error={errorFor('phone')}
            data-testid="subjects-search-phone"
          />
          <Text size="sm" c="dimmed" mt={30}>
            {t('subjects.or')}
          </Text>
          <TextInput
            label={t('subjects.email')}
            placeholder="name@example.ru"
            type="email"
            autoComplete="off"
            w={260}
            value={form.email}
            onChange={(e) => edit('email', e.currentTarget.value)}
            error={errorFor('email')}
            data-testid="subjects-search-email"
          />
          <Button type="submit" mt={25} loading={busy} data-testid="subjects-search-submit">
            {t('subjects.find')}
          </Button>
        </Group>
      </form>
      <ProblemAlert error={error} fields={['phone', 'email']} testId="subjects-search-error" />

      {results !== null && (
        <Stack gap="xs" mt="md">
          <Text size="xs" c="dimmed" data-testid="subjects-found">
            {results.length ? t('subjects.found', { count: results.length }) : t('subjects.notFound')}
          </Text>
          {results.length > 0 && (
            <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }} spacing="sm">
              {results.map((c) => (
                <ResultCard key={c.id} contact={c} selected={c.id === selectedId} onChoose={() => onChoose(c.id)} />
              ))}
            </SimpleGrid>
          )}
        </Stack>
      )}
    </Section>
  );
}

function ResultCard({ contact, selected, onChoose }: { contact: FoundContact; selected: boolean; onChoose: () => void }) {
  const t = useT();
  return (
    <UnstyledButton
      onClick={onChoose}
      aria-pressed={selected}
      data-testid="subjects-result"
      data-id={contact.id}
      data-selected={selected}
    >
      <Paper
        withBorder
        p="sm"
        radius="md"
        bg={selected ? 'teal.0' : undefined}
        style={{ borderColor: selected ? 'var(--mantine-color-teal-5)' : undefined }}
      >
        <Group justify="space-between" wrap="nowrap" gap="xs">
          <Text fw={600} size="sm" truncate c={contact.name ? undefined : 'dimmed'}>
            {contact.name || t('subjects.noName')}
          </Text>
          {contact.anonymized && (
            <Badge size="sm" color="gray" variant="light" radius="sm" tt="none">
              {t('subjects.anonymized')}
            </Badge>
          )}
        </Group>
        <Text size="sm" mt={4} ff="monospace">
          {contact.phone || '—'}
        </Text>
        <Text size="sm" ff="monospace" truncate>
          {contact.email || '—'}
        </Text>
        {contact.masked && !contact.anonymized && (
          <Text size="xs" c="dimmed" mt={4}>
            {t('subjects.masked')}
          </Text>
        )}
      </Paper>
    </UnstyledButton>
  );
}
