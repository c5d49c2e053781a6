import { describe, expect, it } from 'vitest';
import { ApiError } from './api';
import {
  DEFAULT_LOCK_SECONDS,
  initialLoginFlow,
  loginReducer,
  normalizeRecovery,
  normalizeTotp,
  onSecondStep,
  outcomeOf,
  secondsLeft,
  splitWait,
  type LoginEvent,
  type LoginFlow,
} from './loginFlow';

const problem = (status: number, code?: string, retryAfter?: number) =>
  new ApiError(status, { status, title: 'x', ...(code ? { code } : {}) }, retryAfter);

const NOW = 1_700_000_000_000;
const answer = (err: unknown, now = NOW): LoginEvent => ({ type: 'answer', outcome: err === null ? { kind: 'ok' } : outcomeOf(err), now });
const run = (events: LoginEvent[], from: LoginFlow = initialLoginFlow) => events.reduce(loginReducer, from);

describe('outcomeOf', () => {
  it('reads the problem code and status', () => {
    expect(outcomeOf(problem(401, 'unauthorized'))).toEqual({ kind: 'unauthorized' });
    expect(outcomeOf(problem(401))).toEqual({ kind: 'unauthorized' });
    expect(outcomeOf(problem(401, 'second_factor_required'))).toEqual({ kind: 'second_factor_required' });
    expect(outcomeOf(problem(429, 'rate_limited', 42))).toEqual({ kind: 'rate_limited', retryAfter: 42 });
    expect(outcomeOf(problem(429))).toEqual({ kind: 'rate_limited', retryAfter: undefined });
    expect(outcomeOf(problem(500))).toEqual({ kind: 'failed' });
    expect(outcomeOf(new TypeError('Failed to fetch'))).toEqual({ kind: 'failed' });
  });
});

describe('loginReducer', () => {
  it('password right, no second factor: done', () => {
    const s = run([answer(null)]);
    expect(s.step).toBe('done');
    expect(s.error).toBeNull();
  });

  it('a wrong password stays on the password step with a message', () => {
    const s = run([answer(problem(401, 'unauthorized'))]);
    expect(s).toMatchObject({ step: 'password', error: 'invalid' });
  });

  it('password → second factor (TOTP first) → done', () => {
    const asked = run([answer(problem(401, 'second_factor_required'))]);
    expect(asked).toMatchObject({ step: 'second_factor', factor: 'totp', error: null });
    expect(onSecondStep(asked)).toBe(true);
    const done = loginReducer(asked, answer(null));
    expect(done.step).toBe('done');
    // The form keeps showing the code step while the page moves on.
    expect(onSecondStep(done)).toBe(true);
  });

  it('a wrong code on the second step says so and stays there', () => {
    const asked = run([answer(problem(401, 'second_factor_required'))]);
    expect(loginReducer(asked, answer(problem(401, 'second_factor_required')))).toMatchObject({ step: 'second_factor', error: 'code_invalid' });
    expect(loginReducer(asked, answer(problem(401, 'unauthorized')))).toMatchObject({ step: 'second_factor', error: 'code_invalid' });
  });

  it('switches between the TOTP and a recovery code, clearing the message', () => {
    const wrong = run([answer(problem(401, 'second_factor_required')), answer(problem(401, 'second_factor_required'))]);
    const recovery = loginReducer(wrong, { type: 'use_factor', factor: 'recovery' });
    expect(recovery).toMatchObject({ step: 'second_factor', factor: 'recovery', error: null });
    expect(loginReducer(recovery, { type: 'use_factor', factor: 'totp' }).factor).toBe('totp');
    // Not on the password step.
    expect(loginReducer(initialLoginFlow, { type: 'use_factor', factor: 'recovery' })).toBe(initialLoginFlow);
  });

  it('restart goes back to the password', () => {
    const asked = run([answer(problem(401, 'second_factor_required'))]);
    expect(loginReducer(asked, { type: 'restart' })).toEqual(initialLoginFlow);
  });

  it('locks for Retry-After seconds, ignores answers meanwhile, and returns to the same step', () => {
    const asked = run([answer(problem(401, 'second_factor_required'))]);
    const locked = loginReducer(asked, answer(problem(429, 'rate_limited', 90)));
    expect(locked).toMatchObject({ step: 'locked', lockedUntil: NOW + 90_000, resume: 'second_factor' });
    expect(onSecondStep(locked)).toBe(true);
    expect(secondsLeft(locked, NOW)).toBe(90);
    expect(secondsLeft(locked, NOW + 89_001)).toBe(1);
    expect(secondsLeft(locked, NOW + 90_000)).toBe(0);
    expect(loginReducer(locked, answer(null))).toBe(locked);
    const open = loginReducer(locked, { type: 'unlock' });
    expect(open).toMatchObject({ step: 'second_factor', lockedUntil: null, error: null });
  });

  it('locks from the password step for a default time without Retry-After', () => {
    const locked = run([answer(problem(429))]);
    expect(locked).toMatchObject({ step: 'locked', resume: 'password', lockedUntil: NOW + DEFAULT_LOCK_SECONDS * 1000 });
    expect(onSecondStep(locked)).toBe(false);
    expect(loginReducer(locked, { type: 'unlock' }).step).toBe('password');
  });

  it('a network failure keeps the step with a generic message', () => {
    expect(run([answer(new TypeError('offline'))])).toMatchObject({ step: 'password', error: 'failed' });
  });

  it('done is final', () => {
    const done = run([answer(null)]);
    expect(loginReducer(done, answer(problem(401)))).toBe(done);
    expect(loginReducer(done, { type: 'unlock' })).toBe(done);
  });
});

describe('input helpers', () => {
  it('keeps six digits of a TOTP code', () => {
    expect(normalizeTotp(' 123 456 ')).toBe('123456');
    expect(normalizeTotp('12a34-5678')).toBe('123456');
  });

  it('drops spaces from a recovery code', () => {
    expect(normalizeRecovery(' abcd - efgh ')).toBe('abcd-efgh');
  });

  it('splits a wait into minutes and seconds', () => {
    expect(splitWait(45)).toEqual({ min: 0, sec: 45 });
    expect(splitWait(125)).toEqual({ min: 2, sec: 5 });
    expect(splitWait(0.2)).toEqual({ min: 0, sec: 1 });
  });
});
