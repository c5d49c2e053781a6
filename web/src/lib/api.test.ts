import { afterEach, describe, expect, it, vi } from 'vitest';
import { api, ApiError, apiFetch, onUnauthorized, parseProblem, readCookie, requestListQuery } from './api';

function problemResponse(status: number, body: unknown, type = 'application/problem+json') {
  return new Response(typeof body === 'string' ? body : JSON.stringify(body), {
    status,
    headers: { 'Content-Type': type },
  });
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('parseProblem', () => {
  it('reads a problem document with field errors', async () => {
    const p = await parseProblem(
      problemResponse(422, {
        type: 'https://okno/problems/invalid',
        title: 'Invalid request',
        status: 422,
        detail: 'Phone is not valid',
        errors: [{ field: 'phone', message: 'not a phone number' }],
      }),
    );
    expect(p).toEqual({
      type: 'https://okno/problems/invalid',
      title: 'Invalid request',
      status: 422,
      detail: 'Phone is not valid',
      errors: [{ field: 'phone', message: 'not a phone number' }],
    });
  });

  it('turns an HTML error page into a problem with the status', async () => {
    const res = new Response('<html>Bad Gateway</html>', { status: 502, statusText: 'Bad Gateway' });
    expect(await parseProblem(res)).toEqual({ title: 'Bad Gateway', status: 502 });
  });

  it('turns JSON that is not an object into a problem with the status', async () => {
    expect(await parseProblem(problemResponse(500, '[1,2]', 'application/json'))).toEqual({ title: 'HTTP 500', status: 500 });
  });
});

describe('apiFetch', () => {
  it('throws an ApiError carrying the problem, its message from detail', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => problemResponse(409, { title: 'Conflict', status: 409, detail: 'Already booked', errors: [{ field: 'slot', message: 'taken' }] })));
    const err = await apiFetch('/api/v1/x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    const e = err as ApiError;
    expect(e.status).toBe(409);
    expect(e.message).toBe('Already booked');
    expect(e.problem.title).toBe('Conflict');
    expect(e.fieldError('slot')).toBe('taken');
    expect(e.fieldError('other')).toBeUndefined();
  });

  it('sends the CSRF cookie as a header on non-GET requests only', async () => {
    vi.stubGlobal('document', { cookie: 'theme=x; okno_csrf=tok%2Ben; other=1' });
    const fetchMock = vi.fn(async (_url: string, _init: RequestInit) => new Response(null, { status: 204 }));
    vi.stubGlobal('fetch', fetchMock);

    expect(await api.logout()).toBeUndefined();
    const postHeaders = fetchMock.mock.calls[0][1].headers as Record<string, string>;
    expect(fetchMock.mock.calls[0][1].method).toBe('POST');
    expect(postHeaders['X-CSRF-Token']).toBe('tok+en');

    fetchMock.mockImplementationOnce(async () => new Response('{"user":{"id":"1"}}', { status: 200 }));
    await api.me();
    const getHeaders = fetchMock.mock.calls[1][1].headers as Record<string, string>;
    expect(getHeaders['X-CSRF-Token']).toBeUndefined();
  });

  it('tells the unauthorized listeners about a 401', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => problemResponse(401, { title: 'Unauthorized', status: 401 })));
    const seen: number[] = [];
    const off = onUnauthorized((e) => seen.push(e.status));
    await expect(api.me()).rejects.toBeInstanceOf(ApiError);
    off();
    await expect(api.me()).rejects.toBeInstanceOf(ApiError);
    expect(seen).toEqual([401]);
  });

  it('escapes the request id in the path', async () => {
    const fetchMock = vi.fn(async (_url: string) => new Response('{}', { status: 200 }));
    vi.stubGlobal('fetch', fetchMock);
    await api.getRequest('a/../b?c');
    expect(fetchMock.mock.calls[0][0]).toBe('/api/v1/requests/a%2F..%2Fb%3Fc');
  });
});

describe('requestListQuery', () => {
  it('omits "all" filters and an absent cursor', () => {
    expect(requestListQuery({ status: 'all', channel: 'all' }, null)).toBe('limit=50');
  });

  it('sends filters and the cursor', () => {
    expect(requestListQuery({ status: 'new', channel: 'vk' }, 'abc=', 20)).toBe('status=new&channel=vk&limit=20&cursor=abc%3D');
  });
});

describe('readCookie', () => {
  it('finds a cookie by exact name', () => {
    expect(readCookie('okno_csrf', 'x_okno_csrf=no; okno_csrf=yes')).toBe('yes');
    expect(readCookie('okno_csrf', 'a=1')).toBe('');
  });
});
