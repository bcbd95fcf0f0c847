/** Pure rules of notifications: URL checks, bodies, the reconciliation plan, coalescing, the poll interval. */
import { METRICS, metricByKey } from '../../src/metrics/catalog.js';
import { neededApplis } from '../../src/metrics/notify-applis.js';
import { eventTime, parseNotification } from '../../src/notify/body.js';
import { isOurs, planSubscriptions, SUBSCRIPTION_COMMENT } from '../../src/notify/plan.js';
import { callbackUrlOf, checkNotifyUrl, maskCallbackUrl } from '../../src/notify/url.js';
import { NOTIFY_SYNC_WINDOW_MS, notifySyncDelayMs, pollIntervalMs, rescheduledDelayMs } from '../../src/profile/sync-policy.js';
import { parseSubscriptions } from '../../src/withings/types.js';
import { fixture } from '../support/fixtures.js';

const SECRET = 'a'.repeat(40);
const URL_ = 'https://homebridge.example.com/withings';
const OURS = callbackUrlOf(URL_, SECRET);

describe('checkNotifyUrl: what Withings refuses is refused, with the rule named', () => {
  const real = { simulator: false };
  test.each([
    ['http://homebridge.example.com/withings', /must start with https/],
    ['https://192.168.1.10/withings', /not an IP address/],
    ['https://[::1]/withings', /not an IP address/],
    ['https://localhost/withings', /not localhost/],
    ['https://homebridge.example.com:8582/withings', /port 443/],
    ['https://homebridge.example.com/withings?x=1', /query string/],
    ['not a url', /not a valid URL/],
    [`https://homebridge.example.com/${'x'.repeat(220)}`, /too long/],
  ])('%s', (url, rule) => {
    const r = checkNotifyUrl(url, real);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(rule);
  });

  test('a public https address is accepted without its trailing slash; port 443 may be written', () => {
    expect(checkNotifyUrl(`${URL_}/`, real)).toEqual({ ok: true, url: URL_ });
    expect(checkNotifyUrl('https://homebridge.example.com:443/withings', real)).toEqual({ ok: true, url: URL_ });
  });

  test('missing: one error saying what to enter', () => {
    const r = checkNotifyUrl(undefined, real);
    expect(!r.ok && r.error).toMatch(/"notifications.url" is missing/);
  });

  test('with a simulator (WITHINGS_API_BASE): http and loopback are accepted', () => {
    expect(checkNotifyUrl('http://127.0.0.1:8582/hook', { simulator: true })).toEqual({ ok: true, url: 'http://127.0.0.1:8582/hook' });
    expect(checkNotifyUrl('ftp://127.0.0.1/hook', { simulator: true }).ok).toBe(false);
  });

  test('the masked callback never shows the secret', () => {
    const masked = maskCallbackUrl(OURS, SECRET);
    expect(masked).toBe(`${URL_}/aaaa…`);
    expect(masked).not.toContain(SECRET);
  });
});

describe('parseNotification', () => {
  test('Withings\' form body', () => {
    expect(parseNotification('application/x-www-form-urlencoded', 'userid=12345&appli=1&startdate=1530576000&enddate=1530698753'))
      .toEqual({ userid: '12345', appli: 1, startdate: 1530576000, enddate: 1530698753, date: undefined, action: undefined });
  });

  test('JSON and multipart are tolerated', () => {
    expect(parseNotification('application/json', '{"userid":12345,"appli":"50","date":1764576000}')).toMatchObject({ userid: '12345', appli: 50, date: 1764576000 });
    const multipart = '--XyZ\r\nContent-Disposition: form-data; name="userid"\r\n\r\n12345\r\n--XyZ\r\nContent-Disposition: form-data; name="appli"\r\n\r\n51\r\n--XyZ--\r\n';
    expect(parseNotification('multipart/form-data; boundary=XyZ', multipart)).toMatchObject({ userid: '12345', appli: 51 });
  });

  test('without a valid userid and appli there is no notification; bad dates are dropped', () => {
    expect(parseNotification('application/x-www-form-urlencoded', 'appli=1')).toBeUndefined();
    expect(parseNotification('application/x-www-form-urlencoded', 'userid=abc&appli=1')).toBeUndefined();
    expect(parseNotification('application/json', '{broken')).toBeUndefined();
    expect(parseNotification(undefined, 'userid=1&appli=44&date=2026-12-01&startdate=-5')).toMatchObject({ date: undefined, startdate: undefined });
  });

  test('event time: the given time unless it is in the future; else when it arrived', () => {
    const now = 1_764_576_000;
    expect(eventTime({ userid: '1', appli: 50, date: now - 30 }, now)).toBe(now - 30);
    expect(eventTime({ userid: '1', appli: 50, startdate: now + 3600 }, now)).toBe(now);
    expect(eventTime({ userid: '1', appli: 50 }, now)).toBe(now);
  });
});

describe('neededApplis: derived from the catalog', () => {
  test('every measurement: body, temperature, heart, sleep and in-bed categories', () => {
    expect(neededApplis(METRICS)).toEqual([1, 2, 4, 44, 50, 51]);
  });

  test('only what the selection needs', () => {
    expect(neededApplis([metricByKey('weight_kg')!])).toEqual([1]);
    expect(neededApplis([metricByKey('spo2_pct')!, metricByKey('body_temperature_c')!])).toEqual([2, 4]);
    expect(neededApplis([metricByKey('in_bed')!, metricByKey('sleep_state')!])).toEqual([44, 50, 51]);
  });
});

describe('planSubscriptions against recorded notify list replies', () => {
  const needed = [1, 4, 44, 50, 51];

  test('nothing subscribed yet (person0): subscribe everything', () => {
    const listed = parseSubscriptions(fixture('home-assistant/person0_notify_list.json'));
    expect(planSubscriptions(listed, OURS, needed)).toEqual({ subscribe: needed, revoke: [], present: [], foreign: [] });
  });

  test('foreign subscriptions (Home Assistant\'s, another tool\'s) are left alone', () => {
    const listed = [
      ...parseSubscriptions(fixture('home-assistant/notify_list.json')),
      ...parseSubscriptions({ profiles: fixture('home-assistant/notifications.json') }),
      ...parseSubscriptions((fixture('aiowithings/notify_list.json') as { body: unknown }).body),
    ];
    const plan = planSubscriptions(listed, OURS, needed);
    expect(plan.revoke).toEqual([]);
    expect(plan.foreign).toHaveLength(listed.length);
    expect(plan.subscribe).toEqual(needed);
  });

  test('missing ones are added, present ones kept', () => {
    const listed = [{ appli: 1, callbackurl: OURS, comment: SUBSCRIPTION_COMMENT }, { appli: 44, callbackurl: OURS, comment: SUBSCRIPTION_COMMENT }];
    expect(planSubscriptions(listed, OURS, needed)).toMatchObject({ subscribe: [4, 50, 51], present: [1, 44], revoke: [] });
  });

  test('our own stale ones (old address or old secret, an appli no longer needed) are revoked', () => {
    const oldSecret = { appli: 1, callbackurl: callbackUrlOf(URL_, 'b'.repeat(40)), comment: SUBSCRIPTION_COMMENT };
    const oldHost = { appli: 50, callbackurl: 'https://old.example.com/withings/x', comment: SUBSCRIPTION_COMMENT };
    const unneeded = { appli: 2, callbackurl: OURS, comment: SUBSCRIPTION_COMMENT };
    const foreign = { appli: 1, callbackurl: 'https://www.withings.com', comment: 'My notification subscription' };
    const plan = planSubscriptions([oldSecret, oldHost, unneeded, foreign], OURS, needed);
    expect(plan.revoke).toEqual([oldSecret, oldHost, unneeded]);
    expect(plan.foreign).toEqual([foreign]);
    expect(plan.subscribe).toEqual(needed);
  });

  test('ours is recognised by the comment only', () => {
    expect(isOurs({ appli: 1, callbackurl: 'https://x', comment: 'homebridge-withings' })).toBe(true);
    expect(isOurs({ appli: 1, callbackurl: 'https://x' })).toBe(false);
    expect(isOurs({ appli: 1, callbackurl: 'https://x', comment: 'My notification subscription' })).toBe(false);
  });
});

describe('notification-driven syncs and the poll interval', () => {
  test('the first notification syncs after a short settle; bursts coalesce to one per 10 s', () => {
    const t = 1_000_000;
    expect(notifySyncDelayMs(undefined, t)).toBe(1_000);
    expect(notifySyncDelayMs(t, t + 2_000)).toBe(NOTIFY_SYNC_WINDOW_MS - 2_000);
    expect(notifySyncDelayMs(t, t + 60_000)).toBe(1_000);
  });

  test('max(update_interval, 1 h) while verified; update_interval when not', () => {
    expect(pollIntervalMs(300_000, true)).toBe(3_600_000);
    expect(pollIntervalMs(7_200_000, true)).toBe(7_200_000);
    expect(pollIntervalMs(300_000, false)).toBe(300_000);
  });

  test('falling back: the next poll is update_interval after the last sync, at once when that is past', () => {
    expect(rescheduledDelayMs(1_000_000, 300_000, 1_100_000)).toBe(200_000);
    expect(rescheduledDelayMs(1_000_000, 300_000, 2_000_000)).toBe(0);
  });
});
