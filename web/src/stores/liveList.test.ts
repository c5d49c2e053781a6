import { describe, expect, it } from 'vitest';
import type { CallView, Task } from '@/lib/cc';
import { createLiveList, type Page } from './liveList';
import { callLogMatches, callMatches, createInboxTasks, taskMatches, type WorkFilters } from './work';

interface Item {
  id: string;
  at: string;
  v: number;
  tag: string;
}

const at = (m: number) => new Date(Date.UTC(2026, 2, 2, 10, m)).toISOString();
const item = (id: string, m: number, tag = 'a', v = 1): Item => ({ id, at: at(m), v, tag });

function harness() {
  const pending: { cursor: string | null; resolve: (p: Page<Item>) => void }[] = [];
  const store = createLiveList<Item, { tag: string }>(
    {
      fetch: (_f, cursor) => new Promise((resolve) => pending.push({ cursor, resolve })),
      matches: (it, f) => !f.tag || it.tag === f.tag,
      at: (it) => it.at,
      newer: (a, b) => a.v - b.v,
      same: (a, b) => a.tag === b.tag,
    },
    { tag: '' },
  );
  const answer = async (items: Item[], next: string | null = null) => {
    const p = pending.shift();
    if (!p) throw new Error('no fetch to answer');
    p.resolve({ items, next_cursor: next });
    await new Promise((r) => setTimeout(r, 0));
  };
  return { store, pending, answer };
}

describe('createLiveList', () => {
  it('orders the first page newest first', async () => {
    const h = harness();
    void h.store.getState().resync();
    await h.answer([item('a', 1), item('c', 3), item('b', 2)]);
    expect(h.store.getState().ids).toEqual(['c', 'b', 'a']);
    expect(h.store.getState().loaded).toBe(true);
  });

  it('puts a pushed item in place, marks it fresh, and ignores an older version', async () => {
    const h = harness();
    void h.store.getState().resync();
    await h.answer([item('a', 1, 'a', 2)]);
    expect(h.store.getState().applyLive(item('b', 5))).toBe('inserted');
    expect(h.store.getState().ids).toEqual(['b', 'a']);
    expect(h.store.getState().fresh.b).toBe(true);
    expect(h.store.getState().applyLive(item('a', 1, 'a', 1))).toBe('stale');
    expect(h.store.getState().byId.a.v).toBe(2);
  });

  it('drops an item that leaves the filter and keeps one pushed while a resync was in flight', async () => {
    const h = harness();
    h.store.getState().setFilters({ tag: 'a' });
    await h.answer([item('a', 1)]);
    h.store.getState().applyLive(item('a', 1, 'b', 2));
    expect(h.store.getState().ids).toEqual([]);
    void h.store.getState().resync();
    h.store.getState().applyLive(item('n', 9));
    await h.answer([]);
    expect(h.store.getState().ids).toEqual(['n']);
  });

  it('does not put a pushed item older than the loaded range while more pages exist', async () => {
    const h = harness();
    void h.store.getState().resync();
    await h.answer([item('x', 10)], 'x');
    h.store.getState().applyLive(item('old', 1));
    expect(h.store.getState().ids).toEqual(['x']);
    void h.store.getState().loadMore();
    expect(h.pending[0].cursor).toBe('x');
    await h.answer([item('old', 1), item('y', 5)]);
    expect(h.store.getState().ids).toEqual(['x', 'y', 'old']);
    expect(h.store.getState().nextCursor).toBeNull();
  });

  it('drops an answer for filters that have since changed', async () => {
    const h = harness();
    h.store.getState().setFilters({ tag: 'a' });
    h.store.getState().setFilters({ tag: 'b' });
    await h.answer([item('a1', 1, 'a')]);
    expect(h.store.getState().loaded).toBe(false);
    await h.answer([item('b1', 1, 'b')]);
    expect(h.store.getState().ids).toEqual(['b1']);
  });
});

const call = (patch: Partial<CallView>): CallView => ({
  id: 'k1',
  direction: 'inbound',
  caller: '+79120000001',
  line: '+73432000000',
  extension: '101',
  operator_id: 'op1',
  operator_name: 'Оксана',
  queue_id: 'q1',
  state: 'ringing',
  result: '',
  started_at: at(1),
  answered_at: null,
  ended_at: null,
  duration_seconds: 0,
  recording_url: '',
  request_id: '',
  contact: null,
  masked: false,
  ...patch,
});

const task = (patch: Partial<Task>): Task => ({
  id: 't1',
  kind: 'callback',
  status: 'open',
  contact: null,
  request_id: '',
  call_id: 'k1',
  queue_id: 'q1',
  assignee_id: 'op1',
  note: '',
  attempts: 1,
  due_at: new Date(Date.now() + 3600_000).toISOString(),
  overdue: false,
  remind_at: null,
  escalated_at: null,
  created_at: at(1),
  updated_at: at(1),
  closed_at: null,
  closed_by: '',
  close_reason: '',
  ...patch,
});

describe('inbox filters for calls and tasks', () => {
  const none: WorkFilters = { mine: false, queue: '', overdue: false, me: 'op1' };

  it('mine: the calls I take and the tasks given to me', () => {
    expect(callMatches(call({}), { ...none, mine: true })).toBe(true);
    expect(callMatches(call({ operator_id: 'op2' }), { ...none, mine: true })).toBe(false);
    expect(taskMatches(task({ assignee_id: 'op2' }), { ...none, mine: true })).toBe(false);
    expect(taskMatches(task({}), { ...none, mine: true, me: '' })).toBe(false);
  });

  it('queue and overdue; calls are never overdue work, closed tasks never listed', () => {
    expect(callMatches(call({}), { ...none, queue: 'q2' })).toBe(false);
    expect(callMatches(call({}), { ...none, overdue: true })).toBe(false);
    expect(taskMatches(task({}), { ...none, overdue: true })).toBe(false);
    expect(taskMatches(task({ overdue: true }), { ...none, overdue: true })).toBe(true);
    expect(taskMatches(task({ due_at: at(0) }), { ...none, overdue: true })).toBe(true);
    expect(taskMatches(task({ status: 'done' }), none)).toBe(false);
  });

  it('the call log filters by direction and result', () => {
    expect(callLogMatches(call({ result: 'missed', state: 'ended' }), { direction: 'inbound', result: 'missed' })).toBe(true);
    expect(callLogMatches(call({}), { direction: 'outbound', result: '' })).toBe(false);
  });

  it('asks the API for open tasks with the inbox filters', async () => {
    const asked: unknown[] = [];
    const store = createInboxTasks({
      tasks: async (q) => {
        asked.push(q);
        return { items: [task({}), task({ id: 't2', status: 'done' })], next_cursor: null };
      },
    });
    store.getState().setFilters({ mine: true, queue: 'q1', overdue: false, me: 'op1' });
    await new Promise((r) => setTimeout(r, 0));
    expect(asked[0]).toMatchObject({ status: 'open', assignee: 'me', queue: 'q1', overdue: false });
    expect(store.getState().ids).toEqual(['t1']);
    // A closed task pushed live leaves the list.
    store.getState().applyLive(task({ status: 'done', updated_at: at(2) }));
    expect(store.getState().ids).toEqual([]);
  });
});
