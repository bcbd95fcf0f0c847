import { matchGrants } from '../../src/platform/grants.js';
import { FIRST_RETRY_MS, nextSyncDelayMs, staggerMs } from '../../src/profile/sync-policy.js';
import type { TokenRecord } from '../../src/withings/token-store.js';

const INTERVAL = 300_000;

describe('nextSyncDelayMs', () => {
  test('after a success: the interval', () => {
    expect(nextSyncDelayMs({ ok: true }, 0, INTERVAL)).toBe(INTERVAL);
  });

  test('transient failures back off exponentially from 30 s, never beyond the interval', () => {
    const delays = [1, 2, 3, 4, 5, 6].map((n) => nextSyncDelayMs({ ok: false, kind: 'transient' }, n, INTERVAL));
    expect(delays).toEqual([30_000, 60_000, 120_000, 240_000, INTERVAL, INTERVAL]);
    expect(FIRST_RETRY_MS).toBe(30_000);
  });

  test('601: what Withings asked (at least 30 s)', () => {
    expect(nextSyncDelayMs({ ok: false, kind: 'rate-limited', retryAfterSeconds: 90 }, 1, INTERVAL)).toBe(90_000);
    expect(nextSyncDelayMs({ ok: false, kind: 'rate-limited', retryAfterSeconds: 2 }, 1, INTERVAL)).toBe(30_000);
  });

  test('re-authorization needed: no more polling', () => {
    expect(nextSyncDelayMs({ ok: false, kind: 'reauth-required' }, 1, INTERVAL)).toBeUndefined();
  });

  test('a bad request keeps the regular pace (retrying sooner cannot help)', () => {
    expect(nextSyncDelayMs({ ok: false, kind: 'bad-request' }, 3, INTERVAL)).toBe(INTERVAL);
  });
});

describe('staggerMs', () => {
  test('profiles start apart, the first at once', () => {
    expect([0, 1, 2].map((i) => staggerMs(i, 3, INTERVAL))).toEqual([0, 5_000, 10_000]);
    expect(staggerMs(0, 1, INTERVAL)).toBe(0);
    // A short interval squeezes the spread into a fifth of it.
    expect(staggerMs(1, 2, 30_000)).toBe(3_000);
  });
});

describe('matchGrants', () => {
  const rec = (userid: string, profile: string, linked_at = 1): TokenRecord => ({
    version: 1, userid, profile, access_token: 'a', refresh_token: 'r', expires_at: 1, scope: '', client_id: 'c', linked_at, updated_at: linked_at,
  });

  test('matches a file to its profile ignoring case and spaces; reports unused and superseded files', () => {
    const m = matchGrants(['Alice', 'Bob', 'Chloé'], {
      records: [rec('1', 'alice '), rec('2', 'Carol'), rec('3', 'Bob', 5), rec('4', 'Bob', 9)],
      problems: [],
    });
    expect(m.byProfile.get('Alice')?.userid).toBe('1');
    expect(m.byProfile.get('Bob')?.userid).toBe('4'); // the newer link
    expect(m.byProfile.get('Chloé')).toBeUndefined();
    expect(m.unused.map((r) => r.userid)).toEqual(['2']);
    expect(m.superseded.map((r) => r.userid)).toEqual(['3']);
  });
});
