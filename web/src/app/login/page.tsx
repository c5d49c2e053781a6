import type { Metadata } from 'next';
import { LoginScreen } from '@/components/login/LoginScreen';

export const metadata: Metadata = { title: 'Вход · Окно' };

export default function LoginPage() {
  return <LoginScreen />;
}
