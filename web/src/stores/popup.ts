// The incoming-call card on screen: the newest call ringing on this operator's extension.
import { create } from 'zustand';
import type { CallPopup, CallView } from '@/lib/cc';

interface PopupState {
  popup: CallPopup | null;
  show(p: CallPopup): void;
  /** A later state of a call: the card follows it, and goes once the call ended unanswered. */
  follow(call: CallView): void;
  close(): void;
}

export const usePopup = create<PopupState>()((set, get) => ({
  popup: null,
  show(p) {
    set({ popup: p });
  },
  follow(call) {
    const p = get().popup;
    if (!p || p.call.id !== call.id) return;
    if (call.state === 'ended' && call.result !== 'answered') {
      set({ popup: null });
      return;
    }
    set({ popup: { ...p, call: { ...p.call, ...call, contact: call.contact ?? p.call.contact } } });
  },
  close() {
    set({ popup: null });
  },
}));
