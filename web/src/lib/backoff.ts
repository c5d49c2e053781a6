// Reconnect delays for the live socket: exponential, capped, with a little jitter so that
// a room of operators does not reconnect in lockstep after a gateway restart.

export interface BackoffOptions {
  /** Delay before the first retry. */
  baseMs: number;
  /** Upper bound of any delay. */
  maxMs: number;
  /** Share of the delay removed at random: 0.2 gives a delay in [0.8·d, d]. */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 10_000, jitter: 0.2 };

/** Delay in ms before retry number `attempt` (0 for the first retry). */
export function backoffDelay(
  attempt: number,
  opts: BackoffOptions = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  const n = Math.max(0, Math.floor(attempt));
  const ceiling = Math.min(opts.maxMs, opts.baseMs * 2 ** n);
  return Math.round(ceiling * (1 - opts.jitter * random()));
}
