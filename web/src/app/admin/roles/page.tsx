import type { Metadata } from 'next';
import { RolesScreen } from '@/components/admin/RolesScreen';

export const metadata: Metadata = { title: 'Роли · Окно' };

export default function RolesPage() {
  return <RolesScreen />;
}
