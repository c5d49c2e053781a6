// What both browser tests share: Debian's chromium started by playwright-core
// with the flags this machine needs (no sandbox as root, no background
// networking on a closed network) and a fresh profile that is removed after.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** Starts chromium; returns the context and a close() that also removes the profile. */
export async function launch(extra = {}) {
  const profile = await mkdtemp(path.join(tmpdir(), 'okno-e2e-'));
  const context = await chromium
    .launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1440, height: 900 },
      locale: 'ru-RU',
      timezoneId: 'Asia/Yekaterinburg',
      ...extra,
    })
    .catch(async (err) => {
      await rm(profile, { recursive: true, force: true });
      throw new Error(`cannot start chromium at ${CHROMIUM} (set CHROMIUM_PATH): ${err.message}`);
    });
  const close = async () => {
    await context.close().catch(() => undefined);
    await rm(profile, { recursive: true, force: true }).catch(() => undefined);
  };
  return { context, close };
}
