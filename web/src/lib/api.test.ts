import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  api,
  ApiError,
  apiFetch,
  onUnauthorized,
  parseProblem,
  parseRetryAfter,
  readCookie,
  requestListQuery,
  subjectReportHref,
} from './api';
import { useLang } from './i18n';

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

  it("asks for answers in the UI's current language", async () => {
    const fetchMock = vi.fn(async (_url: string, _init: RequestInit) => new Response(null, { status: 204 }));
    vi.stubGlobal('fetch', fetchMock);
    const before = useLang.getState().lang;
    try {
      await api.me();
      useLang.setState({ lang: 'en' });
      await api.logout();
      useLang.setState({ lang: 'ru' });
      await api.listRequests({ status: 'all', channel: 'all' }, null);
    } finally {
      useLang.setState({ lang: before });
    }
    const langs = fetchMock.mock.calls.map((c) => (c[1].headers as Record<string, string>)['Accept-Language']);
    expect(langs).toEqual([before, 'en', 'ru']);
    expect(before).toBe('ru');
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

describe('auth and security calls', () => {
  it('reads the problem code and Retry-After of a locked login', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () =>
        new Response(JSON.stringify({ title: 'Too many requests', status: 429, code: 'rate_limited', detail: 'try again later' }), {
          status: 429,
          headers: { 'Content-Type': 'application/problem+json', 'Retry-After': '75' },
        }),
      ),
    );
    const err = (await api.login({ login: 'a', password: 'b' }).catch((e: unknown) => e)) as ApiError;
    expect(err.status).toBe(429);
    expect(err.code).toBe('rate_limited');
    expect(err.retryAfter).toBe(75);
  });

  it('sends the second factor with the password; a 401 at login is an answer, not an expired session', async () => {
    const fetchMock = vi.fn(async (_url: string, _init: RequestInit) =>
      problemResponse(401, { title: 'Second factor required', status: 401, code: 'second_factor_required' }),
    );
    vi.stubGlobal('fetch', fetchMock);
    const seen: number[] = [];
    const off = onUnauthorized((e) => seen.push(e.status));
    const err = (await api.login({ login: 'officer', password: 'pw', totp_code: '123456' }).catch((e: unknown) => e)) as ApiError;
    off();
    expect(err.code).toBe('second_factor_required');
    expect(seen).toEqual([]);
    expect(fetchMock.mock.calls[0][0]).toBe('/api/v1/auth/login');
    expect(JSON.parse(String(fetchMock.mock.calls[0][1].body))).toEqual({ login: 'officer', password: 'pw', totp_code: '123456' });
  });

  it('escapes ids in the paths of users, roles, sessions and tokens', async () => {
    const fetchMock = vi.fn(async (_url: string, _init: RequestInit) => new Response(null, { status: 204 }));
    vi.stubGlobal('fetch', fetchMock);
    await api.updateUser('a/b', { blocked: true });
    await api.updateRole('x?y', { name: 'n' });
    await api.revokeSession('s#1');
    await api.revokeToken('t 1');
    expect(fetchMock.mock.calls.map((c) => [c[1].method, c[0]])).toEqual([
      ['PATCH', '/api/v1/users/a%2Fb'],
      ['PATCH', '/api/v1/roles/x%3Fy'],
      ['DELETE', '/api/v1/me/sessions/s%231'],
      ['DELETE', '/api/v1/me/tokens/t%201'],
    ]);
    expect(JSON.parse(String(fetchMock.mock.calls[0][1].body))).toEqual({ blocked: true });
  });

  it('asks the audit for a page of the search', async () => {
    const fetchMock = vi.fn(async (_url: string) => new Response('{"items":[],"next_cursor":null}', { status: 200 }));
    vi.stubGlobal('fetch', fetchMock);
    await api.audit({ actor: '', object: '', object_type: '', action: 'contact.reveal', from: '', to: '' }, '17');
    expect(fetchMock.mock.calls[0][0]).toBe('/api/v1/audit?action=contact.reveal&limit=100&cursor=17');
  });
});

describe('data-subject calls', () => {
  it('searches with the phone or e-mail in the body, never in the URL', async () => {
    vi.stubGlobal('document', { cookie: 'okno_csrf=c1' });
    const fetchMock = vi.fn(async (_url: string, _init: RequestInit) => new Response('{"items":[]}', { status: 200 }));
    vi.stubGlobal('fetch', fetchMock);
    await api.searchContacts({ phone: '+7 343 200-00-00' });
    await api.searchContacts({ email: 'a@b.ru' });
    for (const [url, init] of fetchMock.mock.calls) {
      expect(url).toBe('/api/v1/contacts/search');
      expect(init.method).toBe('POST');
      expect((init.headers as Record<string, string>)['X-CSRF-Token']).toBe('c1');
    }
    expect(JSON.parse(String(fetchMock.mock.calls[0][1].body))).toEqual({ phone: '+7 343 200-00-00' });
    expect(JSON.parse(String(fetchMock.mock.calls[1][1].body))).toEqual({ email: 'a@b.ru' });
  });

  it('escapes the contact and consent ids in consents, withdrawal, report and anonymization', async () => {
    const fetchMock = vi.fn(async (_url: string, _init: RequestInit) => new Response(null, { status: 204 }));
    vi.stubGlobal('fetch', fetchMock);
    await api.withdrawConsent('c/1', 'k?2');
    await api.anonymizeContact('c/1');
    fetchMock.mockImplementation(async () => new Response('{"items":[]}', { status: 200 }));
    await api.contactConsents('c/1');
    await api.subjectReport('c/1');
    expect(fetchMock.mock.calls.map((c) => [c[1].method, c[0]])).toEqual([
      ['POST', '/api/v1/contacts/c%2F1/consents/k%3F2/withdraw'],
      ['POST', '/api/v1/contacts/c%2F1/anonymize'],
      ['GET', '/api/v1/contacts/c%2F1/consents'],
      ['GET', '/api/v1/contacts/c%2F1/subject-report'],
    ]);
    expect(subjectReportHref('c/1')).toBe('/api/v1/contacts/c%2F1/subject-report');
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('120')).toBe(120);
    const now = Date.parse('2026-11-21T10:00:00Z');
    expect(parseRetryAfter('Sat, 21 Nov 2026 10:01:30 GMT', now)).toBe(90);
    expect(parseRetryAfter('Sat, 21 Nov 2026 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});

describe('MIS calls', () => {
  it('puts only ids in addresses: the contact’s phone and name never leave the server', async () => {
    vi.stubGlobal('document', { cookie: 'okno_csrf=c1' });
    const fetchMock = vi.fn(async (_url: string, _init: RequestInit) => new Response('{"items":[]}', { status: 200 }));
    vi.stubGlobal('fetch', fetchMock);
    await api.contactAppointments('c/1');
    await api.contactPatients('c/1');
    await api.matchPatients('c/1');
    await api.linkPatient('c/1', 'p-9');
    await api.registerPatient('c/1');
    await api.rescheduleAppointment('a/1', 'slot-2');
    await api.misServices('sp 1');
    fetchMock.mockImplementation(async () => new Response(null, { status: 204 }));
    await api.unlinkPatient('l/1');
    expect(fetchMock.mock.calls.map((c) => [c[1].method, c[0], c[1].body ?? null])).toEqual([
      ['GET', '/api/v1/mis/appointments?contact_id=c%2F1', null],
      ['GET', '/api/v1/mis/contacts/c%2F1/patients', null],
      ['POST', '/api/v1/mis/patients/match', '{"contact_id":"c/1"}'],
      ['POST', '/api/v1/mis/links', '{"contact_id":"c/1","patient_id":"p-9"}'],
      ['POST', '/api/v1/mis/patients', '{"contact_id":"c/1"}'],
      ['POST', '/api/v1/mis/appointments/a%2F1/reschedule', '{"slot_id":"slot-2"}'],
      ['GET', '/api/v1/mis/services?specialty=sp+1', null],
      ['DELETE', '/api/v1/mis/links/l%2F1', null],
    ]);
  });

  it('takes a 202 without a body (the refresh) as done', async () => {
    vi.stubGlobal('document', { cookie: 'okno_csrf=c1' });
    vi.stubGlobal('fetch', vi.fn(async () => new Response(null, { status: 202 })));
    await expect(api.misRefresh()).resolves.toBeUndefined();
  });

  it('reads the schedule of a week', async () => {
    const fetchMock = vi.fn(async (_url: string, _init: RequestInit) => new Response('{"items":[]}', { status: 200 }));
    vi.stubGlobal('fetch', fetchMock);
    await api.misSchedule({ branch: 'b-1', specialty: 'sp-1', view: 'week', day: '2026-11-26' });
    expect(fetchMock.mock.calls[0][0]).toBe(
      '/api/v1/mis/schedule?branch=b-1&specialty=sp-1&from=2026-11-26T00%3A00%3A00%2B05%3A00&to=2026-12-03T00%3A00%3A00%2B05%3A00',
    );
  });
});
