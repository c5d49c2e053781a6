'use client';

import { Button, Center, Group, Loader, Stack, Text, Title, Tooltip } from '@mantine/core';
import { useRouter, useSearchParams } from 'next/navigation';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { api } from '@/lib/api';
import { auditExportHref, auditFiltersFromParams, auditFiltersToParams, auditQuery } from '@/lib/audit';
import { useT } from '@/lib/i18n';
import { ROUTES } from '@/lib/nav';
import type { AuditEntry, AuditFilters } from '@/lib/types';
import { LoadState } from '../common/LoadState';
import { PageShell } from '../shell/PageShell';
import { AuditEntryDrawer } from './AuditEntryDrawer';
import { AuditFilterForm } from './AuditFilterForm';
import { AuditTable } from './AuditTable';

const ACCESS = { permission: 'audit.read' };

/** /audit/: search the audit trail; the search lives in the address (/audit/?action=…). */
export function AuditScreen() {
  return (
    <PageShell access={ACCESS} size="100%">
      {() => <AuditPage />}
    </PageShell>
  );
}

interface Results {
  items: AuditEntry[];
  next: string | null;
  /** The search these rows answer (the API query without paging). */
  query: string;
}

function AuditPage() {
  const t = useT();
  const router = useRouter();
  const search = useSearchParams().toString();
  const applied = useMemo(() => auditFiltersFromParams(new URLSearchParams(search)), [search]);
  const [results, setResults] = useState<Results | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [loadingMore, setLoadingMore] = useState(false);
  const [version, setVersion] = useState(0);
  const [open, setOpen] = useState<AuditEntry | null>(null);
  const generation = useRef(0);

  // A new search (or a retry): the first page.
  useEffect(() => {
    const ctl = new AbortController();
    const gen = ++generation.current;
    setLoading(true);
    setError(null);
    api
      .audit(applied, null, ctl.signal)
      .then((page) => {
        if (gen !== generation.current) return;
        setResults({ items: page.items ?? [], next: page.next_cursor ?? null, query: auditQuery(applied) });
      })
      .catch((err) => {
        if (gen === generation.current && !ctl.signal.aborted) setError(err);
      })
      .finally(() => {
        if (gen === generation.current) setLoading(false);
      });
    return () => ctl.abort();
  }, [applied, version]);

  const loadMore = async () => {
    if (!results?.next || loadingMore) return;
    const gen = generation.current;
    setLoadingMore(true);
    try {
      const page = await api.audit(applied, results.next);
      if (gen !== generation.current) return;
      setResults((r) => {
        if (!r) return r;
        const seen = new Set(r.items.map((e) => e.seq));
        return { ...r, items: [...r.items, ...(page.items ?? []).filter((e) => !seen.has(e.seq))], next: page.next_cursor ?? null };
      });
    } catch (err) {
      if (gen === generation.current) setError(err);
    } finally {
      setLoadingMore(false);
    }
  };

  const apply = useCallback(
    (f: AuditFilters) => {
      const q = auditFiltersToParams(f);
      // The same search again still reloads: new records may have come.
      if (q === auditFiltersToParams(applied)) setVersion((v) => v + 1);
      else router.replace(q ? `${ROUTES.audit}?${q}` : ROUTES.audit);
      setOpen(null);
    },
    [router, applied],
  );

  const items = results?.items ?? [];

  return (
    <Stack gap="sm">
      <Group justify="space-between" align="flex-end">
        <Title order={3}>{t('audit.title')}</Title>
        <Tooltip label={t('audit.exportHint')} openDelay={300}>
          <Button
            component="a"
            href={auditExportHref(applied)}
            download
            size="xs"
            variant="default"
            data-testid="audit-export"
          >
            {t('audit.export')}
          </Button>
        </Tooltip>
      </Group>

      <AuditFilterForm applied={applied} onApply={apply} />

      {error && !loading ? (
        <LoadState loading={false} error={error} onRetry={() => setVersion((v) => v + 1)} />
      ) : null}

      {results === null && loading ? (
        <Center py="xl">
          <Loader size="sm" />
        </Center>
      ) : results !== null ? (
        <>
          <Group justify="space-between" gap="xs">
            <Text size="xs" c="dimmed" data-testid="audit-count">
              {t('audit.shown', { count: items.length })}
            </Text>
            {loading && <Loader size={14} />}
          </Group>
          <AuditTable items={items} query={results.query} onOpen={setOpen} busy={loading} />
          {items.length === 0 && !loading && (
            <Text c="dimmed" size="sm" ta="center" py="lg" data-testid="audit-empty">
              {t('audit.empty')}
            </Text>
          )}
          {results.next && (
            <Center>
              <Button variant="subtle" size="xs" loading={loadingMore} onClick={() => void loadMore()} data-testid="audit-more">
                {t('common.loadMore')}
              </Button>
            </Center>
          )}
        </>
      ) : null}

      <AuditEntryDrawer
        entry={open}
        onClose={() => setOpen(null)}
        onFilter={(patch) => apply({ ...applied, ...patch })}
      />
    </Stack>
  );
}
