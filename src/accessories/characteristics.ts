/**
 * Custom characteristics, shown by Eve and similar apps (Apple Home ignores them): the exact value
 * of each metric in its unit, and when it was measured. Built from `api.hap` at runtime, one class
 * per UUID from the catalog.
 */
import type { Characteristic, HAP, WithUUID } from 'homebridge';

import { LAST_SEEN_UUID, MEASURED_AT_UUID, type MetricDefinition } from '../metrics/catalog.js';
import { EXACT_VALUE_PROPS } from './hap-values.js';

export type CharacteristicClass = WithUUID<new () => Characteristic>;

export interface CustomCharacteristics {
  /** The exact value of `metric` (float in its unit; text for `sleep_state`). */
  exactValue(metric: MetricDefinition): CharacteristicClass;
  /** When the shown value was measured (ISO 8601 text). */
  readonly measuredAt: CharacteristicClass;
  /** When a Withings device last synced with the Withings cloud (ISO 8601 text). */
  readonly lastSeen: CharacteristicClass;
}

const built = new WeakMap<HAP, CustomCharacteristics>();

function define(hap: HAP, name: string, uuid: string, props: ConstructorParameters<HAP['Characteristic']>[2]): CharacteristicClass {
  const Base = hap.Characteristic;
  const Custom = class extends Base {
    static readonly UUID = uuid;
    constructor() {
      super(name, uuid, props);
      this.value = this.getDefaultValue();
    }
  };
  return Custom;
}

export function customCharacteristics(hap: HAP): CustomCharacteristics {
  const existing = built.get(hap);
  if (existing) {
    return existing;
  }
  const read = [hap.Perms.PAIRED_READ, hap.Perms.NOTIFY];
  const byKey = new Map<string, CharacteristicClass>();
  const types: CustomCharacteristics = {
    exactValue(metric) {
      let cls = byKey.get(metric.key);
      if (!cls) {
        cls = metric.source.kind === 'sleep-state' || metric.source.kind === 'bed-presence'
          ? define(hap, metric.source.kind === 'sleep-state' ? 'Sleep State' : 'Bed Presence', metric.uuid, { format: hap.Formats.STRING, perms: read })
          : define(hap, `${metric.label}${metric.unit ? ` (${metric.unit})` : ''}`, metric.uuid, {
            format: hap.Formats.FLOAT,
            unit: metric.unit,
            perms: read,
            minValue: EXACT_VALUE_PROPS.minValue,
            maxValue: EXACT_VALUE_PROPS.maxValue,
          });
        byKey.set(metric.key, cls);
      }
      return cls;
    },
    measuredAt: define(hap, 'Measured At', MEASURED_AT_UUID, { format: hap.Formats.STRING, perms: read }),
    lastSeen: define(hap, 'Last Seen', LAST_SEEN_UUID, { format: hap.Formats.STRING, perms: read }),
  };
  built.set(hap, types);
  return types;
}
