/**
 * Matter: the pure mapping to Matter units, and the guards: nothing Matter-related runs with
 * `matter` off or on Homebridge 1.x, and the HAP accessories are the same either way.
 * (The real-controller check is described in the README's Matter section.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { MatterAccessory, PlatformAccessory, PlatformConfig } from 'homebridge';
import nock from 'nock';

import { METRICS, metricByKey } from '../../src/metrics/catalog.js';
import { matterState } from '../../src/accessories/features/matter.js';
import { WithingsPlatform } from '../../src/platform/platform.js';
import { TokenStore } from '../../src/withings/token-store.js';
import { FakeClock, settle } from '../support/clock.js';
import { createApi, recordingLog, type TestApi } from '../support/hap.js';
import { isolateNetwork } from '../support/nock.js';

const NOW = 1_795_000_000;
const m = (key: string) => metricByKey(key)!;

describe('matterState: Matter units from the same readings', () => {
  test('temperature in 0.01 °C, percentages in 0.01 %, sleep_state as occupancy; unknown is null, not 0', () => {
    expect(matterState(m('body_temperature_c'), { value: 36.65, measuredAt: NOW }, NOW)).toEqual({ cluster: 'temperatureMeasurement', attributes: { measuredValue: 3665 } });
    expect(matterState(m('spo2_pct'), { value: 97.5, measuredAt: NOW }, NOW)).toEqual({ cluster: 'relativeHumidityMeasurement', attributes: { measuredValue: 9750 } });
    expect(matterState(m('fat_ratio_pct'), { value: 18.457, measuredAt: NOW }, NOW)?.attributes.measuredValue).toBe(1846);
    expect(matterState(m('sleep_state'), { value: 2, measuredAt: NOW - 60, text: 'deep' }, NOW)).toEqual({ cluster: 'occupancySensing', attributes: { occupancy: { occupied: true } } });
    expect(matterState(m('sleep_state'), { value: 0, measuredAt: NOW - 60, text: 'awake' }, NOW)?.attributes).toEqual({ occupancy: { occupied: false } });
    expect(matterState(m('sleep_state'), { value: 2, measuredAt: NOW - 7 * 3600, text: 'deep' }, NOW)?.attributes).toEqual({ occupancy: { occupied: false } });
    expect(matterState(m('body_temperature_c'), undefined, NOW)?.attributes).toEqual({ measuredValue: null });
    expect(matterState(m('spo2_pct'), { value: 140, measuredAt: NOW }, NOW)?.attributes.measuredValue).toBe(10_000);
  });

  test('only temperatures, percentages, sleep_state and in_bed have a Matter form', () => {
    expect(METRICS.filter((x) => x.matter).map((x) => x.key)).toEqual(['temperature_c', 'body_temperature_c', 'skin_temperature_c', 'fat_ratio_pct', 'spo2_pct', 'sleep_state', 'in_bed']);
    // In bed: occupied from the in-bed event until the out-of-bed one, however long ago.
    expect(matterState(m('in_bed'), { value: 1, measuredAt: NOW - 9 * 3600, text: 'in bed' }, NOW)?.attributes).toEqual({ occupancy: { occupied: true } });
    expect(matterState(m('in_bed'), { value: 0, measuredAt: NOW - 60, text: 'out of bed' }, NOW)?.attributes).toEqual({ occupancy: { occupied: false } });
    for (const x of METRICS.filter((y) => !y.matter)) {
      expect(matterState(x, { value: 1, measuredAt: NOW }, NOW)).toBeUndefined();
    }
  });
});

describe('the platform with and without Matter', () => {
  const BASE = 'http://withings.matter.test';
  const CONFIG = { platform: 'Withings', client_id: 'cid', client_secret: 'secret', profiles: ['Alice'] };
  const GROUPS = [{
    grpid: 1, attrib: 0, date: NOW - 3600, created: NOW - 3500, modified: NOW - 3500, category: 1, deviceid: null,
    measures: [{ type: 71, value: 3665, unit: -2 }, { type: 54, value: 97, unit: 0 }, { type: 1, value: 70500, unit: -3 }],
  }];

  let storage: string;
  let clock: FakeClock;

  /** A fake of api.matter that records calls (deviceTypes with the `.with()` shape of matter.js). */
  function fakeMatter() {
    const calls: string[] = [];
    const type = (name: string) => {
      const t = { name, with: (..._: unknown[]) => type(`${name}+`), requirements: { OccupancySensingServer: { with: () => 'occupancy-server' } } };
      return t;
    };
    const api = {
      uuid: { generate: (s: string) => `uuid(${s})` },
      deviceTypes: { TemperatureSensor: type('TemperatureSensor'), HumiditySensor: type('HumiditySensor'), MotionSensor: type('MotionSensor') },
      registerPlatformAccessories: async (_p: string, _q: string, list: MatterAccessory[]) => {
        list.forEach((a) => calls.push(`register ${a.displayName} ${(a.deviceType as unknown as { name: string }).name} ${JSON.stringify(a.clusters)}`));
      },
      updateAccessoryState: async (uuid: string, cluster: string, attrs: unknown) => {
        calls.push(`update ${uuid} ${cluster} ${JSON.stringify(attrs)}`);
      },
      unregisterPlatformAccessories: async (_p: string, _q: string, list: MatterAccessory[]) => {
        list.forEach((a) => calls.push(`unregister ${a.UUID}`));
      },
    };
    return { api, calls };
  }

  async function run(config: Record<string, unknown>, shape: 'hb1' | 'hb2-off' | 'hb2-on', cachedMatter: MatterAccessory[] = []) {
    const api: TestApi = createApi(storage);
    const matter = fakeMatter();
    let matterTouched = false;
    const target = api as unknown as Record<string, unknown>;
    if (shape === 'hb1') {
      delete target.isMatterEnabled;
      delete target.isMatterAvailable;
    } else {
      target.isMatterAvailable = () => true;
      target.isMatterEnabled = () => shape === 'hb2-on';
    }
    Object.defineProperty(target, 'matter', {
      get: () => {
        matterTouched = true;
        return shape === 'hb2-on' ? matter.api : undefined;
      },
    });
    nock(BASE).post('/measure').reply(200, { status: 0, body: { updatetime: NOW, timezone: 'Europe/Paris', measuregrps: GROUPS } });
    nock(BASE).post('/v2/sleep').twice().reply(200, { status: 0, body: { series: [] } });
    const log = recordingLog();
    const platform = new WithingsPlatform(log, config as PlatformConfig, api, { clock });
    cachedMatter.forEach((a) => platform.configureMatterAccessory(a));
    api.fire('didFinishLaunching');
    await platform.started;
    await clock.advance(0);
    await settle();
    api.fire('shutdown');
    return { api, matter, matterTouched, log, hap: [...api.published.values()] };
  }

  /** The HAP accessories as Homebridge would cache them (compared byte for byte). */
  const hapBytes = (list: PlatformAccessory[]) => JSON.stringify(list.map((a) => ({
    uuid: a.UUID, name: a.displayName, context: a.context,
    services: a.services.map((s) => ({ type: s.UUID, sub: s.subtype, chars: s.characteristics.map((c) => [c.UUID, c.value, c.props]) })),
  })));

  isolateNetwork();
  beforeEach(async () => {
    storage = mkdtempSync(join(tmpdir(), 'hb-matter-'));
    clock = new FakeClock(NOW * 1000);
    process.env.WITHINGS_API_BASE = BASE;
    await new TokenStore(join(storage, 'withings')).write({
      version: 1, userid: '1001', profile: 'Alice', access_token: 'a', refresh_token: 'r', expires_at: NOW + 10_800,
      scope: 'user.metrics,user.activity', client_id: 'cid', linked_at: NOW, updated_at: NOW,
    });
  });
  afterEach(() => {
    rmSync(storage, { recursive: true, force: true });
    delete process.env.WITHINGS_API_BASE;
  });

  test('matter off, or Homebridge 1.x: api.matter is never touched, nothing is logged about it, HAP is byte-for-byte the same', async () => {
    const off = await run(CONFIG, 'hb2-on');
    expect(off.matterTouched).toBe(false);
    expect(off.matter.calls).toEqual([]);

    const hb1 = await run({ ...CONFIG, matter: true }, 'hb1');
    expect(hb1.matter.calls).toEqual([]);
    expect(hb1.log.lines.filter((l) => l.level !== 'debug' && /matter/i.test(l.text))).toEqual([]);

    const on = await run({ ...CONFIG, matter: true }, 'hb2-on');
    expect(on.hap.length).toBeGreaterThan(0);
    expect(hapBytes(on.hap)).toBe(hapBytes(off.hap));
    expect(hapBytes(hb1.hap)).toBe(hapBytes(off.hap));
  });

  test('matter on: body temperature and SpO2 become Matter sensors (values ×100), weight stays HAP-only', async () => {
    const on = await run({ ...CONFIG, matter: true }, 'hb2-on');
    const registered = on.matter.calls.filter((c) => c.startsWith('register'));
    expect(registered).toEqual([
      expect.stringMatching(/^register Alice Body Temperature TemperatureSensor .*"measuredValue":3665/),
      expect.stringMatching(/^register Alice SpO2 HumiditySensor .*"measuredValue":9700/),
    ]);
    expect(on.matter.calls).toContain('update uuid(homebridge-withings:matter:1001:body_temperature_c) temperatureMeasurement {"measuredValue":3665}');
    expect(on.matter.calls.some((c) => c.includes('weight'))).toBe(false);
  });

  test('matter on but not enabled for the bridge: one warning, nothing registered', async () => {
    const r = await run({ ...CONFIG, matter: true }, 'hb2-off');
    expect(r.matter.calls).toEqual([]);
    expect(r.log.lines.filter((l) => l.level === 'warn' && /Matter is not enabled for this bridge/.test(l.text))).toHaveLength(1);
  });

  test('matter turned off: the endpoints it left behind are removed', async () => {
    const cached = { UUID: 'uuid-old', displayName: 'x', context: { profile: 'Alice', userid: '1001', key: 'spo2_pct' } } as unknown as MatterAccessory;
    const r = await run(CONFIG, 'hb2-on', [cached]);
    expect(r.matter.calls).toEqual(['unregister uuid-old']);
  });

  test('cached Matter endpoints nobody wants any more are unregistered', async () => {
    const cached = (key: string, userid = '1001', profile = 'Alice') => ({ UUID: `uuid-${profile}-${userid}-${key}`, displayName: key, context: { profile, userid, key } }) as unknown as MatterAccessory;
    const r = await run({ ...CONFIG, matter: true, measurements: ['spo2_pct', 'weight_kg'] }, 'hb2-on', [
      cached('spo2_pct'), cached('body_temperature_c'), cached('spo2_pct', '2002', 'Bob'), cached('spo2_pct', '9999'),
    ]);
    expect(r.matter.calls.filter((c) => c.startsWith('unregister')).sort()).toEqual([
      'unregister uuid-Alice-1001-body_temperature_c', // deselected
      'unregister uuid-Alice-9999-spo2_pct', // the profile now shows another Withings user
      'unregister uuid-Bob-2002-spo2_pct', // profile removed
    ]);
  });
});
