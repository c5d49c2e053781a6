// Runs the browser tests against a real Okno: builds nothing (make e2e builds
// bin/okno first), starts `okno run --demo` on a free port with a fresh data
// directory, creates a manager, a security officer, an administrator (for the
// MIS page), a supervisor and an administrator (for the PBX) with `okno user
// create`, runs inbox.e2e.mjs, security.e2e.mjs (which finds the inbox test's
// reveal in the audit log, and its web form's person on the data-subject page),
// mis.e2e.mjs (patient card, matching, booking, rescheduling, the schedule grid,
// the MIS settings page) and calls.e2e.mjs (the telephony: pop-up, board, call
// log), and stops the server. Each script prints its own
// closing line; the last line sums them up, and the exit code is non-zero if
// any failed.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const okno = path.resolve(here, '../../bin/okno');

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

async function waitReady(url, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    try {
      const r = await fetch(url + '/readyz');
      if (r.ok) return;
    } catch {
      /* not yet listening */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('okno did not become ready');
}

const data = await mkdtemp(path.join(tmpdir(), 'okno-e2e-data-'));
const port = await freePort();
const url = `http://127.0.0.1:${port}`;
const login = 'e2e.manager';
const officer = 'e2e.officer';
const admin = 'e2e.admin';
const supervisor = 'e2e.supervisor';
const pbxAdmin = 'e2e.pbxadmin';
const password = 'Ураган-над-Исетью-' + Math.floor(Math.random() * 1e6);
const env = { ...process.env, OKNO_ARGON2_MEMORY_KIB: '8192', OKNO_LOG_LEVEL: 'warn' };

for (const [user, name, role] of [[login, 'Менеджер Теста', 'operator'], [officer, 'Офицер Теста', 'security_officer'], [admin, 'Админ Теста', 'admin'],
  [supervisor, 'Старшая Теста', 'supervisor'], [pbxAdmin, 'Связист Теста', 'admin']]) {
  const created = spawnSync(okno, ['user', 'create', '--data', data, '--login', user, '--name', name, '--role', role, '--password-stdin'], {
    input: password + '\n', env, encoding: 'utf8',
  });
  if (created.status !== 0) {
    console.error(created.stderr);
    console.log('e2e: 0 passed, 4 failed');
    process.exit(1);
  }
}

const scripts = ['inbox.e2e.mjs', 'security.e2e.mjs', 'mis.e2e.mjs', 'calls.e2e.mjs'];
// The inbox test leaves its web form's person here for the security test; not one from an earlier run.
await rm(path.join(here, 'artifacts', 'inbox-subject.json'), { force: true });
const server = spawn(okno, ['run', '--demo', '--demo-pbx=false', '--addr', `127.0.0.1:${port}`, '--data', data], { env, stdio: ['ignore', 'ignore', 'inherit'] });
let passed = 0;
let failed = 0;
try {
  await waitReady(url, 30000);
  for (const script of scripts) {
    const test = spawnSync(process.execPath, [path.join(here, script)], {
      env: { ...process.env, OKNO_URL: url, OKNO_LOGIN: login, OKNO_PASSWORD: password, OKNO_FORM_KEY: 'demo',
        OKNO_OFFICER_LOGIN: officer, OKNO_OFFICER_PASSWORD: password, OKNO_ADMIN_LOGIN: admin, OKNO_ADMIN_PASSWORD: password,
        OKNO_SUPERVISOR_LOGIN: supervisor, OKNO_SUPERVISOR_PASSWORD: password, OKNO_PBX_ADMIN_LOGIN: pbxAdmin, OKNO_PBX_ADMIN_PASSWORD: password },
      stdio: 'inherit',
    });
    if (test.status === 0) passed++;
    else failed++;
  }
} catch (err) {
  console.error(err);
  failed = scripts.length - passed;
} finally {
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  await rm(data, { recursive: true, force: true });
}
console.log(`e2e: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed === scripts.length ? 0 : 1);
