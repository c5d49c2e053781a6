// RFC 6238 TOTP (HMAC-SHA1, 30 s, 6 digits) over an RFC 4648 base32 secret, for the browser
// tests that sign in with a second factor (the security officer, the administrator).
import { createHmac } from 'node:crypto';

export function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const clean = text.toUpperCase().replace(/[\s=-]/g, '');
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of clean) {
    const i = alphabet.indexOf(ch);
    if (i < 0) throw new Error(`not base32: ${JSON.stringify(ch)}`);
    value = (value << 5) | i;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

export const STEP_S = 30;
export const stepAt = (ms) => Math.floor(ms / 1000 / STEP_S);

export function totp(secret, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', base32Decode(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const bin = ((mac[offset] & 0x7f) << 24) | (mac[offset + 1] << 16) | (mac[offset + 2] << 8) | mac[offset + 3];
  return String(bin % 1_000_000).padStart(6, '0');
}

// RFC 6238 appendix B, SHA-1 row: the implementation must agree before it is trusted.
export function selfTest() {
  const secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'; // "12345678901234567890"
  for (const [t, want] of [[59, '287082'], [1111111109, '081804'], [1234567890, '005924'], [2000000000, '279037']]) {
    const got = totp(secret, Math.floor(t / STEP_S));
    if (got !== want) throw new Error(`TOTP self-test at T=${t}: want ${want}, got ${got}`);
  }
}

/** A code for a time step later than `after` (a code works once: the enabling one is spent). */
export async function freshCode(secret, after) {
  const wait = (after + 1) * STEP_S * 1000 - Date.now();
  if (wait > 0) {
    console.log(`      waiting ${Math.ceil(wait / 1000)} s for the next TOTP step`);
    await new Promise((r) => setTimeout(r, wait + 200));
  }
  const step = stepAt(Date.now());
  return { code: totp(secret, step), step };
}

