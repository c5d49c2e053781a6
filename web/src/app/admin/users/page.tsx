import type { Metadata } from 'next';
import { UsersScreen } from '@/components/admin/UsersScreen';

export const metadata: Metadata = { title: 'Пользователи · Окно' };

export default function UsersPage() {
  return <UsersScreen />;
}
