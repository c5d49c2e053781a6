// The inbox: every request the operator has seen, the ordered list for the active filters,
// and the merge rules for pages and live events.
import { useStore } from 'zustand';
import { createStore, type StoreApi } from 'zustand/vanilla';
import { api, type Api } from '@/lib/api';
import type { PatientRequest, RequestFilters } from '@/lib/types';

export const ALL_FILTERS: RequestFilters = { status: 'all', channel: 'all' };

/** What a live event did to the inbox. */
export type LiveOutcome = 'inserted' | 'updated' | 'duplicate' | 'stale';

export interface InboxState {
  /** Every request known to this tab, by id (also those outside the current filters). */
  byId: Record<string, PatientRequest>;
  /** The list shown: ids matching the filters, newest first. */
  ids: string[];
  filters: RequestFilters;
  /** Cursor of the next page, or null when the list is complete. */
  nextCursor: string | null;
  /** The first page for the current filters has arrived. */
  loaded: boolean;
  loadingMore: boolean;
  /** Message of the last failed list load, cleared by the next success. */
  error: string | null;
  /** Ids that arrived live since the list was (re)loaded; the list highlights them. */
  fresh: Record<string, true>;
  selectedId: string | null;
  /** The viewer's user id, for the "mine" filter of live events. */
  me: string;

  setMe(id: string): void;
  setFilters(patch: Partial<RequestFilters>): void;
  /** Re-fetches the first page and merges it (after every (re)connect). */
  resync(): Promise<void>;
  loadMore(): Promise<void>;
  /** Merges a request pushed by the server. */
  applyLive(kind: 'created' | 'updated', item: PatientRequest): LiveOutcome;
  /** Fetches one request into byId (a direct link to a request not in the list). */
  fetchOne(id: string): Promise<PatientRequest>;
  select(id: string | null): void;
}

/** Whether a request belongs in the list for these filters; `me` is the viewer's user id (for "mine"). */
export function matchesFilters(item: PatientRequest, f: RequestFilters, me = ''): boolean {
  return (
    (f.status === 'all' || item.status === f.status) &&
    (f.channel === 'all' || item.channel === f.channel) &&
    (!f.mine || (me !== '' && item.assignee_id === me)) &&
    (!f.queue || item.queue_id === f.queue) &&
    (!f.overdue || ((item.breached?.length ?? 0) > 0 && (item.status === 'new' || item.status === 'in_progress')))
  );
}

function sameFilters(a: RequestFilters, b: RequestFilters): boolean {
  return (
    a.status === b.status &&
    a.channel === b.channel &&
    !!a.mine === !!b.mine &&
    (a.queue ?? '') === (b.queue ?? '') &&
    !!a.overdue === !!b.overdue
  );
}

/** Sort order of the list: newest created first, then by id (UUIDv7 ids grow with time). */
export function newestFirst(a: PatientRequest, b: PatientRequest): number {
  const d = Date.parse(b.created_at) - Date.parse(a.created_at);
  if (d !== 0 && !Number.isNaN(d)) return d;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** Compares two versions of one request: >0 when `incoming` is newer, 0 when identical. */
function versionOrder(incoming: PatientRequest, existing: PatientRequest): number {
  const d = Date.parse(incoming.updated_at) - Date.parse(existing.updated_at);
  if (d !== 0 && !Number.isNaN(d)) return d;
  // Same timestamp (the server may round to seconds): identical content is a duplicate,
  // anything else is taken as the later arrival.
  return JSON.stringify(incoming) === JSON.stringify(existing) ? 0 : 1;
}

function newer(existing: PatientRequest | undefined, incoming: PatientRequest): PatientRequest {
  return existing && versionOrder(incoming, existing) <= 0 ? existing : incoming;
}

function sortIds(ids: Iterable<string>, byId: Record<string, PatientRequest>): string[] {
  return [...new Set(ids)].sort((a, b) => newestFirst(byId[a], byId[b]));
}

export type InboxApi = Pick<Api, 'listRequests' | 'getRequest'>;

export function createInboxStore(deps: InboxApi = api): StoreApi<InboxState> {
  // Bookkeeping that never renders, kept out of the state.
  let generation = 0; // bumps on filter change; older responses are dropped
  let resyncStarted = 0;
  let resyncApplied = 0;
  let liveSeq = 0; // bumps on every live event
  const touched = new Map<string, number>(); // id → liveSeq of its last live event

  return createStore<InboxState>()((set, get) => ({
    byId: {},
    ids: [],
    filters: ALL_FILTERS,
    nextCursor: null,
    loaded: false,
    loadingMore: false,
    error: null,
    fresh: {},
    selectedId: null,
    me: '',

    setMe(id) {
      if (get().me !== id) set({ me: id });
    },

    setFilters(patch) {
      const filters = { ...get().filters, ...patch };
      if (sameFilters(filters, get().filters)) return;
      generation += 1;
      set({ filters, ids: [], nextCursor: null, loaded: false, loadingMore: false, error: null, fresh: {} });
      void get().resync();
    },

    async resync() {
      const gen = generation;
      const seq = ++resyncStarted;
      const mark = liveSeq;
      let page;
      try {
        page = await deps.listRequests(get().filters, null);
      } catch (err) {
        if (gen === generation) set({ error: err instanceof Error ? err.message : String(err) });
        return;
      }
      // Drop answers to an older filter, and answers overtaken by a later resync.
      if (gen !== generation || seq < resyncApplied) return;
      resyncApplied = seq;
      set((s) => {
        const byId = { ...s.byId };
        for (const it of page.items) byId[it.id] = newer(byId[it.id], it);
        const inPage = new Set(page.items.map((it) => it.id));
        const oldest = page.items.length ? [...page.items].sort(newestFirst)[page.items.length - 1] : null;
        // The page is the truth for everything from its oldest item up (for all of it when it
        // is the last page): an item we hold there but the page lacks left the filter while we
        // were away, unless a live event brought it after this resync began.
        const covered = (it: PatientRequest) => page.next_cursor === null || (oldest !== null && newestFirst(it, oldest) <= 0);
        const kept = s.ids.filter((id) => inPage.has(id) || !covered(byId[id]) || (touched.get(id) ?? 0) > mark);
        const ids = sortIds([...kept, ...inPage], byId).filter((id) => matchesFilters(byId[id], s.filters, s.me));
        return {
          byId,
          ids,
          nextCursor: s.loaded ? s.nextCursor : page.next_cursor,
          loaded: true,
          error: null,
        };
      });
    },

    async loadMore() {
      const { nextCursor, loadingMore, filters } = get();
      if (!nextCursor || loadingMore) return;
      const gen = generation;
      set({ loadingMore: true });
      let page;
      try {
        page = await deps.listRequests(filters, nextCursor);
      } catch (err) {
        if (gen === generation) set({ loadingMore: false, error: err instanceof Error ? err.message : String(err) });
        return;
      }
      if (gen !== generation) return;
      set((s) => {
        const byId = { ...s.byId };
        for (const it of page.items) byId[it.id] = newer(byId[it.id], it);
        const ids = sortIds([...s.ids, ...page.items.map((it) => it.id)], byId).filter((id) =>
          matchesFilters(byId[id], s.filters, s.me),
        );
        return { byId, ids, nextCursor: page.next_cursor, loadingMore: false, error: null };
      });
    },

    applyLive(kind, item) {
      const s = get();
      const existing = s.byId[item.id];
      if (existing) {
        const order = versionOrder(item, existing);
        if (order === 0) return 'duplicate';
        if (order < 0) return 'stale';
      }
      liveSeq += 1;
      touched.set(item.id, liveSeq);

      const byId = { ...s.byId, [item.id]: item };
      const inList = s.ids.includes(item.id);
      const matches = matchesFilters(item, s.filters, s.me) && !item.merged_into;
      let ids = s.ids;
      let fresh = s.fresh;
      if (matches && !inList) {
        // Only within the loaded range: an older item will come with "load more".
        const last = s.ids.length ? byId[s.ids[s.ids.length - 1]] : null;
        if (s.nextCursor === null || last === null || newestFirst(item, last) <= 0) {
          ids = sortIds([...s.ids, item.id], byId);
          if (kind === 'created' && !existing) fresh = { ...fresh, [item.id]: true };
        }
      } else if (!matches && inList) {
        ids = s.ids.filter((id) => id !== item.id);
      }
      set({ byId, ids, fresh });
      return existing ? 'updated' : 'inserted';
    },

    async fetchOne(id) {
      const item = await deps.getRequest(id);
      set((s) => ({ byId: { ...s.byId, [item.id]: newer(s.byId[item.id], item) } }));
      return get().byId[item.id];
    },

    select(id) {
      if (get().selectedId !== id) set({ selectedId: id });
    },
  }));
}

export const inboxStore = createInboxStore();

export function useInbox<T>(selector: (s: InboxState) => T): T {
  return useStore(inboxStore, selector);
}
