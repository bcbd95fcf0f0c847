/**
 * One HomeKit accessory per Withings device ("Body Plus Scale", "ScanWatch 2"), across every linked
 * profile: a scale two linked people share is one accessory. Each has AccessoryInformation
 * (Withings, the model, the hashed device id as serial, the firmware when Withings gives it) and a
 * Battery service whose StatusLowBattery is 1 exactly when Withings says `low`, so Apple Home shows
 * its own low-battery warning. Withings gives no percentage, so no BatteryLevel is shown. A custom
 * "Last Seen" characteristic holds the device's last sync. A device no linked account lists any
 * more is removed.
 *
 * Fed by each profile's getdevice results through the platform runtime; what it remembers (the
 * users that list a device, the last battery state) is in `accessory.context`.
 */
import type { HAP, PlatformAccessory, Service } from 'homebridge';

import type { BatteryWord, WithingsDevice } from '../metrics/data.js';
import type { PluginLog } from '../util/log.js';
import { customCharacteristics } from './characteristics.js';
import { ensure, setIfChanged } from './group-accessory.js';
import { measuredAtText } from './hap-values.js';
import type { AccessoryRegistry } from './profile-accessories.js';
import { composeName, sanitizeName } from './names.js';

export interface DeviceContext {
  v: 1;
  kind: 'device';
  /** The hashed device id. */
  id: string;
  /** Withings users whose getdevice lists this device. */
  users: string[];
  type: string;
  model: string;
  firmware?: string;
  /** 1 low, 0 normal; kept through `unknown`. */
  lowBattery: 0 | 1;
  lastSeen?: number;
  /** The ConfiguredName we set; a different live value is the user's rename. */
  name?: string;
  /** Display name of the profile that first listed it (tells two "Aura Dock" apart). */
  ownerName?: string;
}

export function isDeviceContext(c: unknown): c is DeviceContext {
  const x = c as Partial<DeviceContext> | undefined;
  return !!x && x.v === 1 && x.kind === 'device' && typeof x.id === 'string' && Array.isArray(x.users);
}

/** Repairs a context restored from the cache: wrong shapes fall back to neutral values, never fatal. */
export function repairDeviceContext(ctx: DeviceContext): void {
  ctx.users = ctx.users.filter((u): u is string => typeof u === 'string');
  ctx.type = typeof ctx.type === 'string' ? ctx.type : 'Device';
  ctx.model = typeof ctx.model === 'string' ? ctx.model : '';
  ctx.lowBattery = ctx.lowBattery === 1 ? 1 : 0;
  if (typeof ctx.lastSeen !== 'number' || !Number.isInteger(ctx.lastSeen) || ctx.lastSeen < 0 || ctx.lastSeen > 7_258_118_400) {
    delete ctx.lastSeen;
  }
  if (typeof ctx.firmware !== 'string') {
    delete ctx.firmware;
  }
  if (typeof ctx.name !== 'string') {
    delete ctx.name;
  }
  if (typeof ctx.ownerName !== 'string') {
    delete ctx.ownerName;
  }
}

/** Pure: StatusLowBattery for a battery word; `unknown` keeps what was shown (normal at first). */
export function lowBatteryState(word: BatteryWord, previous: 0 | 1 | undefined): 0 | 1 {
  switch (word) {
    case 'low':
      return 1;
    case 'high':
    case 'medium':
      return 0;
    case 'unknown':
      return previous ?? 0;
  }
}

/**
 * Pure: the accessory name of a device. The model, followed by its type unless the model already
 * says it ("Body+" Scale → "Body Plus Scale", "ScanWatch 2" Activity Tracker stays "ScanWatch 2
 * Activity Tracker"); just the type when the model is empty. `+` is spelled out: HomeKit names
 * cannot hold it (docs/homebridge.md#naming).
 */
export function deviceName(device: Pick<WithingsDevice, 'model' | 'type'>): string {
  const model = device.model.replace(/\+/g, ' Plus').replace(/\s+/g, ' ').trim();
  const type = device.type.trim() || 'Device';
  const lastTypeWord = type.split(/\s+/).pop()!.toLowerCase();
  const raw = !model ? type : model.toLowerCase().includes(lastTypeWord) ? model : `${model} ${type}`;
  return sanitizeName(raw, 'Withings Device', 64);
}

/**
 * Pure: the names of all devices shown, unique: "Body Plus Scale"; when two devices would share a
 * name, each is prefixed with its owner's profile ("Alice Aura Dock Sleep Monitor"); what still
 * collides (one person's two identical scales) is numbered in id order.
 */
export function deviceNames(devices: readonly (Pick<WithingsDevice, 'id' | 'model' | 'type'> & { ownerName?: string })[]): Map<string, string> {
  const base = new Map(devices.map((d) => [d.id, deviceName(d)]));
  const count = (names: Iterable<string>, name: string): number => [...names].filter((n) => n === name).length;
  const named = new Map<string, string>();
  for (const d of devices) {
    const name = base.get(d.id)!;
    named.set(d.id, count(base.values(), name) > 1 && d.ownerName ? composeName(d.ownerName, name) : name);
  }
  const seen = new Map<string, number>();
  for (const d of [...devices].sort((a, b) => a.id.localeCompare(b.id))) {
    const name = named.get(d.id)!;
    if (count(named.values(), name) > 1) {
      const n = (seen.get(name) ?? 0) + 1;
      seen.set(name, n);
      named.set(d.id, n === 1 ? name : sanitizeName(`${name} ${n}`, name, 64));
    }
  }
  return named;
}

/**
 * Pure: the devices to show from one account's list. The Sleep Analyzer is listed twice, as its dock
 * and as its sensor ("Aura Sensor V2"); with a dock in the list the sensor is left out, as Home
 * Assistant's client does.
 */
export function visibleDevices(devices: readonly WithingsDevice[]): WithingsDevice[] {
  const hasDock = devices.some((d) => /aura dock/i.test(d.model));
  return devices.filter((d) => !(hasDock && /aura sensor/i.test(d.model)));
}

/** Pure: the users that list a device after `userid` reported `listed` (ids). */
export function ownersAfter(owners: readonly string[], userid: string, listed: boolean): string[] {
  const rest = owners.filter((u) => u !== userid);
  return listed ? [...rest, userid].sort() : rest;
}

export class DeviceAccessories {
  private readonly devices = new Map<string, PlatformAccessory>();

  constructor(
    private readonly hap: HAP,
    private readonly registry: AccessoryRegistry,
    private readonly log: PluginLog,
  ) {}

  /** The accessories shown now (tests and the runtime look at them). */
  accessories(): PlatformAccessory[] {
    return [...this.devices.values()];
  }

  /** Takes over a cached device accessory: its last battery state shows at once. */
  adopt(accessory: PlatformAccessory): void {
    const ctx = accessory.context as DeviceContext;
    repairDeviceContext(ctx);
    if (this.devices.has(ctx.id)) {
      this.registry.unregister([accessory]);
      return;
    }
    this.devices.set(ctx.id, accessory); // shown by showAll() once every cached device is back
  }

  /**
   * Only these Withings users are linked now: a device that only other (unlinked, removed)
   * users listed is removed.
   */
  keepUsers(linked: ReadonlySet<string>): void {
    const gone: PlatformAccessory[] = [];
    const changed: PlatformAccessory[] = [];
    for (const [id, accessory] of this.devices) {
      const ctx = accessory.context as DeviceContext;
      const users = ctx.users.filter((u) => linked.has(u));
      if (users.length === 0) {
        this.devices.delete(id);
        gone.push(accessory);
      } else if (users.length !== ctx.users.length) {
        ctx.users = users;
        changed.push(accessory);
      }
    }
    this.commit([], changed, gone);
  }

  /** One account's device list (getdevice) arrived; `ownerName` is the display name of its profile. */
  update(userid: string, reported: readonly WithingsDevice[], ownerName?: string): void {
    const listed = new Map(visibleDevices(reported).map((d) => [d.id, d]));
    const created: PlatformAccessory[] = [];
    const changed: PlatformAccessory[] = [];
    const gone: PlatformAccessory[] = [];
    for (const [id, accessory] of this.devices) {
      const ctx = accessory.context as DeviceContext;
      if (!listed.has(id) && ctx.users.includes(userid)) {
        ctx.users = ownersAfter(ctx.users, userid, false);
        if (ctx.users.length === 0) {
          this.devices.delete(id);
          gone.push(accessory);
          this.log.info('Withings device %s is no longer in the account; its accessory was removed.', accessory.displayName);
        } else {
          changed.push(accessory);
        }
      }
    }
    for (const device of listed.values()) {
      let accessory = this.devices.get(device.id);
      if (!accessory) {
        accessory = this.create(device);
        created.push(accessory);
      }
      const ctx = accessory.context as DeviceContext;
      const before = JSON.stringify(ctx);
      const wasLow = ctx.lowBattery;
      ctx.users = ownersAfter(ctx.users, userid, true);
      ctx.ownerName ??= ownerName;
      ctx.type = device.type;
      ctx.model = device.model;
      ctx.firmware = device.firmware ?? ctx.firmware;
      ctx.lowBattery = lowBatteryState(device.battery, ctx.lowBattery);
      ctx.lastSeen = Math.max(ctx.lastSeen ?? 0, device.lastSessionDate ?? 0) || undefined;
      if (ctx.lowBattery === 1 && wasLow !== 1) {
        // Not a problem of the plugin: information (Apple Home shows its own warning).
        this.log.info('The battery of the Withings %s is low.', deviceName(ctx));
      }
      if (JSON.stringify(ctx) !== before && !created.includes(accessory)) {
        changed.push(accessory);
      }
    }
    this.showAll();
    this.commit(created, changed, gone);
  }

  /** Names and values of every device (names depend on each other). */
  showAll(): void {
    const names = deviceNames([...this.devices.values()].map((a) => a.context as DeviceContext));
    for (const accessory of this.devices.values()) {
      this.show(accessory, names.get((accessory.context as DeviceContext).id)!);
    }
  }

  private commit(created: PlatformAccessory[], changed: PlatformAccessory[], gone: PlatformAccessory[]): void {
    if (created.length > 0) {
      this.registry.register(created);
    }
    if (changed.length > 0) {
      this.registry.save(changed);
    }
    if (gone.length > 0) {
      this.registry.unregister(gone);
    }
  }

  private create(device: WithingsDevice): PlatformAccessory {
    const name = deviceName(device);
    const accessory = this.registry.create(name, this.hap.uuid.generate(`homebridge-withings:device:${device.id}`));
    const ctx: DeviceContext = { v: 1, kind: 'device', id: device.id, users: [], type: device.type, model: device.model, lowBattery: 0 };
    accessory.context = ctx;
    this.devices.set(device.id, accessory);
    return accessory;
  }

  /** Information, name and battery from the context (also for cached accessories). */
  private show(accessory: PlatformAccessory, name: string): void {
    const { Characteristic: C, Service: S } = this.hap;
    const ctx = accessory.context as DeviceContext;
    if (accessory.displayName !== name) {
      accessory.updateDisplayName(name);
    }
    const info = accessory.getService(S.AccessoryInformation)!;
    setIfChanged(info.getCharacteristic(C.Manufacturer), 'Withings');
    setIfChanged(info.getCharacteristic(C.Model), (ctx.model || ctx.type).slice(0, 64) || 'Withings Device');
    setIfChanged(info.getCharacteristic(C.SerialNumber), ctx.id.slice(0, 64));
    setIfChanged(info.getCharacteristic(C.Name), name);
    if (ctx.firmware) {
      setIfChanged(info.getCharacteristic(C.FirmwareRevision), ctx.firmware);
    }
    const battery = accessory.getService(S.Battery) ?? accessory.addService(S.Battery, name, 'battery');
    this.applyName(battery, ctx, name);
    setIfChanged(battery.getCharacteristic(C.StatusLowBattery), ctx.lowBattery);
    if (ctx.lastSeen !== undefined) {
      setIfChanged(ensure(battery, customCharacteristics(this.hap).lastSeen), measuredAtText(ctx.lastSeen, 0));
    }
  }

  /** Keeps the battery service's name as we set it, unless the user renamed it in the Home app. */
  private applyName(service: Service, ctx: DeviceContext, name: string): void {
    const C = this.hap.Characteristic;
    const configured = ensure(service, C.ConfiguredName);
    if (ctx.name === undefined || configured.value === ctx.name || !configured.value) {
      configured.updateValue(name);
      ctx.name = name;
    }
    service.updateCharacteristic(C.Name, name);
  }
}
