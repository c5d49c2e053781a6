import type { Metadata } from 'next';
import { MisScreen } from '@/components/admin/MisScreen';

export const metadata: Metadata = { title: 'МИС · Окно' };

export default function MisPage() {
  return <MisScreen />;
}
