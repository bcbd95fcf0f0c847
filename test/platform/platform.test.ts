/**
 * The platform and its per-profile controllers, on the real HAP of the homebridge devDependency,
 * Withings answered by nock, time moved by hand: sync at start then every interval, last values
 * across restarts, failures shown with StatusActive/StatusFault, polling stopped on a lost grant
 * and resumed when the settings UI writes a new one, stale accessories removed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { PlatformAccessory, PlatformConfig, Service } from 'homebridge';
import nock from 'nock';

import { metricByKey } from '../../src/metrics/catalog.js';
import { WithingsPlatform } from '../../src/platform/platform.js';
import { type TokenRecord, TokenStore } from '../../src/withings/token-store.js';
import { FakeClock, settle } from '../support/clock.js';
import { fixture, reply } from '../support/fixtures.js';
import { createApi, recordingLog, roundTrip, type TestApi } from '../support/hap.js';
import { isolateNetwork } from '../support/nock.js';

const BASE = 'http://withings.platform.test';
const SEED = { platform: 'Withings', name: 'Withings', client_id: 'cid', client_secret: 'csecret-value', profiles: ['Alice'] };

let storage: string;
let clock: FakeClock;
let api: TestApi;
let log: ReturnType<typeof recordingLog>;
let requests: { path: string; body: Record<string, string> }[];
let platform: WithingsPlatform;

const nowS = () => Math.floor(clock.now() / 1000);
const store = () => new TokenStore(join(storage, 'withings'));

function grant(overrides: Partial<TokenRecord> = {}): TokenRecord {
  return {
    version: 1, userid: '363', profile: 'Alice', access_token: 'acc-1', refresh_token: 'ref-1', expires_at: nowS() + 10_800,
    scope: 'user.info,user.metrics,user.activity,user.sleepevents', client_id: 'cid', linked_at: nowS(), updated_at: nowS(), ...overrides,
  };
}

/** A small Withings account: the HA fixture's weigh-ins, no sleep. */
function serveAccount(times = 1, groups: unknown[] = fixture('home-assistant/measurements.json')): void {
  const record = (path: string) => (_uri: string, raw: unknown) => {
    requests.push({ path, body: typeof raw === 'string' ? Object.fromEntries(new URLSearchParams(raw)) : raw as Record<string, string> });
  };
  nock(BASE).post('/measure').times(times).reply(200, (uri, raw) => {
    record('/measure')(uri, raw);
    return reply({ updatetime: nowS(), timezone: 'Europe/Paris', measuregrps: groups });
  });
  nock(BASE).post('/v2/sleep').times(2 * times).reply(200, (uri, raw) => {
    record('/v2/sleep')(uri, raw);
    return reply({ series: [], more: false, offset: 0 });
  });
  nock(BASE).post('/v2/measure').times(times).reply(200, (uri, raw) => {
    record('/v2/measure')(uri, raw);
    return reply({ activities: [], more: false, offset: 0 });
  });
  // Goals and devices are read at the first sync only (then hourly / every 6 h).
  nock(BASE).post('/v2/user').times(2).reply(200, (uri, raw) => {
    record('/v2/user')(uri, raw);
    const body = typeof raw === 'string' ? Object.fromEntries(new URLSearchParams(raw)) : raw as Record<string, string>;
    return body.action === 'getgoals' ? fixture('aiowithings/goals.json') : fixture('aiowithings/device.json');
  });
}

function start(config: Record<string, unknown> = SEED, cached: PlatformAccessory[] = []): WithingsPlatform {
  api = createApi(storage);
  log = recordingLog();
  platform = new WithingsPlatform(log, config as PlatformConfig, api, { clock });
  for (const a of cached) {
    platform.configureAccessory(a);
    api.published.set(a.UUID, a); // Homebridge publishes restored accessories itself
  }
  api.fire('didFinishLaunching');
  return platform;
}

/** Lets start-up (file reads) finish and fires the timers due now (the first sync). */
async function run(): Promise<void> {
  await platform.started;
  await clock.advance(0);
  await settle();
}

const published = () => [...api.published.values()];
function service(key: string): Service | undefined {
  for (const a of published()) {
    const s = a.services.find((x) => x.subtype === key);
    if (s) {return s;}
  }
  return undefined;
}
const value = (key: string) => service(key)?.getCharacteristic(api.hap.Characteristic.CurrentAmbientLightLevel).value;
const status = (key: string) => ({
  active: service(key)?.getCharacteristic(api.hap.Characteristic.StatusActive).value,
  fault: service(key)?.getCharacteristic(api.hap.Characteristic.StatusFault).value,
});
const lines = (level: string) => log.lines.filter((l) => l.level === level).map((l) => l.text);

isolateNetwork();
beforeEach(() => {
  storage = mkdtempSync(join(tmpdir(), 'hb-platform-'));
  clock = new FakeClock();
  requests = [];
  process.env.WITHINGS_API_BASE = BASE;
  process.env.WITHINGS_AUTH_BASE = BASE;
});
afterEach(async () => {
  api?.fire('shutdown');
  await settle();
  nock.cleanAll();
  rmSync(storage, { recursive: true, force: true });
  delete process.env.WITHINGS_API_BASE;
  delete process.env.WITHINGS_AUTH_BASE;
});

test('an invalid config does nothing at all: one error line, no timers, no accessories', async () => {
  start({ ...SEED, update_interval: 5 });
  await run();
  expect(lines('error')).toEqual([expect.stringContaining('"update_interval" must be between 30 and 86400 seconds (got 5)')]);
  expect(clock.timers()).toEqual([]);
  expect(published()).toEqual([]);
});

test('a refused config shows as a fault on the cached sensors (values, names, accessories untouched) and the log says why', async () => {
  await store().write(grant());
  serveAccount();
  start();
  await run();
  expect(status('weight_kg')).toEqual({ active: true, fault: 0 });
  const cache = published().map(roundTrip);
  const before = cache.map((a) => [a.UUID, a.displayName, a.services.length]);
  api.fire('shutdown');
  nock.cleanAll();

  start({ ...SEED, profiles: ['Alice', 'alice'] }, cache); // refused at start
  await run();
  expect(value('weight_kg')).toBe(70);
  expect(status('weight_kg')).toEqual({ active: false, fault: 1 });
  const faults = published().flatMap((a) => a.services.filter((sv) => sv.testCharacteristic(api.hap.Characteristic.StatusFault)));
  expect(faults.length).toBeGreaterThan(1);
  expect(faults.every((sv) => sv.getCharacteristic(api.hap.Characteristic.StatusFault).value === 1)).toBe(true);
  expect(published().map((a) => [a.UUID, a.displayName, a.services.length])).toEqual(before);
  expect(lines('error')).toEqual([expect.stringContaining('"profiles" lists "alice" twice')]);
  expect(lines('warn')).toEqual([`${faults.length} cached sensors show a fault in the Home app until the configuration is fixed (see the error above).`]);
  expect(clock.timers()).toEqual([]);
  expect(requests).toHaveLength(6); // only the first, valid run's sync (issue 14's first sync: 6 calls)

  // Fixed and restarted: the fault clears from the profile's health.
  api.fire('shutdown');
  const again = published().map(roundTrip);
  serveAccount();
  start(SEED, again);
  await run();
  expect(status('weight_kg')).toEqual({ active: true, fault: 0 });
});

test('unlinked: one info line; when the settings UI writes a grant, the profile syncs without a restart', async () => {
  start();
  await run();
  expect(lines('info')).toEqual([expect.stringContaining('No profile is linked to Withings yet')]);
  expect(requests).toEqual([]);

  await store().write(grant());
  serveAccount();
  await clock.advance(30_000); // the periodic rescan (file-system events may also trigger it earlier)
  await run();
  expect(value('weight_kg')).toBe(70);
  expect(lines('info')).toContainEqual(expect.stringContaining('Alice: linked to Withings user 363'));
});

test('syncs at start, then every update_interval, incrementally, never calling Withings from reads', async () => {
  await store().write(grant());
  serveAccount();
  start({ ...SEED, update_interval: 60 });
  await run();
  expect(value('weight_kg')).toBe(70);
  expect(requests.map((r) => `${r.path} ${r.body.action}`)).toEqual([
    '/measure getmeas', '/v2/sleep getsummary', '/v2/sleep get', '/v2/measure getactivity', '/v2/user getgoals', '/v2/user getdevice',
  ]);
  expect(requests[0].body.lastupdate).toBeUndefined();

  // Reads between syncs are served from memory.
  service('weight_kg')!.getCharacteristic(api.hap.Characteristic.CurrentAmbientLightLevel).handleGetRequest();
  await clock.advance(59_000);
  expect(requests).toHaveLength(6);

  nock.cleanAll();
  serveAccount(1, fixture('home-assistant/measurements_1.json'));
  await clock.advance(1_000);
  await settle();
  // The steady state: 4 requests, every one incremental.
  expect(requests.slice(6).map((r) => `${r.path} ${r.body.action}`)).toEqual(['/measure getmeas', '/v2/sleep getsummary', '/v2/sleep get', '/v2/measure getactivity']);
  expect(requests[6].body.lastupdate).toBeDefined();
  expect(requests[6].body.category).toBe('1');
  expect(requests[9].body.lastupdate).toBeDefined();
});

test('a restart shows the last values before any Withings call', async () => {
  await store().write(grant());
  serveAccount();
  start();
  await run();
  expect(value('weight_kg')).toBe(70);
  const cache = published().map(roundTrip);
  api.fire('shutdown');
  nock.cleanAll();

  // Withings is unreachable after the restart: values must show anyway.
  // (No interceptor: every connection is refused.)
  start(SEED, cache);
  expect(value('weight_kg')).toBe(70); // at once, before any Withings call
  await run();
  expect(value('weight_kg')).toBe(70);
  expect(status('weight_kg')).toEqual({ active: false, fault: 0 });
});

test('failures: values kept, StatusActive false, one warning per streak, one info line on recovery', async () => {
  await store().write(grant());
  serveAccount();
  start();
  await run();
  expect(status('weight_kg')).toEqual({ active: true, fault: 0 });

  nock(BASE).post('/measure').reply(500, 'oops');
  nock(BASE).post('/measure').reply(200, { status: 601, body: { wait_seconds: 40 }, error: 'Too many requests' });
  nock(BASE).post('/measure').reply(200, '{not json');
  await clock.advance(300_000);
  expect(status('weight_kg')).toEqual({ active: false, fault: 0 });
  expect(value('weight_kg')).toBe(70);
  await clock.advance(30_000); // back-off after the first failure
  await clock.advance(40_000); // wait_seconds of the 601
  expect(lines('warn')).toEqual([expect.stringContaining('Alice: Withings sync failed')]);

  serveAccount();
  await clock.advance(300_000);
  await settle();
  expect(status('weight_kg')).toEqual({ active: true, fault: 0 });
  expect(lines('info')).toContainEqual(expect.stringContaining('Withings sync works again (after 3 failed attempts)'));
  expect(lines('warn')).toHaveLength(1);
});

test('a revoked grant: StatusFault, one error line, polling stops; a new link resumes it', async () => {
  await store().write(grant());
  serveAccount();
  start();
  await run();

  let calls = 0;
  nock(BASE).post('/measure').reply(200, () => {
    calls++;
    return { status: 401, body: {}, error: 'invalid_token' };
  });
  nock(BASE).post('/v2/oauth2').reply(200, () => {
    calls++;
    return { status: 503, body: {}, error: 'Invalid Params: invalid refresh_token' };
  });
  await clock.advance(300_000);
  expect(calls).toBe(2);
  expect(status('weight_kg')).toEqual({ active: false, fault: 1 });
  expect(lines('error')).toEqual([expect.stringContaining('press "Re-link" next to Alice')]);

  await clock.advance(3600_000); // an hour later: no request loop, no new error line
  expect(calls).toBe(2);
  expect(lines('error')).toHaveLength(1);

  await store().write(grant({ access_token: 'acc-2', refresh_token: 'ref-2', updated_at: nowS() }));
  serveAccount();
  await clock.advance(30_000);
  await run();
  expect(status('weight_kg')).toEqual({ active: true, fault: 0 });
});

test('a profile removed from the config: its accessories are removed', async () => {
  await store().write(grant());
  serveAccount();
  start({ ...SEED, profiles: ['Alice', 'Bob'] });
  await run();
  const cache = published().map(roundTrip);
  // Activity and Sleep hold the goals (steps, sleep); the scale is the account's device.
  expect(cache.map((a) => a.displayName).sort()).toEqual(['Alice Activity', 'Alice Body', 'Alice Heart', 'Alice Sleep', 'Alice Temperatures', 'Body Plus Scale']);
  api.fire('shutdown');

  serveAccount();
  start({ ...SEED, profiles: ['Bob'] }, cache);
  await run();
  // The device goes too: no configured profile is linked to the account that lists it.
  expect(published()).toEqual([]);
  expect(lines('info')).toContainEqual('Removed 5 accessories of profiles no longer configured.');
});

test('a profile renamed with its link moved keeps its accessories (same UUIDs), under the new name', async () => {
  await store().write(grant());
  serveAccount();
  start();
  await run();
  const cache = published().map(roundTrip);
  const uuids = cache.map((a) => a.UUID).sort();
  api.fire('shutdown');

  await store().write(grant({ profile: 'Alicia' })); // what "Use for Alicia" in the settings does
  serveAccount();
  start({ ...SEED, profiles: ['Alicia'] }, cache);
  await run();
  expect(published().map((a) => a.UUID).sort()).toEqual(uuids);
  expect(published().map((a) => a.displayName).sort()).toEqual(['Alicia Activity', 'Alicia Body', 'Alicia Heart', 'Alicia Sleep', 'Alicia Temperatures', 'Body Plus Scale']);
  expect(service('weight_kg')?.getCharacteristic(api.hap.Characteristic.ConfiguredName).value).toBe('Alicia Weight');
  expect(lines('info').some((l) => /Removed/.test(l))).toBe(false);
});

test('only selected measurements: a deselected one is never requested nor shown', async () => {
  await store().write(grant());
  serveAccount();
  start({ ...SEED, measurements: ['spo2_pct'] });
  await run();
  // getdevice is not a measurement: the account's devices are always shown (batteries).
  expect(requests.map((r) => `${r.path} ${r.body.action}`)).toEqual(['/measure getmeas', '/v2/user getdevice']);
  expect(requests[0].body.meastypes).toBe('54');
  expect(published().map((a) => a.displayName)).toEqual(['Alice Heart', 'Body Plus Scale']);
  expect(service('spo2_pct')?.getCharacteristic(api.hap.Characteristic.CurrentRelativeHumidity).value).toBe(0.95);
  expect(service('weight_kg')).toBeUndefined();
  expect(metricByKey('spo2_pct')!.group).toBe('heart');
});

test('the client secret and tokens never reach the log', async () => {
  await store().write(grant());
  nock(BASE).post('/measure').reply(200, { status: 503, body: {}, error: 'Invalid Params: acc-1 csecret-value' });
  nock(BASE).post('/v2/sleep').times(2).reply(200, reply({ series: [] }));
  start({ ...SEED, update_interval: 30 });
  await run();
  const text = JSON.stringify(log.lines);
  expect(text).not.toContain('csecret-value');
  expect(text).not.toContain('ref-1');
});
