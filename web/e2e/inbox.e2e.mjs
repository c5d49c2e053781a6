// Browser test of the single window, against a running Okno (UI + API on one origin):
// sign in, post a web form from outside, see it arrive live, open it, switch the language.
// The form's person (phone, name, request id) is left in e2e/artifacts/inbox-subject.json
// for security.e2e.mjs, which finds and forgets them on the data-subject page.
//
//   OKNO_URL=http://127.0.0.1:18080 OKNO_LOGIN=… OKNO_PASSWORD=… npm run e2e
//
// Env: OKNO_URL, OKNO_LOGIN, OKNO_PASSWORD, OKNO_FORM_KEY (default "demo"),
// CHROMIUM_PATH (default /usr/bin/chromium). Screenshots go to e2e/artifacts/.
// Plain Node + playwright-core driving the system's chromium; nothing is downloaded.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch } from './browser.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const artifacts = path.join(here, 'artifacts');
// The person this test creates, for security.e2e.mjs to find on the data-subject page.
const SUBJECT_FILE = path.join(artifacts, 'inbox-subject.json');

const BASE = (process.env.OKNO_URL || 'http://127.0.0.1:18080').replace(/\/+$/, '');
const LOGIN = process.env.OKNO_LOGIN || '';
const PASSWORD = process.env.OKNO_PASSWORD || '';
const FORM_KEY = process.env.OKNO_FORM_KEY || 'demo';
const LIVE_TIMEOUT_MS = 5000;

const digits = (n) => Array.from({ length: n }, () => Math.floor(Math.random() * 10)).join('');
const NAME = `Тестова Ёлка ${digits(6)}`;
const PHONE = `8 (343) 2${digits(2)}-${digits(2)}-${digits(2)}`;
const PHONE_E164 = `+7${PHONE.replace(/\D/g, "").slice(1)}`;
const MESSAGE = '<script>alert(1)</script> Хочу записаться';

/** A CSS attribute value in double quotes. */
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

async function main() {
  check(LOGIN && PASSWORD, 'set OKNO_LOGIN and OKNO_PASSWORD');
  await mkdir(artifacts, { recursive: true });
  const { context, close } = await launch();
  const pageErrors = [];
  const dialogs = [];
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    page.on('console', (msg) => {
      if (msg.type() === 'error') console.log(`  (browser console) ${msg.text()}`);
    });

    await step('open the login page', async () => {
      await page.goto(`${BASE}/login/`);
      await page.getByTestId('login-form').waitFor();
      await page.screenshot({ path: path.join(artifacts, 'login.png') });
    });

    await step('a wrong password is refused with a message', async () => {
      await page.getByTestId('login-input').fill(LOGIN);
      await page.getByTestId('password-input').fill(`${PASSWORD}-wrong-${digits(4)}`);
      await page.getByTestId('login-submit').click();
      await page.getByTestId('login-error').waitFor();
      check(new URL(page.url()).pathname === '/login/', `left the login page: ${page.url()}`);
    });

    await step('sign in', async () => {
      await page.getByTestId('login-input').fill(LOGIN);
      await page.getByTestId('password-input').fill(PASSWORD);
      await page.getByTestId('login-submit').click();
      await page.waitForURL((u) => u.pathname === '/', { timeout: 10_000 }).catch(async (err) => {
        const shown = await page.getByTestId('login-error').textContent().catch(() => null);
        throw shown ? new Error(`login refused: ${shown}`) : err;
      });
    });

    await step('inbox list shown and the socket live', async () => {
      await page.getByTestId('inbox-list').waitFor();
      await page.locator('[data-testid="conn-status"][data-state="live"]').waitFor();
      // Survives client-side navigation, gone after a page load.
      await page.evaluate(() => {
        window.__oknoE2E = 'same-document';
      });
    });

    const id = await step('post a web form from outside', async () => {
      const res = await fetch(`${BASE}/api/v1/intake/web-forms/${encodeURIComponent(FORM_KEY)}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ name: NAME, phone: PHONE, email: '', message: MESSAGE, consent: true }),
      });
      const text = await res.text();
      check(res.status === 201, `intake: want 201, got ${res.status}: ${text.slice(0, 300)}`);
      const body = JSON.parse(text);
      check(typeof body.id === 'string' && body.id !== '', `intake: no id in ${text.slice(0, 300)}`);
      await writeFile(SUBJECT_FILE, JSON.stringify({ phone: PHONE, name: NAME, request_id: body.id }) + '\n');
      return body.id;
    });

    const item = page.locator(`[data-testid="inbox-item"][data-id=${attr(id)}]`);

    await step(`request appears live within ${LIVE_TIMEOUT_MS} ms, at the top, without reload`, async () => {
      const t0 = Date.now();
      await item.waitFor({ state: 'visible', timeout: LIVE_TIMEOUT_MS });
      console.log(`      arrived after ${Date.now() - t0} ms`);
      const firstId = await page.getByTestId('inbox-item').first().getAttribute('data-id');
      check(firstId === id, `want ${id} first in the list, got ${firstId}`);
      check((await item.innerText()).includes(NAME), `list item lacks the name ${NAME}`);
      const marker = await page.evaluate(() => window.__oknoE2E);
      check(marker === 'same-document', 'the page was reloaded or navigated away');
    });

    await step('open it: the message shows verbatim, as text', async () => {
      await item.click();
      await page.locator(`[data-testid="request-detail"][data-id=${attr(id)}]`).waitFor();
      const message = await page.getByTestId('request-message').textContent();
      check(message === MESSAGE, `message: want ${JSON.stringify(MESSAGE)}, got ${JSON.stringify(message)}`);
      const name = await page.getByTestId('request-name').textContent();
      check(name === NAME, `name: want ${NAME}, got ${name}`);
      const detailText = await page.getByTestId('request-detail').innerText();
      check(detailText.includes('343'), 'the phone is not shown');
      check(new URL(page.url()).searchParams.get('id') === id, `address lacks ?id=${id}: ${page.url()}`);
      const injected = await page.evaluate(() =>
        [...document.querySelectorAll('script')].some((s) => (s.textContent || '').includes('alert(1)')),
      );
      check(!injected, 'a <script> element from the message is in the page');
      check((await page.evaluate(() => window.__oknoE2E)) === 'same-document', 'opening the request reloaded the page');
      await page.screenshot({ path: path.join(artifacts, 'inbox.png') });
    });

    await step('the phone is masked; revealing it shows it and is audited', async () => {
      const phone = page.getByTestId('contact-phone');
      check((await phone.getAttribute('data-masked')) === 'true', 'an operator sees the phone unmasked');
      const masked = (await phone.textContent()) || '';
      check(masked.includes('***') && !masked.includes(PHONE_E164.slice(5, 10)), `masked phone shows too much: ${masked}`);
      await page.getByTestId('reveal-contact').click();
      await page.locator('[data-testid="contact-phone"][data-masked="false"]').waitFor();
      const full = await page.getByTestId('contact-phone').textContent();
      check((full || '').replace(/\D/g, '') === PHONE_E164.replace(/\D/g, ''), `revealed phone: want ${PHONE_E164}, got ${full}`);
      await page.screenshot({ path: path.join(artifacts, 'revealed.png') });
      // security.e2e.mjs finds this reveal in the audit log as the security officer.
    });

    await step('book an appointment from the window, then cancel it', async () => {
      await page.getByTestId('book-open').click();
      const dialog = page.getByTestId('book-dialog');
      await dialog.waitFor();
      const specialty = page.getByTestId('book-specialty');
      const slots = page.getByTestId('book-slots');
      // The first specialty with free slots (the demo MIS has two weeks of them on working days).
      let chosen = '';
      for (let i = 0; !chosen; i++) {
        await specialty.click();
        const options = page.getByRole('option');
        await options.first().waitFor();
        const count = await options.count();
        check(i < count, `no specialty has free slots (${count} tried)`);
        const before = (await slots.getAttribute('data-specialty')) || '';
        await options.nth(i).click();
        // Wait for this specialty's answer, not the previous one's.
        const answer = await page.waitForFunction((prev) => {
          const el = document.querySelector('[data-testid="book-slots"]');
          const state = el?.getAttribute('data-state');
          if (state === 'error') return { state };
          return state === 'done' && el.getAttribute('data-specialty') !== prev ? { state } : null;
        }, before);
        const { state } = await answer.jsonValue();
        if (state === 'error') throw new Error(`slot search failed: ${await slots.innerText()}`);
        if (Number(await slots.getAttribute('data-count')) > 0) chosen = await specialty.inputValue();
      }
      console.log(`      specialty with slots: ${chosen}`);
      const first = page.getByTestId('book-slot').first();
      const slotId = await first.getAttribute('data-slot-id');
      const label = (await first.innerText()).trim();
      check(/^\d{2}:\d{2} · /.test(label), `slot label: ${label}`);
      await first.click();
      await page.locator(`[data-testid="book-slot"][data-slot-id=${attr(slotId)}][data-selected="true"]`).first().waitFor();
      await page.screenshot({ path: path.join(artifacts, 'booking-slots.png') });

      // Someone else takes the chosen slot first: the dialog says so and offers alternatives.
      const other = await page.evaluate(
        async ({ slotId, requestId }) => {
          const csrf = decodeURIComponent((document.cookie.match(/(?:^|;\s*)okno_csrf=([^;]*)/) || [])[1] || '');
          const req = await (await fetch(`/api/v1/requests/${requestId}`)).json();
          const res = await fetch('/api/v1/mis/appointments', {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
            body: JSON.stringify({ slot_id: slotId, contact_id: req.contact.id }),
          });
          return { status: res.status, body: await res.json() };
        },
        { slotId, requestId: id },
      );
      check(other.status === 201, `booking the slot from outside: ${other.status} ${JSON.stringify(other.body)}`);
      await page.getByTestId('book-confirm').click();
      const alternatives = page.getByTestId('book-alternatives');
      await alternatives.waitFor();
      check((await alternatives.innerText()).includes('Этот слот только что заняли'), 'no "slot taken" message');
      const alt = alternatives.getByTestId('book-slot').first();
      await alt.waitFor();
      const altLabel = (await alt.innerText()).trim();
      check((await alt.getAttribute('data-slot-id')) !== slotId, 'the taken slot is offered again');
      await page.screenshot({ path: path.join(artifacts, 'booking-taken.png') });
      await alt.click();
      await page.getByTestId('book-confirm').click();
      // The card lists the contact's appointments: the one booked from outside is there too.
      const result = page.locator(`[data-testid="book-result"][data-status="booked"]:not([data-id=${attr(other.body.id)}])`);
      await result.waitFor();
      await dialog.waitFor({ state: 'detached' });
      const text = await result.innerText();
      check(text.includes(altLabel.split(' · ')[0]), `booked time ${altLabel} not in the pane: ${text}`);
      const cancelled = await page.evaluate(async (apptId) => {
        const csrf = decodeURIComponent((document.cookie.match(/(?:^|;\s*)okno_csrf=([^;]*)/) || [])[1] || '');
        return (await fetch(`/api/v1/mis/appointments/${apptId}`, { method: 'DELETE', headers: { 'X-CSRF-Token': csrf } })).status;
      }, other.body.id);
      check(cancelled === 200, `cancelling the other booking: ${cancelled}`);
      await page.screenshot({ path: path.join(artifacts, 'booking.png') });

      const ours = await result.getAttribute('data-id');
      await result.getByTestId('book-cancel').click();
      await page.getByTestId('confirm-dialog').waitFor();
      await page.getByTestId('confirm-ok').click();
      await page.locator(`[data-testid="book-result"][data-id=${attr(ours)}][data-status="cancelled"]`).waitFor();
      await page.getByTestId('book-open').waitFor();
    });

    await step('switch the language to English', async () => {
      await page.getByTestId('lang-switch').getByText('EN', { exact: true }).click();
      await page.getByText('Patient card', { exact: true }).waitFor();
      await page.getByRole('heading', { name: 'Inbox', exact: true }).waitFor();
      check((await page.getByTestId('nav-inbox').textContent()) === 'Inbox', 'header link not in English');
      check((await page.getByTestId('conn-status').textContent()) === 'Live', 'connection label not in English');
      check((await page.evaluate(() => document.documentElement.lang)) === 'en', 'html lang is not "en"');
      await page.screenshot({ path: path.join(artifacts, 'inbox-en.png') });
    });

    await step('after a reload: same request open, still English', async () => {
      await page.reload();
      await page.locator(`[data-testid="request-detail"][data-id=${attr(id)}]`).waitFor();
      await page.getByText('Patient card', { exact: true }).waitFor();
      await page.locator('[data-testid="conn-status"][data-state="live"]').waitFor();
    });

    check(dialogs.length === 0, `a dialog opened (script ran?): ${dialogs.join('; ')}`);
    check(pageErrors.length === 0, `uncaught errors in the page: ${pageErrors.join('; ')}`);
  } catch (err) {
    const page = context.pages()[0];
    if (page) await page.screenshot({ path: path.join(artifacts, 'failure.png') }).catch(() => undefined);
    throw err;
  } finally {
    await close();
  }
}

console.log(`e2e-inbox: against ${BASE}`);
main().then(
  () => {
    console.log('e2e-inbox: 1 passed, 0 failed');
  },
  (err) => {
    console.log(`  FAIL ${current}: ${err && err.stack ? err.stack : err}`);
    console.log('e2e-inbox: 0 passed, 1 failed');
    process.exit(1);
  },
);
