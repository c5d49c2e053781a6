// Browser test of the contact center's telephony, against a running Okno (`okno run --demo`):
// an administrator (2FA set up here, RFC 6238) connects a generic PBX on /admin/telephony/ and
// copies its webhook address and secret from the once-shown dialog; a supervisor gives the
// operator an extension on /admin/queues/; the test then posts signed Standard Webhooks events
// (HMAC-SHA256 of "id.timestamp.body" under the whsec_ key) as the PBX would. A ringing call pops
// up for the operator, masked as the operator may see it; "Создать заявку" opens the new request,
// which the operator moves on and comments; the request's page lists its own tasks (one made
// there, one made elsewhere arriving live, not another request's); a missed call becomes a
// callback task, live in the operator's inbox and on the supervisor's board; the operator steps
// away, the board shows it, and a reload keeps it; the call log shows both calls and follows the
// first one to its end live. The supervisor also reorders two routing rules, and the order
// survives a reload.
//
//   OKNO_URL=… OKNO_LOGIN=… OKNO_PASSWORD=… OKNO_SUPERVISOR_LOGIN=… OKNO_SUPERVISOR_PASSWORD=…
//   OKNO_PBX_ADMIN_LOGIN=… OKNO_PBX_ADMIN_PASSWORD=… node e2e/calls.e2e.mjs
//
// Env: OKNO_URL; OKNO_LOGIN / OKNO_PASSWORD (an operator: calls.read, no patients.read_pd);
// OKNO_SUPERVISOR_LOGIN / OKNO_SUPERVISOR_PASSWORD (a supervisor: board.read, queues.manage);
// OKNO_PBX_ADMIN_LOGIN / OKNO_PBX_ADMIN_PASSWORD (an admin without 2FA yet, whom it enrolls);
// CHROMIUM_PATH. Screenshots: e2e/artifacts/{telephony-secret,telephony,queues,routing,call-popup,call-request,
// request-tasks,board,presence-reload,calls}.png.
// Phone numbers are random test numbers; they are compared, never printed.
import { createHmac, randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch } from './browser.mjs';
import { freshCode, selfTest, stepAt } from './totp.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const artifacts = path.join(here, 'artifacts');

const BASE = (process.env.OKNO_URL || 'http://127.0.0.1:18080').replace(/\/+$/, '');
const OPERATOR = process.env.OKNO_LOGIN || '';
const OPERATOR_PASSWORD = process.env.OKNO_PASSWORD || '';
const SUPERVISOR = process.env.OKNO_SUPERVISOR_LOGIN || '';
const SUPERVISOR_PASSWORD = process.env.OKNO_SUPERVISOR_PASSWORD || '';
const ADMIN = process.env.OKNO_PBX_ADMIN_LOGIN || '';
const ADMIN_PASSWORD = process.env.OKNO_PBX_ADMIN_PASSWORD || '';
const LIVE_TIMEOUT_MS = 5000;

const digits = (n) => Array.from({ length: n }, () => Math.floor(Math.random() * 10)).join('');
const EXTENSION = `7${digits(3)}`;
const CALLER = `+7912${digits(7)}`;
const MISSED = `+7913${digits(7)}`;
const LINE = '+73432000000';
const CALL_1 = `e2e-${randomUUID()}`;
const CALL_2 = `e2e-${randomUUID()}`;

const attr = (v) => `"${String(v).replace(/["\\]/g, '\\$&')}"`;

let current = 'start';
async function step(name, fn) {
  current = name;
  const t0 = Date.now();
  const result = await fn();
  console.log(`  ok  ${name} (${Date.now() - t0} ms)`);
  return result;
}

function check(cond, message) {
  if (!cond) throw new Error(message);
}

const shot = (page, name) => page.screenshot({ path: path.join(artifacts, `${name}.png`) });

/** Posts one generic PBX event, signed as Standard Webhooks says; returns the HTTP status. */
async function webhook(pbx, event, { sign = true } = {}) {
  const body = JSON.stringify(event);
  const id = `msg_${randomUUID()}`;
  const ts = Math.floor(Date.now() / 1000);
  const key = Buffer.from(pbx.secret.replace(/^whsec_/, ''), 'base64');
  const sig = createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest('base64');
  const headers = { 'Content-Type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(ts) };
  if (sign) headers['webhook-signature'] = `v1,${sig}`;
  const res = await fetch(BASE + pbx.path, { method: 'POST', headers, body });
  await res.text();
  return res.status;
}

const event = (type, callId, from, extra = {}) => ({
  type,
  call_id: callId,
  direction: 'inbound',
  from,
  to: LINE,
  at: new Date().toISOString(),
  ...extra,
});

async function signIn(page, login, password) {
  await page.goto(`${BASE}/login/`);
  await page.getByTestId('login-input').fill(login);
  await page.getByTestId('password-input').fill(password);
  await page.getByTestId('login-submit').click();
  await page.waitForURL((u) => u.pathname === '/');
  await page.locator('[data-testid="conn-status"][data-state="live"]').waitFor();
}

async function adminSignIn(context) {
  const req = context.request;
  const csrf = async () => (await context.cookies(BASE)).find((c) => c.name === 'okno_csrf')?.value ?? '';
  let res = await req.post(`${BASE}/api/v1/auth/login`, { data: { login: ADMIN, password: ADMIN_PASSWORD } });
  check(res.ok(), `admin login: ${res.status()}`);
  res = await req.post(`${BASE}/api/v1/me/2fa/setup`, { headers: { 'X-CSRF-Token': await csrf() } });
  check(res.ok(), `2FA setup: ${res.status()}`);
  const { secret } = await res.json();
  const first = await freshCode(secret, stepAt(Date.now()) - 1);
  res = await req.post(`${BASE}/api/v1/me/2fa/enable`, { data: { code: first.code }, headers: { 'X-CSRF-Token': await csrf() } });
  check(res.ok(), `2FA enable: ${res.status()}`);
  const again = await freshCode(secret, first.step);
  res = await req.post(`${BASE}/api/v1/auth/login`, { data: { login: ADMIN, password: ADMIN_PASSWORD, totp_code: again.code } });
  check(res.ok(), `admin login with the code: ${res.status()}`);
}

function watch(page, errors) {
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (err) => errors.push(err.message));
}

async function main() {
  check(OPERATOR && OPERATOR_PASSWORD, 'set OKNO_LOGIN and OKNO_PASSWORD');
  check(SUPERVISOR && SUPERVISOR_PASSWORD, 'set OKNO_SUPERVISOR_LOGIN and OKNO_SUPERVISOR_PASSWORD');
  check(ADMIN && ADMIN_PASSWORD, 'set OKNO_PBX_ADMIN_LOGIN and OKNO_PBX_ADMIN_PASSWORD');
  selfTest();
  await mkdir(artifacts, { recursive: true });
  const errors = [];
  const admin = await launch();
  const sup = await launch();
  const op = await launch();
  const pages = [];
  try {
    const adminPage = admin.context.pages()[0] ?? (await admin.context.newPage());
    const supPage = sup.context.pages()[0] ?? (await sup.context.newPage());
    const opPage = op.context.pages()[0] ?? (await op.context.newPage());
    pages.push(['admin', adminPage], ['supervisor', supPage], ['operator', opPage]);
    for (const [, p] of pages) watch(p, errors);

    const pbx = await step('the admin connects a generic PBX; its address and secret are shown once', async () => {
      await adminSignIn(admin.context);
      await adminPage.goto(`${BASE}/`);
      await adminPage.getByTestId('nav-telephony').click();
      await adminPage.waitForURL((u) => u.pathname === '/admin/telephony/');
      await adminPage.getByTestId('pbx-add').click();
      await adminPage.getByTestId('pbx-name').fill('АТС клиники (e2e)');
      await adminPage.getByTestId('pbx-create').click();
      const once = adminPage.getByTestId('pbx-once');
      await once.waitFor();
      const url = (await adminPage.getByTestId('pbx-webhook-url').innerText()).trim();
      const secret = (await adminPage.getByTestId('pbx-secret').innerText()).trim();
      check(/\/api\/v1\/telephony\/webhooks\/[\w-]+$/.test(url), `webhook URL: ${url}`);
      check(secret.startsWith('whsec_'), 'the secret is not a whsec_ secret');
      check((await once.innerText()).includes('только один раз'), 'no warning that the secret is shown once');
      await shot(adminPage, 'telephony-secret');
      await adminPage.getByTestId('pbx-once-done').click();
      await adminPage.locator('[data-testid="pbx-row"][data-active="true"]').first().waitFor();
      await shot(adminPage, 'telephony');
      // Reloaded, the list no longer holds the secret.
      await adminPage.reload();
      await adminPage.getByTestId('pbx-row').first().waitFor();
      check(!(await adminPage.content()).includes(secret), 'the secret is shown again after a reload');
      return { path: url.slice(url.indexOf('/api/v1/')), secret };
    });

    await step('a delivery without a valid signature is refused', async () => {
      const status = await webhook(pbx, event('call.started', `e2e-${randomUUID()}`, CALLER), { sign: false });
      check(status === 401, `unsigned delivery: want 401, got ${status}`);
    });

    await step('the supervisor gives the operator an extension', async () => {
      await signIn(supPage, SUPERVISOR, SUPERVISOR_PASSWORD);
      await supPage.getByTestId('nav-queues').click();
      await supPage.waitForURL((u) => u.pathname === '/admin/queues/');
      const row = supPage.locator(`[data-testid="extension-row"][data-login=${attr(OPERATOR)}]`);
      await row.waitFor();
      await row.getByTestId('extension-input').fill(EXTENSION);
      await row.getByTestId('extension-save').click();
      await supPage.waitForFunction(
        ([login, ext]) => {
          const r = document.querySelector(`[data-testid="extension-row"][data-login="${login}"]`);
          const input = r?.querySelector('input');
          const button = r?.querySelector('[data-testid="extension-save"]');
          return input?.value === ext && button?.hasAttribute('disabled');
        },
        [OPERATOR, EXTENSION],
      );
    });

    await step('the supervisor makes a queue: strategy, SLA in minutes, a member, weekly hours checked field by field', async () => {
      await supPage.getByTestId('queue-add').click();
      const form = supPage.getByTestId('queue-form');
      await form.waitFor();
      await supPage.getByTestId('queue-name').fill('Запись (e2e)');
      await supPage.getByTestId('queue-members').click();
      await supPage.getByRole('option', { name: 'Менеджер Теста' }).click();
      await supPage.getByTestId('queue-day-sun').fill('14:00-10:00');
      await supPage.getByTestId('queue-save').click();
      await form.getByText('Не интервал: 14:00-10:00').waitFor();
      await supPage.getByTestId('queue-day-sun').fill('10:00-14:00');
      await supPage.getByTestId('queue-save').click();
      await form.waitFor({ state: 'detached' });
      const row = supPage.getByTestId('queue-row').filter({ hasText: 'Запись (e2e)' });
      await row.waitFor();
      const text = await row.innerText();
      check(text.includes('Вс 10:00-14:00') && text.includes('Пн 08:00-20:00'), 'the weekly hours were not saved as entered');
      check(text.includes('ответ 15 мин'), 'the SLA is not shown in minutes');
      check(text.includes('Менеджер Теста'), 'the member is not in the queue');
      await shot(supPage, 'queues');
    });

    await step('the supervisor adds two routing rules and moves the second above the first; the order survives a reload', async () => {
      // Sources no form uses: these rules never route the test's requests.
      const [first, second] = [`e2e-first-${digits(4)}`, `e2e-second-${digits(4)}`];
      const section = supPage.getByTestId('routing');
      for (const source of [first, second]) {
        await section.getByTestId('routing-add').click();
        const row = section.getByTestId('routing-row').last();
        await row.getByTestId('routing-source').fill(source);
        await row.getByTestId('routing-queue').click();
        await supPage.getByRole('option', { name: 'Запись (e2e)' }).click();
      }
      await section.getByTestId('routing-save').click();
      await section.getByTestId('routing-saved').waitFor();
      const order = () =>
        section.getByTestId('routing-source').evaluateAll((inputs, mine) => inputs.map((i) => i.value).filter((v) => mine.includes(v)), [first, second]);
      check((await order()).join() === [first, second].join(), `saved order: ${await order()}`);
      const secondRow = section.getByTestId('routing-row').filter({ has: supPage.locator(`input[value=${attr(second)}]`) });
      const up = secondRow.getByRole('button', { name: /проверять раньше/ });
      check((await up.getAttribute('aria-label'))?.startsWith('Правило '), 'the move-up button has no Russian label');
      await up.click();
      await section.getByTestId('routing-saved').waitFor();
      check((await order()).join() === [second, first].join(), `order after the move: ${await order()}`);
      await supPage.reload();
      await section.getByTestId('routing-row').first().waitFor();
      check((await order()).join() === [second, first].join(), `order after a reload: ${await order()}`);
      await section.scrollIntoViewIfNeeded();
      await shot(supPage, 'routing');
    });

    await step('the operator signs in: presence online, no board for an operator', async () => {
      await signIn(opPage, OPERATOR, OPERATOR_PASSWORD);
      await opPage.locator('[data-testid="presence-switch"][data-value="online"]').waitFor();
      check((await opPage.getByTestId('nav-board').count()) === 0, 'an operator sees the board link');
      check((await opPage.getByTestId('nav-calls').count()) === 1, 'no call log link for an operator');
    });

    await step(`a ringing call pops up for the operator within ${LIVE_TIMEOUT_MS} ms, masked`, async () => {
      check((await webhook(pbx, event('call.started', CALL_1, CALLER))) === 200, 'call.started refused');
      const t0 = Date.now();
      check((await webhook(pbx, event('call.ringing', CALL_1, CALLER, { extension: EXTENSION }))) === 200, 'call.ringing refused');
      const popup = opPage.locator('[data-testid="call-popup"][data-state="ringing"]');
      await popup.waitFor({ timeout: LIVE_TIMEOUT_MS });
      console.log(`      popped up after ${Date.now() - t0} ms`);
      const phone = opPage.getByTestId('popup-phone');
      check((await phone.getAttribute('data-masked')) === 'true', 'the caller is not masked for an operator');
      const shown = await phone.innerText();
      check(shown.includes('***') && shown.endsWith(CALLER.slice(-2)), 'the masked number is not the caller’s');
      check(!shown.replace(/\D/g, '').includes(CALLER.slice(-7)), 'the full number is shown to an operator');
      check((await opPage.getByTestId('popup-requests').innerText()).includes('Открытых заявок нет'), 'a new caller has open requests');
      await shot(opPage, 'call-popup');
    });

    const requestId = await step('"Создать заявку" opens the new request', async () => {
      await opPage.getByTestId('popup-create').click();
      await opPage.waitForURL((u) => u.pathname === '/' && u.searchParams.has('id'));
      const id = new URL(opPage.url()).searchParams.get('id');
      await opPage.locator(`[data-testid="request-detail"][data-id=${attr(id)}]`).waitFor();
      check((await opPage.getByTestId('call-popup').count()) === 0, 'the pop-up stayed open');
      check((await opPage.getByTestId('request-status').getAttribute('data-status')) === 'new', 'the new request is not new');
      check((await opPage.getByTestId('assignee-name').innerText()) === 'Я', 'the request is not the operator’s own');
      await opPage.locator(`[data-testid="inbox-item"][data-id=${attr(id)}]`).waitFor();
      return id;
    });

    await step('the operator moves it on and comments; the history shows both', async () => {
      await opPage.getByTestId('status-in_progress').click();
      await opPage.locator('[data-testid="request-status"][data-status="in_progress"]').waitFor();
      await opPage.locator('[data-testid="history-line"][data-field="status"]').waitFor();
      await opPage.getByTestId('comment-input').fill('Перезвонить после 15:00, просит к терапевту');
      await opPage.getByTestId('comment-add').click();
      await opPage.getByTestId('comment').filter({ hasText: 'просит к терапевту' }).waitFor();
      const sla = await opPage.locator('[data-testid="request-sla"] [data-sla="first_response"]').getAttribute('data-state');
      check(sla === 'met' || sla === 'none', `first response after a change: ${sla}`);
      await shot(opPage, 'call-request');
    });

    await step('the request’s tasks: one made here, one made elsewhere arrives live, another request’s is not listed', async () => {
      const panel = opPage.getByTestId('request-tasks');
      await panel.getByText('Задач нет').waitFor();
      await panel.getByTestId('task-add').click();
      await panel.getByTestId('task-note').fill('Напомнить о подготовке к анализам');
      await panel.getByTestId('task-create').click();
      await panel.getByTestId('request-task').filter({ hasText: 'подготовке к анализам' }).waitFor();
      // Elsewhere (another tab, the API): a task of this request, and one of another request of the same caller.
      const req = op.context.request;
      const csrf = (await op.context.cookies(BASE)).find((c) => c.name === 'okno_csrf')?.value ?? '';
      const post = async (url, data) => {
        const res = await req.post(BASE + url, { data, headers: { 'X-CSRF-Token': csrf } });
        check(res.ok(), `POST ${url}: ${res.status()}`);
        return res.json();
      };
      const detail = await (await req.get(`${BASE}/api/v1/requests/${requestId}`)).json();
      const other = await post('/api/v1/requests', { contact_id: detail.contact.id, channel: 'phone', message: 'Другой вопрос (e2e)' });
      const due = new Date(Date.now() + 3 * 3600_000).toISOString();
      await post('/api/v1/tasks', { kind: 'follow_up', request_id: other.id, due_at: due, note: 'Задача другой заявки' });
      await post('/api/v1/tasks', { kind: 'follow_up', request_id: requestId, due_at: due, note: 'Задача из другой вкладки' });
      await panel.getByTestId('request-task').filter({ hasText: 'из другой вкладки' }).waitFor({ timeout: LIVE_TIMEOUT_MS });
      check((await panel.getByTestId('request-task').count()) === 2, 'the request shows tasks that are not its own');
      check(!(await panel.innerText()).includes('другой заявки'), 'another request’s task is listed');
      // Read again from the API: the same two.
      await opPage.reload();
      await opPage.locator(`[data-testid="request-detail"][data-id=${attr(requestId)}]`).waitFor();
      await panel.getByTestId('request-task').filter({ hasText: 'из другой вкладки' }).waitFor();
      check((await panel.getByTestId('request-task').count()) === 2, 'after a reload the request shows other tasks');
      await panel.scrollIntoViewIfNeeded();
      await shot(opPage, 'request-tasks');
    });

    await step('click-to-call through a PBX that only reports calls: the server’s reason is shown', async () => {
      await opPage.getByTestId('request-detail').getByTestId('dial-button').first().click();
      const note = opPage.locator('.mantine-Notification-root').filter({ hasText: 'Не удалось позвонить' });
      await note.waitFor();
      // The UI speaks Russian, so the server gives its reason in Russian too.
      check((await note.innerText()).includes('универсальный вебхук только сообщает о звонках'), 'the 409’s reason is not shown in Russian');
    });

    await step('a missed call becomes a callback task, live in the inbox', async () => {
      check((await webhook(pbx, event('call.started', CALL_2, MISSED))) === 200, 'call.started refused');
      check((await webhook(pbx, event('call.ended', CALL_2, MISSED, { result: 'missed' }))) === 200, 'call.ended refused');
      // Masked for the operator: "+7 913 ***-**-NN" (the demo's simulated calls come from +7 912).
      const masked = `+7 913 ***-**-${MISSED.slice(-2)}`;
      const task = opPage.locator('[data-testid="inbox-task"]').filter({ has: opPage.locator('[data-kind="callback"]') }).filter({ hasText: masked });
      await task.first().waitFor({ timeout: LIVE_TIMEOUT_MS });
      await opPage.locator('[data-testid="inbox-call"]').filter({ hasText: masked }).first().waitFor();
    });

    await step('the supervisor’s board shows the callback and the operator online with the extension', async () => {
      await supPage.getByTestId('nav-board').click();
      await supPage.waitForURL((u) => u.pathname === '/board/');
      const cb = supPage.locator('[data-testid="board-callbacks-table"] [data-testid="board-task"][data-kind="callback"]');
      await cb.first().waitFor();
      const text = await supPage.getByTestId('board-callbacks').innerText();
      // A supervisor sees phones unmasked: the missed caller's number, formatted.
      check(text.replace(/\D/g, '').includes(MISSED.slice(-7)), 'the missed caller is not on the board');
      check(Number(await supPage.getByTestId('kpi-callbacks').getAttribute('data-value')) >= 1, 'no callbacks counted');
      const row = supPage.locator(`[data-testid="board-operator"][data-login=${attr(OPERATOR)}]`);
      await supPage.locator(`[data-testid="board-operator"][data-login=${attr(OPERATOR)}][data-presence="online"]`).waitFor();
      check((await row.innerText()).includes(EXTENSION), 'the operator’s extension is not on the board');
      await shot(supPage, 'board');
    });

    await step('the operator steps away: the board follows live, and a reload keeps it', async () => {
      await opPage.getByTestId('presence-switch').getByText('Отошёл', { exact: true }).click();
      await opPage.locator('[data-testid="presence-switch"][data-value="away"]').waitFor();
      await supPage.locator(`[data-testid="board-operator"][data-login=${attr(OPERATOR)}][data-presence="away"]`).waitFor({ timeout: LIVE_TIMEOUT_MS });
      // A reload closes the page's socket and opens another: still away, on the switch and the board.
      await opPage.reload();
      await opPage.locator('[data-testid="conn-status"][data-state="live"]').waitFor();
      const shown = await opPage.waitForFunction(() => {
        const v = document.querySelector('[data-testid="presence-switch"]')?.getAttribute('data-value');
        return v && v !== 'unknown' ? v : null;
      });
      check((await shown.jsonValue()) === 'away', `after a reload the switch shows ${await shown.jsonValue()}`);
      const stored = await opPage.evaluate(async (login) => {
        const r = await fetch('/api/v1/operators');
        return (await r.json()).items.find((o) => o.login === login)?.presence;
      }, OPERATOR);
      check(stored === 'away', `after a reload the operator is ${stored}`);
      check(
        (await supPage.locator(`[data-testid="board-operator"][data-login=${attr(OPERATOR)}]`).getAttribute('data-presence')) === 'away',
        'after the reload the board does not show the operator away',
      );
      await shot(opPage, 'presence-reload');
      await opPage.getByTestId('presence-switch').getByText('На месте', { exact: true }).click();
      await supPage.locator(`[data-testid="board-operator"][data-login=${attr(OPERATOR)}][data-presence="online"]`).waitFor({ timeout: LIVE_TIMEOUT_MS });
    });

    await step('the call log: both calls, Russian results, the first followed to its end live', async () => {
      await opPage.getByTestId('nav-calls').click();
      await opPage.waitForURL((u) => u.pathname === '/calls/');
      await opPage.getByTestId('calls-table').waitFor();
      const missed = opPage.locator('[data-testid="call-row"][data-result="missed"]').filter({ hasText: `-${MISSED.slice(-2)}` }).first();
      await missed.waitFor();
      check((await missed.innerText()).includes('Пропущен'), 'a missed call is not labelled «Пропущен»');
      check(!(await opPage.getByTestId('calls-table').innerText()).replace(/\D/g, '').includes(MISSED.slice(-7)), 'the call log shows an operator full numbers');
      const rows = await opPage.getByTestId('call-row').count();
      check(rows >= 2, `call log rows: ${rows}`);
      check((await webhook(pbx, event('call.answered', CALL_1, CALLER, { extension: EXTENSION }))) === 200, 'call.answered refused');
      const later = new Date(Date.now() + 95_000).toISOString();
      check(
        (await webhook(pbx, { ...event('call.ended', CALL_1, CALLER, { result: 'answered' }), at: later })) === 200,
        'call.ended refused',
      );
      check(
        (await webhook(pbx, { ...event('call.recording_ready', CALL_1, CALLER), recording_url: 'https://records.example.org/e2e.mp3' })) === 200,
        'call.recording_ready refused',
      );
      // The operator's own call (the demo's simulated PBX rings extensions nobody has).
      const answered = opPage.locator('[data-testid="call-row"][data-result="answered"]').filter({ hasText: 'Менеджер Теста' }).filter({ hasText: `-${CALLER.slice(-2)}` });
      await answered.waitFor({ timeout: LIVE_TIMEOUT_MS });
      check((await answered.innerText()).includes('Принят'), 'an answered call is not labelled «Принят»');
      const rec = answered.getByTestId('call-recording');
      await rec.waitFor({ timeout: LIVE_TIMEOUT_MS });
      check((await rec.getAttribute('target')) === '_blank', 'the recording does not open in a new tab');
      check((await rec.getAttribute('href')) === 'https://records.example.org/e2e.mp3', 'the recording link is wrong');
      await shot(opPage, 'calls');
      void requestId;
    });

    check(errors.length === 0, `uncaught errors in the pages: ${errors.join('; ')}`);
  } catch (err) {
    for (const [who, p] of pages) await shot(p, `failure-calls-${who}`).catch(() => undefined);
    throw err;
  } finally {
    await admin.close();
    await sup.close();
    await op.close();
  }
}

console.log(`e2e-calls: against ${BASE}`);
main().then(
  () => {
    console.log('e2e-calls: 1 passed, 0 failed');
  },
  (err) => {
    console.log(`  FAIL ${current}: ${err && err.stack ? err.stack : err}`);
    console.log('e2e-calls: 0 passed, 1 failed');
    process.exit(1);
  },
);
