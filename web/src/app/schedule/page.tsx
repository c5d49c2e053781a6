import type { Metadata } from 'next';
import { Suspense } from 'react';
import { ScheduleScreen } from '@/components/schedule/ScheduleScreen';
import { FullPageLoader } from '@/components/shell/FullPageLoader';

export const metadata: Metadata = { title: 'Расписание · Окно' };

export default function SchedulePage() {
  // The request to book for lives in the address (?request=…): a Suspense boundary for the static export.
  return (
    <Suspense fallback={<FullPageLoader />}>
      <ScheduleScreen />
    </Suspense>
  );
}
