// A paged list kept live: the first page on every (re)connect, more pages on demand, pushed
// items merged by id. The inbox's calls and open tasks, the call log.
import { useStore } from 'zustand';
import { createStore, type StoreApi } from 'zustand/vanilla';

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface ListSpec<T extends { id: string }, F> {
  fetch(filters: F, cursor: string | null): Promise<Page<T>>;
  /** Whether an item belongs in the list for these filters (live events are checked here). */
  matches(item: T, filters: F): boolean;
  /** The time the list is ordered by, newest first. */
  at(item: T): string;
  /** >0 when `incoming` is a later version than `existing`; absent: the later arrival wins. */
  newer?(incoming: T, existing: T): number;
  same(a: F, b: F): boolean;
}

export interface LiveListState<T, F> {
  byId: Record<string, T>;
  ids: string[];
  filters: F;
  nextCursor: string | null;
  loaded: boolean;
  loadingMore: boolean;
  error: string | null;
  /** Ids that arrived live since the list was loaded. */
  fresh: Record<string, true>;

  setFilters(filters: F): void;
  resync(): Promise<void>;
  loadMore(): Promise<void>;
  /** Merges a pushed item; returns whether it is new to this tab. */
  applyLive(item: T): 'inserted' | 'updated' | 'stale';
  /** Drops everything (signed out, the list hidden). */
  reset(): void;
}

export function createLiveList<T extends { id: string }, F>(spec: ListSpec<T, F>, initial: F): StoreApi<LiveListState<T, F>> {
  let generation = 0;
  let resyncStarted = 0;
  let resyncApplied = 0;
  let liveSeq = 0;
  const touched = new Map<string, number>();

  const time = (it: T) => {
    const t = Date.parse(spec.at(it));
    return Number.isNaN(t) ? 0 : t;
  };
  const order = (byId: Record<string, T>) => (a: string, b: string) => {
    const d = time(byId[b]) - time(byId[a]);
    if (d !== 0) return d;
    return a < b ? 1 : a > b ? -1 : 0;
  };
  const keep = (existing: T | undefined, incoming: T) =>
    existing && spec.newer && spec.newer(incoming, existing) < 0 ? existing : incoming;

  return createStore<LiveListState<T, F>>()((set, get) => ({
    byId: {},
    ids: [],
    filters: initial,
    nextCursor: null,
    loaded: false,
    loadingMore: false,
    error: null,
    fresh: {},

    setFilters(filters) {
      if (spec.same(filters, get().filters) && get().loaded) return;
      generation += 1;
      set({ filters, ids: [], nextCursor: null, loaded: false, loadingMore: false, error: null, fresh: {} });
      void get().resync();
    },

    async resync() {
      const gen = generation;
      const seq = ++resyncStarted;
      const mark = liveSeq;
      let page: Page<T>;
      try {
        page = await spec.fetch(get().filters, null);
      } catch (err) {
        if (gen === generation) set({ error: err instanceof Error ? err.message : String(err) });
        return;
      }
      if (gen !== generation || seq < resyncApplied) return;
      resyncApplied = seq;
      set((s) => {
        const byId = { ...s.byId };
        for (const it of page.items) byId[it.id] = keep(byId[it.id], it);
        const inPage = new Set(page.items.map((it) => it.id));
        const oldest = page.items.length ? Math.min(...page.items.map(time)) : Infinity;
        // The page is the truth down to its oldest item (all of it on the last page); older
        // loaded items stay, and so does anything pushed while the page was on its way.
        const kept = s.ids.filter(
          (id) => inPage.has(id) || (page.next_cursor !== null && time(byId[id]) < oldest) || (touched.get(id) ?? 0) > mark,
        );
        const ids = [...new Set([...kept, ...inPage])].filter((id) => spec.matches(byId[id], s.filters)).sort(order(byId));
        return { byId, ids, nextCursor: s.loaded ? s.nextCursor : page.next_cursor, loaded: true, error: null };
      });
    },

    async loadMore() {
      const { nextCursor, loadingMore, filters } = get();
      if (!nextCursor || loadingMore) return;
      const gen = generation;
      set({ loadingMore: true });
      let page: Page<T>;
      try {
        page = await spec.fetch(filters, nextCursor);
      } catch (err) {
        if (gen === generation) set({ loadingMore: false, error: err instanceof Error ? err.message : String(err) });
        return;
      }
      if (gen !== generation) return;
      set((s) => {
        const byId = { ...s.byId };
        for (const it of page.items) byId[it.id] = keep(byId[it.id], it);
        const ids = [...new Set([...s.ids, ...page.items.map((it) => it.id)])]
          .filter((id) => spec.matches(byId[id], s.filters))
          .sort(order(byId));
        return { byId, ids, nextCursor: page.next_cursor, loadingMore: false, error: null };
      });
    },

    applyLive(item) {
      const s = get();
      const existing = s.byId[item.id];
      if (existing && spec.newer && spec.newer(item, existing) < 0) return 'stale';
      liveSeq += 1;
      touched.set(item.id, liveSeq);
      const byId = { ...s.byId, [item.id]: item };
      const inList = s.ids.includes(item.id);
      const matches = spec.matches(item, s.filters);
      let ids = s.ids;
      let fresh = s.fresh;
      if (matches && !inList) {
        const last = s.ids.length ? byId[s.ids[s.ids.length - 1]] : null;
        // Only within the loaded range: an older item comes with "load more".
        if (s.nextCursor === null || last === null || time(item) >= time(last)) {
          ids = [...s.ids, item.id].sort(order(byId));
          if (!existing) fresh = { ...fresh, [item.id]: true };
        }
      } else if (!matches && inList) {
        ids = s.ids.filter((id) => id !== item.id);
      }
      set({ byId, ids, fresh });
      return existing ? 'updated' : 'inserted';
    },

    reset() {
      generation += 1;
      touched.clear();
      set({ byId: {}, ids: [], nextCursor: null, loaded: false, loadingMore: false, error: null, fresh: {} });
    },
  }));
}

export function useLiveList<T, F, R>(store: StoreApi<LiveListState<T, F>>, selector: (s: LiveListState<T, F>) => R): R {
  return useStore(store, selector);
}
