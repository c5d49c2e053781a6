import { describe, expect, it } from 'vitest';
import { CLOSE_UNAUTHORIZED, openLiveSocket, parseFrame, parseMessage, socketUrl, type LiveState, type ServerFrame, type SocketLike } from './socket';

const request = {
  id: 'r1',
  channel: 'web_form',
  status: 'new',
  source: 'demo',
  source_name: '',
  message: '<script>alert(1)</script>',
  contact: { id: 'c1', name: '', phone: '', email: '' },
  consent: null,
  created_at: '2025-11-21T10:00:00Z',
  updated_at: '2025-11-21T10:00:00Z',
};

describe('parseFrame', () => {
  it('accepts request events', () => {
    const f = parseFrame(JSON.stringify({ type: 'request.created', data: request }));
    expect(f?.type).toBe('request.created');
    expect(f?.type === 'request.created' ? f.data.message : null).toBe('<script>alert(1)</script>');
  });

  it('ignores unknown types, malformed JSON and requests without an id', () => {
    expect(parseFrame(JSON.stringify({ type: 'call.ringing', data: {} }))).toBeNull();
    expect(parseFrame('{not json')).toBeNull();
    expect(parseFrame(JSON.stringify({ type: 'request.updated', data: { ...request, id: undefined } }))).toBeNull();
    expect(parseFrame(new ArrayBuffer(4))).toBeNull();
  });
});

describe('parseMessage', () => {
  it('reads a single frame and an array of frames sent together, in order', () => {
    expect(parseMessage(JSON.stringify({ type: 'request.created', data: request })).map((f) => f.type)).toEqual(['request.created']);
    const many = parseMessage(
      JSON.stringify([
        { type: 'request.created', data: request },
        { type: 'no.such.type', data: {} },
        { type: 'request.updated', data: { ...request, status: 'in_progress' } },
      ]),
    );
    expect(many.map((f) => f.type)).toEqual(['request.created', 'request.updated']);
    expect(many[1].type === 'request.updated' ? many[1].data.status : null).toBe('in_progress');
  });

  it('gives nothing for malformed messages', () => {
    expect(parseMessage('[{not json')).toEqual([]);
    expect(parseMessage(new ArrayBuffer(4))).toEqual([]);
    expect(parseMessage('42')).toEqual([]);
  });
});

describe('socketUrl', () => {
  it('follows the page protocol', () => {
    expect(socketUrl({ protocol: 'https:', host: 'okno.clinic.ru' })).toBe('wss://okno.clinic.ru/api/v1/ws');
    expect(socketUrl({ protocol: 'http:', host: '127.0.0.1:18080' })).toBe('ws://127.0.0.1:18080/api/v1/ws');
  });
});

class FakeSocket implements SocketLike {
  onopen: SocketLike['onopen'] = null;
  onmessage: SocketLike['onmessage'] = null;
  onclose: SocketLike['onclose'] = null;
  onerror: SocketLike['onerror'] = null;
  closed = false;
  close() {
    this.closed = true;
  }
}

function harness(failFirst = 0) {
  const sockets: FakeSocket[] = [];
  let failures = failFirst;
  const timers: { fn: () => void; ms: number; cleared: boolean }[] = [];
  const states: LiveState[] = [];
  const frames: ServerFrame[] = [];
  let opens = 0;
  let unauthorized = 0;
  const live = openLiveSocket({
    url: 'ws://test/api/v1/ws',
    onOpen: () => opens++,
    onFrame: (f) => frames.push(f),
    onState: (s) => states.push(s),
    onUnauthorized: () => unauthorized++,
    backoff: (n) => [500, 1000, 2000][Math.min(n, 2)],
    createSocket: () => {
      if (failures > 0) {
        failures -= 1;
        throw new Error('blocked');
      }
      const s = new FakeSocket();
      sockets.push(s);
      return s;
    },
    setTimer: (fn, ms) => {
      const t = { fn, ms, cleared: false };
      timers.push(t);
      return t;
    },
    clearTimer: (t) => {
      (t as { cleared: boolean }).cleared = true;
    },
  });
  return { live, sockets, timers, states, frames, opens: () => opens, unauthorized: () => unauthorized };
}

describe('openLiveSocket', () => {
  it('reconnects with growing delays and resets them after a successful open', () => {
    const h = harness();
    expect(h.sockets).toHaveLength(1);
    h.sockets[0].onclose?.({ code: 1006 });
    expect(h.timers.map((t) => t.ms)).toEqual([500]);
    h.timers[0].fn();
    h.sockets[1].onclose?.({ code: 1006 });
    h.timers[1].fn();
    h.sockets[2].onclose?.({ code: 1006 });
    expect(h.timers.map((t) => t.ms)).toEqual([500, 1000, 2000]);
    h.timers[2].fn();
    h.sockets[3].onopen?.({});
    h.sockets[3].onclose?.({ code: 1001 });
    expect(h.timers.map((t) => t.ms)).toEqual([500, 1000, 2000, 500]);
    expect(h.states).toEqual(['reconnecting', 'reconnecting', 'reconnecting', 'reconnecting', 'live', 'reconnecting']);
  });

  it('calls onOpen on every (re)connect, so the owner resyncs', () => {
    const h = harness();
    h.sockets[0].onopen?.({});
    h.sockets[0].onclose?.({ code: 1006 });
    h.timers[0].fn();
    h.sockets[1].onopen?.({});
    expect(h.opens()).toBe(2);
  });

  it('passes known frames on and ignores unknown ones', () => {
    const h = harness();
    h.sockets[0].onopen?.({});
    h.sockets[0].onmessage?.({ data: JSON.stringify({ type: 'future.thing', data: 1 }) });
    h.sockets[0].onmessage?.({ data: JSON.stringify({ type: 'request.updated', data: request }) });
    h.sockets[0].onmessage?.({
      data: JSON.stringify([
        { type: 'request.created', data: request },
        { type: 'request.updated', data: request },
      ]),
    });
    expect(h.frames.map((f) => f.type)).toEqual(['request.updated', 'request.created', 'request.updated']);
  });

  it('stops on close code 4401 and reports the session as gone', () => {
    const h = harness();
    h.sockets[0].onopen?.({});
    h.sockets[0].onclose?.({ code: CLOSE_UNAUTHORIZED });
    expect(h.unauthorized()).toBe(1);
    expect(h.timers).toHaveLength(0);
  });

  it('close() cancels a pending retry and never reconnects', () => {
    const h = harness();
    h.sockets[0].onclose?.({ code: 1006 });
    h.live.close();
    expect(h.timers[0].cleared).toBe(true);
    expect(h.sockets).toHaveLength(1);
  });

  it('retries when the WebSocket constructor throws', () => {
    const h = harness(2);
    expect(h.sockets).toHaveLength(0);
    expect(h.timers.map((t) => t.ms)).toEqual([500]);
    h.timers[0].fn();
    expect(h.timers.map((t) => t.ms)).toEqual([500, 1000]);
    h.timers[1].fn();
    expect(h.sockets).toHaveLength(1);
  });

  it('reconnectNow() skips the back-off wait', () => {
    const h = harness();
    h.sockets[0].onclose?.({ code: 1006 });
    h.live.reconnectNow();
    expect(h.timers[0].cleared).toBe(true);
    expect(h.sockets).toHaveLength(2);
  });
});
