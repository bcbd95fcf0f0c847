/**
 * Which token file belongs to which configured profile (pure). A file names its profile; the match
 * ignores case and surrounding spaces, so "alice" in a file still finds "Alice" in the config.
 */
import type { ListedGrants, TokenRecord } from '../withings/token-store.js';

export interface GrantMatch {
  /** Configured profile → its link (the newest when several name it), or undefined. */
  readonly byProfile: Map<string, TokenRecord | undefined>;
  /** Files naming no configured profile (left alone; reported once). */
  readonly unused: TokenRecord[];
  /** Older files that name an already matched profile (a profile is shown from one Withings user). */
  readonly superseded: TokenRecord[];
}

export const profileKey = (name: string): string => name.trim().toLocaleLowerCase();

export function matchGrants(profiles: readonly string[], listed: ListedGrants): GrantMatch {
  const byKey = new Map(profiles.map((p) => [profileKey(p), p]));
  const byProfile = new Map<string, TokenRecord | undefined>(profiles.map((p) => [p, undefined]));
  const unused: TokenRecord[] = [];
  const superseded: TokenRecord[] = [];
  const newestFirst = [...listed.records].sort((a, b) => (b.linked_at - a.linked_at) || (b.updated_at - a.updated_at));
  for (const record of newestFirst) {
    const profile = byKey.get(profileKey(record.profile));
    if (profile === undefined) {
      unused.push(record);
    } else if (byProfile.get(profile)) {
      superseded.push(record);
    } else {
      byProfile.set(profile, record);
    }
  }
  return { byProfile, unused, superseded };
}
