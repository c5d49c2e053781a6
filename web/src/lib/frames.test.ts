import { describe, expect, it } from 'vitest';
import { createLiveBus } from './liveBus';
import { activeNav, navLinks, redirectFor } from './nav';
import { parseFrame } from './socket';
import type { ServerFrame } from './socket';
import type { User } from './types';
import { matchesFilters } from '@/stores/inbox';
import type { PatientRequest } from './types';

const call = { id: 'k1', state: 'ringing', started_at: '2026-03-02T10:00:00Z', caller: '+7 912 ***-**-01', contact: { id: 'c1', name: '', phone: '+7 912 ***-**-01', email: '', masked: true } };
const task = { id: 't1', kind: 'callback', status: 'open', due_at: '2026-03-02T10:15:00Z', contact: null };

describe('contact-center frames', () => {
  it('reads calls, the incoming-call card, tasks and presence', () => {
    expect(parseFrame(JSON.stringify({ type: 'call.updated', data: call }))?.type).toBe('call.updated');
    const pop = parseFrame(JSON.stringify({ type: 'call.ringing', data: { call, open_requests: null, open_tasks: 2 } }));
    expect(pop?.type).toBe('call.ringing');
    if (pop?.type === 'call.ringing') {
      expect(pop.data.open_requests).toEqual([]);
      expect(pop.data.recent_calls).toEqual([]);
      expect(pop.data.call.caller).toBe('+7 912 ***-**-01');
    }
    for (const type of ['task.created', 'task.updated', 'task.closed', 'task.escalated', 'task.reminder']) {
      expect(parseFrame(JSON.stringify({ type, data: task }))?.type).toBe(type);
    }
    expect(parseFrame(JSON.stringify({ type: 'operator.presence', data: { user_id: 'u', presence: 'away' } }))).toEqual({
      type: 'operator.presence',
      data: { user_id: 'u', presence: 'away' },
    });
  });

  it('refuses frames without what the screens need', () => {
    expect(parseFrame(JSON.stringify({ type: 'call.ringing', data: { call: { id: 'k1' } } }))).toBeNull();
    expect(parseFrame(JSON.stringify({ type: 'call.updated', data: { ...call, id: '' } }))).toBeNull();
    expect(parseFrame(JSON.stringify({ type: 'task.created', data: { ...task, due_at: undefined } }))).toBeNull();
    expect(parseFrame(JSON.stringify({ type: 'operator.presence', data: { user_id: 'u' } }))).toBeNull();
  });
});

describe('liveBus', () => {
  it('hands every frame to every subscriber, even when one of them throws', () => {
    const bus = createLiveBus();
    const got: string[] = [];
    const off = bus.onFrame(() => {
      throw new Error('broken screen');
    });
    bus.onFrame((f) => got.push(f.type));
    const orig = console.error;
    console.error = () => undefined;
    bus.emitFrame({ type: 'operator.presence', data: { user_id: 'u', presence: 'online' } } as ServerFrame);
    console.error = orig;
    off();
    let opens = 0;
    const offOpen = bus.onOpen(() => opens++);
    bus.emitOpen();
    offOpen();
    bus.emitOpen();
    expect(got).toEqual(['operator.presence']);
    expect(opens).toBe(1);
  });
});

const user = (role: string, permissions: string[]): User => ({ id: role, login: role, name: role, role, permissions });

describe('contact-center sections', () => {
  const operator = user('operator', ['requests.read', 'calls.read', 'calls.dial', 'tasks.read', 'tasks.manage', 'mis.read']);
  const supervisor = user('supervisor', ['requests.read', 'calls.read', 'board.read', 'queues.manage', 'mis.read']);
  const admin = user('admin', ['requests.read', 'users.manage', 'calls.read', 'board.read', 'telephony.manage', 'queues.manage', 'mis.manage']);

  it('shows the call log to operators, the board to supervisors, telephony to admins', () => {
    expect(navLinks(operator).map((l) => l.key)).toEqual(['inbox', 'schedule', 'calls']);
    expect(navLinks(supervisor).map((l) => l.key)).toEqual(['inbox', 'schedule', 'calls', 'board', 'queues']);
    expect(navLinks(admin).map((l) => l.key)).toEqual(['inbox', 'calls', 'board', 'users', 'mis', 'telephony', 'queues']);
  });

  it('sends an operator away from the board and the admin pages', () => {
    expect(redirectFor(operator, { permission: 'board.read' })).toBe('/');
    expect(redirectFor(supervisor, { permission: 'telephony.manage' })).toBe('/');
    expect(redirectFor(admin, { permission: 'telephony.manage' })).toBeNull();
    expect(activeNav('/admin/telephony/')).toBe('telephony');
    expect(activeNav('/board/')).toBe('board');
  });
});

describe('inbox request filters', () => {
  const r = (patch: Partial<PatientRequest>): PatientRequest => ({
    id: 'r1',
    channel: 'phone',
    status: 'new',
    source: '',
    source_name: '',
    message: '',
    contact: { id: 'c', name: '', phone: '', email: '' },
    consent: null,
    created_at: '2026-03-02T10:00:00Z',
    updated_at: '2026-03-02T10:00:00Z',
    assignee_id: 'me',
    queue_id: 'q1',
    breached: [],
    ...patch,
  });
  const all = { status: 'all', channel: 'all' } as const;

  it('mine, queue and overdue as the API reads them', () => {
    expect(matchesFilters(r({}), { ...all, mine: true }, 'me')).toBe(true);
    expect(matchesFilters(r({ assignee_id: 'other' }), { ...all, mine: true }, 'me')).toBe(false);
    expect(matchesFilters(r({}), { ...all, mine: true }, '')).toBe(false);
    expect(matchesFilters(r({}), { ...all, queue: 'q2' })).toBe(false);
    expect(matchesFilters(r({}), { ...all, overdue: true })).toBe(false);
    expect(matchesFilters(r({ breached: ['first_response'] }), { ...all, overdue: true })).toBe(true);
    expect(matchesFilters(r({ breached: ['first_response'], status: 'booked' }), { ...all, overdue: true })).toBe(false);
  });
});
