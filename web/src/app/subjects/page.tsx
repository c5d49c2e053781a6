import type { Metadata } from 'next';
import { Suspense } from 'react';
import { FullPageLoader } from '@/components/shell/FullPageLoader';
import { SubjectsScreen } from '@/components/subjects/SubjectsScreen';

export const metadata: Metadata = { title: 'Субъекты ПДн · Окно' };

export default function SubjectsPage() {
  // The chosen person lives in the address (useSearchParams): a Suspense boundary for the static export.
  return (
    <Suspense fallback={<FullPageLoader />}>
      <SubjectsScreen />
    </Suspense>
  );
}
