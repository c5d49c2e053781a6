import type { Metadata } from 'next';
import { QueuesScreen } from '@/components/admin/QueuesScreen';

export const metadata: Metadata = { title: 'Очереди · Окно' };

export default function QueuesPage() {
  return <QueuesScreen />;
}
