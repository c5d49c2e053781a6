// Browser test of sign-in with a second factor and of the audit log, against a running Okno:
// the security officer signs in, is held on the 2FA setup, turns TOTP on (the code computed
// here, RFC 6238), sees the recovery codes, signs out, signs in again with password + code,
// finds in the audit log the phone reveal the inbox test made, and on the data-subject page
// finds the person of the inbox test's web form by phone, reads their report, withdraws their
// consent and forgets them.
//
//   OKNO_URL=… OKNO_OFFICER_LOGIN=… OKNO_OFFICER_PASSWORD=… OKNO_LOGIN=<who revealed> node e2e/security.e2e.mjs
//
// Env: OKNO_URL, OKNO_OFFICER_LOGIN, OKNO_OFFICER_PASSWORD (an officer without 2FA yet),
// OKNO_LOGIN (the manager whose contact.reveal must be in the log), CHROMIUM_PATH;
// OKNO_SUBJECT_PHONE and OKNO_SUBJECT_NAME (a person with a consent, who will be anonymized),
// else e2e/artifacts/inbox-subject.json as inbox.e2e.mjs left it.
// Screenshots: e2e/artifacts/security-*.png.
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch } from './browser.mjs';
import { freshCode, selfTest, stepAt } from './totp.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const artifacts = path.join(here, 'artifacts');

const BASE = (process.env.OKNO_URL || 'http://127.0.0.1:18080').replace(/\/+$/, '');
const OFFICER = process.env.OKNO_OFFICER_LOGIN || '';
const PASSWORD = process.env.OKNO_OFFICER_PASSWORD || '';
const MANAGER = process.env.OKNO_LOGIN || '';
const AUDIT_WAIT_MS = 15_000;

/** The person to find and forget: from the environment, else the one the inbox test created. */
async function subjectToForget() {
  if (process.env.OKNO_SUBJECT_PHONE) {
    return { phone: process.env.OKNO_SUBJECT_PHONE, name: process.env.OKNO_SUBJECT_NAME || '', request_id: '' };
  }
  const file = path.join(here, 'artifacts', 'inbox-subject.json');
  const text = await readFile(file, 'utf8').catch(() => {
    throw new Error(`no person to look up: run inbox.e2e.mjs first (it writes ${file}) or set OKNO_SUBJECT_PHONE`);
  });
  const subject = JSON.parse(text);
  if (!subject.phone || !subject.name) throw new Error(`${file} lacks the phone or the name`);
  return subject;
}

/** A CSS attribute value in double quotes. */
const attr = (v) => `"${String(v).replace(/["\\]/g, '\\$&')}"`;

// --- the test ---------------------------------------------------------------------------------

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

const shot = (page, name) => page.screenshot({ path: path.join(artifacts, `security-${name}.png`) });

async function main() {
  check(OFFICER && PASSWORD, 'set OKNO_OFFICER_LOGIN and OKNO_OFFICER_PASSWORD');
  selfTest();
  const subject = await subjectToForget();
  const phoneDigits = subject.phone.replace(/\D/g, '').slice(-7);
  await mkdir(artifacts, { recursive: true });
  const { context, close } = await launch({ acceptDownloads: true });
  const pageErrors = [];
  const inboxCalls = [];
  const phoneInUrl = [];
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error') console.log(`  (browser console) ${msg.text()}`);
    });
    // The officer has no requests.read: the UI must not even ask for the inbox.
    page.on('request', (req) => {
      const p = new URL(req.url()).pathname;
      if (p.startsWith('/api/v1/requests') || p === '/api/v1/ws') inboxCalls.push(`${req.method()} ${p}`);
      // The phone searched for travels in a body, never in an address.
      if (req.url().replace(/\D/g, '').includes(phoneDigits)) phoneInUrl.push(req.url());
    });

    await step('sign in with the password: held on the 2FA setup', async () => {
      await page.goto(`${BASE}/login/`);
      await page.getByTestId('login-input').fill(OFFICER);
      await page.getByTestId('password-input').fill(PASSWORD);
      await page.getByTestId('login-submit').click();
      await page.waitForURL((u) => u.pathname === '/enroll/', { timeout: 10_000 }).catch(async (err) => {
        const shown = await page.getByTestId('login-error').textContent().catch(() => null);
        throw shown ? new Error(`login refused: ${shown}`) : err;
      });
      await page.getByTestId('enroll-required').waitFor();
      // Another address still leads back to the setup.
      await page.goto(`${BASE}/audit/`);
      await page.waitForURL((u) => u.pathname === '/enroll/');
    });

    const secret = await step('the QR code and the secret are shown', async () => {
      const qr = page.getByTestId('enroll-qr');
      await qr.waitFor();
      const img = await qr.evaluate((el) => ({ src: el.getAttribute('src') || '', w: el.naturalWidth, complete: el.complete }));
      check(img.src.startsWith('data:image/png;base64,'), `QR image is not a data: PNG: ${img.src.slice(0, 40)}`);
      check(img.complete && img.w > 0, 'QR image did not load (CSP?)');
      const text = ((await page.getByTestId('enroll-secret').textContent()) || '').replace(/\s/g, '');
      check(/^[A-Z2-7]{16,}=*$/.test(text), `secret is not base32: ${text}`);
      await shot(page, 'enroll');
      return text;
    });

    const enabledStep = await step('enter the TOTP code: 2FA on, ten recovery codes shown once', async () => {
      const { code, step: s } = await freshCode(secret, stepAt(Date.now()) - 1);
      await page.getByTestId('enroll-code').fill(code);
      await page.getByTestId('enroll-submit').click();
      await page.getByTestId('recovery-codes').waitFor();
      const codes = await page.getByTestId('recovery-code').allTextContents();
      check(codes.length === 10, `want 10 recovery codes, got ${codes.length}`);
      check(new Set(codes).size === 10 && codes.every((c) => c.trim().length >= 8), `odd recovery codes: ${codes.join(' ')}`);
      await shot(page, 'recovery');
      await page.getByTestId('recovery-saved').check();
      await page.getByTestId('enroll-done').click();
      await page.waitForURL((u) => u.pathname === '/audit/');
      await page.getByTestId('audit-table').waitFor();
      return s;
    });

    await step('sign out', async () => {
      await page.getByTestId('user-menu').click();
      await page.getByTestId('logout').click();
      await page.waitForURL((u) => u.pathname === '/login/');
      await page.getByTestId('login-form').waitFor();
    });

    await step('sign in again: the password, then the code', async () => {
      await page.getByTestId('login-input').fill(OFFICER);
      await page.getByTestId('password-input').fill(PASSWORD);
      await page.getByTestId('login-submit').click();
      await page.locator('[data-testid="login-form"][data-step="second_factor"]').waitFor();
      await page.getByTestId('totp-input').waitFor();
      await page.getByTestId('use-recovery').waitFor();
      await shot(page, 'second-factor');
      // A wrong code is refused on the same step.
      const { code } = await freshCode(secret, enabledStep);
      const wrong = String((Number(code) + 500_000) % 1_000_000).padStart(6, '0');
      await page.getByTestId('totp-input').fill(wrong);
      await page.getByTestId('login-submit').click();
      await page.getByTestId('login-error').waitFor();
      check(new URL(page.url()).pathname === '/login/', 'a wrong code let the officer in');
      const fresh = await freshCode(secret, enabledStep);
      await page.getByTestId('totp-input').fill(fresh.code);
      await page.getByTestId('login-submit').click();
      await page.waitForURL((u) => u.pathname === '/audit/', { timeout: 10_000 }).catch(async (err) => {
        const shown = await page.getByTestId('login-error').textContent().catch(() => null);
        throw shown ? new Error(`second factor refused: ${shown}`) : err;
      });
    });

    await step('the header offers the audit and the data subjects; the inbox is neither shown nor loaded', async () => {
      await page.getByTestId('nav-audit').waitFor();
      await page.getByTestId('nav-subjects').waitFor();
      for (const id of ['nav-inbox', 'nav-users', 'nav-roles']) {
        check((await page.getByTestId(id).count()) === 0, `${id} shown to the security officer`);
      }
      await page.goto(`${BASE}/`);
      await page.waitForURL((u) => u.pathname === '/audit/');
      await page.getByTestId('audit-table').waitFor();
    });

    await step(`filter by action contact.reveal: the reveal by ${MANAGER || 'the manager'} is there`, async () => {
      await page.getByTestId('audit-action').fill('contact.reveal');
      await page.keyboard.press('Escape');
      const row = MANAGER
        ? page.locator(`[data-testid="audit-row"][data-action="contact.reveal"][data-actor="${MANAGER}"]`)
        : page.locator('[data-testid="audit-row"][data-action="contact.reveal"]');
      const deadline = Date.now() + AUDIT_WAIT_MS;
      for (;;) {
        await page.getByTestId('audit-search').click();
        await page.waitForURL((u) => u.searchParams.get('action') === 'contact.reveal');
        // The rows shown answer this search (not the unfiltered one before it).
        await page.locator('[data-testid="audit-table"][aria-busy="false"][data-query="action=contact.reveal"]').waitFor();
        if ((await row.count()) > 0) break;
        check(Date.now() < deadline, 'no contact.reveal record in the audit log');
        await page.waitForTimeout(500);
      }
      const actions = await page.getByTestId('audit-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action')));
      check(actions.length > 0 && actions.every((a) => a === 'contact.reveal'), `rows of other actions: ${actions.join(', ')}`);
      const text = await row.first().innerText();
      check(text.includes('contact'), `row lacks the object type: ${text}`);
      await shot(page, 'audit');
    });

    await step('the CSV export link carries the filter and downloads', async () => {
      const href = await page.getByTestId('audit-export').getAttribute('href');
      check(href && href.startsWith('/api/v1/audit/export.csv?') && href.includes('action=contact.reveal'), `export link: ${href}`);
      const res = await page.request.get(`${BASE}${href}`);
      check(res.status() === 200, `export: ${res.status()}`);
      check((res.headers()['content-type'] || '').startsWith('text/csv'), `export type: ${res.headers()['content-type']}`);
      const csv = await res.text();
      check(csv.split('\n')[0].includes('action') && csv.includes('contact.reveal'), 'export lacks the reveal');
    });

    await step('a record opens with its details', async () => {
      await page.getByTestId('audit-row').first().click();
      await page.getByTestId('audit-entry').waitFor();
      await page.waitForTimeout(400); // the drawer slides in
      await shot(page, 'audit-entry');
      await page.keyboard.press('Escape');
      await page.getByTestId('audit-entry').waitFor({ state: 'detached' });
    });

    await step('the header offers the data-subject page', async () => {
      check((await page.getByTestId('nav-subjects').textContent()) === 'Субъекты ПДн', 'nav-subjects label');
      await page.getByTestId('nav-subjects').click();
      await page.waitForURL((u) => u.pathname === '/subjects/');
      await page.getByTestId('subjects-search').waitFor();
    });

    const contactId = await step(`search by the inbox test's phone ${subject.phone}: the person is found`, async () => {
      await page.getByTestId('subjects-search-submit').click();
      await page.getByText('Введите телефон или эл. почту', { exact: true }).waitFor();
      await page.getByTestId('subjects-search-phone').fill(subject.phone);
      await page.getByTestId('subjects-search-submit').click();
      const card = page.getByTestId('subjects-result').filter({ hasText: subject.name });
      await card.first().waitFor();
      check((await card.count()) === 1, `want one card of ${subject.name}, got ${await card.count()}`);
      const id = await card.getAttribute('data-id');
      check(id, 'the result card has no contact id');
      await card.click();
      await page.waitForURL((u) => u.pathname === '/subjects/' && u.searchParams.get('contact') === id);
      check(!page.url().includes(phoneDigits), `the phone is in the address: ${page.url()}`);
      return id;
    });

    const report = page.locator(`[data-testid="subjects-report"][data-id=${attr(contactId)}]`);

    await step('their report: name, requests, the consent; the JSON report downloads', async () => {
      await page.locator(`[data-testid="subjects-report"][data-id=${attr(contactId)}][data-loaded="true"][data-anonymized="false"]`).waitFor();
      check((await page.getByTestId('subjects-name').textContent()) === subject.name, 'the report does not name the person');
      const count = Number(await page.getByTestId('subjects-request-count').getAttribute('data-count'));
      check(count >= 1, `requests in the report: ${count}`);
      if (subject.request_id) await page.locator(`[data-testid="subjects-request"][data-id=${attr(subject.request_id)}]`).waitFor();
      const consent = page.locator('[data-testid="subjects-consents"] [data-testid="subjects-consent"][data-active="true"]');
      await consent.first().waitFor();
      check((await consent.first().innerText()).includes('Обработка персональных данных'), 'the consent lacks its purpose');
      const link = page.getByTestId('subjects-report-download');
      const href = await link.getAttribute('href');
      check(href === `/api/v1/contacts/${contactId}/subject-report`, `download link: ${href}`);
      check((await link.getAttribute('download')) !== null, 'the report link has no download attribute');
      const res = await page.request.get(`${BASE}${href}`);
      check(res.status() === 200, `report: ${res.status()}`);
      check((res.headers()['content-disposition'] || '').startsWith('attachment'), `report disposition: ${res.headers()['content-disposition']}`);
      const json = await res.json();
      check(json.contact?.name === subject.name && json.anonymized_at === null, 'the downloaded report is not this person');
      await shot(page, 'subjects-report');
    });

    await step('withdraw the consent, after a confirmation', async () => {
      const active = page.locator('[data-testid="subjects-consent"][data-active="true"]');
      const before = await active.count();
      const row = active.first();
      const consentId = await row.getAttribute('data-id');
      await row.getByTestId('subjects-withdraw').click();
      await page.getByTestId('confirm-dialog').waitFor();
      await page.getByTestId('confirm-ok').click();
      await page.getByTestId('confirm-dialog').waitFor({ state: 'detached' });
      await page.locator(`[data-testid="subjects-consent"][data-id=${attr(consentId)}][data-active="false"]`).waitFor();
      check((await active.count()) === before - 1, 'another consent changed');
      await page.getByText('Согласие отозвано', { exact: true }).waitFor();
    });

    await step('anonymize: only the typed word opens the button; then the name is gone', async () => {
      await page.getByTestId('subjects-anonymize').click();
      const input = page.getByTestId('subjects-anonymize-confirm-input');
      const confirm = page.getByTestId('subjects-anonymize-confirm');
      await input.waitFor();
      await page.getByText('Отменить это нельзя', { exact: false }).waitFor();
      check(await confirm.isDisabled(), 'the anonymize button is open before the word is typed');
      await input.fill('УДАЛИ');
      check(await confirm.isDisabled(), 'a wrong word opened the anonymize button');
      await input.fill('УДАЛИТЬ');
      await page.waitForTimeout(300); // the dialog's transition
      await shot(page, 'subjects-forget');
      check(await confirm.isEnabled(), 'the word shown did not open the anonymize button');
      await confirm.click();
      await page.getByTestId('subjects-anonymize-dialog').waitFor({ state: 'detached' });
      await page.getByText('Данные человека обезличены во всех сервисах', { exact: true }).waitFor();
      await page.locator(`[data-testid="subjects-report"][data-id=${attr(contactId)}][data-loaded="true"][data-anonymized="true"]`).waitFor();
      await page.getByTestId('subjects-anonymized').waitFor();
      check((await page.getByTestId('subjects-name').textContent()) === 'стёрто', 'the name field is not shown erased');
      check(await page.getByTestId('subjects-anonymize').isDisabled(), 'an anonymized person can be anonymized again');
      const text = await page.locator('body').innerText();
      check(!text.includes(subject.name), `the name ${subject.name} is still on the page`);
      check(!text.includes('Хочу записаться'), 'a request text is still on the page');
      await report.waitFor();
      await page.screenshot({ path: path.join(artifacts, 'security-subjects.png'), fullPage: true });
    });

    await step('the phone finds nobody now; the report keeps only ids, dates and statuses', async () => {
      await page.getByTestId('subjects-search-phone').fill(subject.phone);
      await page.getByTestId('subjects-search-submit').click();
      await page.getByText('Никого не нашлось', { exact: false }).waitFor();
      await page.waitForURL((u) => u.pathname === '/subjects/' && !u.searchParams.has('contact'));
      const res = await page.request.get(`${BASE}/api/v1/contacts/${contactId}/subject-report`);
      const json = await res.json();
      check(json.anonymized_at && json.contact.name === '' && json.contact.phone === '', 'the report still names the person');
      check(json.requests.length >= 1 && json.requests.every((r) => r.message === '' && r.status), 'request texts kept or statuses lost');
    });

    await step('the profile: 2FA on, this session listed', async () => {
      await page.getByTestId('user-menu').click();
      await page.getByTestId('nav-profile').click();
      await page.waitForURL((u) => u.pathname === '/profile/');
      await page.locator('[data-testid="totp-status"][data-enabled="true"]').waitFor();
      await page.locator('[data-testid="sessions-table"] [data-testid="session-row"][data-current="true"]').waitFor();
      await shot(page, 'profile');
    });

    await step('in English', async () => {
      await page.getByTestId('lang-switch').getByText('EN', { exact: true }).click();
      await page.getByText('My sessions', { exact: true }).waitFor();
      await page.getByTestId('nav-audit').click();
      await page.waitForURL((u) => u.pathname === '/audit/');
      await page.getByText('Audit log', { exact: true }).waitFor();
      await page.getByTestId('audit-table').waitFor();
      await shot(page, 'audit-en');
    });

    check(inboxCalls.length === 0, `the officer's browser asked for the inbox: ${inboxCalls.join(', ')}`);
    check(phoneInUrl.length === 0, `the phone went into an address: ${phoneInUrl.join(', ')}`);
    check(pageErrors.length === 0, `uncaught errors in the page: ${pageErrors.join('; ')}`);
  } catch (err) {
    const page = context.pages()[0];
    if (page) await page.screenshot({ path: path.join(artifacts, 'security-failure.png') }).catch(() => undefined);
    throw err;
  } finally {
    await close();
  }
}

console.log(`e2e-security: against ${BASE}`);
main().then(
  () => {
    console.log('e2e-security: 1 passed, 0 failed');
  },
  (err) => {
    console.log(`  FAIL ${current}: ${err && err.stack ? err.stack : err}`);
    console.log('e2e-security: 0 passed, 1 failed');
    process.exit(1);
  },
);
