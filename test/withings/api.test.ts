/**
 * The calls: parameters sent (category=1, explicit data_fields, lastupdate), paging over
 * more/offset, tolerance of what real replies contain, and the incremental sync built on them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import nock from 'nock';

import { METRICS, measureTypes, summaryFields } from '../../src/metrics/catalog.js';
import { AccountSync } from '../../src/profile/account-sync.js';
import { MAX_PAGES, WithingsApi } from '../../src/withings/api.js';
import { WithingsHttp } from '../../src/withings/http.js';
import { RequestLimiter } from '../../src/withings/limiter.js';
import { TokenSession } from '../../src/withings/session.js';
import { TokenStore } from '../../src/withings/token-store.js';
import { latestMeasures } from '../../src/metrics/values.js';
import { FakeClock } from '../support/clock.js';
import { fixture, reply } from '../support/fixtures.js';
import { isolateNetwork } from '../support/nock.js';

const BASE = 'http://withings.test';
type Form = Record<string, string>;
const form = (body: unknown): Form => (typeof body === 'string' ? Object.fromEntries(new URLSearchParams(body)) : body as Form);

let dir: string;
let clock: FakeClock;
let api: WithingsApi;
let limiter: RequestLimiter;
const calls: { path: string; body: Form }[] = [];

/** Answers every POST to `path` with `answer(body)` and records what was sent. */
function serve(path: string, answer: (body: Form) => unknown, times = 1): void {
  nock(BASE).post(path).times(times).reply(200, (_uri, raw) => {
    const body = form(raw);
    calls.push({ path, body });
    return answer(body);
  });
}

isolateNetwork();
beforeEach(async () => {
  calls.length = 0;
  dir = mkdtempSync(join(tmpdir(), 'withings-api-'));
  clock = new FakeClock(Date.UTC(2021, 3, 18, 8, 0, 0));
  const store = new TokenStore(dir);
  const now = Math.floor(clock.now() / 1000);
  await store.write({
    version: 1, userid: '363', profile: 'Alice', access_token: 'tok', refresh_token: 'ref', expires_at: now + 10_800,
    scope: 'user.info,user.metrics,user.activity,user.sleepevents', client_id: 'cid', linked_at: now, updated_at: now,
  });
  const http = new WithingsHttp({ endpoints: { apiBase: BASE, authBase: BASE } });
  limiter = new RequestLimiter(clock);
  api = new WithingsApi(http, new TokenSession('363', store, http, { clientId: 'cid', clientSecret: 's' }, clock), limiter);
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('getmeas', () => {
  test('always asks for real measures (category=1) of the wanted types, and pages over more/offset', async () => {
    const all = fixture<unknown[]>('aiowithings/measurement_list.json');
    serve('/measure', (b) => {
      const offset = Number(b.offset ?? 0);
      const page = all.slice(offset, offset + 1000);
      return reply({ updatetime: 1680500000, timezone: 'Europe/Amsterdam', measuregrps: page, more: offset + 1000 < all.length ? 1 : 0, offset: offset + page.length });
    }, 3);
    const result = await api.getMeasures({ meastypes: [1, 11] });
    expect(result.groups).toHaveLength(2062);
    expect(result.requests).toBe(3);
    expect(result.timezone).toBe('Europe/Amsterdam');
    expect(calls.map((c) => c.body)).toEqual([
      { action: 'getmeas', category: '1', meastypes: '1,11' },
      { action: 'getmeas', category: '1', meastypes: '1,11', offset: '1000' },
      { action: 'getmeas', category: '1', meastypes: '1,11', offset: '2000' },
    ]);
  });

  test('incremental: lastupdate instead of a date window', async () => {
    serve('/measure', () => reply({ measuregrps: [] }));
    await api.getMeasures({ lastupdate: 1700000000, startdate: 1, enddate: 2 });
    expect(calls[0].body).toEqual({ action: 'getmeas', category: '1', lastupdate: '1700000000' });
  });

  test('a runaway "more" stops after MAX_PAGES requests', async () => {
    let n = 0;
    serve('/measure', () => reply({ measuregrps: [], more: 1, offset: ++n }), MAX_PAGES + 5);
    const result = await api.getMeasures();
    expect(result.requests).toBe(MAX_PAGES);
  });

  test('tolerates unknown keys, null device ids, numeric strings, ids above 2^31 and escaped slashes', async () => {
    const raw = '{"status":0,"body":{"updatetime":1,"timezone":"Europe\\/Paris","unknown":{"x":1},"measuregrps":['
      + '{"grpid":5149666502,"attrib":0,"date":1704769719,"created":1704769720,"modified":1704769720,"category":1,"deviceid":null,"probability":0.9,'
      + '"measures":[{"value":"95854","type":1,"unit":-3,"apppfmid":4,"appliver":1},{"value":null,"type":6,"unit":-3}],"comment":null}]}}';
    nock(BASE).post('/measure').reply(200, raw);
    const { groups, timezone } = await api.getMeasures();
    expect(timezone).toBe('Europe/Paris');
    expect(groups).toEqual([{
      grpid: 5149666502, attrib: 0, date: 1704769719, created: 1704769720, modified: 1704769720, category: 1, deviceid: null, model: undefined,
      measures: [{ value: 95854, type: 1, unit: -3 }],
    }]);
  });
});

describe('sleep', () => {
  test('getsummary requests every field it uses by name, and pages over more/offset', async () => {
    const first = fixture<{ body: { series: unknown[]; more: boolean; offset: number } }>('aiowithings/sleep_summary.json');
    expect(first.body).toMatchObject({ more: true, offset: 300 });
    serve('/v2/sleep', () => first);
    serve('/v2/sleep', () => reply({ series: fixture('home-assistant/sleep_summaries.json'), more: false, offset: 0 }));
    const fields = summaryFields(METRICS);
    const result = await api.getSleepSummaries({ lastupdate: 1618000000, dataFields: fields });
    expect(result.series).toHaveLength(305);
    expect(result.requests).toBe(2);
    expect(calls[0].body).toEqual({ action: 'getsummary', lastupdate: '1618000000', data_fields: fields.join(',') });
    expect(calls[1].body.offset).toBe('300');
    for (const f of ['wakeupduration', 'lightsleepduration', 'deepsleepduration', 'remsleepduration', 'wakeupcount', 'sleep_latency',
      'durationtosleep', 'wakeup_latency', 'durationtowakeup', 'hr_average', 'hr_min', 'hr_max', 'rr_average', 'rr_min', 'rr_max']) {
      expect(fields).toContain(f);
    }
  });

  test('sleep get asks for a window and returns the stage segments', async () => {
    serve('/v2/sleep', () => fixture('aiowithings/sleep.json'));
    const segments = await api.getSleepSegments(100, 200);
    expect(segments).toHaveLength(613);
    expect(calls[0].body).toEqual({ action: 'get', startdate: '100', enddate: '200' });
  });
});

describe('devices and notifications', () => {
  test('getdevice tolerates null dates, empty models and unknown types', async () => {
    serve('/v2/user', () => fixture('aiowithings/device.json'));
    const devices = await api.getDevices();
    expect(devices.length).toBeGreaterThan(1);
    expect(devices.every((d) => typeof d.type === 'string')).toBe(true);
    serve('/v2/user', () => fixture('aiowithings/new_device.json'));
    expect((await api.getDevices())[0].type).toBeDefined();
  });

  test('notify list, subscribe and revoke', async () => {
    serve('/notify', () => fixture('aiowithings/notify_list.json'));
    serve('/notify', () => fixture('aiowithings/notify_subscribe.json'));
    serve('/notify', () => fixture('aiowithings/notify_revoke.json'));
    expect(await api.listSubscriptions()).toEqual([expect.objectContaining({ appli: 1 })]);
    await api.subscribe('https://hb.example.com/hook', 1, 'homebridge');
    await api.revokeSubscription('https://hb.example.com/hook', 1);
    expect(calls.map((c) => c.body)).toEqual([
      { action: 'list' },
      { action: 'subscribe', callbackurl: 'https://hb.example.com/hook', appli: '1', comment: 'homebridge' },
      { action: 'revoke', callbackurl: 'https://hb.example.com/hook', appli: '1' },
    ]);
  });
});

describe('rate limit', () => {
  test('after a 601 every call fails fast for wait_seconds, without a request', async () => {
    serve('/measure', () => ({ status: 601, body: { wait_seconds: 30 }, error: 'Too many requests' }));
    await expect(api.getMeasures()).rejects.toMatchObject({ kind: 'rate-limited', retryAfterSeconds: 30 });
    await expect(api.getDevices()).rejects.toMatchObject({ kind: 'rate-limited' });
    expect(calls).toHaveLength(1);
    await clock.advance(31_000);
    serve('/v2/user', () => reply({ devices: [] }));
    await expect(api.getDevices()).resolves.toEqual([]);
  });
});

describe('AccountSync', () => {
  const needs = { measureTypes: measureTypes(METRICS), summaryFields: summaryFields(METRICS), sleepState: true };
  const scope = 'user.info,user.metrics,user.activity';

  test('first sync fetches everything, later ones only what changed (lastupdate), 3 requests each', async () => {
    const sync = new AccountSync(api, clock, needs);
    serve('/measure', () => reply({ updatetime: 1618732800, timezone: 'Europe/Paris', measuregrps: fixture('home-assistant/measurements.json') }));
    serve('/v2/sleep', () => reply({ series: fixture('home-assistant/sleep_summaries.json'), more: false, offset: 0 }));
    serve('/v2/sleep', () => reply({ series: [] }));
    const first = await sync.sync(scope);
    expect(first).toMatchObject({ full: true, requests: 3, missingScopes: [] });
    expect(calls[0].body.lastupdate).toBeUndefined();
    expect(calls[1].body.lastupdate).toBe(String(1618732800 - 60 * 86_400)); // 60 nights for the history, one request
    expect(calls[2].body).toEqual({ action: 'get', startdate: String(1618732800 - 6 * 3600), enddate: '1618732800' });
    expect(latestMeasures(sync.data().groups, [1]).get(1)?.value).toBe(70);

    await clock.advance(300_000);
    serve('/measure', () => reply({ updatetime: 1618733100, measuregrps: fixture('home-assistant/measurements_1.json') }));
    serve('/v2/sleep', () => reply({ series: [] }));
    serve('/v2/sleep', () => reply({ series: [] }));
    const second = await sync.sync(scope);
    expect(second).toMatchObject({ full: false, requests: 3 });
    expect(calls[3].body.lastupdate).toBe(String(1618732800 - 120));
    expect(calls[4].body.lastupdate).toBe(String(1618732800 - 120));
    expect(second.groups).toHaveLength(1);
  });

  test('skips what the grant does not allow and says which scope is missing', async () => {
    const sync = new AccountSync(api, clock, needs);
    serve('/measure', () => reply({ measuregrps: [] }));
    const report = await sync.sync('user.info,user.metrics');
    expect(report.missingScopes).toEqual(['user.activity']);
    expect(calls.map((c) => c.path)).toEqual(['/measure']);
  });
});
