/**
 * Regression tests of the hardening review (issue 17): each `describe` names the finding it covers.
 * Every one of them failed on the code before the fix.
 */
import { getEventListeners } from 'node:events';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { PlatformAccessory, PlatformConfig } from 'homebridge';
import nock from 'nock';

import { ProfileAccessories } from '../src/accessories/profile-accessories.js';
import { clampToProps, SERVICE_PROPS } from '../src/accessories/hap-values.js';
import { METRICS, metricByKey } from '../src/metrics/catalog.js';
import { aggregateNights, computeValues } from '../src/metrics/values.js';
import type { SleepSummary } from '../src/metrics/data.js';
import { WithingsPlatform } from '../src/platform/platform.js';
import { GRANT_RESCAN_MS } from '../src/platform/runtime.js';
import { exchangeFailureMessage } from '../src/homebridge-ui/messages.js';
import { LinkService } from '../src/homebridge-ui/link-service.js';
import { WithingsHttp } from '../src/withings/http.js';
import { RequestLimiter } from '../src/withings/limiter.js';
import { exchangeCode } from '../src/withings/oauth.js';
import { MAX_SECRETS, Redactor } from '../src/withings/redact.js';
import { TokenSession } from '../src/withings/session.js';
import { MAX_TOKEN_FILE_BYTES, type TokenRecord, TokenStore } from '../src/withings/token-store.js';
import { num, parseMeasureGroup, parseSleepSegments, parseSleepSummary } from '../src/withings/types.js';
import { FakeClock, settle } from './support/clock.js';
import { createApi, recordingLog, recordingRegistry, roundTrip, type TestApi, watchWarnings } from './support/hap.js';
import { isolateNetwork } from './support/nock.js';

const BASE = 'http://withings.hardening.test';
const SEED = { platform: 'Withings', name: 'Withings', client_id: 'cid', client_secret: 'csecret-value', profiles: ['Alice'] };
const NOW = 1_764_000_000;

let storage: string;
let clock: FakeClock;
const nowS = () => Math.floor(clock.now() / 1000);

function grant(overrides: Partial<TokenRecord> = {}): TokenRecord {
  return {
    version: 1, userid: '363', profile: 'Alice', access_token: 'acc-1', refresh_token: 'ref-1', expires_at: nowS() + 10_800,
    scope: 'user.info,user.metrics,user.activity,user.sleepevents', client_id: 'cid', linked_at: nowS(), updated_at: nowS(), ...overrides,
  };
}

const store = () => new TokenStore(join(storage, 'withings'));
const envelope = (body: unknown) => ({ status: 0, body });
const group = (grpid: number, date: number, measures: unknown[]) => ({ grpid, attrib: 0, date, created: date, modified: date, category: 1, deviceid: 'd', measures });

isolateNetwork();
beforeEach(() => {
  storage = mkdtempSync(join(tmpdir(), 'hb-hardening-'));
  clock = new FakeClock(NOW * 1000);
  process.env.WITHINGS_API_BASE = BASE;
  process.env.WITHINGS_AUTH_BASE = BASE;
});
afterEach(() => {
  nock.cleanAll();
  rmSync(storage, { recursive: true, force: true });
  delete process.env.WITHINGS_API_BASE;
  delete process.env.WITHINGS_AUTH_BASE;
});

/** A platform on real HAP with a fake clock; `shutdown` is fired by `stop`. */
async function startPlatform(config: Record<string, unknown> = SEED, cached: PlatformAccessory[] = []) {
  const api: TestApi = createApi(storage);
  const log = recordingLog();
  const platform = new WithingsPlatform(log, config as PlatformConfig, api, { clock });
  for (const a of cached) {
    platform.configureAccessory(a);
    api.published.set(a.UUID, a);
  }
  api.fire('didFinishLaunching');
  await platform.started;
  await clock.advance(0);
  await settle();
  return {
    api, log,
    lines: (level: string) => log.lines.filter((l) => l.level === level).map((l) => l.text),
    stop: async () => {
      api.fire('shutdown');
      await settle();
    },
  };
}

describe('17.1 no status-file write loop while a profile is unlinked or unreadable', () => {
  const statusFile = () => join(storage, 'withings', '.status.json');
  const inode = () => statSync(statusFile()).ino; // every atomic write is a new inode
  /** The write at start is asynchronous: let it land (bounded; file-system calls under load). */
  const written = async (): Promise<void> => {
    for (let i = 0; i < 50 && !existsSync(statusFile()); i++) {
      await settle();
    }
  };

  test('rescans of an unlinked profile do not rewrite the status file', async () => {
    const p = await startPlatform();
    await written();
    const first = inode();
    for (let i = 0; i < 5; i++) {
      await clock.advance(GRANT_RESCAN_MS);
      await settle();
    }
    expect(inode()).toBe(first);
    await p.stop();
  });

  test('nor do rescans of a profile whose token file is unreadable', async () => {
    await store().write(grant());
    nock(BASE).post('/measure').reply(200, envelope({ updatetime: NOW, measuregrps: [] }));
    nock(BASE).post('/v2/sleep').twice().reply(200, envelope({ series: [] }));
    const p = await startPlatform();
    writeFileSync(join(storage, 'withings', '363.json'), '{ not json');
    await clock.advance(GRANT_RESCAN_MS);
    await settle();
    const state = () => (existsSync(statusFile()) ? JSON.parse(readFileSync(statusFile(), 'utf8')).profiles.Alice?.state : undefined);
    for (let i = 0; i < 50 && state() !== 'needs-relink'; i++) {
      await settle(); // the needs-relink write lands asynchronously
    }
    const afterProblem = inode();
    for (let i = 0; i < 5; i++) {
      await clock.advance(GRANT_RESCAN_MS);
      await settle();
    }
    expect(inode()).toBe(afterProblem);
    expect(JSON.parse(readFileSync(statusFile(), 'utf8')).profiles.Alice.state).toBe('needs-relink');
    await p.stop();
  });

  test('the token watcher only reacts to token files, not the plugin\'s own', async () => {
    const { isTokenFileName } = await import('../src/withings/token-store.js');
    expect(['363.json', 'abc_DEF-1.json'].every(isTokenFileName)).toBe(true);
    expect(['.status.json', '363.json.1234.abcd.tmp', '.363.lock', '363.history.json', '.notify-secret'].some(isTokenFileName)).toBe(false);
  });
});

describe('17.2 one bad date never stops the plugin', () => {
  test('dates past the year 2200 or before 1970 are refused where replies are parsed', () => {
    expect(parseMeasureGroup(group(1, 1e13, [{ type: 1, value: 99999, unit: 0 }]))).toBeUndefined();
    expect(parseMeasureGroup(group(1, -5, [{ type: 1, value: 70, unit: 0 }]))).toBeUndefined();
    expect(parseSleepSummary({ id: 1, startdate: NOW - 100, enddate: 1e13, data: {} })).toBeUndefined();
    expect(parseSleepSegments({ series: [{ startdate: NOW - 60, enddate: 9e12, state: 2 }] })).toEqual([]);
  });

  test('a reading dated more than a day ahead is ignored with one log line; the previous value stays; a restart starts fine', async () => {
    await store().write(grant());
    const good = group(1, NOW - 3600, [{ type: 1, value: 72_000, unit: -3 }]);
    nock(BASE).post('/measure').reply(200, envelope({ updatetime: NOW, measuregrps: [good, group(2, NOW + 3 * 86_400, [{ type: 1, value: 99_999, unit: 0 }])] }));
    nock(BASE).post('/v2/sleep').twice().reply(200, envelope({ series: [] }));
    // Issue 14's calls: activity, goals and devices (empty).
    nock(BASE).post('/v2/measure').reply(200, envelope({ activities: [], more: false, offset: 0 }));
    nock(BASE).post('/v2/user').twice().reply(200, envelope({ goals: [], devices: [] }));
    const p = await startPlatform();
    const weight = (api: TestApi) => [...api.published.values()].flatMap((a) => a.services).find((s) => s.subtype === 'weight_kg')
      ?.getCharacteristic(api.hap.Characteristic.CurrentAmbientLightLevel).value;
    expect(weight(p.api)).toBe(72);
    expect(p.lines('warn')).toEqual([expect.stringContaining('Alice: ignored 1 reading dated more than a day in the future')]);
    const cached = [...p.api.published.values()].map(roundTrip);
    await p.stop();

    nock(BASE).post('/measure').reply(200, envelope({ updatetime: NOW, measuregrps: [good] }));
    nock(BASE).post('/v2/sleep').twice().reply(200, envelope({ series: [] }));
    nock(BASE).post('/v2/measure').reply(200, envelope({ activities: [], more: false, offset: 0 }));
    nock(BASE).post('/v2/user').twice().reply(200, envelope({ goals: [], devices: [] }));
    const again = await startPlatform(SEED, cached);
    expect(again.lines('error')).toEqual([]);
    expect(weight(again.api)).toBe(72);
    await again.stop();
  });

  test('a cached value with an impossible date is dropped on restore, with one log line, never fatal', async () => {
    const api = createApi(storage);
    const registry = recordingRegistry(api);
    const p = new ProfileAccessories(api.hap, registry, { name: 'Alice', displayName: 'Alice' }, METRICS, [], '1.0.0');
    p.bind('363');
    p.apply(new Map([['weight_kg', { value: 72, measuredAt: NOW - 60 }], ['height_m', { value: 1.68, measuredAt: NOW - 60 }]]), NOW, 0);
    const [cached] = p.accessories().map(roundTrip);
    (cached.context as { values: Record<string, unknown> }).values.weight_kg = { value: 99_999, measuredAt: 1e13 };
    (cached.context as { values: Record<string, unknown> }).values.height_m = { value: null, measuredAt: NOW };

    await store().write(grant());
    nock(BASE).post('/measure').reply(500, 'down');
    nock(BASE).post('/v2/sleep').twice().reply(500, 'down');
    const platform = await startPlatform(SEED, [cached]);
    expect(platform.lines('error')).toEqual([]);
    expect(platform.lines('warn')).toContainEqual(expect.stringContaining('Alice: dropped unusable cached values of weight_kg, height_m'));
    expect(JSON.stringify(cached.context)).not.toContain('99999');
    await platform.stop();
  });
});

describe('17.3 no NaN or Infinity reaches HomeKit or the cache', () => {
  test('unit 400 (Infinity), NaN and hex text are refused at the parser', () => {
    const parsed = parseMeasureGroup(group(1, NOW, [{ type: 1, value: 70, unit: 400 }, { type: 6, value: 'NaN', unit: 0 }, { type: 8, value: '0x10', unit: 0 }, { type: 5, value: '55.5', unit: 0 }]));
    expect(parsed?.measures).toEqual([{ type: 5, value: 55.5, unit: 0 }]);
    expect(num('0x10')).toBeUndefined();
    expect(num('Infinity')).toBeUndefined();
    expect(num(' 12 ')).toBe(12);
  });

  test('aggregates that overflow give no value, and HAP never gets NaN', () => {
    const huge = (id: number): SleepSummary => ({ id, startdate: NOW - 30_000, enddate: NOW - 3600, modified: NOW, data: { hr_average: 60, deepsleepduration: Number.MAX_VALUE } });
    const values = computeValues({ groups: [], summaries: [huge(1), huge(2)], segments: [] }, new Map([
      ['sleep_heart_rate_average_bpm', metricByKey('sleep_heart_rate_average_bpm')!.source],
      ['sleep_deep_duration_seconds', metricByKey('sleep_deep_duration_seconds')!.source],
    ]), NOW);
    expect([...values.values()].every((r) => Number.isFinite(r.value))).toBe(true);
    expect(values.has('sleep_deep_duration_seconds')).toBe(false); // the sum is Infinity: no value
    expect(clampToProps(Number.NaN, SERVICE_PROPS.LightSensor)).toBe(0);
  });

  test('200,000 nights do not overflow the stack', () => {
    const nights: SleepSummary[] = Array.from({ length: 200_000 }, (_, i) => ({ id: i, startdate: NOW - 9000, enddate: NOW - 3600, modified: NOW, data: { hr_max: 50 + (i % 30) } }));
    expect(aggregateNights(nights, ['hr_max'], 'max')).toEqual({ value: 79, measuredAt: NOW - 3600 });
  });

  test('a restart after a reply with NaN and Infinity shows the previous sane values and HAP never warns', async () => {
    const hapWarnings = watchWarnings();
    await store().write(grant());
    nock(BASE).post('/measure').reply(200, envelope({ updatetime: NOW, measuregrps: [group(1, NOW - 3600, [{ type: 1, value: 72_000, unit: -3 }])] }));
    nock(BASE).post('/v2/sleep').twice().reply(200, envelope({ series: [] }));
    const p = await startPlatform();
    await p.stop();
    nock(BASE).post('/measure').reply(200, envelope({ updatetime: NOW + 300, measuregrps: [
      group(1, NOW - 3600, [{ type: 1, value: 72_000, unit: -3 }]),
      group(2, NOW - 60, [{ type: 1, value: 70, unit: 400 }, { type: 6, value: 'NaN', unit: 0 }]),
      group(3, 1e13, [{ type: 1, value: 1, unit: 0 }]),
    ] }));
    nock(BASE).post('/v2/sleep').twice().reply(200, envelope({ series: [{ id: 9, startdate: NOW - 9000, enddate: NOW - 3600, data: { hr_average: 'NaN' } }] }));
    const cached = [...p.api.published.values()].map(roundTrip);
    hapWarnings.watch(cached);
    const again = await startPlatform(SEED, cached);
    hapWarnings.watch([...again.api.published.values()]);
    await clock.advance(300_000); // a second sync re-evaluates everything once more
    await settle();
    const weight = [...again.api.published.values()].flatMap((a) => a.services).find((s) => s.subtype === 'weight_kg')!;
    expect(weight.getCharacteristic(again.api.hap.Characteristic.CurrentAmbientLightLevel).value).toBe(72);
    expect(again.lines('error')).toEqual([]);
    expect(hapWarnings.warnings).toEqual([]);
    hapWarnings.stop();
    await again.stop();
  });
});

describe('17.4 one writer protocol for the token file: no interleaving loses a rotation, an unlink or a move', () => {
  const tokenReply = (n: number) => ({ status: 0, body: { userid: 363, access_token: `acc-${n}`, refresh_token: `ref-${n}`, expires_in: 10_800, scope: 'user.metrics', token_type: 'Bearer' } });
  const session = () => new TokenSession('363', store(), new WithingsHttp(), { clientId: 'cid', clientSecret: 'csecret-value' }, clock);
  /** Withings answers the refresh only after `during()` ran: the other process acts while we wait. */
  const refreshWhile = (during: () => Promise<void>) => nock(BASE).post('/v2/oauth2').reply(200, async () => {
    await during();
    return tokenReply(2);
  });

  test('an unlink while a refresh is under way is not undone (the file is not recreated)', async () => {
    await store().write(grant({ expires_at: nowS() - 1 }));
    refreshWhile(() => store().remove('363'));
    await expect(session().accessToken()).rejects.toMatchObject({ problem: 'unlinked' });
    expect(() => statSync(join(storage, 'withings', '363.json'))).toThrow();
  });

  test('a move while a refresh is under way keeps both: the new name and the rotated pair', async () => {
    await store().write(grant({ expires_at: nowS() - 1 }));
    const ui = new LinkService({ storagePath: storage, clock });
    refreshWhile(async () => {
      await ui.move({ from: 'Alice', to: 'Alicia' });
    });
    expect(await session().accessToken()).toBe('acc-2');
    expect(await store().read('363')).toMatchObject({ profile: 'Alicia', access_token: 'acc-2', refresh_token: 'ref-2' });
  });

  test('a move started before a refresh finishes never writes the old refresh token back', async () => {
    await store().write(grant({ expires_at: nowS() - 1 }));
    const ui = new LinkService({ storagePath: storage, clock });
    nock(BASE).post('/v2/oauth2').reply(200, tokenReply(2));
    // Both at once: the lock makes them take turns, whichever goes first.
    await Promise.all([session().accessToken(), ui.move({ from: 'Alice', to: 'Alicia' })]);
    expect(await store().read('363')).toMatchObject({ profile: 'Alicia', refresh_token: 'ref-2' });
  });

  test('a lock left by a process that died is taken over', async () => {
    await store().write(grant());
    writeFileSync(join(storage, 'withings', '.363.lock'), '99999\n');
    const old = new Date(Date.now() - 60_000);
    utimesSync(join(storage, 'withings', '.363.lock'), old, old);
    await store().write(grant({ profile: 'Bob' }));
    expect((await store().read('363')).profile).toBe('Bob');
  });
});

describe('17.7 no secret in messages', () => {
  test('a corrupt token file\'s message does not quote the file', async () => {
    await store().write(grant());
    writeFileSync(join(storage, 'withings', '363.json'), '{"refresh_token": "0123abcd');
    const e = await store().read('363').catch((err: Error) => err);
    expect(String(e)).toContain('invalid JSON');
    expect(String(e)).not.toContain('0123abcd');
    const listed = await store().list();
    expect(listed.problems[0].error).not.toContain('0123abcd');
  });

  test('the redactor masks `access_token: value` and quoted forms of values it was never told', () => {
    const r = new Redactor();
    expect(r.redact('access_token: abc123xyz refresh_token = "zz99yy" \'client_secret\': \'hunter22\''))
      .toBe('access_token: [redacted] refresh_token = "[redacted]" \'client_secret\': \'[redacted]\'');
  });
});

describe('17.8 nothing grows with uptime', () => {
  test('throttled waits leave no abort listener behind', async () => {
    const limiter = new RequestLimiter(clock, 1, 1000);
    const abort = new AbortController();
    for (let i = 0; i < 20; i++) {
      const turn = limiter.acquire(abort.signal);
      await clock.advance(1000);
      await turn;
    }
    expect(getEventListeners(abort.signal, 'abort')).toHaveLength(0);
  });

  test('the redactor remembers a bounded number of secrets, newest kept', () => {
    const r = new Redactor();
    for (let i = 0; i < 3 * MAX_SECRETS; i++) {
      r.add(`token-number-${i}`);
    }
    expect(r.size).toBe(MAX_SECRETS);
    expect(r.redact(`token-number-${3 * MAX_SECRETS - 1}`)).toBe('[redacted]');
  });
});

describe('17.9 "Asleep" is not forgotten across a restart while the cloud is unreachable', () => {
  test('the cached sleep state holds within its 6 h window when the first sync fails', async () => {
    const api = createApi(storage);
    const p = new ProfileAccessories(api.hap, recordingRegistry(api), { name: 'Alice', displayName: 'Alice' }, METRICS, [], '1.0.0');
    p.bind('363');
    p.apply(new Map([['sleep_state', { value: 2, measuredAt: NOW - 600, text: 'deep' }]]), NOW, 0);
    const cached = p.accessories().map(roundTrip);

    await store().write(grant());
    nock(BASE).post('/measure').reply(500, 'down');
    const platform = await startPlatform(SEED, cached);
    const asleep = [...platform.api.published.values()].flatMap((a) => a.services).find((s) => s.subtype === 'sleep_state')!;
    expect(asleep.getCharacteristic(api.hap.Characteristic.OccupancyDetected).value).toBe(1);
    // Once its own window has passed, it is unknown (not asleep), sync or no sync.
    nock(BASE).post('/measure').reply(500, 'down');
    await clock.advance(6 * 3600 * 1000);
    await settle();
    expect(asleep.getCharacteristic(api.hap.Characteristic.OccupancyDetected).value).toBe(0);
    await platform.stop();
  });
});

describe('17.11 smaller findings', () => {
  test('the status file is written through a fresh random temporary file and never follows a symlink', async () => {
    const { writeStatusFile, STATUS_FILE_NAME } = await import('../src/platform/status-file.js');
    const dir = join(storage, 'withings');
    const outside = join(storage, 'outside.txt');
    writeFileSync(outside, 'keep me');
    mkdirSync(dir, { recursive: true });
    // The old temporary name was predictable: a planted symlink there redirected the write.
    for (const planted of [`${STATUS_FILE_NAME}.${process.pid}.tmp`, STATUS_FILE_NAME]) {
      symlinkSync(outside, join(dir, planted));
    }
    await writeStatusFile(dir, { updated_at: NOW, profiles: {} });
    expect(readFileSync(outside, 'utf8')).toBe('keep me');
    expect(JSON.parse(readFileSync(join(dir, STATUS_FILE_NAME), 'utf8'))).toEqual({ updated_at: NOW, profiles: {} });
    expect(lstatSync(join(dir, STATUS_FILE_NAME)).isSymbolicLink()).toBe(false);
  });

  test('token files are read with a size cap', async () => {
    await store().write(grant());
    writeFileSync(join(storage, 'withings', '363.json'), ' '.repeat(MAX_TOKEN_FILE_BYTES + 1));
    await expect(store().read('363')).rejects.toThrow(/bytes, far more than a token file holds/);
  });

  test('a bad userid in a token reply is a clear message, never a path', async () => {
    nock(BASE).post('/v2/oauth2').reply(200, { status: 0, body: { userid: '../../etc', access_token: 'a'.repeat(10), refresh_token: 'r'.repeat(10), expires_in: 10 } });
    const e = await exchangeCode(new WithingsHttp(), { clientId: 'cid', clientSecret: 'sec' }, 'code-123456', 'https://x.example/cb', () => NOW).catch((err: unknown) => err);
    expect(String(e)).toMatch(/invalid userid/);
    expect(exchangeFailureMessage(e, 'https://x.example/cb')).toMatch(/unusable reply/);
  });
});
