// The sign-in steps as a pure state machine: the password, then (when the server asks for it)
// a second factor, until the user is in; too many attempts lock the form for a while.
import { isApiError } from './api';

export type LoginStep = 'password' | 'second_factor' | 'locked' | 'done';
/** Which second factor the user types: the 6-digit TOTP code or a one-time recovery code. */
export type SecondFactor = 'totp' | 'recovery';
export type LoginError = 'invalid' | 'code_invalid' | 'failed';

export interface LoginFlow {
  step: LoginStep;
  factor: SecondFactor;
  error: LoginError | null;
  /** While locked: when the form opens again (ms since the epoch). */
  lockedUntil: number | null;
  /** Locked or done: the step the form was on (a lock returns to it; done keeps showing it). */
  resume: 'password' | 'second_factor';
}

export const DEFAULT_LOCK_SECONDS = 60;

export const initialLoginFlow: LoginFlow = {
  step: 'password',
  factor: 'totp',
  error: null,
  lockedUntil: null,
  resume: 'password',
};

/** What one attempt came to, read from the server's answer. */
export type Outcome =
  | { kind: 'ok' }
  | { kind: 'second_factor_required' }
  | { kind: 'unauthorized' }
  | { kind: 'rate_limited'; retryAfter?: number }
  | { kind: 'failed' };

export function outcomeOf(err: unknown): Outcome {
  if (isApiError(err, 429) || (isApiError(err) && err.code === 'rate_limited')) {
    return { kind: 'rate_limited', retryAfter: err.retryAfter };
  }
  if (isApiError(err, 401)) {
    return err.code === 'second_factor_required' ? { kind: 'second_factor_required' } : { kind: 'unauthorized' };
  }
  return { kind: 'failed' };
}

export type LoginEvent =
  | { type: 'answer'; outcome: Outcome; now: number }
  | { type: 'use_factor'; factor: SecondFactor }
  /** Back from the code to the password (another account, a mistyped login). */
  | { type: 'restart' }
  /** The lock's time is over. */
  | { type: 'unlock' };

export function loginReducer(state: LoginFlow, event: LoginEvent): LoginFlow {
  switch (event.type) {
    case 'answer': {
      if (state.step === 'done' || state.step === 'locked') return state;
      const at = state.step === 'second_factor' ? 'second_factor' : 'password';
      const { outcome } = event;
      switch (outcome.kind) {
        case 'ok':
          return { ...state, step: 'done', error: null, lockedUntil: null, resume: at };
        case 'second_factor_required':
          // Asked again on the second step: the code was wrong (or is missing).
          if (state.step === 'second_factor') return { ...state, error: 'code_invalid' };
          return { ...state, step: 'second_factor', factor: 'totp', error: null };
        case 'unauthorized':
          return { ...state, error: state.step === 'second_factor' ? 'code_invalid' : 'invalid' };
        case 'rate_limited': {
          const seconds = outcome.retryAfter !== undefined && outcome.retryAfter > 0 ? outcome.retryAfter : DEFAULT_LOCK_SECONDS;
          return { ...state, step: 'locked', error: null, lockedUntil: event.now + seconds * 1000, resume: at };
        }
        case 'failed':
          return { ...state, error: 'failed' };
      }
      return state;
    }
    case 'use_factor':
      if (state.step !== 'second_factor') return state;
      return { ...state, factor: event.factor, error: null };
    case 'restart':
      return initialLoginFlow;
    case 'unlock':
      if (state.step !== 'locked') return state;
      return { ...state, step: state.resume, lockedUntil: null, error: null };
  }
}

/** The form shows the second-factor step (also while locked or done there). */
export function onSecondStep(state: LoginFlow): boolean {
  return state.step === 'second_factor' || (state.step !== 'password' && state.resume === 'second_factor');
}

/** Whole seconds left of a lock (at least 1 while it lasts), 0 when over. */
export function secondsLeft(state: LoginFlow, now: number): number {
  if (state.step !== 'locked' || state.lockedUntil === null) return 0;
  return Math.max(0, Math.ceil((state.lockedUntil - now) / 1000));
}

/** "45 с" / "2 мин 05 с" style wait, split into minutes and seconds for the dictionary. */
export function splitWait(seconds: number): { min: number; sec: number } {
  const s = Math.max(0, Math.ceil(seconds));
  return { min: Math.floor(s / 60), sec: s % 60 };
}

/** A TOTP code as typed: digits only, at most 6. */
export function normalizeTotp(input: string): string {
  return input.replace(/\D/g, '').slice(0, 6);
}

/** A recovery code as typed, with spaces dropped (pasted from a printout); the rest is the server's. */
export function normalizeRecovery(input: string): string {
  return input.replace(/\s+/g, '');
}
