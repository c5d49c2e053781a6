// The inbox's calls and open tasks, and the call log: live lists of the contact center's
// calls and tasks, fed by the shared socket.
import { ccApi, type CcApi } from '@/lib/ccApi';
import type { CallView, Task } from '@/lib/cc';
import { createLiveList } from './liveList';

/** What the inbox filters calls and tasks by (requests have their own, in the inbox store). */
export interface WorkFilters {
  mine: boolean;
  queue: string;
  overdue: boolean;
  /** The viewer's user id, for "mine". */
  me: string;
}

export const NO_WORK_FILTERS: WorkFilters = { mine: false, queue: '', overdue: false, me: '' };

const sameWork = (a: WorkFilters, b: WorkFilters) => a.mine === b.mine && a.queue === b.queue && a.overdue === b.overdue && a.me === b.me;

/** A call in the inbox: mine when I took or am ringing for it; none when only overdue work is asked for. */
export function callMatches(c: CallView, f: WorkFilters): boolean {
  return !f.overdue && (!f.mine || (f.me !== '' && c.operator_id === f.me)) && (!f.queue || c.queue_id === f.queue);
}

/** An open task in the inbox. */
export function taskMatches(t: Task, f: WorkFilters): boolean {
  return (
    t.status === 'open' &&
    (!f.mine || (f.me !== '' && t.assignee_id === f.me)) &&
    (!f.queue || t.queue_id === f.queue) &&
    (!f.overdue || t.overdue || Date.parse(t.due_at) < Date.now())
  );
}

const byUpdated = (a: { updated_at: string }, b: { updated_at: string }) => Date.parse(a.updated_at) - Date.parse(b.updated_at);

export function createInboxCalls(deps: Pick<CcApi, 'calls'> = ccApi) {
  return createLiveList<CallView, WorkFilters>(
    {
      fetch: async (f, cursor) => {
        const page = await deps.calls({ cursor, limit: 50 });
        return { items: page.items, next_cursor: page.next_cursor };
      },
      matches: callMatches,
      at: (c) => c.started_at,
      same: sameWork,
    },
    NO_WORK_FILTERS,
  );
}

export function createInboxTasks(deps: Pick<CcApi, 'tasks'> = ccApi) {
  return createLiveList<Task, WorkFilters>(
    {
      fetch: (f, cursor) =>
        deps.tasks({ status: 'open', assignee: f.mine ? 'me' : undefined, queue: f.queue || undefined, overdue: f.overdue, cursor, limit: 50 }),
      matches: taskMatches,
      at: (t) => t.created_at,
      newer: byUpdated,
      same: sameWork,
    },
    NO_WORK_FILTERS,
  );
}

export const inboxCalls = createInboxCalls();
export const inboxTasks = createInboxTasks();

/** The call log's filters. */
export interface CallLogFilters {
  direction: string;
  result: string;
}

export function callLogMatches(c: CallView, f: CallLogFilters): boolean {
  return (!f.direction || c.direction === f.direction) && (!f.result || c.result === f.result);
}

export function createCallLog(deps: Pick<CcApi, 'calls'> = ccApi) {
  return createLiveList<CallView, CallLogFilters>(
    {
      fetch: (f, cursor) => deps.calls({ direction: f.direction || undefined, result: f.result || undefined, cursor, limit: 50 }),
      matches: callLogMatches,
      at: (c) => c.started_at,
      same: (a, b) => a.direction === b.direction && a.result === b.result,
    },
    { direction: '', result: '' },
  );
}

export const callLog = createCallLog();
