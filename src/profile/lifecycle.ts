/**
 * The life of one profile's link, as one typed value: a profile is unlinked, linked (with its
 * session and sync state), waiting for the user to link it again (and why), or stopped. The
 * `kind` is the link state the status file, the settings UI server and the settings page all
 * speak; nothing else names these states.
 */
import type { TokenSession } from '../withings/session.js';
import type { AccountSync } from './account-sync.js';
import type { LinkState } from './link-state.js';

export type { LinkState };

/** A working link: the Withings user's session, the data kept for them and how syncing goes. */
export interface Link {
  readonly userid: string;
  readonly session: TokenSession;
  readonly account: AccountSync;
  readonly sync: SyncState;
}

/** How the syncs of a link are going (mutated by the controller as syncs finish). */
export interface SyncState {
  failureStreak: number;
  firstSyncDone: boolean;
  /** The scopes reported missing last time (warned once per change). */
  missingScopesReported: string;
}

export type Lifecycle =
  | { readonly kind: 'unlinked'; readonly since: number }
  | { readonly kind: 'linked'; readonly since: number; readonly link: Link }
  | {
    readonly kind: 'needs-relink';
    readonly since: number;
    readonly reason: string;
    /**
     * The link Withings refused, kept so that the same user linked anew keeps their data; its
     * session still holds the grant that failed, which is not tried again.
     */
    readonly previous?: Link;
  }
  | { readonly kind: 'stopped'; readonly since: number };

/** What the status file records of a profile (snake_case: users read it). */
export interface ProfileStatusRecord {
  readonly state: LinkState;
  readonly userid?: string;
  /** Why the profile needs linking again. */
  readonly reason?: string;
  /** Since when the state holds (epoch seconds). */
  readonly since?: number;
  /** Last successful sync (epoch seconds). */
  readonly last_sync?: number;
}

/** Whether a change of lifecycle is one the status file and the UI must hear about. */
export function isVisibleChange(before: Lifecycle, after: Lifecycle): boolean {
  if (before.kind !== after.kind) {
    return true;
  }
  if (before.kind === 'needs-relink' && after.kind === 'needs-relink') {
    return before.reason !== after.reason;
  }
  if (before.kind === 'linked' && after.kind === 'linked') {
    return before.link.userid !== after.link.userid;
  }
  return false;
}

/** A fresh sync state for a link that has not synced yet. */
export const newSyncState = (): SyncState => ({ failureStreak: 0, firstSyncDone: false, missingScopesReported: '' });
