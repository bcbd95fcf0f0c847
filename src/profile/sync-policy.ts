/**
 * When to sync next, as pure functions (unit-tested): the regular interval after a success, a
 * short exponential back-off after transient failures (never longer than the interval), Withings'
 * own `wait_seconds` after a 601, and no polling at all once the grant is gone.
 */
import type { WithingsErrorKind } from '../withings/errors.js';

export const FIRST_RETRY_MS = 30_000;
/** Profiles start this far apart so that they never hit Withings at the same moment. */
export const STAGGER_MS = 5_000;

export type SyncOutcome =
  | { readonly ok: true }
  | { readonly ok: false; readonly kind: WithingsErrorKind; readonly retryAfterSeconds?: number };

/** Delay before the next sync, or undefined when polling must stop until the user acts. */
export function nextSyncDelayMs(outcome: SyncOutcome, failureStreak: number, intervalMs: number): number | undefined {
  if (outcome.ok) {
    return intervalMs;
  }
  switch (outcome.kind) {
    case 'reauth-required':
      return undefined;
    case 'rate-limited':
      return Math.max(FIRST_RETRY_MS, (outcome.retryAfterSeconds ?? 60) * 1000);
    case 'bad-request':
      // A request Withings refuses will not improve on retry; keep the regular pace.
      return intervalMs;
    case 'auth-expired':
    case 'transient': {
      const backoff = FIRST_RETRY_MS * 2 ** Math.max(0, failureStreak - 1);
      return Math.min(intervalMs, backoff);
    }
  }
}

/** Start offset of the `index`-th profile, spread over at most a fifth of the interval. */
export function staggerMs(index: number, count: number, intervalMs: number): number {
  if (count <= 1 || index <= 0) {
    return 0;
  }
  const step = Math.min(STAGGER_MS, Math.floor(intervalMs / 5 / count));
  return index * step;
}
