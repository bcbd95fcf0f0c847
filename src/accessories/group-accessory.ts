/**
 * One HomeKit accessory of a profile ("Alice Body", "Alice Sleep"…): the services of its metrics,
 * their names (a rename in the Home app is kept) and what the plugin remembers in its context.
 */
import type { Characteristic, HAP, PlatformAccessory, Service } from 'homebridge';

import { GROUP_LABELS, type MetricDefinition, type MetricGroup } from '../metrics/catalog.js';
import { isPlausibleAt, type Reading } from '../metrics/values.js';
import { type CharacteristicClass, customCharacteristics } from './characteristics.js';
import { SERVICE_PROPS } from './hap-values.js';
import { composeName } from './names.js';

/** What the plugin keeps in `accessory.context` (never tokens). */
export interface GroupContext {
  v: 1;
  profile: string;
  userid: string;
  group: MetricGroup;
  /** Last known reading per metric key. */
  values: Record<string, Reading>;
  /** The ConfiguredName we last set per service subtype; a different live value is the user's rename. */
  names: Record<string, string>;
  /** Extension data of other features (reading events, alerts), keyed by feature. */
  ext?: Record<string, unknown>;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function isGroupContext(c: unknown): c is GroupContext {
  const x = c as Partial<GroupContext> | undefined;
  return !!x && x.v === 1 && typeof x.profile === 'string' && typeof x.userid === 'string'
    && typeof x.group === 'string' && Object.hasOwn(GROUP_LABELS, x.group) && isRecord(x.values);
}

/**
 * Repairs a context restored from Homebridge's cache, which may hold what an older version (or a
 * bad reply) wrote: readings that are not finite, not real instants or dated more than a day
 * ahead are dropped, as are names and feature data of the wrong shape. Returns the metric keys
 * whose reading was dropped. A bad entry is never fatal.
 */
export function repairContext(ctx: GroupContext, nowSeconds: number): string[] {
  const dropped: string[] = [];
  for (const [key, reading] of Object.entries(ctx.values)) {
    if (!isRecord(reading) || !isPlausibleAt(reading, nowSeconds)) {
      delete ctx.values[key];
      dropped.push(key);
    }
  }
  if (!isRecord(ctx.names)) {
    ctx.names = {};
  }
  for (const [subtype, name] of Object.entries(ctx.names)) {
    if (typeof name !== 'string') {
      delete ctx.names[subtype];
    }
  }
  if (ctx.ext !== undefined && !isRecord(ctx.ext)) {
    delete ctx.ext;
  }
  return dropped;
}

export interface ProfileIdentity {
  /** The name in the plugin config (the token file's `profile`). */
  readonly name: string;
  /** The HomeKit-safe display name. */
  readonly displayName: string;
}

export class GroupAccessory {
  readonly metrics: MetricDefinition[];

  constructor(
    readonly hap: HAP,
    readonly accessory: PlatformAccessory,
    readonly profile: ProfileIdentity,
    allMetrics: readonly MetricDefinition[],
  ) {
    this.metrics = allMetrics.filter((m) => m.group === this.context.group);
  }

  get context(): GroupContext {
    return this.accessory.context as GroupContext;
  }

  get group(): MetricGroup {
    return this.context.group;
  }

  /** Service of a metric, if it exists. */
  service(metric: MetricDefinition): Service | undefined {
    return this.accessory.services.find((s) => s.subtype === metric.key);
  }

  /** Keeps a service's name as we set it, unless the user renamed it in the Home app. */
  applyName(service: Service, subtype: string, name: string): void {
    const { Characteristic: C } = this.hap;
    const configured = ensure(service, C.ConfiguredName);
    const ours = this.context.names[subtype];
    if (ours === undefined || configured.value === ours || !configured.value) {
      configured.updateValue(name);
      this.context.names[subtype] = name;
    }
    service.updateCharacteristic(C.Name, name);
  }

  /** Creates the service of a metric (idempotent). */
  ensureService(metric: MetricDefinition): Service {
    const existing = this.service(metric);
    if (existing) {
      return existing;
    }
    const name = composeName(this.profile.displayName, metric.label);
    const Type = this.hap.Service[metric.homekit];
    const service = this.accessory.addService(Type, name, metric.key);
    this.configureService(service, metric);
    return service;
  }

  /** Props and custom characteristics; also run on services restored from the cache. */
  configureService(service: Service, metric: MetricDefinition): void {
    const { Characteristic: C } = this.hap;
    const custom = customCharacteristics(this.hap);
    this.applyName(service, metric.key, composeName(this.profile.displayName, metric.label));
    if (metric.homekit !== 'OccupancySensor') {
      primaryCharacteristic(this.hap, service, metric).setProps(SERVICE_PROPS[metric.homekit]);
    }
    ensure(service, C.StatusActive);
    ensure(service, C.StatusFault);
    ensure(service, custom.exactValue(metric));
    ensure(service, custom.measuredAt);
    if (metric.primary) {
      service.setPrimaryService(true);
    }
  }
}

/** The characteristic Apple Home shows for a metric's service. */
export function primaryCharacteristic(hap: HAP, service: Service, metric: MetricDefinition): Characteristic {
  const C = hap.Characteristic;
  switch (metric.homekit) {
    case 'TemperatureSensor':
      return service.getCharacteristic(C.CurrentTemperature);
    case 'HumiditySensor':
      return service.getCharacteristic(C.CurrentRelativeHumidity);
    case 'OccupancySensor':
      return service.getCharacteristic(C.OccupancyDetected);
    case 'LightSensor':
      return service.getCharacteristic(C.CurrentAmbientLightLevel);
  }
}

/** The characteristic of a service, added when missing (no "not in optional section" warning). */
export function ensure(service: Service, type: CharacteristicClass): Characteristic {
  return service.characteristics.find((c) => c.UUID === type.UUID) ?? service.addCharacteristic(type);
}

/** `updateValue` only when the value differs, so HomeKit gets no event for an unchanged value. */
export function setIfChanged(characteristic: Characteristic, value: number | string | boolean): void {
  if (characteristic.value !== value) {
    characteristic.updateValue(value);
  }
}

