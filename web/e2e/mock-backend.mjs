// A stand-in for the Okno gateway, for working on the UI without the Go backend:
// serves web/out and fakes the /api/v1 contract the UI uses (auth with session + CSRF cookies,
// the request list with cursors, one request, web-form intake, the WebSocket with
// hello / request.created). In memory, no dependencies. Not the product: the Go gateway is.
//
//   npm run build && npm run mock          # then open http://127.0.0.1:18080, operator / operator
//   OKNO_URL=http://127.0.0.1:18080 OKNO_LOGIN=operator OKNO_PASSWORD=operator npm run e2e
//
// Env: PORT (18080), HOST (127.0.0.1), MOCK_LOGIN / MOCK_PASSWORD (operator / operator).
// Mock-only controls, to try the UI's reconnect paths by hand:
//   POST /mock/drop-sockets      close every socket (1012), as a gateway restart would
//   POST /mock/expire-sessions   end every session and close sockets with 4401
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const OUT = path.resolve(here, '..', 'out');
const PORT = Number(process.env.PORT || 18080);
const HOST = process.env.HOST || '127.0.0.1';
const USER = {
  id: '0192f000-0000-7000-8000-000000000001',
  login: process.env.MOCK_LOGIN || 'operator',
  name: 'Анна Смирнова',
  role: 'operator',
  permissions: ['requests.read'],
};
const PASSWORD = process.env.MOCK_PASSWORD || 'operator';

/** session token → csrf token */
const sessions = new Map();
/** Requests, newest first. */
const requests = [];
const sockets = new Set();

function seed() {
  const rows = [
    ['Иванова Мария Петровна', '+73432101010', 'maria@example.ru', 'web_form', 'new', 'Хочу записаться к кардиологу на следующей неделе, желательно утром.'],
    ['', '+79122223344', '', 'phone', 'new', ''],
    ['Петров Алексей', '+79501234567', '', 'telegram', 'in_progress', 'Здравствуйте! Сколько стоит МРТ коленного сустава?'],
    ['Сидорова Елена', '', 'elena.s@example.ru', 'email', 'booked', 'Прошу перенести приём у терапевта с 25 на 27 число.'],
    ["Robert'); DROP TABLE requests;--", '+73432000001', '', 'chat', 'new', '<img src=x onerror=alert(1)> нужна справка для бассейна'],
    ['Кузнецов Игорь', '+79087776655', '', 'whatsapp', 'visited', 'Спасибо, всё прошло хорошо.'],
    ['Смирнова Ольга', '+79023334455', '', 'vk', 'lost', 'Передумала.'],
    ['Волков Дмитрий', '+73432556677', '', 'web_form', 'in_progress', 'Нужна консультация ЛОР-врача для ребёнка 5 лет.'],
  ];
  const now = Date.now();
  rows.forEach(([name, phone, email, channel, status, message], i) => {
    const at = new Date(now - (i + 1) * 47 * 60_000).toISOString();
    requests.push(makeRequest({ name, phone, email, channel, status, message, at, consent: i % 3 !== 1 }));
  });
}

function makeRequest({ name, phone, email, channel, status = 'new', message, at, consent, source = 'demo' }) {
  return {
    id: randomUUID(),
    channel,
    status,
    source: channel === 'web_form' ? source : channel,
    source_name: channel === 'web_form' ? 'Запись на приём (сайт)' : '',
    message,
    contact: { id: randomUUID(), name, phone, email },
    consent: consent ? { given_at: at, text_version: '2025-09' } : null,
    created_at: at,
    updated_at: at,
  };
}

function cookies(req) {
  const out = {};
  for (const part of (req.headers.cookie || '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq).trim()] = decodeURIComponent(part.slice(eq + 1).trim());
  }
  return out;
}

function session(req) {
  const token = cookies(req).okno_session;
  return token && sessions.has(token) ? token : null;
}

function send(res, status, body, headers = {}) {
  const json = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'Cache-Control': 'no-store', ...(json ? { 'Content-Type': 'application/json' } : {}), ...headers });
  res.end(json);
}

function problem(res, status, title, detail, errors) {
  const body = { type: 'about:blank', title, status, ...(detail ? { detail } : {}), ...(errors ? { errors } : {}) };
  res.writeHead(status, { 'Content-Type': 'application/problem+json', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify(body));
}

async function readJson(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null');
  } catch {
    return undefined;
  }
}

function broadcast(type, data) {
  const frame = encodeFrame(JSON.stringify({ type, data }));
  for (const s of sockets) s.write(frame);
}

async function api(req, res, url) {
  const p = url.pathname;
  const method = req.method;

  if (method === 'POST' && p === '/api/v1/auth/login') {
    const body = await readJson(req);
    if (!body || body.login !== USER.login || body.password !== PASSWORD) {
      return problem(res, 401, 'Unauthorized', 'Wrong login or password');
    }
    const token = randomBytes(24).toString('hex');
    const csrf = randomBytes(16).toString('hex');
    sessions.set(token, csrf);
    return send(res, 200, { user: USER }, {
      'Set-Cookie': [
        `okno_session=${token}; Path=/; HttpOnly; SameSite=Lax`,
        `okno_csrf=${csrf}; Path=/; SameSite=Lax`,
      ],
    });
  }

  const m = p.match(/^\/api\/v1\/intake\/web-forms\/([^/]+)$/);
  if (method === 'POST' && m) {
    const body = await readJson(req);
    if (!body || typeof body !== 'object') return problem(res, 400, 'Bad Request', 'JSON body expected');
    if (!body.phone && !body.email) {
      return problem(res, 422, 'Unprocessable Entity', 'phone or email required', [{ field: 'phone', message: 'required' }]);
    }
    const item = makeRequest({
      name: String(body.name || ''),
      phone: String(body.phone || ''),
      email: String(body.email || ''),
      channel: 'web_form',
      message: String(body.message || ''),
      at: new Date().toISOString(),
      consent: body.consent === true,
      source: decodeURIComponent(m[1]),
    });
    requests.unshift(item);
    broadcast('request.created', item);
    return send(res, 201, { id: item.id });
  }

  const token = session(req);
  if (!token) return problem(res, 401, 'Unauthorized');
  if (method !== 'GET' && req.headers['x-csrf-token'] !== sessions.get(token)) {
    return problem(res, 403, 'Forbidden', 'CSRF token missing or wrong');
  }

  if (method === 'GET' && p === '/api/v1/auth/me') return send(res, 200, { user: USER });
  if (method === 'POST' && p === '/api/v1/auth/logout') {
    sessions.delete(token);
    return send(res, 204, undefined, {
      'Set-Cookie': ['okno_session=; Path=/; Max-Age=0', 'okno_csrf=; Path=/; Max-Age=0'],
    });
  }
  if (method === 'GET' && p === '/api/v1/requests') {
    const status = url.searchParams.get('status');
    const channel = url.searchParams.get('channel');
    const limit = Math.min(Math.max(Number(url.searchParams.get('limit')) || 50, 1), 200);
    const cursor = url.searchParams.get('cursor');
    let list = requests.filter((r) => (!status || r.status === status) && (!channel || r.channel === channel));
    if (cursor) {
      const after = Buffer.from(cursor, 'base64url').toString('utf8');
      const i = list.findIndex((r) => r.id === after);
      list = i >= 0 ? list.slice(i + 1) : [];
    }
    const items = list.slice(0, limit);
    const next_cursor = list.length > limit ? Buffer.from(items[items.length - 1].id).toString('base64url') : null;
    return send(res, 200, { items, next_cursor });
  }
  const one = p.match(/^\/api\/v1\/requests\/([^/]+)$/);
  if (method === 'GET' && one) {
    const item = requests.find((r) => r.id === decodeURIComponent(one[1]));
    return item ? send(res, 200, item) : problem(res, 404, 'Not Found', 'No such request');
  }
  return problem(res, 404, 'Not Found');
}

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

/** Serves the static export the way the gateway should: /x/ → out/x/index.html. */
async function serveStatic(req, res, url) {
  let rel = decodeURIComponent(url.pathname);
  if (rel.endsWith('/')) rel += 'index.html';
  const file = path.resolve(OUT, '.' + rel);
  if (!file.startsWith(OUT + path.sep)) return problem(res, 400, 'Bad Request');
  try {
    const st = await stat(file);
    if (st.isDirectory()) {
      res.writeHead(308, { Location: url.pathname + '/' + url.search });
      return res.end();
    }
    res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream' });
    return res.end(await readFile(file));
  } catch {
    const notFound = await readFile(path.join(OUT, '404.html')).catch(() => Buffer.from('not found'));
    res.writeHead(404, { 'Content-Type': 'text/html; charset=utf-8' });
    return res.end(notFound);
  }
}

// --- WebSocket (RFC 6455), just enough for server → client text frames ---

function encodeFrame(text, opcode = 0x1) {
  const payload = Buffer.from(text);
  const n = payload.length;
  const head = n < 126 ? Buffer.from([0x80 | opcode, n]) : n < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  if (n >= 126 && n < 65536) {
    head[0] = 0x80 | opcode;
    head[1] = 126;
    head.writeUInt16BE(n, 2);
  } else if (n >= 65536) {
    head[0] = 0x80 | opcode;
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(n), 2);
  }
  return Buffer.concat([head, payload]);
}

function closeFrame(code, reason = '') {
  const body = Buffer.alloc(2 + Buffer.byteLength(reason));
  body.writeUInt16BE(code, 0);
  body.write(reason, 2);
  return Buffer.concat([Buffer.from([0x88, body.length]), body]);
}

function upgrade(req, socket) {
  const url = new URL(req.url, 'http://x');
  const key = req.headers['sec-websocket-key'];
  if (url.pathname !== '/api/v1/ws' || !key) return socket.destroy();
  const accept = createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
  socket.write(
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      `Sec-WebSocket-Accept: ${accept}\r\n\r\n`,
  );
  if (!session(req)) {
    // A browser cannot read an HTTP status from a failed handshake, hence the close code.
    socket.end(closeFrame(4401, 'unauthorized'));
    return;
  }
  sockets.add(socket);
  socket.write(encodeFrame(JSON.stringify({ type: 'hello', data: { user: USER } })));
  socket.on('data', (buf) => {
    const opcode = buf[0] & 0x0f;
    if (opcode === 0x8) {
      socket.end(closeFrame(1000));
    } else if (opcode === 0x9) {
      socket.write(Buffer.from([0x8a, 0]));
    }
  });
  socket.on('close', () => sockets.delete(socket));
  socket.on('error', () => sockets.delete(socket));
}

seed();
function control(req, res, url) {
  if (req.method !== 'POST') return problem(res, 405, 'Method Not Allowed');
  if (url.pathname === '/mock/drop-sockets') {
    for (const s of sockets) s.end(closeFrame(1012, 'restart'));
  } else if (url.pathname === '/mock/expire-sessions') {
    sessions.clear();
    for (const s of sockets) s.end(closeFrame(4401, 'unauthorized'));
  } else {
    return problem(res, 404, 'Not Found');
  }
  sockets.clear();
  return send(res, 204);
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, `http://${req.headers.host || 'localhost'}`);
  if (url.pathname.startsWith('/mock/')) return control(req, res, url);
  const handle = url.pathname.startsWith('/api/') ? api(req, res, url) : serveStatic(req, res, url);
  handle.catch((err) => {
    console.error(err);
    if (!res.headersSent) problem(res, 500, 'Internal Server Error');
  });
});
server.on('upgrade', upgrade);
server.listen(PORT, HOST, () => {
  console.log(`mock backend on http://${HOST}:${PORT} (login ${USER.login} / ${PASSWORD}), serving ${OUT}`);
});
