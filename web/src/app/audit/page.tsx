import type { Metadata } from 'next';
import { Suspense } from 'react';
import { AuditScreen } from '@/components/audit/AuditScreen';
import { FullPageLoader } from '@/components/shell/FullPageLoader';

export const metadata: Metadata = { title: 'Журнал аудита · Окно' };

export default function AuditPage() {
  // The search lives in the address (useSearchParams): a Suspense boundary for the static export.
  return (
    <Suspense fallback={<FullPageLoader />}>
      <AuditScreen />
    </Suspense>
  );
}
