// State of the live connection, for the header indicator.
import { create } from 'zustand';
import type { LiveState } from '@/lib/socket';

interface WsState {
  state: LiveState;
  /** The socket has been open at least once in this page's life. */
  everLive: boolean;
  setState(state: LiveState): void;
}

export const useWs = create<WsState>()((set) => ({
  state: 'reconnecting',
  everLive: false,
  setState(state) {
    set((s) => ({ state, everLive: s.everLive || state === 'live' }));
  },
}));
