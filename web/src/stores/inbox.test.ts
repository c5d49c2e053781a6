import { describe, expect, it } from 'vitest';
import type { PatientRequest, RequestFilters, RequestPage } from '@/lib/types';
import { createInboxStore, type InboxApi } from './inbox';

let clock = Date.parse('2025-11-21T09:00:00Z');

function req(id: string, patch: Partial<PatientRequest> = {}): PatientRequest {
  clock += 60_000;
  const at = new Date(clock).toISOString();
  return {
    id,
    channel: 'web_form',
    status: 'new',
    source: 'demo',
    source_name: 'Запись на приём',
    message: 'Хочу записаться',
    contact: { id: `c-${id}`, name: `Пациент ${id}`, phone: '+73432000000', email: '' },
    consent: { given_at: at, text_version: 'v1' },
    created_at: at,
    updated_at: at,
    ...patch,
  };
}

function later(item: PatientRequest, patch: Partial<PatientRequest>): PatientRequest {
  return { ...item, ...patch, updated_at: new Date(Date.parse(item.updated_at) + 5_000).toISOString() };
}

/** A fake API whose list answers are queued by the test and resolved when it says so. */
function fakeApi() {
  const calls: { filters: RequestFilters; cursor: string | null }[] = [];
  const pending: ((page: RequestPage) => void)[] = [];
  const one = new Map<string, PatientRequest>();
  const deps: InboxApi = {
    listRequests: (filters, cursor) => {
      calls.push({ filters, cursor });
      return new Promise((resolve) => pending.push(resolve));
    },
    getRequest: async (id) => {
      const found = one.get(id);
      if (!found) throw new Error('not found');
      return found;
    },
  };
  /** Answers the outstanding list call at `index` (0 = oldest) and lets the store apply it. */
  const answerAt = async (index: number, items: PatientRequest[], next_cursor: string | null = null) => {
    const [resolve] = pending.splice(index, 1);
    if (!resolve) throw new Error(`no list call #${index} to answer`);
    resolve({ items, next_cursor });
    await new Promise((r) => setTimeout(r, 0));
  };
  return {
    deps,
    calls,
    one,
    answerAt,
    /** Answers the oldest outstanding list call. */
    answer: (items: PatientRequest[], next_cursor: string | null = null) => answerAt(0, items, next_cursor),
  };
}

describe('inbox store', () => {
  it('shows the first page newest first, whatever order it arrives in', async () => {
    const f = fakeApi();
    const store = createInboxStore(f.deps);
    const a = req('a');
    const b = req('b');
    const c = req('c');
    const p = store.getState().resync();
    await f.answer([b, c, a]);
    await p;
    expect(store.getState().ids).toEqual(['c', 'b', 'a']);
    expect(store.getState().loaded).toBe(true);
  });

  it('puts a live request at the top and marks it fresh', async () => {
    const f = fakeApi();
    const store = createInboxStore(f.deps);
    const a = req('a');
    const b = req('b');
    const p = store.getState().resync();
    await f.answer([b, a], 'cursor-2');
    await p;
    const c = req('c');
    expect(store.getState().applyLive('created', c)).toBe('inserted');
    expect(store.getState().ids).toEqual(['c', 'b', 'a']);
    expect(store.getState().fresh).toEqual({ c: true });
  });

  it('ignores a duplicate live event and a stale one', async () => {
    const f = fakeApi();
    const store = createInboxStore(f.deps);
    const a = req('a');
    expect(store.getState().applyLive('created', a)).toBe('inserted');
    expect(store.getState().applyLive('created', { ...a })).toBe('duplicate');
    const a2 = later(a, { status: 'in_progress' });
    expect(store.getState().applyLive('updated', a2)).toBe('updated');
    expect(store.getState().applyLive('updated', a)).toBe('stale');
    expect(store.getState().ids).toEqual(['a']);
    expect(store.getState().byId.a.status).toBe('in_progress');
  });

  it('takes a changed request with the same timestamp as the later arrival', () => {
    const store = createInboxStore(fakeApi().deps);
    const a = req('a');
    store.getState().applyLive('created', a);
    expect(store.getState().applyLive('updated', { ...a, status: 'booked' })).toBe('updated');
    expect(store.getState().byId.a.status).toBe('booked');
  });

  it('respects the filters: a non-matching live request stays out, an update out of the filter removes it', async () => {
    const f = fakeApi();
    const store = createInboxStore(f.deps);
    store.getState().setFilters({ status: 'new', channel: 'phone' });
    expect(f.calls[0].filters).toEqual({ status: 'new', channel: 'phone' });
    const a = req('a', { channel: 'phone' });
    await f.answer([a]);

    expect(store.getState().applyLive('created', req('web', { channel: 'web_form' }))).toBe('inserted');
    expect(store.getState().ids).toEqual(['a']);
    expect(store.getState().byId.web).toBeDefined();

    store.getState().applyLive('updated', later(a, { status: 'booked' }));
    expect(store.getState().ids).toEqual([]);

    const call = req('call', { channel: 'phone' });
    store.getState().applyLive('created', call);
    expect(store.getState().ids).toEqual(['call']);
  });

  it('does not insert a live update older than the loaded range while more pages exist', async () => {
    const f = fakeApi();
    const store = createInboxStore(f.deps);
    const old = req('old');
    const b = req('b');
    const c = req('c');
    const p = store.getState().resync();
    await f.answer([c, b], 'cursor-2');
    await p;
    store.getState().applyLive('updated', later(old, { status: 'lost' }));
    expect(store.getState().ids).toEqual(['c', 'b']);
    expect(store.getState().byId.old.status).toBe('lost');
  });

  it('load more appends the next page, dedupes, and keeps the order', async () => {
    const f = fakeApi();
    const store = createInboxStore(f.deps);
    const [a, b, c, d] = [req('a'), req('b'), req('c'), req('d')];
    const p = store.getState().resync();
    await f.answer([d, c], 'cursor-2');
    await p;
    const more = store.getState().loadMore();
    expect(store.getState().loadingMore).toBe(true);
    expect(f.calls[1].cursor).toBe('cursor-2');
    await f.answer([c, b, a], null);
    await more;
    expect(store.getState().ids).toEqual(['d', 'c', 'b', 'a']);
    expect(store.getState().nextCursor).toBeNull();
    expect(store.getState().loadingMore).toBe(false);
  });

  it('resync after a reconnect merges by id, keeps loaded pages and the cursor, and drops what left the filter', async () => {
    const f = fakeApi();
    const store = createInboxStore(f.deps);
    store.getState().setFilters({ status: 'new' });
    const [a, b, c, d] = [req('a'), req('b'), req('c'), req('d')];
    await f.answer([d, c], 'cursor-2');
    const more = store.getState().loadMore();
    await f.answer([b, a], 'cursor-3');
    await more;
    expect(store.getState().ids).toEqual(['d', 'c', 'b', 'a']);

    // While offline: c was booked (so the server's "new" page lacks it), e arrived, d was renamed.
    const e = req('e');
    const d2 = later(d, { contact: { ...d.contact, name: 'Новое имя' } });
    const p = store.getState().resync();
    await f.answer([e, d2, b], 'cursor-x');
    await p;
    const s = store.getState();
    // c lies inside the page's range (down to b) but is absent: it left the filter. a lies below: kept.
    expect(s.ids).toEqual(['e', 'd', 'b', 'a']);
    expect(s.byId.d.contact.name).toBe('Новое имя');
    expect(s.nextCursor).toBe('cursor-3');
  });

  it('resync keeps a request that arrived live while the page was in flight', async () => {
    const f = fakeApi();
    const store = createInboxStore(f.deps);
    const a = req('a');
    const p = store.getState().resync();
    const b = req('b');
    store.getState().applyLive('created', b);
    await f.answer([a]); // snapshot taken before b existed
    await p;
    expect(store.getState().ids).toEqual(['b', 'a']);
  });

  it('resync keeps the newer live version over an older page copy', async () => {
    const f = fakeApi();
    const store = createInboxStore(f.deps);
    const a = req('a');
    const first = store.getState().resync();
    await f.answer([a]);
    await first;
    const p = store.getState().resync();
    store.getState().applyLive('updated', later(a, { status: 'booked' }));
    await f.answer([a]);
    await p;
    expect(store.getState().byId.a.status).toBe('booked');
  });

  it('drops a page answered for filters that have since changed', async () => {
    const f = fakeApi();
    const store = createInboxStore(f.deps);
    const p = store.getState().resync(); // for "all"
    store.getState().setFilters({ channel: 'vk' }); // second call
    const vk = req('vk', { channel: 'vk' });
    await f.answer([req('x'), req('y')]); // late answer to the "all" call
    await p;
    expect(store.getState().ids).toEqual([]);
    expect(store.getState().loaded).toBe(false);
    await f.answer([vk]);
    expect(store.getState().ids).toEqual(['vk']);
  });

  it('drops a resync answer overtaken by a later resync', async () => {
    const f = fakeApi();
    const store = createInboxStore(f.deps);
    const a = req('a');
    const b = req('b');
    const first = store.getState().resync();
    const second = store.getState().resync();
    // The later call answers first with the newer snapshot; the older snapshot (without b)
    // arrives afterwards and must not undo it.
    await f.answerAt(1, [b, a]);
    await f.answerAt(0, [a]);
    await Promise.all([first, second]);
    expect(store.getState().ids).toEqual(['b', 'a']);
  });

  it('fetchOne stores a request without putting it in the list', async () => {
    const f = fakeApi();
    const store = createInboxStore(f.deps);
    const x = req('x');
    f.one.set('x', x);
    await store.getState().fetchOne('x');
    expect(store.getState().byId.x).toEqual(x);
    expect(store.getState().ids).toEqual([]);
  });
});
