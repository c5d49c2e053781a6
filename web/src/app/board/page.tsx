import type { Metadata } from 'next';
import { BoardScreen } from '@/components/board/BoardScreen';

export const metadata: Metadata = { title: 'Табло · Окно' };

export default function BoardPage() {
  return <BoardScreen />;
}
