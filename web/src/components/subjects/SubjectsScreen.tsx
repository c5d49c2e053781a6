'use client';

import { Stack, Text, Title } from '@mantine/core';
import { useRouter, useSearchParams } from 'next/navigation';
import { useCallback, useState } from 'react';
import { useT } from '@/lib/i18n';
import { contactFromParams, subjectsPath } from '@/lib/subjects';
import type { Contact, User } from '@/lib/types';
import { PageShell } from '../shell/PageShell';
import { SubjectPanel } from './SubjectPanel';
import { SubjectSearch, type FoundContact } from './SubjectSearch';

const ACCESS = { permission: 'subjects.manage' };

/**
 * /subjects/: a patient's requests under 152-FZ. Find the person by phone or e-mail (sent in
 * the body), then see what is held on them, withdraw a consent, or forget them. The chosen
 * person's id (never their phone) lives in the address: /subjects/?contact=….
 */
export function SubjectsScreen() {
  return <PageShell access={ACCESS}>{(user) => <SubjectsPage user={user} />}</PageShell>;
}

function SubjectsPage({ user }: { user: User }) {
  const t = useT();
  const router = useRouter();
  const contactId = contactFromParams(useSearchParams());
  const [results, setResults] = useState<FoundContact[] | null>(null);

  const choose = useCallback((id: string) => router.replace(subjectsPath(id)), [router]);

  // The search results still name a person who was just forgotten: blank them as the server did.
  const forgotten = useCallback((c: Contact) => {
    setResults((list) =>
      list ? list.map((x) => (x.id === c.id ? { ...x, name: c.name, phone: c.phone, email: c.email, anonymized: true } : x)) : list,
    );
  }, []);

  return (
    <Stack gap="md" data-testid="subjects">
      <div>
        <Title order={3}>{t('subjects.title')}</Title>
        <Text size="sm" c="dimmed" mt={2}>
          {t('subjects.hint')}
        </Text>
      </div>
      <SubjectSearch results={results} onResults={setResults} selectedId={contactId} onChoose={choose} />
      {contactId ? (
        <SubjectPanel key={contactId} contactId={contactId} user={user} onAnonymized={forgotten} />
      ) : (
        results !== null &&
        results.length > 0 && (
          <Text size="sm" c="dimmed" ta="center" py="md">
            {t('subjects.choose')}
          </Text>
        )
      )}
    </Stack>
  );
}
