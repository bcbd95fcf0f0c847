/**
 * Notifications in the running plugin (in-process, real HAP, Withings answered by nock, time moved
 * by hand): a refused subscription (status 293) is one actionable warning naming the masked URL and
 * polling stays at update_interval; verified subscriptions slow polling to the hourly safety net;
 * appli 50 sets In Bed at once; a notification for a user no profile is linked to changes nothing.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { PlatformConfig } from 'homebridge';
import nock from 'nock';

import { WithingsPlatform } from '../../src/platform/platform.js';
import { TokenStore } from '../../src/withings/token-store.js';
import { FakeClock, settle } from '../support/clock.js';
import { fixture, reply } from '../support/fixtures.js';
import { createApi, recordingLog, type TestApi } from '../support/hap.js';
import { isolateNetwork } from '../support/nock.js';
import { freePort } from '../support/e2e.js';

const BASE = 'http://withings.notify.test';
let storage: string;
let clock: FakeClock;
let api: TestApi;
let log: ReturnType<typeof recordingLog>;
let calls: string[];
let port: number;

const nowS = () => Math.floor(clock.now() / 1000);

async function start(subscribeStatus: number): Promise<WithingsPlatform> {
  await new TokenStore(join(storage, 'withings')).write({
    version: 1, userid: '363', profile: 'Alice', access_token: 'acc-1', refresh_token: 'ref-1', expires_at: nowS() + 10_800,
    scope: 'user.info,user.metrics,user.activity,user.sleepevents', client_id: 'cid', linked_at: nowS(), updated_at: nowS(),
  });
  const body = (raw: unknown): Record<string, string> => (typeof raw === 'string' ? Object.fromEntries(new URLSearchParams(raw)) : raw as Record<string, string>);
  nock(BASE).persist().post('/measure').reply(200, () => {
    calls.push('getmeas');
    return reply({ updatetime: nowS(), timezone: 'Europe/Paris', measuregrps: fixture('home-assistant/measurements.json') });
  });
  nock(BASE).persist().post('/v2/sleep').reply(200, (_u, raw) => {
    calls.push(`sleep ${body(raw).action}`);
    return reply({ series: [], more: false, offset: 0 });
  });
  nock(BASE).persist().post('/notify').reply(200, (_u, raw) => {
    const b = body(raw);
    calls.push(`notify ${b.action}${b.appli ? ` ${b.appli}` : ''}`);
    if (b.action === 'list') {
      return reply({ profiles: fixture('home-assistant/notifications.json') }); // Home Assistant's: foreign
    }
    return subscribeStatus === 0 ? reply({}) : { status: subscribeStatus, error: 'The callback URL is either unknown or invalid' };
  });
  api = createApi(storage);
  log = recordingLog();
  const platform = new WithingsPlatform(log, {
    platform: 'Withings', client_id: 'cid', client_secret: 'csecret-value', profiles: ['Alice'],
    notifications: { url: 'https://homebridge.example.com/withings', port, host: '127.0.0.1' },
  } as PlatformConfig, api, { clock });
  api.fire('didFinishLaunching');
  await platform.started;
  return platform;
}

/** Fake time forward in steps, with real time in between for the loopback listener and file writes. */
async function advance(ms: number, stepMs = 1_000): Promise<void> {
  for (let t = 0; t < ms; t += stepMs) {
    await clock.advance(stepMs);
    await new Promise((r) => setTimeout(r, 2));
    await settle();
  }
}

function post(path: string, text: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path, headers: { 'content-type': 'application/x-www-form-urlencoded' } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end(text);
  });
}

const secret = () => readFileSync(join(storage, 'withings', '.notify-secret'), 'utf8').trim();
const status = () => JSON.parse(readFileSync(join(storage, 'withings', '.status.json'), 'utf8')).profiles.Alice;
const inBed = () => {
  for (const a of api.published.values()) {
    const s = a.services.find((x) => x.subtype === 'in_bed');
    if (s) {
      return s.getCharacteristic(api.hap.Characteristic.OccupancyDetected).value;
    }
  }
  return undefined;
};

isolateNetwork();
beforeEach(async () => {
  storage = mkdtempSync(join(tmpdir(), 'hb-notify-'));
  clock = new FakeClock();
  calls = [];
  port = await freePort();
  nock.enableNetConnect('127.0.0.1'); // the plugin's own listener only; Withings stays nock
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

test('refused (status 293): one warning naming the masked URL, status failing with what to do, polling stays at update_interval', async () => {
  await start(293);
  await advance(20_000);
  const warnings = log.lines.filter((l) => l.level === 'warn').map((l) => l.text);
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toContain('Alice: notifications do not work (Withings refused the callback URL https://homebridge.example.com/withings/');
  expect(warnings[0]).toContain('…');
  expect(warnings[0]).not.toContain(secret());
  expect(status().notifications).toMatchObject({ state: 'failing', reason: expect.stringContaining('status 293'), action: expect.stringContaining('curl -I') });
  // Foreign subscriptions (Home Assistant's 50/51) were left alone: list, then the first subscribe only.
  expect(calls.filter((c) => c.startsWith('notify'))).toEqual(['notify list', 'notify subscribe 1']);
  // update_interval (300 s) polling continues: the next sync within 5 minutes.
  const syncs = calls.filter((c) => c === 'getmeas').length;
  await advance(300_000, 10_000);
  expect(calls.filter((c) => c === 'getmeas').length).toBe(syncs + 1);
});

test('verified: every needed appli subscribed 5 s apart, one info line, hourly safety poll; In Bed from appli 50 at once; unknown users and forged paths change nothing', async () => {
  await start(0);
  await advance(40_000);
  expect(calls.filter((c) => c.startsWith('notify'))).toEqual(['notify list', ...[1, 2, 4, 44, 50, 51].map((a) => `notify subscribe ${a}`)]);
  const infos = log.lines.filter((l) => l.level === 'info' && /notifications active/.test(l.text));
  expect(infos).toHaveLength(1);
  expect(infos[0].text).toContain('polling every 60 min as a safety net');
  expect(status().notifications).toMatchObject({ state: 'active', applis: [1, 2, 4, 44, 50, 51] });

  // No poll within the hour now.
  const syncs = calls.filter((c) => c === 'getmeas').length;
  await advance(1_800_000, 60_000);
  expect(calls.filter((c) => c === 'getmeas').length).toBe(syncs);

  expect(await post(`/withings/${secret()}`, 'userid=999&appli=50')).toBe(200);
  expect(await post('/withings/forged', 'userid=363&appli=50')).toBe(404);
  await advance(2_000);
  expect(inBed()).toBeUndefined();

  expect(await post(`/withings/${secret()}`, `userid=363&appli=50&date=${nowS() - 5}`)).toBe(200);
  await advance(1_000, 100);
  expect(inBed()).toBe(1);
  expect(status().notifications).toMatchObject({ last_appli: 50, last_received: expect.any(Number) });

  // A data notification: one sync soon, a burst coalesced into it.
  const before = calls.filter((c) => c === 'getmeas').length;
  for (let i = 0; i < 3; i++) {
    expect(await post(`/withings/${secret()}`, 'userid=363&appli=1')).toBe(200);
  }
  await advance(5_000, 250);
  expect(calls.filter((c) => c === 'getmeas').length).toBe(before + 1);
});
