/**
 * Automations: "new reading" buttons (one press per new reading, none for history or after a
 * restart) and threshold alert sensors, on real HAP.
 */
import { jest } from '@jest/globals';
import type { API, Service } from 'homebridge';

import { AlertSensors, isAlerting } from '../../src/accessories/features/alerts.js';
import { METRICS, metricByKey } from '../../src/metrics/catalog.js';
import { ProfileAccessories } from '../../src/accessories/profile-accessories.js';
import { baselineOf, newReadings, ReadingEvents, READING_KINDS, selectedKinds } from '../../src/accessories/features/reading-events.js';
import { parseConfig } from '../../src/platform/config.js';
import type { MeasureGroup, SleepSummary } from '../../src/metrics/data.js';
import type { Reading } from '../../src/metrics/values.js';
import { createApi, recordingRegistry, roundTrip } from '../support/hap.js';

const NOW = 1_795_000_000;
let api: API;

const weighIn = (grpid: number, created: number, weight = 70, extra: Partial<MeasureGroup> = {}): MeasureGroup => ({
  grpid, attrib: 0, date: created - 60, created, modified: created, category: 1, deviceid: 'd', measures: [{ type: 1, value: weight * 1000, unit: -3 }], ...extra,
});
const bp = (grpid: number, created: number): MeasureGroup => ({
  grpid, attrib: 0, date: created - 30, created, modified: created, category: 1, deviceid: 'b', measures: [{ type: 10, value: 120, unit: 0 }, { type: 9, value: 80, unit: 0 }],
});
const night = (id: number, enddate: number): SleepSummary => ({ id, startdate: enddate - 28_800, enddate, modified: enddate + 600, data: { deepsleepduration: 3600 } });

function setup(metrics = METRICS, enabled = true) {
  const registry = recordingRegistry(api);
  const events = new ReadingEvents(api.hap, metrics, enabled);
  const accessories = new ProfileAccessories(api.hap, registry, { name: 'Alice', displayName: 'Alice' }, metrics, [events], '1.0.0');
  accessories.bind('1001');
  return { registry, events, accessories };
}

/** One sync: values first (as the controller does), then the reading events. Returns presses per button. */
function sync(s: ReturnType<typeof setup>, groups: MeasureGroup[], summaries: SleepSummary[], now: number, values: Map<string, Reading> = new Map([['weight_kg', { value: 70, measuredAt: now }]])) {
  s.accessories.apply(values, now, 0);
  const presses: Record<string, number> = {};
  // Every event sent during the announcement, whichever button sent it: a button created during
  // this sync (the first reading of its kind) is counted too.
  const sent: unknown[] = [];
  const spy = jest.spyOn(api.hap.Characteristic.prototype, 'sendEventNotification').mockImplementation(function (this: unknown) {
    sent.push(this);
    return this as never;
  });
  let result;
  try {
    result = s.events.announce({ groups, summaries }, s.accessories.groupAccessories(), now);
  } finally {
    spy.mockRestore();
  }
  const services = s.accessories.groupAccessories().flatMap((g) => g.accessory.services);
  for (const c of sent) {
    const service = services.find((x) => x.characteristics.includes(c as never));
    const name = String(service?.getCharacteristic(api.hap.Characteristic.Name).value);
    presses[name] = (presses[name] ?? 0) + 1;
  }
  return { presses, result };
}

const button = (s: ReturnType<typeof setup>, label: string): Service | undefined =>
  s.accessories.groupAccessories().flatMap((g) => g.accessory.services).find((x) => x.getCharacteristic(api.hap.Characteristic.Name).value === `Alice ${label}`);

beforeEach(() => {
  api = createApi();
});

describe('new-reading events: the pure rules', () => {
  test('kinds follow the measurements selection', () => {
    expect(selectedKinds(METRICS).map((k) => k.id)).toEqual(['weigh-in', 'blood-pressure', 'temperature', 'night']);
    expect(selectedKinds([metricByKey('spo2_pct')!])).toEqual([]);
    expect(selectedKinds([metricByKey('systolic_blood_pressure_mmhg')!, metricByKey('sleep_rem_duration_seconds')!]).map((k) => k.id)).toEqual(['blood-pressure', 'night']);
    expect(READING_KINDS.map((k) => k.label)).toEqual(['Weigh-in', 'Blood Pressure Reading', 'Thermometer Reading', 'Night Finished']);
  });

  test('history is the baseline; each new id once, oldest taken first; never twice', () => {
    const history = [{ id: '1', stored: NOW - 100, taken: NOW - 200 }];
    const since = baselineOf(history, NOW);
    const first = newReadings({ since, ids: [], seen: true }, history, NOW);
    expect(first.announce).toEqual([]);
    const next = [...history, { id: '3', stored: NOW + 50, taken: NOW + 40 }, { id: '2', stored: NOW + 50, taken: NOW + 10 }];
    const second = newReadings(first.state, next, NOW + 60);
    expect(second.announce.map((c) => c.id)).toEqual(['2', '3']);
    expect(newReadings(second.state, next, NOW + 120).announce).toEqual([]);
  });
});

describe('new-reading events on HAP', () => {
  test('never for old data on the first sync; once per new group, also when the value is the same; two groups → two presses', () => {
    const s = setup();
    const old = [weighIn(1, NOW - 86_400), weighIn(2, NOW - 3600)];
    const first = sync(s, old, [], NOW);
    expect(first.presses).toEqual({});
    expect(first.result.pressed).toEqual([]);
    expect(button(s, 'Weigh-in')).toBeDefined();
    expect(first.result.changed.length).toBeGreaterThan(0); // the baseline is saved in the context

    const again = sync(s, [weighIn(3, NOW + 300, 70)], [], NOW + 300);
    expect(again.presses).toEqual({ 'Alice Weigh-in': 1 });
    const two = sync(s, [weighIn(4, NOW + 600), weighIn(5, NOW + 601)], [], NOW + 600);
    expect(two.presses).toEqual({ 'Alice Weigh-in': 2 });
    // The same groups in the next reply (modified, or the daily full fetch): no press.
    expect(sync(s, [weighIn(4, NOW + 600), weighIn(5, NOW + 601, 71)], [], NOW + 900).presses).toEqual({});
  });

  test('nothing again after a restart for data already announced (state in accessory.context)', () => {
    const s = setup();
    sync(s, [weighIn(1, NOW - 3600)], [], NOW);
    sync(s, [weighIn(2, NOW + 300)], [], NOW + 300);
    const cached = s.accessories.accessories().map(roundTrip);

    const restarted = setup();
    for (const a of cached) {restarted.accessories.adopt(a, NOW + 400, 0);}
    // After a restart the first sync re-reads the whole history.
    const full = [weighIn(1, NOW - 3600), weighIn(2, NOW + 300)];
    expect(sync(restarted, full, [], NOW + 400).presses).toEqual({});
    expect(sync(restarted, [...full, weighIn(3, NOW + 700)], [], NOW + 700).presses).toEqual({ 'Alice Weigh-in': 1 });
  });

  test('a kind that first appears after the account was seen fires at once (blood pressure, a finished night)', () => {
    const s = setup();
    sync(s, [weighIn(1, NOW - 3600)], [], NOW);
    expect(button(s, 'Blood Pressure Reading')).toBeUndefined();
    const values = new Map<string, Reading>([['weight_kg', { value: 70, measuredAt: NOW }], ['systolic_blood_pressure_mmhg', { value: 120, measuredAt: NOW + 300 }], ['sleep_deep_duration_seconds', { value: 3600, measuredAt: NOW + 300 }]]);
    const r = sync(s, [bp(10, NOW + 300)], [night(77, NOW + 200)], NOW + 300, values);
    expect(button(s, 'Blood Pressure Reading')).toBeDefined();
    expect(button(s, 'Night Finished')).toBeDefined();
    // The buttons were created during this sync, and their presses are heard all the same.
    expect(r.presses).toEqual({ 'Alice Blood Pressure Reading': 1, 'Alice Night Finished': 1 });
    expect(r.result.pressed.map((p) => [p.kind.id, p.count])).toEqual([['blood-pressure', 1], ['night', 1]]);
  });

  test('ambiguous (attrib 1) and goal (category 2) groups never press', () => {
    const s = setup();
    sync(s, [weighIn(1, NOW - 3600)], [], NOW);
    expect(sync(s, [weighIn(2, NOW + 300, 95, { attrib: 1 }), weighIn(3, NOW + 300, 60, { category: 2 })], [], NOW + 300).presses).toEqual({});
  });

  test('single press only, named "<Profile> <Label>"; reading_events: false removes the buttons', () => {
    const s = setup();
    sync(s, [weighIn(1, NOW - 3600)], [], NOW);
    const b = button(s, 'Weigh-in')!;
    expect(b.getCharacteristic(api.hap.Characteristic.ProgrammableSwitchEvent).props.validValues).toEqual([0]);
    const cached = s.accessories.accessories().map(roundTrip);
    const off = setup(METRICS, false);
    for (const a of cached) {off.accessories.adopt(a, NOW, 0);}
    expect(button(off, 'Weigh-in')).toBeUndefined();
  });
});

describe('threshold alerts', () => {
  const config = (alerts: unknown[]) => {
    const r = parseConfig({ platform: 'Withings', client_id: 'a', client_secret: 'b', profiles: ['Alice'], alerts });
    if (!r.ok) {throw new Error(r.errors.join());}
    return r.config.alerts;
  };

  test('pure: beyond the threshold in the alert\'s direction', () => {
    expect(isAlerting({ direction: 'below', threshold: 92 }, { value: 90, measuredAt: 0 })).toBe(true);
    expect(isAlerting({ direction: 'below', threshold: 92 }, { value: 92, measuredAt: 0 })).toBe(false);
    expect(isAlerting({ direction: 'above', threshold: 140 }, { value: 141, measuredAt: 0 })).toBe(true);
    expect(isAlerting({ direction: 'above', threshold: 140 }, undefined)).toBe(false);
  });

  test('"SpO2 below 92" with a latest SpO2 of 90: open at start; a reading of 96 closes it; both ways', () => {
    const registry = recordingRegistry(api);
    const alerts = config([{ profile: 'Alice', measurement: 'spo2_pct', below: 92, name: 'Low SpO2' }]);
    const p = new ProfileAccessories(api.hap, registry, { name: 'Alice', displayName: 'Alice' }, METRICS, [new AlertSensors(api.hap, alerts)], '1.0.0');
    p.bind('1001');
    p.apply(new Map([['spo2_pct', { value: 90, measuredAt: NOW }]]), NOW, 0);
    const sensor = () => p.accessories()[0].services.find((x) => x.UUID === api.hap.Service.ContactSensor.UUID)!;
    const state = () => sensor().getCharacteristic(api.hap.Characteristic.ContactSensorState).value;
    expect(sensor().getCharacteristic(api.hap.Characteristic.Name).value).toBe('Alice Low SpO2');
    expect(state()).toBe(1); // open: alert

    // A restart shows the alert at once, from the last values.
    const again = new ProfileAccessories(api.hap, recordingRegistry(api), { name: 'Alice', displayName: 'Alice' }, METRICS, [new AlertSensors(api.hap, alerts)], '1.0.0');
    again.adopt(roundTrip(p.accessories()[0]), NOW + 60, 0);
    expect(again.accessories()[0].services.find((x) => x.UUID === api.hap.Service.ContactSensor.UUID)!.getCharacteristic(api.hap.Characteristic.ContactSensorState).value).toBe(1);

    p.apply(new Map([['spo2_pct', { value: 96, measuredAt: NOW + 300 }]]), NOW + 300, 0);
    expect(state()).toBe(0); // closed: normal
    p.apply(new Map([['spo2_pct', { value: 91.5, measuredAt: NOW + 600 }]]), NOW + 600, 0);
    expect(state()).toBe(1);
    p.setHealth('stale');
    expect(sensor().getCharacteristic(api.hap.Characteristic.StatusActive).value).toBe(false);
  });

  test('an alert removed from the config loses its sensor', () => {
    const registry = recordingRegistry(api);
    const alerts = config([{ profile: 'Alice', measurement: 'weight_kg', above: 90 }]);
    const p = new ProfileAccessories(api.hap, registry, { name: 'Alice', displayName: 'Alice' }, METRICS, [new AlertSensors(api.hap, alerts)], '1.0.0');
    p.bind('1001');
    p.apply(new Map([['weight_kg', { value: 95, measuredAt: NOW }]]), NOW, 0);
    expect(p.accessories()[0].services.some((x) => x.UUID === api.hap.Service.ContactSensor.UUID)).toBe(true);
    const q = new ProfileAccessories(api.hap, registry, { name: 'Alice', displayName: 'Alice' }, METRICS, [new AlertSensors(api.hap, [])], '1.0.0');
    q.adopt(roundTrip(p.accessories()[0]), NOW, 0);
    expect(q.accessories()[0].services.some((x) => x.UUID === api.hap.Service.ContactSensor.UUID)).toBe(false);
  });
});
