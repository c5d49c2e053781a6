// Browser test of the patient card, the schedule grid and the MIS settings page, against a
// running Okno started with --demo (its demo MIS, a FHIR R4 server at /demo/fhir):
// a web form arrives from a person the demo MIS knows — a child sharing a parent's phone —
// the operator finds them in the MIS (a family phone: two candidates), links the right one,
// books a slot with a priced service, sees the request become `booked`, moves the appointment,
// opens the schedule grid for the request, and cancels; with the MIS answering 503 (stubbed in
// the browser) the pane says so and the request still shows; unlinked, the contact is
// registered as a new patient instead. Then an administrator (2FA set up
// here, RFC 6238) checks the MIS connection and refreshes its reference data.
//
//   OKNO_URL=… OKNO_LOGIN=… OKNO_PASSWORD=… OKNO_ADMIN_LOGIN=… OKNO_ADMIN_PASSWORD=… node e2e/mis.e2e.mjs
//
// Env: OKNO_URL, OKNO_LOGIN / OKNO_PASSWORD (an operator: mis.read, appointments.book,
// patients.link, no patients.read_pd), OKNO_ADMIN_LOGIN / OKNO_ADMIN_PASSWORD (an admin without
// 2FA yet), OKNO_FORM_KEY (default "demo"), CHROMIUM_PATH.
// Screenshots: e2e/artifacts/{patient-match,patient-card,patient-card-mis-down,schedule,admin-mis}.png.
// Personal data of the demo's patients is compared, never printed.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch } from './browser.mjs';
import { freshCode, selfTest, stepAt } from './totp.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const artifacts = path.join(here, 'artifacts');

const BASE = (process.env.OKNO_URL || 'http://127.0.0.1:18080').replace(/\/+$/, '');
const LOGIN = process.env.OKNO_LOGIN || '';
const PASSWORD = process.env.OKNO_PASSWORD || '';
const ADMIN = process.env.OKNO_ADMIN_LOGIN || '';
const ADMIN_PASSWORD = process.env.OKNO_ADMIN_PASSWORD || '';
const FORM_KEY = process.env.OKNO_FORM_KEY || 'demo';
// The demo MIS gives patient 11 the phone of patient 10 (a child and a parent).
const PARENT = 'pat-010';
const CHILD = 'pat-011';

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

const shot = (page, name) => page.screenshot({ path: path.join(artifacts, `${name}.png`) });

/** Closes the toasts ("Пациент записан…") so that a screenshot shows the page under them. */
async function clearToasts(page) {
  // All at once: one by one, the rest slide while the first leaves and will not hold still for a click.
  await page.evaluate(() => document.querySelectorAll('.mantine-Notification-closeButton').forEach((b) => b.click()));
  await page.waitForFunction(() => document.querySelectorAll('.mantine-Notification-root').length === 0);
}

/** A patient of the demo MIS, read from its FHIR API as any MIS client would. */
async function demoPatient(id) {
  const res = await fetch(`${BASE}/demo/fhir/Patient/${id}`, { headers: { Accept: 'application/fhir+json' } });
  check(res.ok, `demo MIS Patient/${id}: ${res.status}`);
  const p = await res.json();
  const name = p.name?.[0] ?? {};
  return {
    id,
    family: name.family ?? '',
    given: (name.given ?? []).join(' '),
    phone: (p.telecom ?? []).find((t) => t.system === 'phone')?.value ?? '',
    birthDate: p.birthDate ?? '',
  };
}

/** In the open booking dialog: the first specialty that has free slots; returns its name. */
async function chooseSpecialtyWithSlots(page) {
  const specialty = page.getByTestId('book-specialty');
  const slots = page.getByTestId('book-slots');
  for (let i = 0; ; i++) {
    await specialty.click();
    const options = page.getByRole('option');
    await options.first().waitFor();
    const count = await options.count();
    check(i < count, `no specialty has free slots (${count} tried)`);
    const before = (await slots.getAttribute('data-specialty')) || '';
    await options.nth(i).click();
    const answer = await page.waitForFunction((prev) => {
      const el = document.querySelector('[data-testid="book-slots"]');
      const state = el?.getAttribute('data-state');
      if (state === 'error') return { state };
      return state === 'done' && el.getAttribute('data-specialty') !== prev ? { state } : null;
    }, before);
    const { state } = await answer.jsonValue();
    if (state === 'error') throw new Error(`slot search failed: ${await slots.innerText()}`);
    if (Number(await slots.getAttribute('data-count')) > 0) return specialty.inputValue();
  }
}

/** The id of the card's appointment (upcoming or past) with this status starting at this instant, or null. */
function appointmentAt(page, start, status) {
  return page.evaluate(
    ({ at, status }) => {
      const el = [...document.querySelectorAll('[data-testid="book-result"]')].find(
        (e) => Date.parse(e.getAttribute('data-start') || '') === at && e.getAttribute('data-status') === status,
      );
      return el ? el.getAttribute('data-id') : null;
    },
    { at: Date.parse(start), status },
  );
}

/** Waits until the card shows an appointment with this status at this instant; returns its id. */
async function waitAppointmentAt(page, start, status) {
  const handle = await page.waitForFunction(
    ({ at, status }) => {
      const el = [...document.querySelectorAll('[data-testid="book-result"]')].find(
        (e) => Date.parse(e.getAttribute('data-start') || '') === at && e.getAttribute('data-status') === status,
      );
      return el ? el.getAttribute('data-id') : null;
    },
    { at: Date.parse(start), status },
  );
  return handle.jsonValue();
}

/** The request's status as the middle column shows it. */
const requestStatus = (page) => page.getByTestId('request-status').getAttribute('data-status');

async function operatorPart(child, parent) {
  const { context, close } = await launch();
  const pageErrors = [];
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (err) => pageErrors.push(err.message));

    await step('sign in as the operator', async () => {
      await page.goto(`${BASE}/login/`);
      await page.getByTestId('login-input').fill(LOGIN);
      await page.getByTestId('password-input').fill(PASSWORD);
      await page.getByTestId('login-submit').click();
      await page.waitForURL((u) => u.pathname === '/');
      await page.locator('[data-testid="conn-status"][data-state="live"]').waitFor();
      check((await page.getByTestId('nav-schedule').count()) === 1, 'no Schedule link for an operator with mis.read');
    });

    const id = await step('a web form from the child (the parent’s phone) arrives', async () => {
      const res = await fetch(`${BASE}/api/v1/intake/web-forms/${encodeURIComponent(FORM_KEY)}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ name: `${child.family} ${child.given}`, phone: child.phone, email: '', message: 'Запишите ребёнка к врачу', consent: true }),
      });
      const text = await res.text();
      check(res.status === 201, `intake: want 201, got ${res.status}`);
      const rid = JSON.parse(text).id;
      const item = page.locator(`[data-testid="inbox-item"][data-id=${attr(rid)}]`);
      await item.waitFor();
      await item.click();
      await page.locator(`[data-testid="request-detail"][data-id=${attr(rid)}]`).waitFor();
      return rid;
    });

    await step('the patient card: not linked yet', async () => {
      await page.locator('[data-testid="linked-patients"][data-state="done"]').waitFor();
      await page.getByTestId('patient-not-linked').waitFor();
      check((await page.getByTestId('book-result').count()) === 0, 'a new contact already has appointments');
    });

    await step('find in the MIS: a family phone, the child first (pre-selected when ≥ 0.9), linked with a click', async () => {
      await page.getByTestId('patient-find').click();
      const dialog = page.locator('[data-testid="match-dialog"][data-state="done"]');
      await dialog.waitFor();
      check((await dialog.getAttribute('data-family')) === 'true', 'the shared phone is not shown as a family phone');
      await page.getByTestId('match-family').waitFor();
      const ids = await page.getByTestId('match-candidate').evaluateAll((els) => els.map((e) => e.getAttribute('data-patient-id')));
      check(ids.includes(CHILD) && ids.includes(PARENT), `candidates lack the child or the parent: ${ids.join(', ')}`);
      check(ids[0] === CHILD, `the child is not the first candidate: ${ids.join(', ')}`);
      const childCard = page.locator(`[data-testid="match-candidate"][data-patient-id=${attr(CHILD)}]`);
      const confidence = Number(await childCard.getAttribute('data-confidence'));
      const parentConfidence = Number(
        await page.locator(`[data-testid="match-candidate"][data-patient-id=${attr(PARENT)}]`).getAttribute('data-confidence'),
      );
      check(confidence > parentConfidence, `child ${confidence} not above parent ${parentConfidence}`);
      console.log(`      confidence: child ${confidence}, parent ${parentConfidence}`);
      // The operator has no patients.read_pd: the MIS's names come masked.
      const shown = await childCard.innerText();
      check(!shown.includes(child.given) && shown.includes('*'), 'an operator sees the patient’s name unmasked');
      const radio = childCard.locator('input[type="radio"]');
      if (confidence >= 0.9) {
        check(await radio.isChecked(), `a confident child (${confidence}) is not pre-selected`);
        await page.getByTestId('match-preselected').waitFor();
      } else {
        await radio.check();
      }
      await shot(page, 'patient-match');
      await page.getByTestId('match-link').click();
      await page.getByTestId('match-dialog').waitFor({ state: 'detached' });
      await page.locator(`[data-testid="linked-patient"][data-patient-id=${attr(CHILD)}]`).waitFor();
      check((await page.getByTestId('patient-not-linked').count()) === 0, 'still "not linked" after linking');
    });

    const booked = await step('book a slot with a priced service: the request becomes booked', async () => {
      await page.getByTestId('book-open').click();
      await page.getByTestId('book-dialog').waitFor();
      const specialty = await chooseSpecialtyWithSlots(page);
      console.log(`      specialty with slots: ${specialty}`);
      const service = page.getByTestId('book-service');
      await service.waitFor();
      if (await service.isEnabled()) {
        await service.click();
        const option = page.getByRole('option').first();
        await option.waitFor();
        const label = await option.innerText();
        check(/₽/.test(label), `the service shows no price in roubles: ${label}`);
        await option.click();
      }
      const first = page.getByTestId('book-slot').first();
      const slotId = await first.getAttribute('data-slot-id');
      const start = await first.getAttribute('data-start');
      // The demo MIS books the linked child's own appointments too: ours is the one at this time.
      check((await appointmentAt(page, start, 'booked')) === null, 'the child already has an appointment at the chosen time');
      await first.click();
      await page.getByTestId('book-confirm').click();
      await page.getByTestId('book-dialog').waitFor({ state: 'detached' });
      const apptId = await waitAppointmentAt(page, start, 'booked');
      check(
        (await page.locator(`[data-testid="appointments-upcoming"] [data-testid="book-result"][data-id=${attr(apptId)}]`).count()) === 1,
        'the new appointment is not among the upcoming ones',
      );
      await page.waitForFunction(() => document.querySelector('[data-testid="request-status"]')?.getAttribute('data-status') === 'booked', null, {
        timeout: 10_000,
      });
      return { id: apptId, start, slotId, specialty };
    });

    await step('reschedule it to another time', async () => {
      booked.oldStart = booked.start;
      const card = page.locator(`[data-testid="book-result"][data-id=${attr(booked.id)}]`);
      await card.getByTestId('book-reschedule').click();
      await page.locator('[data-testid="book-dialog"][data-mode="reschedule"]').waitFor();
      await page.getByTestId('book-current').waitFor();
      check((await page.getByTestId('book-specialty').inputValue()) === booked.specialty, 'the move does not keep the specialty');
      await page.locator('[data-testid="book-slots"][data-state="done"]').waitFor();
      // Another doctor's times too, if the current one has none left.
      if (Number(await page.getByTestId('book-slots').getAttribute('data-count')) === 0) {
        await page.getByTestId('book-nearest').click();
        await page.locator('[data-testid="book-slots"][data-state="done"]').waitFor();
      }
      const other = page.locator(`[data-testid="book-slot"]:not([data-slot-id=${attr(booked.slotId)}])`).first();
      const newStart = await other.getAttribute('data-start');
      await other.click();
      await page.getByTestId('book-confirm').click();
      await page.getByTestId('book-dialog').waitFor({ state: 'detached' });
      booked.id = await waitAppointmentAt(page, newStart, 'booked');
      booked.start = newStart;
      // Nothing is left booked at the old time.
      await page.waitForFunction(
        (at) =>
          ![...document.querySelectorAll('[data-testid="appointments-upcoming"] [data-testid="book-result"]')].some(
            (e) => Date.parse(e.getAttribute('data-start') || '') === at,
          ),
        Date.parse(booked.oldStart ?? ''),
      );
      check((await requestStatus(page)) === 'booked', 'the request is no longer booked after the move');
      await clearToasts(page);
      await shot(page, 'patient-card');
    });

    await step('the schedule grid for this request: free and taken times, a free one opens the booking', async () => {
      await page.getByTestId('open-schedule').click();
      await page.waitForURL((u) => u.pathname === '/schedule/' && u.searchParams.get('request') === id);
      await page.locator(`[data-testid="schedule-for"][data-request-id=${attr(id)}]`).waitFor();
      await page.getByTestId('schedule-specialty').click();
      await page.getByRole('option', { name: booked.specialty, exact: true }).click();
      await page.getByTestId('schedule-view').getByText('Неделя', { exact: true }).click();
      const grid = page.locator('[data-testid="schedule"][data-state="done"]');
      await grid.waitFor();
      // The first branch may have no doctor of this specialty: try the others.
      for (let i = 1; Number(await grid.getAttribute('data-count')) === 0; i++) {
        await page.getByTestId('schedule-branch').click();
        const options = page.getByRole('option');
        await options.first().waitFor();
        check(i < (await options.count()), `no branch has a ${booked.specialty} this week`);
        await options.nth(i).click();
        await page.locator('[data-testid="schedule"][data-state="done"]').waitFor();
      }
      const freeSlots = page.locator('button[data-testid="schedule-slot"]');
      const busy = page.locator('[data-testid="schedule-slot"][data-state="busy"]');
      if ((await freeSlots.count()) === 0) {
        await page.getByTestId('schedule-next').click();
        await page.locator('[data-testid="schedule"][data-state="done"]').waitFor();
      }
      check((await freeSlots.count()) > 0, 'no free slot is clickable in the week grid');
      check((await busy.count()) > 0, 'no taken slot is shown in the week grid');
      await clearToasts(page);
      await shot(page, 'schedule');
      await freeSlots.first().click();
      await page.getByTestId('book-dialog').waitFor();
      await page.waitForFunction(() => (document.querySelector('[data-testid="book-selected"]')?.textContent ?? '') !== '');
      await page.getByTestId('book-dialog').getByRole('button', { name: 'Отмена' }).click();
      await page.getByTestId('book-dialog').waitFor({ state: 'detached' });
      await page.getByTestId('schedule-back').click();
      await page.locator(`[data-testid="request-detail"][data-id=${attr(id)}]`).waitFor();
    });

    await step('cancel the appointment: it moves to the history as cancelled, the request leaves booked', async () => {
      const card = page.locator(`[data-testid="appointments-upcoming"] [data-testid="book-result"][data-id=${attr(booked.id)}]`);
      await card.getByTestId('book-cancel').click();
      await page.getByTestId('confirm-dialog').waitFor();
      await page.getByTestId('confirm-ok').click();
      await page.locator(`[data-testid="appointments-past"] [data-testid="book-result"][data-id=${attr(booked.id)}][data-status="cancelled"]`).waitFor();
      check((await card.count()) === 0, 'the cancelled appointment is still among the upcoming ones');
      await page.waitForFunction(() => document.querySelector('[data-testid="request-status"]')?.getAttribute('data-status') !== 'booked', null, {
        timeout: 10_000,
      });
    });

    await step('the MIS answering 503 (stubbed in the browser): the pane says so, the request still works', async () => {
      await page.route('**/api/v1/mis/**', (route) =>
        route.fulfill({
          status: 503,
          contentType: 'application/problem+json',
          headers: { 'Retry-After': '30' },
          body: JSON.stringify({ title: 'Service Unavailable', status: 503, detail: 'the MIS is not answering', code: 'unavailable' }),
        }),
      );
      await page.reload();
      await page.locator(`[data-testid="request-detail"][data-id=${attr(id)}]`).waitFor();
      await page.getByTestId('mis-unavailable').waitFor();
      check((await page.getByTestId('request-message').textContent()) === 'Запишите ребёнка к врачу', 'the request is not shown while the MIS is down');
      await shot(page, 'patient-card-mis-down');
      await page.unroute('**/api/v1/mis/**');
      await page.getByTestId('mis-retry').click();
      await page.locator('[data-testid="patient-card"][data-mis="up"]').waitFor();
      await page.locator(`[data-testid="linked-patient"][data-patient-id=${attr(CHILD)}]`).waitFor();
    });

    await step('unlink the patient (after a confirmation)', async () => {
      await page.getByTestId('patient-unlink').click();
      await page.getByTestId('confirm-dialog').waitFor();
      await page.getByTestId('confirm-ok').click();
      await page.getByTestId('patient-not-linked').waitFor();
    });

    await step('none of them is the caller: register a new patient, linked at once', async () => {
      await page.getByTestId('patient-find').click();
      await page.locator('[data-testid="match-dialog"][data-state="done"]').waitFor();
      await page.getByTestId('match-register').click();
      await page.getByTestId('confirm-dialog').waitFor();
      await page.getByTestId('confirm-ok').click();
      await page.getByTestId('match-dialog').waitFor({ state: 'detached' });
      const linked = page.getByTestId('linked-patient');
      await linked.first().waitFor();
      const ids = await linked.evaluateAll((els) => els.map((e) => e.getAttribute('data-patient-id')));
      check(ids.length === 1 && ids[0] !== CHILD && ids[0] !== PARENT, `after registering, linked: ${ids.join(', ')}`);
      // The new patient is in the demo MIS with the contact's phone.
      const res = await fetch(`${BASE}/demo/fhir/Patient/${ids[0]}`, { headers: { Accept: 'application/fhir+json' } });
      check(res.ok, `the registered patient is not in the MIS: ${res.status}`);
      const p = await res.json();
      check((p.telecom ?? []).some((t) => t.value === child.phone), 'the registered patient lacks the contact’s phone');
    });

    check(pageErrors.length === 0, `uncaught errors in the page: ${pageErrors.join('; ')}`);
  } catch (err) {
    const page = context.pages()[0];
    if (page) await shot(page, 'failure-mis').catch(() => undefined);
    throw err;
  } finally {
    await close();
  }
}

/** Signs the admin in through the API in the browser's context: password, TOTP setup, password + code. */
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

async function adminPart() {
  const { context, close } = await launch();
  const pageErrors = [];
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (err) => pageErrors.push(err.message));

    await step('the admin signs in with a second factor', async () => {
      await adminSignIn(context);
      await page.goto(`${BASE}/`);
      await page.getByTestId('nav-mis').waitFor();
    });

    await step('MIS settings: the demo FHIR server, breaker closed, a live check and a refresh', async () => {
      await page.getByTestId('nav-mis').click();
      await page.waitForURL((u) => u.pathname === '/admin/mis/');
      await page.getByTestId('mis-connection').waitFor();
      check((await page.getByTestId('mis-kind').innerText()) === 'FHIR R4', `kind: ${await page.getByTestId('mis-kind').innerText()}`);
      check((await page.getByTestId('mis-base-url').innerText()).includes('/demo/fhir'), 'the base URL is not the demo MIS');
      check((await page.getByTestId('mis-breaker').getAttribute('data-state')) === 'closed', 'the breaker is not closed');
      const note = await page.getByTestId('mis-secrets-note').innerText();
      check(note.includes('OKNO_MIS_') && note.includes('не в браузере'), 'the page does not say where secrets are set');
      await page.getByTestId('mis-check').click();
      const result = page.getByTestId('mis-check-result');
      await result.waitFor();
      check((await result.getAttribute('data-ok')) === 'true', `the live check failed: ${await result.innerText()}`);
      await page.getByTestId('mis-refresh').click();
      await page.getByText('Обновление справочников запущено').waitFor();
      await clearToasts(page);
      await shot(page, 'admin-mis');
    });

    check(pageErrors.length === 0, `uncaught errors in the page: ${pageErrors.join('; ')}`);
  } catch (err) {
    const page = context.pages()[0];
    if (page) await shot(page, 'failure-mis-admin').catch(() => undefined);
    throw err;
  } finally {
    await close();
  }
}

async function main() {
  check(LOGIN && PASSWORD, 'set OKNO_LOGIN and OKNO_PASSWORD');
  check(ADMIN && ADMIN_PASSWORD, 'set OKNO_ADMIN_LOGIN and OKNO_ADMIN_PASSWORD');
  selfTest();
  await mkdir(artifacts, { recursive: true });
  const [parent, child] = await step('read the family from the demo MIS', async () => {
    const both = [await demoPatient(PARENT), await demoPatient(CHILD)];
    check(both[0].phone !== '' && both[0].phone === both[1].phone, 'the demo MIS no longer gives the child the parent’s phone');
    return both;
  });
  await operatorPart(child, parent);
  await adminPart();
}

console.log(`e2e-mis: against ${BASE}`);
main().then(
  () => {
    console.log('e2e-mis: 1 passed, 0 failed');
  },
  (err) => {
    console.log(`  FAIL ${current}: ${err && err.stack ? err.stack : err}`);
    console.log('e2e-mis: 0 passed, 1 failed');
    process.exit(1);
  },
);
