/**
 * Matter endpoints on Homebridge 2.x (opt-in with `"matter": true`), from the same catalog: the
 * temperatures as Matter temperature sensors (0.01 °C), the percentages as humidity-type sensors
 * (0.01 %), `sleep_state` as an occupancy sensor (occupied = asleep). Other quantities (kg, mmHg,
 * bpm, seconds…) have no Matter device type that can carry them honestly, so they stay HAP-only.
 *
 * Homebridge does not republish cached Matter accessories by itself: every run registers them
 * again (it then restores their cached state); those no longer wanted are unregistered.
 */
import type { API, MatterAccessory } from 'homebridge';

import type { Reading } from '../../metrics/values.js';
import type { MetricDefinition } from '../../metrics/catalog.js';
import { describeError } from '../../util/log.js';
import { occupancy } from '../hap-values.js';
import { composeName } from '../names.js';
import type { GroupFeature } from '../feature.js';
import type { GroupAccessory } from '../group-accessory.js';

type MatterApi = NonNullable<API['matter']>;

export interface MatterClusterState {
  readonly cluster: 'temperatureMeasurement' | 'relativeHumidityMeasurement' | 'occupancySensing';
  readonly attributes: Record<string, unknown>;
}

/** Matter's int16 0.01 °C range. */
const TEMPERATURE_RANGE = [-27_315, 32_767] as const;

/** Pure: the cluster state that carries a metric's reading (null = unknown, never 0). */
export function matterState(metric: MetricDefinition, reading: Reading | undefined, nowSeconds: number): MatterClusterState | undefined {
  switch (metric.matter) {
    case 'TemperatureSensor':
      return {
        cluster: 'temperatureMeasurement',
        attributes: { measuredValue: reading === undefined ? null : clamp(Math.round(reading.value * 100), ...TEMPERATURE_RANGE) },
      };
    case 'HumiditySensor':
      return {
        cluster: 'relativeHumidityMeasurement',
        attributes: { measuredValue: reading === undefined ? null : clamp(Math.round(reading.value * 100), 0, 10_000) },
      };
    case 'OccupancySensor':
      return { cluster: 'occupancySensing', attributes: { occupancy: { occupied: occupancy(metric, reading, nowSeconds) === 1 } } };
    default:
      return undefined;
  }
}

const clamp = (v: number, min: number, max: number): number => Math.min(max, Math.max(min, v));

/** The stable identity of a metric's Matter endpoint: the Withings user and the metric key. */
export const matterKey = (userid: string, metricKey: string): string => `homebridge-withings:matter:${userid}:${metricKey}`;

export interface MatterContext {
  profile: string;
  userid: string;
  key: string;
}

/**
 * Pure: the cached Matter endpoints nobody wants any more — Matter turned off, a profile removed,
 * a measurement deselected, or a profile now linked to another Withings user. `ownerOf` says which
 * profile (and its linked user) an endpoint's context belongs to, if any.
 */
export function unwantedEndpoints<T extends { context: unknown }>(
  cached: readonly T[],
  enabled: boolean,
  selected: ReadonlySet<string>,
  ownerOf: (ctx: Partial<MatterContext>) => { linkedUserid?: string } | undefined,
): T[] {
  return cached.filter((a) => {
    const ctx = a.context as Partial<MatterContext>;
    const owner = ownerOf(ctx);
    const userid = owner?.linkedUserid;
    return !enabled || !owner || !ctx.key || !selected.has(ctx.key) || (userid !== undefined && userid !== ctx.userid);
  });
}

export interface MatterLog {
  debug(message: string, ...args: unknown[]): void;
  error(message: string, ...args: unknown[]): void;
}

/**
 * One profile's Matter endpoints. A group feature: each time a group accessory's values change
 * (and at start, from the cached values) the endpoints of its metrics are registered or updated.
 */
export class MatterSensors implements GroupFeature {
  /** uuid → the last state sent, once registration has been requested. */
  private readonly sent = new Map<string, { state: string; ready: Promise<void> }>();

  constructor(
    private readonly matter: MatterApi,
    private readonly ids: { plugin: string; platform: string },
    private readonly metrics: readonly MetricDefinition[],
    private readonly log: MatterLog,
    private readonly now: () => number,
    private readonly firmware: string,
  ) {}

  /** Unregisters the endpoints of the person the profile showed before a re-link to someone else. */
  userChanged(userid: string): void {
    const mine = new Set(this.metrics.map((m) => this.matter.uuid.generate(matterKey(userid, m.key))));
    const old = [...this.sent.keys()].filter((uuid) => !mine.has(uuid));
    for (const uuid of old) {
      const entry = this.sent.get(uuid)!;
      this.sent.delete(uuid);
      void entry.ready
        .then(() => this.matter.unregisterPlatformAccessories(this.ids.plugin, this.ids.platform, [{ UUID: uuid } as MatterAccessory]))
        .catch((e: unknown) => this.log.error('Matter: could not remove an old endpoint: %s', describeError(e)));
    }
  }

  attach(group: GroupAccessory): void {
    const ctx = group.context;
    for (const metric of group.metrics) {
      const reading = ctx.values[metric.key];
      if (!metric.matter || reading === undefined) {
        continue;
      }
      const state = matterState(metric, reading, this.now());
      if (state) {
        this.publish(ctx.profile, ctx.userid, group.profile.displayName, metric, state);
      }
    }
  }

  private publish(profile: string, userid: string, displayName: string, metric: MetricDefinition, state: MatterClusterState): void {
    const uuid = this.matter.uuid.generate(matterKey(userid, metric.key));
    const serialized = JSON.stringify(state);
    const previous = this.sent.get(uuid);
    if (previous?.state === serialized) {
      return;
    }
    if (!previous) {
      const accessory: MatterAccessory<MatterContext> = {
        UUID: uuid,
        displayName: composeName(displayName, metric.label),
        deviceType: this.deviceType(metric),
        serialNumber: `${userid}-${metric.key}`.slice(0, 32),
        manufacturer: 'Withings',
        model: metric.label,
        firmwareRevision: this.firmware,
        context: { profile, userid, key: metric.key },
        clusters: { [state.cluster]: { ...initialAttributes(metric), ...state.attributes } },
      };
      const ready = this.matter.registerPlatformAccessories(this.ids.plugin, this.ids.platform, [accessory])
        .then(() => this.log.debug('Matter: %s registered', accessory.displayName))
        // Homebridge restores the cached state on registration: set the current one afterwards.
        .then(() => this.matter.updateAccessoryState(uuid, state.cluster, state.attributes))
        .catch((e: unknown) => this.log.error('Matter: could not register %s: %s', accessory.displayName, describeError(e)));
      this.sent.set(uuid, { state: serialized, ready });
      return;
    }
    const ready = previous.ready
      .then(() => this.matter.updateAccessoryState(uuid, state.cluster, state.attributes))
      .catch((e: unknown) => this.log.error('Matter: could not update %s: %s', metric.label, describeError(e)));
    this.sent.set(uuid, { state: serialized, ready });
  }

  private deviceType(metric: MetricDefinition): MatterAccessory['deviceType'] {
    const types = this.matter.deviceTypes;
    switch (metric.matter) {
      case 'TemperatureSensor':
        return types.TemperatureSensor;
      case 'HumiditySensor':
        return types.HumiditySensor;
      default: {
        // Homebridge 2.1's MotionSensor (matter.js OccupancySensorDevice) lacks its mandatory
        // OccupancySensing server; without it the occupancy state is silently dropped.
        const occupancy = types.MotionSensor;
        return occupancy.with(occupancy.requirements.OccupancySensingServer.with('PassiveInfrared'));
      }
    }
  }
}

/** Attributes a cluster needs at creation besides the value (measurement ranges, sensor type). */
function initialAttributes(metric: MetricDefinition): Record<string, unknown> {
  switch (metric.matter) {
    case 'TemperatureSensor':
      return { minMeasuredValue: null, maxMeasuredValue: null };
    case 'HumiditySensor':
      return { minMeasuredValue: 0, maxMeasuredValue: 10_000 };
    default:
      return { occupancySensorType: 0, occupancySensorTypeBitmap: { pir: true, ultrasonic: false, physicalContact: false } };
  }
}
