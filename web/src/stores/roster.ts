// The operators and queues the screens name people and queues by, fetched once a tab and again
// on demand (after an edit on the queues page).
import { create } from 'zustand';
import type { OperatorView, Queue } from '@/lib/cc';
import { ccApi } from '@/lib/ccApi';

interface RosterState {
  operators: OperatorView[];
  queues: Queue[];
  loaded: boolean;
  load(force?: boolean): Promise<void>;
}

let inflight: Promise<void> | null = null;

export const useRoster = create<RosterState>()((set, get) => ({
  operators: [],
  queues: [],
  loaded: false,
  load(force = false) {
    if (inflight) return inflight;
    if (get().loaded && !force) return Promise.resolve();
    inflight = Promise.all([ccApi.operators(), ccApi.queues()])
      .then(([o, q]) => set({ operators: o.items, queues: q.items, loaded: true }))
      .catch(() => undefined)
      .finally(() => {
        inflight = null;
      });
    return inflight;
  },
}));

/** A person's display name by user id: the roster's name, else the id's start. */
export function nameOf(operators: OperatorView[], id: string): string {
  if (!id) return '';
  const o = operators.find((x) => x.user_id === id);
  return o ? o.name || o.login : `${id.slice(0, 8)}…`;
}
