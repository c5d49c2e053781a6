import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_BACKOFF } from './backoff';

describe('backoffDelay', () => {
  it('doubles from 500 ms and caps at 10 s (without jitter)', () => {
    const schedule = Array.from({ length: 8 }, (_, n) => backoffDelay(n, DEFAULT_BACKOFF, () => 0));
    expect(schedule).toEqual([500, 1000, 2000, 4000, 8000, 10000, 10000, 10000]);
  });

  it('jitter only shortens, by at most a fifth', () => {
    for (let n = 0; n < 12; n++) {
      const ceiling = backoffDelay(n, DEFAULT_BACKOFF, () => 0);
      const shortest = backoffDelay(n, DEFAULT_BACKOFF, () => 1);
      expect(shortest).toBe(Math.round(ceiling * 0.8));
      const mid = backoffDelay(n, DEFAULT_BACKOFF, () => 0.5);
      expect(mid).toBeGreaterThanOrEqual(shortest);
      expect(mid).toBeLessThanOrEqual(ceiling);
    }
  });

  it('never exceeds the cap, even after very many attempts', () => {
    expect(backoffDelay(10_000, DEFAULT_BACKOFF, () => 0)).toBe(10_000);
    expect(backoffDelay(Number.POSITIVE_INFINITY, DEFAULT_BACKOFF, () => 0)).toBe(10_000);
  });

  it('treats a negative attempt as the first', () => {
    expect(backoffDelay(-3, DEFAULT_BACKOFF, () => 0)).toBe(500);
  });
});
