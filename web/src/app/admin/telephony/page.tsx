import type { Metadata } from 'next';
import { TelephonyScreen } from '@/components/admin/TelephonyScreen';

export const metadata: Metadata = { title: 'Телефония · Окно' };

export default function TelephonyPage() {
  return <TelephonyScreen />;
}
