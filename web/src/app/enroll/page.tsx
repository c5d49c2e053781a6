import type { Metadata } from 'next';
import { EnrollScreen } from '@/components/security/EnrollScreen';

export const metadata: Metadata = { title: 'Двухфакторная защита · Окно' };

export default function EnrollPage() {
  return <EnrollScreen />;
}
