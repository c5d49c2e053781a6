import type { Metadata } from 'next';
import { CallsScreen } from '@/components/calls/CallsScreen';

export const metadata: Metadata = { title: 'Звонки · Окно' };

export default function CallsPage() {
  return <CallsScreen />;
}
