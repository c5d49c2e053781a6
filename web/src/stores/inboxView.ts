// What the inbox shows: requests, calls, open tasks, or all of them as one list.
import { create } from 'zustand';
import type { InboxKind } from '@/lib/cc';

interface InboxViewState {
  kind: InboxKind;
  setKind(kind: InboxKind): void;
}

export const useInboxView = create<InboxViewState>()((set) => ({
  kind: 'all',
  setKind(kind) {
    set({ kind });
  },
}));
