/**
 * Device batteries and goal sensors on the real HAP-NodeJS: one accessory per Withings device across
 * linked users, StatusLowBattery 1 exactly when Withings says `low` (unknown keeps the last state),
 * "Last Seen", removal; "<Profile> Step Goal" / "Sleep Goal" contact sensors that open once reached.
 */
import type { API } from 'homebridge';

import { DeviceAccessories, deviceName, deviceNames, lowBatteryState, visibleDevices } from '../../src/accessories/device-accessories.js';
import { GoalSensors } from '../../src/accessories/features/goals.js';
import { isValidHomeKitName, profileDisplayName } from '../../src/accessories/names.js';
import { ProfileAccessories } from '../../src/accessories/profile-accessories.js';
import { LAST_SEEN_UUID, METRICS } from '../../src/metrics/catalog.js';
import type { WithingsDevice } from '../../src/metrics/data.js';
import type { Reading } from '../../src/metrics/values.js';
import { parseDeviceStatuses } from '../../src/withings/types.js';
import { fixture } from '../support/fixtures.js';
import { createApi, recordingLog, recordingRegistry, type RecordingRegistry, roundTrip, valueOf, watchWarnings } from '../support/hap.js';

const NOW = 1_795_000_000;
let api: API;
let registry: RecordingRegistry;
let warnings: ReturnType<typeof watchWarnings>;

beforeEach(() => {
  api = createApi();
  registry = recordingRegistry(api);
  warnings = watchWarnings();
});
afterEach(() => warnings.stop());

const scale = (battery: WithingsDevice['battery'], lastSessionDate = NOW - 3600): WithingsDevice =>
  ({ id: 'f998be4b9ccc9e136fd8cd8e8e344c31ec3b271d', type: 'Scale', model: 'Body+', modelId: 5, battery, lastSessionDate });
const lowOf = (d: DeviceAccessories, name: string): unknown =>
  valueOf(d.accessories().find((a) => a.displayName === name)?.getService(api.hap.Service.Battery), 'Status Low Battery');

describe('device batteries', () => {
  test('recorded replies: duplicates collapse, `unknown` and null dates are accepted, an unknown type is kept', () => {
    const devices = parseDeviceStatuses(fixture<{ body: unknown }>('aiowithings/device.json').body, NOW);
    expect(new Set(devices.map((d) => d.id)).size).toBe(devices.length);
    expect(devices.every((d) => ['high', 'medium', 'low', 'unknown'].includes(d.battery))).toBe(true);
    const fresh = parseDeviceStatuses(fixture<{ body: unknown }>('aiowithings/new_device.json').body, NOW);
    expect(fresh.length).toBeGreaterThan(0);
    expect(parseDeviceStatuses({ devices: [{ type: 'Scale', battery: 'low' }, { deviceid: 'x', battery: 'almost-empty', last_session_date: 'soon' }] }, NOW))
      .toEqual([{ id: 'x', type: 'Device', model: '', battery: 'unknown' }]);
  });

  test('names by model ("Body Plus Scale"), valid for HomeKit; the Sleep Analyzer dock and sensor are one device', () => {
    expect(deviceName({ model: 'Body+', type: 'Scale' })).toBe('Body Plus Scale');
    expect(deviceName({ model: 'Body Scan', type: 'Scale' })).toBe('Body Scan Scale');
    expect(deviceName({ model: 'ScanWatch 2', type: 'Activity Tracker' })).toBe('ScanWatch 2 Activity Tracker');
    expect(deviceName({ model: '', type: 'Sleep Monitor' })).toBe('Sleep Monitor');
    expect(deviceName({ model: 'BPM Connect', type: 'Blood Pressure Monitor' })).toBe('BPM Connect Blood Pressure Monitor');
    for (const n of ['Body Plus Scale', deviceName({ model: '🙂', type: '' })]) {
      expect(isValidHomeKitName(n)).toBe(true);
    }
    const dock = { ...scale('high'), id: 'dock', type: 'Sleep Monitor', model: 'Aura Dock' };
    const sensor = { ...scale('high'), id: 'sensor', type: 'Sleep Monitor', model: 'Aura Sensor V2' };
    expect(visibleDevices([dock, sensor]).map((d) => d.id)).toEqual(['dock']);
    expect(visibleDevices([sensor]).map((d) => d.id)).toEqual(['sensor']);
    // Two people's sleep mats: each named for its owner; one person's two identical scales numbered.
    expect([...deviceNames([{ ...dock, ownerName: 'Alice' }, { ...dock, id: 'dock2', ownerName: 'Bob' }, scale('high')]).values()])
      .toEqual(['Alice Aura Dock Sleep Monitor', 'Bob Aura Dock Sleep Monitor', 'Body Plus Scale']);
    expect([...deviceNames([{ ...scale('high'), id: 'b', ownerName: 'Alice' }, { ...scale('high'), id: 'a', ownerName: 'Alice' }]).values()])
      .toEqual(['Alice Body Plus Scale 2', 'Alice Body Plus Scale']);
  });

  test('high → low → unknown: StatusLowBattery 0, 1, still 1; Last Seen and information at the accessory', () => {
    expect([lowBatteryState('high', undefined), lowBatteryState('medium', 1), lowBatteryState('low', 0), lowBatteryState('unknown', 1), lowBatteryState('unknown', undefined)]).toEqual([0, 0, 1, 1, 0]);
    const log = recordingLog();
    const d = new DeviceAccessories(api.hap, registry, log);
    d.update('363', [scale('high', 1_693_867_179)]);
    const [accessory] = d.accessories();
    warnings.watch([accessory]);
    expect(accessory.displayName).toBe('Body Plus Scale');
    expect(accessory.UUID).toBe(api.hap.uuid.generate('homebridge-withings:device:f998be4b9ccc9e136fd8cd8e8e344c31ec3b271d'));
    const info = accessory.getService(api.hap.Service.AccessoryInformation)!;
    expect(valueOf(info, 'Manufacturer')).toBe('Withings');
    expect(valueOf(info, 'Model')).toBe('Body+');
    expect(valueOf(info, 'Serial Number')).toBe('f998be4b9ccc9e136fd8cd8e8e344c31ec3b271d');
    const battery = accessory.getService(api.hap.Service.Battery)!;
    expect(valueOf(battery, 'Status Low Battery')).toBe(0);
    expect(battery.testCharacteristic(api.hap.Characteristic.BatteryLevel)).toBe(false); // never invented
    expect(valueOf(battery, LAST_SEEN_UUID)).toBe('2023-09-04T22:39:39Z');

    d.update('363', [scale('low')]);
    expect(lowOf(d, 'Body Plus Scale')).toBe(1);
    expect(log.lines.filter((l) => /battery/.test(l.text)).map((l) => [l.level, l.text])).toEqual([['info', expect.stringMatching(/battery .* is low.*Body Plus Scale/)]]);
    d.update('363', [scale('unknown')]);
    expect(lowOf(d, 'Body Plus Scale')).toBe(1);
    d.update('363', [scale('medium')]);
    expect(lowOf(d, 'Body Plus Scale')).toBe(0);

    // A restart shows the last state at once.
    d.update('363', [scale('low')]);
    const restored = new DeviceAccessories(api.hap, recordingRegistry(api), log);
    restored.adopt(roundTrip(accessory));
    restored.showAll(); // as the runtime does once every cached accessory is back
    expect(lowOf(restored, 'Body Plus Scale')).toBe(1);
    expect(warnings.warnings).toEqual([]);
  });

  test('a device shared by two linked users is one accessory; it disappears when no account lists it any more', () => {
    const d = new DeviceAccessories(api.hap, registry, recordingLog());
    const watch = { id: 'w1', type: 'Activity Tracker', model: 'ScanWatch 2', battery: 'high' as const };
    d.update('alice', [scale('high'), watch]);
    d.update('bob', [scale('high')]);
    expect(d.accessories().map((a) => a.displayName).sort()).toEqual(['Body Plus Scale', 'ScanWatch 2 Activity Tracker']);
    expect(registry.registered.size).toBe(2);
    d.update('alice', [watch]); // Alice removed the scale from her account; Bob still has it
    expect(registry.registered.size).toBe(2);
    d.update('bob', []);
    expect([...registry.registered.values()].map((a) => a.displayName)).toEqual(['ScanWatch 2 Activity Tracker']);
    d.keepUsers(new Set(['bob'])); // Alice unlinked
    expect(registry.registered.size).toBe(0);
  });
});

describe('goal sensors', () => {
  const at = (value: number, measuredAt = NOW - 60): Reading => ({ value, measuredAt });

  function profile() {
    const p = new ProfileAccessories(api.hap, registry, { name: 'Alice', displayName: profileDisplayName('Alice', 0) }, METRICS, [new GoalSensors(api.hap, METRICS)], '1.0.0');
    p.bind('363');
    return p;
  }
  const contact = (p: ProfileAccessories, name: string): unknown => {
    for (const g of p.groupAccessories()) {
      const s = g.accessory.services.find((x) => x.displayName === name || valueOf(x, 'Name') === name);
      if (s) {
        return valueOf(s, 'Contact Sensor State');
      }
    }
    return undefined;
  };

  test('"Alice Step Goal" opens when steps reach the goal and closes when they drop to 0 at midnight', () => {
    const p = profile();
    p.apply(new Map([['steps_today', at(9_000)], ['steps_goal', at(10_000)]]), NOW, 0);
    warnings.watch(p.accessories());
    expect(contact(p, 'Alice Step Goal')).toBe(0);
    p.apply(new Map([['steps_today', at(10_250)], ['steps_goal', at(10_000)]]), NOW, 0);
    expect(contact(p, 'Alice Step Goal')).toBe(1);
    const activity = p.groupAccessories().find((g) => g.group === 'activity')!;
    const restored = new ProfileAccessories(api.hap, recordingRegistry(api), { name: 'Alice', displayName: 'Alice' }, METRICS, [new GoalSensors(api.hap, METRICS)], '1.0.0');
    restored.adopt(roundTrip(activity.accessory), NOW, 0);
    expect(contact(restored, 'Alice Step Goal')).toBe(1); // after a restart, at once
    p.apply(new Map([['steps_today', at(0)], ['steps_goal', at(10_000)]]), NOW + 3600, 0);
    expect(contact(p, 'Alice Step Goal')).toBe(0);
    expect(warnings.warnings).toEqual([]);
  });

  test('"Alice Sleep Goal" follows last night\'s total sleep time; no goal, no sensor', () => {
    const p = profile();
    p.apply(new Map([['sleep_total_duration_seconds', at(29_000)], ['sleep_goal_seconds', at(28_800)]]), NOW, 0);
    expect(contact(p, 'Alice Sleep Goal')).toBe(1);
    expect(contact(p, 'Alice Step Goal')).toBeUndefined();
    p.apply(new Map([['sleep_total_duration_seconds', at(29_000)]]), NOW, 0);
    expect(contact(p, 'Alice Sleep Goal')).toBeUndefined();
  });
});
