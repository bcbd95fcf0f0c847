/**
 * The HomeKit accessories of one profile: one accessory per group ("Alice Body", "Alice Heart",
 * "Alice Temperature", "Alice Sleep"), one sensor service per metric that has data. Values are pushed
 * with `updateValue` when they change and mirrored in `accessory.context`, so a restart shows the
 * last values at once. Health is shown the HomeKit way: StatusActive false while data is stale,
 * StatusFault while the profile needs linking.
 */
import type { HAP, PlatformAccessory, Service } from 'homebridge';

import { GROUP_LABELS, type MetricDefinition, type MetricGroup } from '../metrics/catalog.js';
import type { Reading } from '../metrics/values.js';
import { customCharacteristics } from './characteristics.js';
import type { GroupFeature, SyncUpdate } from './feature.js';
import { ensure, GroupAccessory, type GroupContext, primaryCharacteristic, type ProfileIdentity, repairContext, setIfChanged } from './group-accessory.js';
import { exactValue, homeKitValue, measuredAtText, sleepOccupancy } from './hap-values.js';
import { composeName } from './names.js';

/** How the platform registers, saves and removes accessories (Homebridge API calls). */
export interface AccessoryRegistry {
  create(displayName: string, uuid: string): PlatformAccessory;
  register(accessories: PlatformAccessory[]): void;
  save(accessories: PlatformAccessory[]): void;
  unregister(accessories: PlatformAccessory[]): void;
}

export type ProfileHealth = 'ok' | 'stale' | 'fault';

const SERVICE_TYPES = ['LightSensor', 'TemperatureSensor', 'HumiditySensor', 'OccupancySensor'] as const;

export class ProfileAccessories {
  private readonly groups = new Map<MetricGroup, GroupAccessory>();
  /** Metrics whose last evaluation gave a value (the others show their last value, not active). */
  private readonly current = new Set<string>();
  private userid?: string;
  private health: ProfileHealth = 'ok';

  constructor(
    private readonly hap: HAP,
    private readonly registry: AccessoryRegistry,
    readonly profile: ProfileIdentity,
    private readonly metrics: readonly MetricDefinition[],
    private readonly features: readonly GroupFeature[] = [],
    private readonly version = '0.0.0',
  ) {}

  get linkedUserid(): string | undefined {
    return this.userid;
  }

  accessories(): PlatformAccessory[] {
    return [...this.groups.values()].map((g) => g.accessory);
  }

  groupAccessories(): GroupAccessory[] {
    return [...this.groups.values()];
  }

  /**
   * Takes over an accessory restored from Homebridge's cache: re-applies props and names, drops
   * services of metrics no longer selected, and shows the last known values at once. Returns
   * the metric keys whose cached reading was unusable and dropped.
   */
  adopt(accessory: PlatformAccessory, nowSeconds: number, offsetMs: number): string[] {
    const ctx = accessory.context as GroupContext;
    const dropped = repairContext(ctx, nowSeconds);
    if (this.groups.has(ctx.group)) {
      this.registry.unregister([accessory]);
      return dropped;
    }
    const group = new GroupAccessory(this.hap, accessory, this.profile, this.metrics);
    this.groups.set(ctx.group, group);
    try {
      this.pruneServices(group);
      for (const metric of group.metrics) {
        const service = group.service(metric);
        const known = ctx.values[metric.key];
        if (service && known) {
          group.configureService(service, metric);
          // Restored values count as current until the first sync says otherwise.
          this.current.add(metric.key);
          this.show(service, metric, known, known, nowSeconds, offsetMs);
        }
      }
      this.finishGroup(group);
    } catch (e) {
      this.groups.delete(ctx.group); // the caller removes it; the next sync builds it anew
      throw e;
    }
    this.userid ??= ctx.userid;
    return dropped;
  }

  /**
   * The Withings user this profile is linked to. Accessories of another user (the profile was
   * re-linked to a different person) are removed: their UUIDs belong to that user.
   */
  bind(userid: string): void {
    if (this.userid === userid) {
      return;
    }
    const stale = [...this.groups.values()].filter((g) => g.context.userid !== userid);
    for (const g of stale) {
      this.groups.delete(g.group);
    }
    if (stale.length > 0) {
      this.registry.unregister(stale.map((g) => g.accessory));
    }
    if (this.userid !== undefined) {
      this.features.forEach((f) => f.userChanged?.(userid));
    }
    this.userid = userid;
  }

  /**
   * Shows the values of one sync (or re-evaluates time-dependent ones). Metrics with a reading get
   * a service (and their group an accessory) the first time; values are pushed only when changed.
   * Returns the metrics whose reading changed.
   *
   * `complete` is false while the data held is not yet the account's (no sync has succeeded since
   * the start): a metric without a reading then keeps its cached one, within that reading's own
   * window (the sleep state's 6 h), instead of turning unknown for lack of data.
   */
  apply(values: ReadonlyMap<string, Reading>, nowSeconds: number, offsetMs: number, complete = true): MetricDefinition[] {
    if (this.userid === undefined) {
      return [];
    }
    const changed: MetricDefinition[] = [];
    const toRegister: PlatformAccessory[] = [];
    const toSave = new Set<PlatformAccessory>();
    for (const metric of this.metrics) {
      const reading = values.get(metric.key);
      let group = this.groups.get(metric.group);
      const known = group?.context.values[metric.key];
      if (reading === undefined && known === undefined) {
        continue;
      }
      if (!group) {
        group = this.createGroup(metric.group, this.userid);
        toRegister.push(group.accessory);
      }
      const isNew = group.service(metric) === undefined;
      const service = group.ensureService(metric);
      if (isNew) {
        toSave.add(group.accessory);
      }
      const sameAsKnown = reading !== undefined && known !== undefined && sameReading(reading, known);
      if (reading !== undefined && !sameAsKnown) {
        group.context.values[metric.key] = { ...reading };
        changed.push(metric);
        toSave.add(group.accessory);
      }
      const kept = group.context.values[metric.key];
      const effective = reading ?? (complete ? undefined : kept);
      if (reading !== undefined) {
        this.current.add(metric.key);
      } else if (complete) {
        this.current.delete(metric.key);
      }
      this.show(service, metric, effective, kept, nowSeconds, offsetMs);
    }
    const groups = this.groupAccessories();
    for (const feature of this.features) {
      feature.onValues?.(values, groups).forEach((g) => toSave.add(g.accessory));
    }
    for (const g of this.groups.values()) {
      this.finishGroup(g);
    }
    if (toRegister.length > 0) {
      this.registry.register(toRegister);
    }
    const saves = [...toSave].filter((a) => !toRegister.includes(a));
    if (saves.length > 0) {
      this.registry.save(saves);
    }
    return changed;
  }

  /** The last reading ever shown for a metric (from the accessory context, so it survives restarts). */
  knownReading(key: string): Reading | undefined {
    for (const g of this.groups.values()) {
      const known = g.context.values[key];
      if (known !== undefined) {
        return known;
      }
    }
    return undefined;
  }

  /** StatusActive / StatusFault on every service of the profile. */
  setHealth(health: ProfileHealth): void {
    this.health = health;
    for (const g of this.groups.values()) {
      this.applyStatuses(g);
    }
  }

  /**
   * What a successful sync brought, handed to each feature in turn; the accessories whose context
   * a feature changed are saved (Homebridge writes its cache). A failing feature is the caller's to log.
   */
  onSync(update: SyncUpdate): void {
    const changed = new Set<GroupAccessory>();
    const groups = this.groupAccessories();
    for (const feature of this.features) {
      feature.onSync?.(update, groups).forEach((g) => changed.add(g));
    }
    if (changed.size > 0) {
      this.registry.save([...changed].map((g) => g.accessory));
    }
  }

  /** Removes every accessory of the profile (profile removed from the config). */
  removeAll(): void {
    const all = this.accessories();
    this.groups.clear();
    if (all.length > 0) {
      this.registry.unregister(all);
    }
  }

  private createGroup(group: MetricGroup, userid: string): GroupAccessory {
    const name = composeName(this.profile.displayName, GROUP_LABELS[group]);
    const accessory = this.registry.create(name, this.hap.uuid.generate(`homebridge-withings:${userid}:${group}`));
    const ctx: GroupContext = { v: 1, profile: this.profile.name, userid, group, values: {}, names: {} };
    accessory.context = ctx;
    const { Characteristic: C } = this.hap;
    accessory.getService(this.hap.Service.AccessoryInformation)!
      .setCharacteristic(C.Manufacturer, 'Withings')
      .setCharacteristic(C.Model, `${GROUP_LABELS[group]} Sensors`)
      .setCharacteristic(C.SerialNumber, `${userid}-${group}`)
      .setCharacteristic(C.FirmwareRevision, this.version);
    const g = new GroupAccessory(this.hap, accessory, this.profile, this.metrics);
    this.groups.set(group, g);
    return g;
  }

  /** Names, features and status after the metric services changed. */
  private finishGroup(group: GroupAccessory): void {
    const ctx = group.context;
    ctx.profile = this.profile.name;
    const name = composeName(this.profile.displayName, GROUP_LABELS[ctx.group]);
    if (group.accessory.displayName !== name) {
      group.accessory.updateDisplayName(name);
    }
    group.accessory.getService(this.hap.Service.AccessoryInformation)?.updateCharacteristic(this.hap.Characteristic.Name, name);
    for (const feature of this.features) {
      feature.attach(group);
    }
    this.applyStatuses(group);
  }

  /** Metric services follow their value and the profile's health; other sensors (alerts) the health. */
  private applyStatuses(group: GroupAccessory): void {
    const { Characteristic: C } = this.hap;
    for (const service of group.accessory.services) {
      const metric = group.metrics.find((m) => m.key === service.subtype);
      if (metric) {
        this.applyStatus(service, metric);
      } else if (service.testCharacteristic(C.StatusActive)) {
        setIfChanged(service.getCharacteristic(C.StatusActive), this.health === 'ok');
        setIfChanged(ensure(service, C.StatusFault), this.health === 'fault' ? 1 : 0);
      }
    }
  }

  /** Removes services of metrics that are no longer selected or no longer exist. */
  private pruneServices(group: GroupAccessory): void {
    const selected = new Set(group.metrics.map((m) => m.key));
    for (const service of [...group.accessory.services]) {
      const isMetricService = SERVICE_TYPES.some((t) => service.UUID === this.hap.Service[t].UUID);
      if (isMetricService && !selected.has(service.subtype ?? '')) {
        group.accessory.removeService(service);
        delete group.context.values[service.subtype ?? ''];
      }
    }
  }

  private applyStatus(service: Service, metric: MetricDefinition): void {
    const { Characteristic: C } = this.hap;
    // "Not asleep" is a real answer for the sleep state; other metrics without a current value
    // (no night in the window, a deleted measure) keep their last value, shown as not active.
    const hasValue = metric.source.kind === 'sleep-state' || this.current.has(metric.key);
    const active = this.health === 'ok' && hasValue;
    setIfChanged(service.getCharacteristic(C.StatusActive), active);
    setIfChanged(service.getCharacteristic(C.StatusFault), this.health === 'fault' ? 1 : 0);
  }

  /**
   * Pushes a metric's values. `reading` is the current evaluation (undefined: none now), `known`
   * the last reading ever seen; the last known value stays visible rather than a fake zero.
   */
  private show(service: Service, metric: MetricDefinition, reading: Reading | undefined, known: Reading | undefined, nowSeconds: number, offsetMs: number): void {
    const custom = customCharacteristics(this.hap);
    const shown = metric.source.kind === 'sleep-state' ? reading : (reading ?? known);
    if (metric.source.kind === 'sleep-state') {
      setIfChanged(primaryCharacteristic(this.hap, service, metric), sleepOccupancy(shown, nowSeconds));
      setIfChanged(service.getCharacteristic(custom.exactValue(metric)), shown ? exactValue(metric, shown, nowSeconds) : 'unknown');
    } else if (shown !== undefined) {
      setIfChanged(primaryCharacteristic(this.hap, service, metric), homeKitValue(metric, shown, nowSeconds));
      setIfChanged(service.getCharacteristic(custom.exactValue(metric)), exactValue(metric, shown, nowSeconds));
    }
    const stamp = shown ?? known;
    if (stamp !== undefined) {
      setIfChanged(service.getCharacteristic(custom.measuredAt), measuredAtText(stamp.measuredAt, offsetMs));
    }
  }
}

function sameReading(a: Reading, b: Reading): boolean {
  return a.value === b.value && a.measuredAt === b.measuredAt && a.text === b.text;
}
