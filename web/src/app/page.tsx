import { Suspense } from 'react';
import { FullPageLoader } from '@/components/shell/FullPageLoader';
import { WindowScreen } from '@/components/shell/WindowScreen';

export default function WindowPage() {
  // useSearchParams (the open request, /?id=…) needs a Suspense boundary in a static export.
  return (
    <Suspense fallback={<FullPageLoader />}>
      <WindowScreen />
    </Suspense>
  );
}
