/**
 * The HomeKit side, built on the real HAP-NodeJS of the `homebridge` devDependency: services per
 * metric, props that accept every real value, names HomeKit accepts, values restored after a
 * restart, health shown through StatusActive / StatusFault.
 */
import type { API, Service } from 'homebridge';

import { LAST_SEEN_UUID, MEASURED_AT_UUID, METRIC_KEYS, METRICS, metricByKey } from '../../src/metrics/catalog.js';
import { isValidHomeKitName, profileDisplayName } from '../../src/accessories/names.js';
import type { GroupContext } from '../../src/accessories/group-accessory.js';
import { ProfileAccessories } from '../../src/accessories/profile-accessories.js';
import type { Reading } from '../../src/metrics/values.js';
import { createApi, recordingRegistry, type RecordingRegistry, roundTrip, valueOf, watchWarnings } from '../support/hap.js';

const NOW = 1_795_000_000;
const at = (value: number, ago = 600, text?: string): Reading => ({ value, measuredAt: NOW - ago, ...(text ? { text } : {}) });

let api: API;
let registry: RecordingRegistry;
let warnings: ReturnType<typeof watchWarnings>;

beforeEach(() => {
  api = createApi();
  registry = recordingRegistry(api);
  warnings = watchWarnings();
});
afterEach(() => warnings.stop());

function profile(name = 'Alice', metrics = METRICS) {
  const p = new ProfileAccessories(api.hap, registry, { name, displayName: profileDisplayName(name, 0) }, metrics, [], '1.2.3');
  p.bind('12345');
  return p;
}

function serviceOf(p: ProfileAccessories, key: string): Service | undefined {
  for (const g of p.groupAccessories()) {
    const s = g.service(metricByKey(key)!);
    if (s) {return s;}
  }
  return undefined;
}

const C = () => api.hap.Characteristic;

describe('the metric catalog', () => {
  test('covers the 30 seed keys, the 30 keys of issue 14 and in_bed exactly once, each with its own fixed custom UUID', () => {
    expect(METRICS.map((m) => m.key)).toEqual(METRIC_KEYS);
    expect(new Set(METRIC_KEYS).size).toBe(61);
    const uuids = METRICS.map((m) => m.uuid);
    expect(new Set([...uuids, MEASURED_AT_UUID, LAST_SEEN_UUID]).size).toBe(63);
    expect(metricByKey('in_bed')!.uuid).toBe('2B2900B0-25B4-4CDE-A742-8509B937C2A3');
    // Numbered in order: new rows continue the numbering, none was renumbered (in_bed has its own block).
    const numbered = METRICS.filter((m) => m.key !== 'in_bed').map((m) => m.uuid);
    expect(numbered).toEqual(numbered.map((_, i) => `2B29${(i + 1).toString(16).toUpperCase().padStart(4, '0')}-25B4-4CDE-A742-8509B937C2A3`));
    for (const u of uuids) {expect(u).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/);}
    // Pinned: a published UUID must never change.
    expect(metricByKey('weight_kg')!.uuid).toBe('2B290001-25B4-4CDE-A742-8509B937C2A3');
    expect(metricByKey('sleep_respiratory_min_bpm')!.uuid).toBe('2B29001E-25B4-4CDE-A742-8509B937C2A3');
    expect(metricByKey('steps_today')!.uuid).toBe('2B29001F-25B4-4CDE-A742-8509B937C2A3');
    expect(metricByKey('weight_goal_kg')!.uuid).toBe('2B29003C-25B4-4CDE-A742-8509B937C2A3');
    expect(LAST_SEEN_UUID).toBe('2B290101-25B4-4CDE-A742-8509B937C2A3');
  });

  test('temperatures are temperature sensors, percentages humidity sensors, sleep_state and in_bed occupancy sensors, the rest light sensors', () => {
    for (const m of METRICS) {
      const expected = m.unit === '°C' ? 'TemperatureSensor' : m.unit === '%' ? 'HumiditySensor' : m.key === 'sleep_state' || m.key === 'in_bed' ? 'OccupancySensor' : 'LightSensor';
      expect([m.key, m.homekit]).toEqual([m.key, expected]);
    }
  });
});

describe('services', () => {
  test('only metrics with data get a service, grouped in Body / Heart / Temperature / Sleep accessories', () => {
    const p = profile();
    p.apply(new Map([['weight_kg', at(72.5)], ['spo2_pct', at(97)], ['sleep_state', at(2, 60, 'deep')]]), NOW, 3_600_000);
    expect([...registry.registered.values()].map((a) => a.displayName).sort()).toEqual(['Alice Body', 'Alice Heart', 'Alice Sleep']);
    expect(serviceOf(p, 'weight_kg')).toBeDefined();
    expect(serviceOf(p, 'fat_ratio_pct')).toBeUndefined();
    const body = p.groupAccessories().find((g) => g.group === 'body')!;
    expect(body.accessory.UUID).toBe(api.hap.uuid.generate('homebridge-withings:12345:body'));
    expect(body.accessory.services.filter((s) => s.UUID === api.hap.Service.LightSensor.UUID)).toHaveLength(1);
    warnings.watch(p.accessories());
    expect(warnings.warnings).toEqual([]);
  });

  test('values: what Apple Home shows, the exact value, and when it was measured', () => {
    const p = profile();
    p.apply(new Map([['weight_kg', at(72.55)], ['fat_ratio_pct', at(18.457)], ['body_temperature_c', at(36.65)], ['sleep_state', at(2, 60, 'deep')]]), NOW, 3_600_000);
    const weight = serviceOf(p, 'weight_kg')!;
    expect(weight.getCharacteristic(C().CurrentAmbientLightLevel).value).toBe(72.55);
    expect(valueOf(weight, metricByKey('weight_kg')!.uuid)).toBe(72.55);
    expect(valueOf(weight, MEASURED_AT_UUID)).toBe(new Date((NOW - 600) * 1000 + 3_600_000).toISOString().slice(0, 19) + '+01:00');
    expect(weight.getCharacteristic(C().Name).value).toBe('Alice Weight');
    expect(weight.getCharacteristic(C().ConfiguredName).value).toBe('Alice Weight');
    expect(weight.getCharacteristic(C().StatusActive).value).toBe(true);
    expect(weight.getCharacteristic(C().StatusFault).value).toBe(0);
    expect(serviceOf(p, 'fat_ratio_pct')!.getCharacteristic(C().CurrentRelativeHumidity).value).toBe(18.457);
    expect(valueOf(serviceOf(p, 'fat_ratio_pct'), metricByKey('fat_ratio_pct')!.uuid)).toBe(18.457);
    expect(serviceOf(p, 'body_temperature_c')!.getCharacteristic(C().CurrentTemperature).value).toBe(36.65);
    const sleep = serviceOf(p, 'sleep_state')!;
    expect(sleep.getCharacteristic(C().OccupancyDetected).value).toBe(1);
    expect(valueOf(sleep, metricByKey('sleep_state')!.uuid)).toBe('deep');
  });

  test('height: the light sensor shows centimetres (168 lux, not "2 lux"), the exact value stays in metres', () => {
    const p = profile();
    p.apply(new Map([['height_m', at(1.68)]]), NOW, 0);
    const height = serviceOf(p, 'height_m')!;
    expect(height.getCharacteristic(C().CurrentAmbientLightLevel).value).toBe(168);
    expect(valueOf(height, metricByKey('height_m')!.uuid)).toBe(1.68);
  });

  test('props accept real extremes without a single HAP warning: 0 s of REM, 250 kg, 35 °C, SpO2 100 %, 0 wake-ups', () => {
    const p = profile();
    p.apply(new Map([
      ['sleep_rem_duration_seconds', at(0)], ['weight_kg', at(250)], ['body_temperature_c', at(35)], ['spo2_pct', at(100)],
      ['sleep_wakeup_count', at(0)], ['sleep_light_duration_seconds', at(86_400 * 1.1)], ['height_m', at(0.5)], ['skin_temperature_c', at(-5)],
    ]), NOW, 0);
    warnings.watch(p.accessories());
    p.apply(new Map([['sleep_rem_duration_seconds', at(0, 1)], ['weight_kg', at(250.123, 1)], ['spo2_pct', at(100, 1)]]), NOW, 0);
    expect(serviceOf(p, 'sleep_rem_duration_seconds')!.getCharacteristic(C().CurrentAmbientLightLevel).value).toBe(0);
    expect(serviceOf(p, 'weight_kg')!.getCharacteristic(C().CurrentAmbientLightLevel).value).toBe(250.123);
    expect(serviceOf(p, 'spo2_pct')!.getCharacteristic(C().CurrentRelativeHumidity).value).toBe(100);
    expect(warnings.warnings).toEqual([]);
  });

  test('(the warning watcher itself sees what HAP complains about)', () => {
    const p = profile();
    p.apply(new Map([['weight_kg', at(70)]]), NOW, 0);
    warnings.watch(p.accessories());
    serviceOf(p, 'weight_kg')!.getCharacteristic(C().CurrentAmbientLightLevel).updateValue(-5);
    expect(warnings.warnings).toContainEqual(expect.stringContaining('exceeded minimum'));
  });

  test('user-supplied names are sanitised for HomeKit ("Chloé 👶", "Chris\'")', () => {
    for (const [raw, shown] of [['Chloé 👶', 'Chloé'], ["Chris'", 'Chris']]) {
      const p = new ProfileAccessories(api.hap, registry, { name: raw, displayName: profileDisplayName(raw, 0) }, METRICS, [], '1.0.0');
      p.bind(`u-${shown}`);
      p.apply(new Map([['weight_kg', at(70)]]), NOW, 0);
      const acc = p.accessories()[0];
      expect(acc.displayName).toBe(`${shown} Body`);
      const names = acc.services.flatMap((s) => s.characteristics.filter((c) => c.UUID === C().Name.UUID || c.UUID === C().ConfiguredName.UUID).map((c) => String(c.value)));
      expect(names.length).toBeGreaterThan(1);
      for (const n of names) {expect(isValidHomeKitName(n)).toBe(true);}
      expect((acc.context as GroupContext).profile).toBe(raw);
    }
    expect(warnings.warnings.filter((w) => w.includes('HAP-NodeJS WARNING'))).toEqual([]);
  });

  test('a rename in the Home app (ConfiguredName) is kept', () => {
    const p = profile();
    p.apply(new Map([['weight_kg', at(70)]]), NOW, 0);
    serviceOf(p, 'weight_kg')!.getCharacteristic(C().ConfiguredName).updateValue('Mum\'s weight');
    p.apply(new Map([['weight_kg', at(71, 1)]]), NOW, 0);
    expect(serviceOf(p, 'weight_kg')!.getCharacteristic(C().ConfiguredName).value).toBe('Mum\'s weight');
  });

  test('values are pushed only when they change', () => {
    const p = profile();
    p.apply(new Map([['weight_kg', at(70)]]), NOW, 0);
    const events: unknown[] = [];
    serviceOf(p, 'weight_kg')!.getCharacteristic(C().CurrentAmbientLightLevel).on('change', (e) => events.push(e.newValue));
    expect(p.apply(new Map([['weight_kg', at(70)]]), NOW + 300, 0)).toEqual([]);
    expect(events).toEqual([]);
    expect(p.apply(new Map([['weight_kg', at(69.8, 0)]]), NOW + 600, 0).map((m) => m.key)).toEqual(['weight_kg']);
    expect(events).toEqual([69.8]);
  });

  test('a metric that appears later gets its service at that sync; a deselected one is removed after a restart', () => {
    const p = profile();
    p.apply(new Map([['weight_kg', at(70)]]), NOW, 0);
    expect(serviceOf(p, 'fat_mass_kg')).toBeUndefined();
    p.apply(new Map([['weight_kg', at(70)], ['fat_mass_kg', at(12)]]), NOW, 0);
    expect(serviceOf(p, 'fat_mass_kg')).toBeDefined();

    const cached = roundTrip(p.accessories()[0]);
    const onlyWeight = METRICS.filter((m) => m.key === 'weight_kg');
    const restarted = new ProfileAccessories(api.hap, registry, { name: 'Alice', displayName: 'Alice' }, onlyWeight, [], '1.0.0');
    restarted.adopt(cached, NOW, 0);
    expect(cached.services.some((s) => s.subtype === 'fat_mass_kg')).toBe(false);
    expect((cached.context as GroupContext).values.fat_mass_kg).toBeUndefined();
  });
});

describe('restarts', () => {
  test('a restart shows the last values at once, before any sync', () => {
    const p = profile();
    p.apply(new Map([['weight_kg', at(72.5)], ['heart_pulse_bpm', at(61)], ['sleep_state', at(1, 60, 'light')]]), NOW, 0);
    const cached = p.accessories().map(roundTrip);
    const afterRestart = new ProfileAccessories(api.hap, recordingRegistry(api), { name: 'Alice', displayName: 'Alice' }, METRICS, [], '1.0.0');
    for (const a of cached) {afterRestart.adopt(a, NOW + 120, 0);}
    expect(serviceOf(afterRestart, 'weight_kg')!.getCharacteristic(C().CurrentAmbientLightLevel).value).toBe(72.5);
    expect(serviceOf(afterRestart, 'heart_pulse_bpm')!.getCharacteristic(C().CurrentAmbientLightLevel).value).toBe(61);
    expect(serviceOf(afterRestart, 'sleep_state')!.getCharacteristic(C().OccupancyDetected).value).toBe(1);
    expect(serviceOf(afterRestart, 'weight_kg')!.getCharacteristic(C().StatusActive).value).toBe(true);
    expect(afterRestart.linkedUserid).toBe('12345');
    // The context holds values and names, never a token.
    expect(JSON.stringify(cached.map((a) => a.context))).not.toMatch(/token/i);
  });

  test('an asleep state older than 6 hours is not shown as asleep after a restart', () => {
    const p = profile();
    p.apply(new Map([['sleep_state', at(2, 60, 'deep')]]), NOW, 0);
    const cached = roundTrip(p.accessories()[0]);
    const later = new ProfileAccessories(api.hap, recordingRegistry(api), { name: 'Alice', displayName: 'Alice' }, METRICS, [], '1.0.0');
    later.adopt(cached, NOW + 7 * 3600, 0);
    const s = serviceOf(later, 'sleep_state')!;
    expect(s.getCharacteristic(C().OccupancyDetected).value).toBe(0);
    expect(valueOf(s, metricByKey('sleep_state')!.uuid)).toBe('unknown');
  });

  test('re-linked to another Withings user: the old user\'s accessories are removed', () => {
    const p = profile();
    p.apply(new Map([['weight_kg', at(70)]]), NOW, 0);
    p.bind('99999');
    expect(registry.ops).toContain('unregister Alice Body');
    p.apply(new Map([['weight_kg', at(60)]]), NOW, 0);
    expect([...registry.registered.values()][0].UUID).toBe(api.hap.uuid.generate('homebridge-withings:99999:body'));
  });
});

describe('health', () => {
  test('a failing sync marks StatusActive false and keeps the values; recovery sets it back', () => {
    const p = profile();
    p.apply(new Map([['weight_kg', at(70)], ['spo2_pct', at(96)]]), NOW, 0);
    p.setHealth('stale');
    const w = serviceOf(p, 'weight_kg')!;
    expect(w.getCharacteristic(C().StatusActive).value).toBe(false);
    expect(w.getCharacteristic(C().StatusFault).value).toBe(0);
    expect(w.getCharacteristic(C().CurrentAmbientLightLevel).value).toBe(70);
    p.setHealth('ok');
    expect(w.getCharacteristic(C().StatusActive).value).toBe(true);
  });

  test('a lost grant sets StatusFault on every service', () => {
    const p = profile();
    p.apply(new Map([['weight_kg', at(70)], ['spo2_pct', at(96)]]), NOW, 0);
    p.setHealth('fault');
    for (const key of ['weight_kg', 'spo2_pct']) {
      expect(serviceOf(p, key)!.getCharacteristic(C().StatusFault).value).toBe(1);
    }
    expect(serviceOf(p, 'weight_kg')!.getCharacteristic(C().CurrentAmbientLightLevel).value).toBe(70);
  });

  test('a sleep value with no night in the window keeps the last value, shown as not active', () => {
    const p = profile();
    p.apply(new Map([['sleep_deep_duration_seconds', at(5400)]]), NOW, 0);
    p.apply(new Map(), NOW + 86_400, 0);
    const s = serviceOf(p, 'sleep_deep_duration_seconds')!;
    expect(s.getCharacteristic(C().CurrentAmbientLightLevel).value).toBe(5400);
    expect(s.getCharacteristic(C().StatusActive).value).toBe(false);
  });
});
