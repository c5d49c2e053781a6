import { describe, expect, it } from 'vitest';
import {
  applyTaskFrame,
  callerLabel,
  callOutcomeKey,
  formatDuration,
  fromLocalInput,
  mergeTimeline,
  minutesToSeconds,
  moveRule,
  newPbxBody,
  recordingHref,
  secondsToMinutes,
  slaLines,
  specFromWeekForm,
  splitMinutes,
  toLocalInput,
  weekFormOf,
  type HoursSpec,
  type RoutingRule,
  type Task,
} from './cc';
import { queryOf } from './ccApi';

describe('durations and minutes', () => {
  it('formats seconds as m:ss and h:mm:ss', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(65)).toBe('1:05');
    expect(formatDuration(3723)).toBe('1:02:03');
    expect(formatDuration(-1)).toBe('—');
    expect(formatDuration(null)).toBe('—');
  });

  it('shows SLA seconds as minutes and back', () => {
    expect(secondsToMinutes(900)).toBe(15);
    expect(secondsToMinutes(86400)).toBe(1440);
    expect(minutesToSeconds(15)).toBe(900);
    expect(splitMinutes(90)).toEqual({ hours: 1, minutes: 30 });
    expect(splitMinutes(1440)).toEqual({ hours: 24, minutes: 0 });
  });

  it('round-trips a datetime-local value and refuses what is not one', () => {
    const d = new Date(2026, 2, 2, 14, 30);
    expect(toLocalInput(d)).toBe('2026-03-02T14:30');
    expect(fromLocalInput('2026-03-02T14:30')).toBe(d.toISOString());
    expect(fromLocalInput('2026-03-02')).toBeNull();
    expect(fromLocalInput('')).toBeNull();
  });
});

describe('slaLines', () => {
  const now = Date.parse('2026-03-02T10:00:00Z');
  const base = { first_response_due: null, first_response_at: null, resolution_due: null, resolved_at: null, breached: [] };

  it('says none without due times', () => {
    expect(slaLines(base, now).map((l) => l.state)).toEqual(['none', 'none']);
  });

  it('tells pending, soon and past due apart', () => {
    const lines = slaLines({ ...base, first_response_due: '2026-03-02T10:10:00Z', resolution_due: '2026-03-03T10:00:00Z' }, now);
    expect(lines.map((l) => l.state)).toEqual(['soon', 'pending']);
    expect(slaLines({ ...base, first_response_due: '2026-03-02T09:59:00Z' }, now)[0].state).toBe('breached');
  });

  it('met when done in time, breached when done late or when the server says so', () => {
    const r = { ...base, first_response_due: '2026-03-02T09:30:00Z', first_response_at: '2026-03-02T09:20:00Z', resolution_due: '2026-03-02T09:30:00Z', resolved_at: '2026-03-02T09:40:00Z' };
    expect(slaLines(r, now).map((l) => l.state)).toEqual(['met', 'breached']);
    const flagged = { ...base, resolution_due: '2026-03-05T00:00:00Z', breached: ['resolution'] };
    expect(slaLines(flagged, now)[1].state).toBe('breached');
  });
});

describe('working hours form', () => {
  const spec: HoursSpec = {
    tz: 'Europe/Moscow',
    week: { mon: ['08:00-13:00', '14:00-20:00'], tue: ['08:00-20:00'], wed: [], thu: [], fri: [], sat: ['09:00-15:00'], sun: [] },
    calendar: 'ru',
    extra_holidays: ['2026-12-30'],
    days: [{ date: '2026-12-26', hours: ['10:00-14:00'] }],
  };

  it('shows each weekday as text, empty when closed', () => {
    const f = weekFormOf(spec);
    expect(f.mon).toBe('08:00-13:00, 14:00-20:00');
    expect(f.wed).toBe('');
    expect(weekFormOf({ tz: 'Asia/Yekaterinburg', always_open: true }).mon).toBe('');
  });

  it('builds the spec back, keeping the zone, calendar and dated exceptions', () => {
    const { spec: out, errors } = specFromWeekForm({ ...weekFormOf(spec), sun: '10:00–14:00' }, spec, false);
    expect(errors).toEqual({});
    expect(out.tz).toBe('Europe/Moscow');
    expect(out.week?.mon).toEqual(['08:00-13:00', '14:00-20:00']);
    expect(out.week?.sun).toEqual(['10:00-14:00']);
    expect(out.week?.wed).toEqual([]);
    expect(out.calendar).toBe('ru');
    expect(out.extra_holidays).toEqual(['2026-12-30']);
    expect(out.days).toEqual(spec.days);
  });

  it('names the weekday of a bad interval', () => {
    const { errors } = specFromWeekForm({ ...weekFormOf(spec), tue: '20:00-08:00', fri: '8-17' }, spec, false);
    expect(errors).toEqual({ tue: '20:00-08:00', fri: '8-17' });
    expect(specFromWeekForm({ ...weekFormOf(spec), thu: '08:00-24:00' }, spec, false).errors).toEqual({});
  });

  it('24/7 is only the zone and the flag', () => {
    expect(specFromWeekForm(weekFormOf(spec), spec, true).spec).toEqual({ tz: 'Europe/Moscow', always_open: true });
    expect(specFromWeekForm(weekFormOf(null), null, false).spec.tz).toBe('Asia/Yekaterinburg');
  });
});

describe('calls', () => {
  it('links only http(s) recordings', () => {
    expect(recordingHref('https://pbx.example/rec/1.mp3')).toBe('https://pbx.example/rec/1.mp3');
    expect(recordingHref('id:abc123')).toBeNull();
    expect(recordingHref('javascript:alert(1)')).toBeNull();
    expect(recordingHref('')).toBeNull();
  });

  it('labels a call by its result once ended, else by its state', () => {
    expect(callOutcomeKey({ state: 'ended', result: 'missed' })).toBe('call.result.missed');
    expect(callOutcomeKey({ state: 'ringing', result: '' })).toBe('call.state.ringing');
    expect(callOutcomeKey({ state: 'weird', result: 'other' })).toBe('');
  });

  it('names the caller as the server gave them: the contact, else the number', () => {
    expect(callerLabel({ caller: '+7 912 ***-**-01', contact: null })).toEqual({ name: '', phone: '+7 912 ***-**-01' });
    expect(callerLabel({ caller: '+79120000001', contact: { id: 'c', name: 'Анна', phone: '+79120000001', email: '' } })).toEqual({
      name: 'Анна',
      phone: '+79120000001',
    });
  });
});

describe('mergeTimeline', () => {
  const e = (kind: 'request' | 'call' | 'task', id: string, minute: number) => ({ kind, id, at: new Date(Date.UTC(2026, 2, 2, 10, minute)).toISOString() });

  it('interleaves newest first', () => {
    const m = mergeTimeline([
      { entries: [e('request', 'r2', 30), e('request', 'r1', 10)], more: false },
      { entries: [e('call', 'c1', 20)], more: false },
    ]);
    expect(m.entries.map((x) => x.id)).toEqual(['r2', 'c1', 'r1']);
    expect(m.more).toBe(false);
  });

  it('stops at the oldest loaded entry of a list that has more pages', () => {
    const m = mergeTimeline([
      { entries: [e('request', 'r2', 30), e('request', 'r1', 20)], more: true },
      { entries: [e('task', 't2', 25), e('task', 't1', 5)], more: false },
    ]);
    expect(m.entries.map((x) => x.id)).toEqual(['r2', 't2', 'r1']);
    expect(m.more).toBe(true);
  });

  it('keeps one entry per kind and id', () => {
    const m = mergeTimeline([{ entries: [e('call', 'x', 1), e('call', 'x', 1), e('task', 'x', 2)], more: false }]);
    expect(m.entries.map((x) => `${x.kind}:${x.id}`)).toEqual(['task:x', 'call:x']);
  });
});

describe('PBX form', () => {
  it('sends only the chosen kind’s settings, trimmed, none empty', () => {
    const body = newPbxBody('asterisk', ' АТС ', '', ' pw ', {
      ami_addr: ' 10.0.0.5:5038 ',
      ami_username: 'okno',
      originate_channel: '',
      mango_api_key: 'stale from another kind',
    });
    expect(body).toEqual({ kind: 'asterisk', name: 'АТС', queue_id: '', secret: 'pw', settings: { ami_addr: '10.0.0.5:5038', ami_username: 'okno' } });
    expect(newPbxBody('generic', 'x', '', '', { zadarma_key: 'k' }).settings).toEqual({});
  });
});

describe('queryOf', () => {
  it('keeps set values only and joins lists', () => {
    expect(queryOf({ kind: 'callback', status: '', overdue: false, assignee: undefined, limit: 50 })).toBe('?kind=callback&limit=50');
    expect(queryOf({ overdue: true, ids: ['a', 'b'] })).toBe('?overdue=true&ids=a%2Cb');
    expect(queryOf({})).toBe('');
  });
});

describe('routing rules in order', () => {
  const rule = (id: string, position: number): RoutingRule => ({ id, position, channel: '', line: '', source: id, specialty: '', branch: '', queue_id: 'q' });
  const rules = [rule('a', 0), rule('b', 1), rule('c', 2)];
  const order = (rs: RoutingRule[]) => rs.map((r) => `${r.id}${r.position}`).join(' ');

  it('moves a rule up or down and numbers the list again', () => {
    expect(order(moveRule(rules, 2, -1))).toBe('a0 c1 b2');
    expect(order(moveRule(rules, 0, 1))).toBe('b0 a1 c2');
    expect(order(moveRule(moveRule(rules, 2, -1), 1, -1))).toBe('c0 a1 b2');
  });

  it('changes nothing past either end, and never the list it was given', () => {
    expect(order(moveRule(rules, 0, -1))).toBe('a0 b1 c2');
    expect(order(moveRule(rules, 2, 1))).toBe('a0 b1 c2');
    expect(order(moveRule(rules, 5, -1))).toBe('a0 b1 c2');
    moveRule(rules, 1, 1);
    expect(order(rules)).toBe('a0 b1 c2');
  });

  it('numbers a list saved out of order (new rules at position 0) by where the rules stand', () => {
    const drafted = [rule('a', 0), { ...rule('new', 0), id: undefined }, rule('b', 1)];
    expect(moveRule(drafted, 1, 1).map((r) => [r.source, r.position])).toEqual([
      ['a', 0],
      ['b', 1],
      ['new', 2],
    ]);
  });
});

describe('a request\'s tasks kept live', () => {
  const task = (id: string, requestId: string, updated: string, status = 'open'): Task => ({
    id,
    kind: 'follow_up',
    status,
    contact: null,
    request_id: requestId,
    call_id: '',
    queue_id: '',
    assignee_id: '',
    note: '',
    attempts: 0,
    due_at: '2026-11-24T10:00:00Z',
    overdue: false,
    remind_at: null,
    escalated_at: null,
    created_at: '2026-11-24T08:00:00Z',
    updated_at: updated,
    closed_at: null,
    closed_by: '',
    close_reason: '',
  });
  const list = [task('t2', 'r1', '2026-11-24T09:00:00Z'), task('t1', 'r1', '2026-11-24T09:00:00Z')];
  const ids = (ts: Task[]) => ts.map((t) => `${t.id}:${t.status}`).join(' ');

  it('puts a new task of the request on top', () => {
    expect(ids(applyTaskFrame(list, task('t3', 'r1', '2026-11-24T09:05:00Z'), 'r1'))).toBe('t3:open t2:open t1:open');
  });

  it('ignores tasks of other requests', () => {
    expect(ids(applyTaskFrame(list, task('t9', 'r2', '2026-11-24T09:05:00Z'), 'r1'))).toBe('t2:open t1:open');
  });

  it('replaces a task in place with its newer state', () => {
    expect(ids(applyTaskFrame(list, task('t1', 'r1', '2026-11-24T09:05:00Z', 'done'), 'r1'))).toBe('t2:open t1:done');
  });

  it('keeps the newer copy when a frame trails the list', () => {
    expect(ids(applyTaskFrame(list, task('t1', 'r1', '2026-11-24T08:30:00Z', 'done'), 'r1'))).toBe('t2:open t1:open');
  });

  it('drops a task moved to another request', () => {
    expect(ids(applyTaskFrame(list, task('t2', 'r2', '2026-11-24T09:05:00Z'), 'r1'))).toBe('t1:open');
  });
});
