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

/** At most one notification-driven sync per profile in this window (bursts of notifications coalesce). */
export const NOTIFY_SYNC_WINDOW_MS = 10_000;
/** A short pause after a notification, so that a burst (appli 1, then 4…) lands in one sync. */
export const NOTIFY_SYNC_SETTLE_MS = 1_000;

/**
 * Delay before the sync a notification asks for, given when the last notification-driven sync
 * started (undefined: never): soon, but never two within `NOTIFY_SYNC_WINDOW_MS`.
 */
export function notifySyncDelayMs(lastStartedAt: number | undefined, nowMs: number): number {
  const earliest = lastStartedAt === undefined ? nowMs : lastStartedAt + NOTIFY_SYNC_WINDOW_MS;
  return Math.max(NOTIFY_SYNC_SETTLE_MS, earliest - nowMs);
}

/** The safety poll while a profile's notification subscriptions are verified. */
export const VERIFIED_POLL_SECONDS = 3600;

/** `max(update_interval, 1 h)` while the profile's subscriptions are verified, `update_interval` otherwise. */
export function pollIntervalMs(updateIntervalMs: number, verified: boolean): number {
  return verified ? Math.max(updateIntervalMs, VERIFIED_POLL_SECONDS * 1000) : updateIntervalMs;
}

/**
 * When the next regular sync is due after the poll interval changed: `intervalMs` after the last
 * sync ended, at once when that is past (notifications failed: back to `update_interval` now).
 */
export function rescheduledDelayMs(lastSyncEndedAtMs: number, intervalMs: number, nowMs: number): number {
  return Math.max(0, lastSyncEndedAtMs + intervalMs - nowMs);
}
