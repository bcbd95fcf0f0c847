/**
 * Pure decisions about subscriptions: which to make and which to revoke, and when (the coalescing
 * of notification-driven syncs and the poll interval are in src/profile/sync-policy.ts).
 */
import type { NotifySubscription } from '../withings/types.js';

/** The `comment` the plugin sets on its subscriptions: how it recognises its own in `notify list`. */
export const SUBSCRIPTION_COMMENT = 'homebridge-withings';

/** Subscriptions made by this plugin (any installation with this app), whatever their URL. */
export const isOurs = (s: NotifySubscription): boolean => (s.comment ?? '').trim().startsWith(SUBSCRIPTION_COMMENT);

export interface SubscriptionPlan {
  /** Applis to subscribe at the current callback URL. */
  readonly subscribe: number[];
  /** Our own subscriptions that point elsewhere (old address or secret) or at an appli no longer needed. */
  readonly revoke: NotifySubscription[];
  /** Applis already subscribed at the current URL. */
  readonly present: number[];
  /** Subscriptions of other apps or tools (no or another comment): left alone. */
  readonly foreign: NotifySubscription[];
}

/**
 * From a `notify list` reply: subscribe every needed appli that has no subscription at `callbackUrl`;
 * revoke our own subscriptions at another URL or for an appli not needed any more; leave the rest.
 * A subscription at our exact URL counts as present whatever its comment (it can only be ours).
 */
export function planSubscriptions(listed: readonly NotifySubscription[], callbackUrl: string, needed: readonly number[]): SubscriptionPlan {
  const want = new Set(needed);
  const present = new Set<number>();
  const revoke: NotifySubscription[] = [];
  const foreign: NotifySubscription[] = [];
  for (const s of listed) {
    const here = s.callbackurl === callbackUrl;
    if (here && want.has(s.appli)) {
      present.add(s.appli);
    } else if (here || isOurs(s)) {
      revoke.push(s);
    } else {
      foreign.push(s);
    }
  }
  return {
    subscribe: [...want].filter((a) => !present.has(a)).sort((a, b) => a - b),
    revoke,
    present: [...present].sort((a, b) => a - b),
    foreign,
  };
}

/** How often subscriptions are listed and repaired. */
export const RECONCILE_INTERVAL_MS = 6 * 3600 * 1000;
/** Pause before each subscribe call: each one makes Withings HEAD the URL, and fast sequences fail. */
export const SUBSCRIBE_SPACING_MS = 5_000;
/** After a failed reconciliation (network, refused URL), the next attempt. */
export const RECONCILE_RETRY_MS = 15 * 60 * 1000;
