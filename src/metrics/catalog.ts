/**
 * The metric catalog: the one place where a measurement is described.
 *
 * Everything else is driven from these rows: config validation, the schema titles, the Withings
 * fields requested, the value rules applied, the HomeKit services built, the Matter endpoints, the
 * README tables. Adding a metric means adding one row. This file has no Homebridge imports so that
 * the plugin, the settings UI server and the tools can all read it.
 */

import type { MetricSource, SleepAggregation } from './values.js';

/** Accessories a profile is split into, so that rooms make sense in the Home app. */
export type MetricGroup = 'body' | 'heart' | 'temperature' | 'sleep';


/** The HomeKit service that carries the value so that Apple Home shows it and can automate on it. */
export type HomeKitServiceKind = 'LightSensor' | 'TemperatureSensor' | 'HumiditySensor' | 'OccupancySensor';

/** The Matter device type, or null when no Matter device type can carry the value honestly. */
export type MatterKind = 'TemperatureSensor' | 'HumiditySensor' | 'OccupancySensor' | null;

export interface MetricDefinition {
  /** The Home Assistant 0.97 key, also the `measurements` config value. */
  readonly key: string;
  readonly label: string;
  readonly unit: string;
  readonly group: MetricGroup;
  readonly source: MetricSource;
  readonly homekit: HomeKitServiceKind;
  readonly matter: MatterKind;
  /**
   * Fixed UUID of the custom characteristic holding the exact value (for `sleep_state`: the state
   * as text). Never change a published one: apps and users' automations refer to it.
   */
  readonly uuid: string;
  /** Decimals used when the value is written to the log or the README. */
  readonly decimals: number;
  /** The service Apple Home shows on the group's tile when several are present. */
  readonly primary?: boolean;
  /** The kind of reading a new value of this metric is part of (its "new reading" button). */
  readonly reading?: ReadingKindId;
  /**
   * What Apple Home shows instead of the value in `unit`, when that unit reads badly as lux: Home and
   * Config UI X show a light level without useful decimals (1.68 m reads "2 lux"), so height is
   * shown in centimetres (168 lux). The exact value in `unit` stays in the custom characteristic.
   */
  readonly homekitShows?: { readonly unit: string; readonly factor: number };
}

/** Kinds of readings that get a "new reading" button (see `READING_KINDS`). */
export type ReadingKindId = 'weigh-in' | 'blood-pressure' | 'temperature' | 'night';

export interface ReadingKind {
  readonly id: ReadingKindId;
  readonly label: string;
  /** The accessory the button lives on. */
  readonly group: MetricGroup;
}

export const READING_KINDS: readonly ReadingKind[] = [
  { id: 'weigh-in', label: 'Weigh-in', group: 'body' },
  { id: 'blood-pressure', label: 'Blood Pressure Reading', group: 'heart' },
  { id: 'temperature', label: 'Thermometer Reading', group: 'temperature' },
  { id: 'night', label: 'Night Finished', group: 'sleep' },
];

/** Custom-characteristic UUIDs share this tail; the first block numbers them. */
const uuid = (n: number): string => `2B29${n.toString(16).toUpperCase().padStart(4, '0')}-25B4-4CDE-A742-8509B937C2A3`;

/** UUID of the "Measured At" characteristic every metric service carries. */
export const MEASURED_AT_UUID = uuid(0x100);

const measure = (measureType: number): MetricSource => ({ kind: 'measure', measureType });
const summary = (aggregate: SleepAggregation, ...fields: string[]): MetricSource => ({ kind: 'summary', fields, aggregate });

export const METRICS: readonly MetricDefinition[] = [
  { key: 'weight_kg', label: 'Weight', unit: 'kg', group: 'body', source: measure(1), homekit: 'LightSensor', matter: null, reading: 'weigh-in', uuid: uuid(1), decimals: 2, primary: true },
  { key: 'fat_mass_kg', label: 'Fat Mass', unit: 'kg', group: 'body', source: measure(8), homekit: 'LightSensor', matter: null, reading: 'weigh-in', uuid: uuid(2), decimals: 2 },
  { key: 'fat_free_mass_kg', label: 'Fat-Free Mass', unit: 'kg', group: 'body', source: measure(5), homekit: 'LightSensor', matter: null, reading: 'weigh-in', uuid: uuid(3), decimals: 2 },
  { key: 'muscle_mass_kg', label: 'Muscle Mass', unit: 'kg', group: 'body', source: measure(76), homekit: 'LightSensor', matter: null, reading: 'weigh-in', uuid: uuid(4), decimals: 2 },
  { key: 'bone_mass_kg', label: 'Bone Mass', unit: 'kg', group: 'body', source: measure(88), homekit: 'LightSensor', matter: null, reading: 'weigh-in', uuid: uuid(5), decimals: 2 },
  { key: 'height_m', label: 'Height', unit: 'm', group: 'body', source: measure(4), homekit: 'LightSensor', matter: null, uuid: uuid(6), decimals: 2, homekitShows: { unit: 'cm', factor: 100 } },
  { key: 'temperature_c', label: 'Temperature', unit: '°C', group: 'temperature', source: measure(12), homekit: 'TemperatureSensor', matter: 'TemperatureSensor', reading: 'temperature', uuid: uuid(7), decimals: 2 },
  { key: 'body_temperature_c', label: 'Body Temperature', unit: '°C', group: 'temperature', source: measure(71), homekit: 'TemperatureSensor', matter: 'TemperatureSensor', reading: 'temperature', uuid: uuid(8), decimals: 2, primary: true },
  { key: 'skin_temperature_c', label: 'Skin Temperature', unit: '°C', group: 'temperature', source: measure(73), homekit: 'TemperatureSensor', matter: 'TemperatureSensor', reading: 'temperature', uuid: uuid(9), decimals: 2 },
  { key: 'fat_ratio_pct', label: 'Fat Ratio', unit: '%', group: 'body', source: measure(6), homekit: 'HumiditySensor', matter: 'HumiditySensor', reading: 'weigh-in', uuid: uuid(10), decimals: 2 },
  { key: 'diastolic_blood_pressure_mmhg', label: 'Diastolic Blood Pressure', unit: 'mmHg', group: 'heart', source: measure(9), homekit: 'LightSensor', matter: null, reading: 'blood-pressure', uuid: uuid(11), decimals: 0 },
  { key: 'systolic_blood_pressure_mmhg', label: 'Systolic Blood Pressure', unit: 'mmHg', group: 'heart', source: measure(10), homekit: 'LightSensor', matter: null, reading: 'blood-pressure', uuid: uuid(12), decimals: 0, primary: true },
  { key: 'heart_pulse_bpm', label: 'Heart Pulse', unit: 'bpm', group: 'heart', source: measure(11), homekit: 'LightSensor', matter: null, uuid: uuid(13), decimals: 0 },
  { key: 'spo2_pct', label: 'SpO2', unit: '%', group: 'heart', source: measure(54), homekit: 'HumiditySensor', matter: 'HumiditySensor', uuid: uuid(14), decimals: 1 },
  { key: 'hydration', label: 'Hydration', unit: 'kg', group: 'body', source: measure(77), homekit: 'LightSensor', matter: null, reading: 'weigh-in', uuid: uuid(15), decimals: 2 },
  { key: 'pulse_wave_velocity', label: 'Pulse Wave Velocity', unit: 'm/s', group: 'heart', source: measure(91), homekit: 'LightSensor', matter: null, uuid: uuid(16), decimals: 2 },
  { key: 'sleep_state', label: 'Asleep', unit: '', group: 'sleep', source: { kind: 'sleep-state' }, homekit: 'OccupancySensor', matter: 'OccupancySensor', uuid: uuid(17), decimals: 0, primary: true },
  // Set by Withings' in-bed / out-of-bed notifications only (src/notify), so it exists only when `notifications` is configured.
  { key: 'in_bed', label: 'In Bed', unit: '', group: 'sleep', source: { kind: 'bed-presence' }, homekit: 'OccupancySensor', matter: 'OccupancySensor', uuid: uuid(0xB0), decimals: 0 },
  { key: 'sleep_wakeup_duration_seconds', label: 'Awake Time', unit: 's', group: 'sleep', source: summary('sum', 'wakeupduration'), homekit: 'LightSensor', matter: null, reading: 'night', uuid: uuid(18), decimals: 0 },
  { key: 'sleep_light_duration_seconds', label: 'Light Sleep', unit: 's', group: 'sleep', source: summary('sum', 'lightsleepduration'), homekit: 'LightSensor', matter: null, reading: 'night', uuid: uuid(19), decimals: 0 },
  { key: 'sleep_deep_duration_seconds', label: 'Deep Sleep', unit: 's', group: 'sleep', source: summary('sum', 'deepsleepduration'), homekit: 'LightSensor', matter: null, reading: 'night', uuid: uuid(20), decimals: 0 },
  { key: 'sleep_rem_duration_seconds', label: 'REM Sleep', unit: 's', group: 'sleep', source: summary('sum', 'remsleepduration'), homekit: 'LightSensor', matter: null, reading: 'night', uuid: uuid(21), decimals: 0 },
  { key: 'sleep_wakeup_count', label: 'Wake-ups', unit: 'count', group: 'sleep', source: summary('sum', 'wakeupcount'), homekit: 'LightSensor', matter: null, reading: 'night', uuid: uuid(22), decimals: 0 },
  { key: 'sleep_tosleep_duration_seconds', label: 'Falling Asleep Time', unit: 's', group: 'sleep', source: summary('sum', 'sleep_latency', 'durationtosleep'), homekit: 'LightSensor', matter: null, reading: 'night', uuid: uuid(23), decimals: 0 },
  { key: 'sleep_towakeup_duration_seconds', label: 'Getting Up Time', unit: 's', group: 'sleep', source: summary('sum', 'wakeup_latency', 'durationtowakeup'), homekit: 'LightSensor', matter: null, reading: 'night', uuid: uuid(24), decimals: 0 },
  { key: 'sleep_heart_rate_average_bpm', label: 'Avg Heart Rate Asleep', unit: 'bpm', group: 'sleep', source: summary('weighted-average', 'hr_average'), homekit: 'LightSensor', matter: null, reading: 'night', uuid: uuid(25), decimals: 1 },
  { key: 'sleep_heart_rate_max_bpm', label: 'Max Heart Rate Asleep', unit: 'bpm', group: 'sleep', source: summary('max', 'hr_max'), homekit: 'LightSensor', matter: null, reading: 'night', uuid: uuid(26), decimals: 0 },
  { key: 'sleep_heart_rate_min_bpm', label: 'Min Heart Rate Asleep', unit: 'bpm', group: 'sleep', source: summary('min', 'hr_min'), homekit: 'LightSensor', matter: null, reading: 'night', uuid: uuid(27), decimals: 0 },
  { key: 'sleep_respiratory_average_bpm', label: 'Avg Breathing Asleep', unit: 'br/min', group: 'sleep', source: summary('weighted-average', 'rr_average'), homekit: 'LightSensor', matter: null, reading: 'night', uuid: uuid(28), decimals: 1 },
  { key: 'sleep_respiratory_max_bpm', label: 'Max Breathing Asleep', unit: 'br/min', group: 'sleep', source: summary('max', 'rr_max'), homekit: 'LightSensor', matter: null, reading: 'night', uuid: uuid(29), decimals: 0 },
  { key: 'sleep_respiratory_min_bpm', label: 'Min Breathing Asleep', unit: 'br/min', group: 'sleep', source: summary('min', 'rr_min'), homekit: 'LightSensor', matter: null, reading: 'night', uuid: uuid(30), decimals: 0 },
];

export const METRIC_KEYS: readonly string[] = METRICS.map((m) => m.key);

const BY_KEY = new Map(METRICS.map((m) => [m.key, m]));

export function metricByKey(key: string): MetricDefinition | undefined {
  return BY_KEY.get(key);
}

/** Human titles of the accessory groups: "<Profile> Body", "<Profile> Heart", … */
export const GROUP_LABELS: Readonly<Record<MetricGroup, string>> = {
  body: 'Body',
  heart: 'Heart',
  // Not "Temperature": that is the name of the temperature_c sensor inside this accessory.
  temperature: 'Temperatures',
  sleep: 'Sleep',
};

/** Measure types whose new group is a reading of `kind` (every catalog row of that kind). */
export function readingMeasureTypes(kind: ReadingKindId, metrics: readonly MetricDefinition[] = METRICS): number[] {
  return metrics.flatMap((m) => (m.reading === kind && m.source.kind === 'measure' ? [m.source.measureType] : []));
}

/** The OAuth scope a metric's Withings source needs (docs/withings-api.md#scopes). */
export function scopeFor(metric: MetricDefinition): 'user.metrics' | 'user.activity' | 'user.sleepevents' {
  if (metric.source.kind === 'bed-presence') {
    return 'user.sleepevents';
  }
  return metric.source.kind === 'measure' ? 'user.metrics' : 'user.activity';
}

/** Every Withings measure type the selected metrics read (for `meastypes` and filtering). */
export function measureTypes(metrics: readonly MetricDefinition[]): number[] {
  return metrics.flatMap((m) => (m.source.kind === 'measure' ? [m.source.measureType] : []));
}

/** Every sleep-summary field the selected metrics read, plus what the value rules need as weights. */
export function summaryFields(metrics: readonly MetricDefinition[]): string[] {
  const fields = new Set<string>();
  for (const m of metrics) {
    if (m.source.kind === 'summary') {
      m.source.fields.forEach((f) => fields.add(f));
      if (m.source.aggregate === 'weighted-average') {
        SLEEP_WEIGHT_FIELDS.forEach((f) => fields.add(f));
      }
    }
  }
  return [...fields];
}

/** Fields that give a night's sleep time, the weight of its averages (see `sleepTime` in withings/values). */
const SLEEP_WEIGHT_FIELDS = ['lightsleepduration', 'deepsleepduration', 'remsleepduration', 'total_sleep_time', 'asleepduration'] as const;

/** Key → Withings source, the input of `computeValues`. */
export function sourcesOf(metrics: readonly MetricDefinition[]): Map<string, MetricSource> {
  return new Map(metrics.map((m) => [m.key, m.source]));
}
