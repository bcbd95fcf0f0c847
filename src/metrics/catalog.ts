/**
 * The metric catalog: the one place where a measurement is described.
 *
 * Everything else is driven from these rows: config validation, the schema titles, the Withings
 * fields requested, the value rules applied, the HomeKit services built, the Matter endpoints, the
 * README tables. Adding a metric means adding one row. This file has no Homebridge imports so that
 * the plugin, the settings UI server and the tools can all read it.
 */

import { type GoalKind, HEIGHT, type MetricSource, type SleepAggregation, WEIGHT } from './values.js';

/** Accessories a profile is split into, so that rooms make sense in the Home app. */
export type MetricGroup = 'body' | 'heart' | 'temperature' | 'sleep' | 'activity';


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
/** UUID of the "Last Seen" characteristic of a Withings device's accessory (its last sync, ISO 8601). */
export const LAST_SEEN_UUID = uuid(0x101);

const measure = (measureType: number): MetricSource => ({ kind: 'measure', measureType });
const summary = (aggregate: SleepAggregation, ...fields: string[]): MetricSource => ({ kind: 'summary', fields, aggregate });
const activity = (field: string): MetricSource => ({ kind: 'activity', field });
const goal = (which: GoalKind): MetricSource => ({ kind: 'goal', goal: which });

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
  // Activity today (getactivity), in the profile's time zone; 0 from local midnight until today's row arrives.
  { key: 'steps_today', label: 'Steps Today', unit: 'count', group: 'activity', source: activity('steps'), homekit: 'LightSensor', matter: null, uuid: uuid(31), decimals: 0, primary: true },
  { key: 'distance_today_m', label: 'Distance Today', unit: 'm', group: 'activity', source: activity('distance'), homekit: 'LightSensor', matter: null, uuid: uuid(32), decimals: 0 },
  { key: 'elevation_today_m', label: 'Elevation Today', unit: 'm', group: 'activity', source: activity('elevation'), homekit: 'LightSensor', matter: null, uuid: uuid(33), decimals: 0 },
  { key: 'active_time_today_seconds', label: 'Active Time Today', unit: 's', group: 'activity', source: activity('active'), homekit: 'LightSensor', matter: null, uuid: uuid(34), decimals: 0 },
  { key: 'soft_activity_today_seconds', label: 'Light Activity Today', unit: 's', group: 'activity', source: activity('soft'), homekit: 'LightSensor', matter: null, uuid: uuid(35), decimals: 0 },
  { key: 'moderate_activity_today_seconds', label: 'Moderate Activity Today', unit: 's', group: 'activity', source: activity('moderate'), homekit: 'LightSensor', matter: null, uuid: uuid(36), decimals: 0 },
  { key: 'intense_activity_today_seconds', label: 'Intense Activity Today', unit: 's', group: 'activity', source: activity('intense'), homekit: 'LightSensor', matter: null, uuid: uuid(37), decimals: 0 },
  { key: 'active_calories_today_kcal', label: 'Active Calories Today', unit: 'kcal', group: 'activity', source: activity('calories'), homekit: 'LightSensor', matter: null, uuid: uuid(38), decimals: 0 },
  { key: 'total_calories_today_kcal', label: 'Total Calories Today', unit: 'kcal', group: 'activity', source: activity('totalcalories'), homekit: 'LightSensor', matter: null, uuid: uuid(39), decimals: 0 },
  // More sleep-summary fields; `-1` from Withings means "not computed" (no value).
  { key: 'sleep_score', label: 'Sleep Score', unit: 'points', group: 'sleep', source: summary('longest-night', 'sleep_score'), homekit: 'LightSensor', matter: null, reading: 'night', uuid: uuid(40), decimals: 0 },
  { key: 'sleep_snoring_duration_seconds', label: 'Snoring', unit: 's', group: 'sleep', source: summary('sum', 'snoring'), homekit: 'LightSensor', matter: null, reading: 'night', uuid: uuid(41), decimals: 0 },
  { key: 'sleep_snoring_episode_count', label: 'Snoring Episodes', unit: 'count', group: 'sleep', source: summary('sum', 'snoringepisodecount'), homekit: 'LightSensor', matter: null, reading: 'night', uuid: uuid(42), decimals: 0 },
  { key: 'sleep_breathing_disturbances_intensity', label: 'Breathing Disturbances', unit: 'index', group: 'sleep', source: summary('longest-night', 'breathing_disturbances_intensity'), homekit: 'LightSensor', matter: null, reading: 'night', uuid: uuid(43), decimals: 0 },
  { key: 'sleep_apnea_hypopnea_index', label: 'Apnea-Hypopnea Index', unit: 'events/h', group: 'sleep', source: summary('longest-night', 'apnea_hypopnea_index'), homekit: 'LightSensor', matter: null, reading: 'night', uuid: uuid(44), decimals: 1 },
  { key: 'sleep_total_duration_seconds', label: 'Total Sleep Time', unit: 's', group: 'sleep', source: summary('sum', 'total_sleep_time'), homekit: 'LightSensor', matter: null, reading: 'night', uuid: uuid(45), decimals: 0 },
  { key: 'sleep_time_in_bed_seconds', label: 'Time in Bed', unit: 's', group: 'sleep', source: summary('sum', 'total_timeinbed'), homekit: 'LightSensor', matter: null, reading: 'night', uuid: uuid(46), decimals: 0 },
  { key: 'sleep_efficiency_pct', label: 'Sleep Efficiency', unit: '%', group: 'sleep', source: { kind: 'summary', fields: ['sleep_efficiency'], aggregate: 'longest-night', scale: 100 }, homekit: 'HumiditySensor', matter: null, reading: 'night', uuid: uuid(47), decimals: 0 },
  // Newer body measures (getmeas, same rules as the others).
  { key: 'vo2max_ml_min_kg', label: 'VO2 Max', unit: 'ml/min/kg', group: 'heart', source: measure(123), homekit: 'LightSensor', matter: null, uuid: uuid(48), decimals: 1 },
  { key: 'extracellular_water_kg', label: 'Extracellular Water', unit: 'kg', group: 'body', source: measure(168), homekit: 'LightSensor', matter: null, reading: 'weigh-in', uuid: uuid(49), decimals: 2 },
  { key: 'intracellular_water_kg', label: 'Intracellular Water', unit: 'kg', group: 'body', source: measure(169), homekit: 'LightSensor', matter: null, reading: 'weigh-in', uuid: uuid(50), decimals: 2 },
  { key: 'visceral_fat_index', label: 'Visceral Fat', unit: 'index', group: 'body', source: measure(170), homekit: 'LightSensor', matter: null, reading: 'weigh-in', uuid: uuid(51), decimals: 1 },
  { key: 'vascular_age_years', label: 'Vascular Age', unit: 'years', group: 'heart', source: measure(155), homekit: 'LightSensor', matter: null, uuid: uuid(52), decimals: 0 },
  { key: 'basal_metabolic_rate_kcal', label: 'Basal Metabolic Rate', unit: 'kcal', group: 'body', source: measure(226), homekit: 'LightSensor', matter: null, reading: 'weigh-in', uuid: uuid(53), decimals: 0 },
  { key: 'metabolic_age_years', label: 'Metabolic Age', unit: 'years', group: 'body', source: measure(227), homekit: 'LightSensor', matter: null, reading: 'weigh-in', uuid: uuid(54), decimals: 0 },
  { key: 'nerve_health_score_feet', label: 'Nerve Health Score', unit: 'score', group: 'body', source: measure(167), homekit: 'LightSensor', matter: null, reading: 'weigh-in', uuid: uuid(55), decimals: 0 },
  { key: 'electrodermal_activity_feet_pct', label: 'Electrodermal Activity', unit: '%', group: 'body', source: measure(196), homekit: 'HumiditySensor', matter: null, reading: 'weigh-in', uuid: uuid(56), decimals: 0 },
  { key: 'bmi', label: 'BMI', unit: 'kg/m²', group: 'body', source: { kind: 'bmi' }, homekit: 'LightSensor', matter: null, uuid: uuid(57), decimals: 1 },
  // Goals (getgoals, hourly).
  { key: 'steps_goal', label: 'Steps Goal', unit: 'count', group: 'activity', source: goal('steps'), homekit: 'LightSensor', matter: null, uuid: uuid(58), decimals: 0 },
  { key: 'sleep_goal_seconds', label: 'Sleep Goal Time', unit: 's', group: 'sleep', source: goal('sleep'), homekit: 'LightSensor', matter: null, uuid: uuid(59), decimals: 0 },
  { key: 'weight_goal_kg', label: 'Weight Goal', unit: 'kg', group: 'body', source: goal('weight'), homekit: 'LightSensor', matter: null, uuid: uuid(60), decimals: 2 },
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
  activity: 'Activity',
};

/** Measure types whose new group is a reading of `kind` (every catalog row of that kind). */
export function readingMeasureTypes(kind: ReadingKindId, metrics: readonly MetricDefinition[] = METRICS): number[] {
  return metrics.flatMap((m) => (m.reading === kind && m.source.kind === 'measure' ? [m.source.measureType] : []));
}

/** The OAuth scope a metric's Withings source needs (docs/withings-api.md#scopes). */
export function scopeFor(metric: MetricDefinition): 'user.metrics' | 'user.activity' | 'user.sleepevents' {
  const { source } = metric;
  if (source.kind === 'bed-presence') {
    return 'user.sleepevents';
  }
  // getgoals has no documented scope; a goal is shown beside the data it is about.
  const metrics = source.kind === 'measure' || source.kind === 'bmi' || (source.kind === 'goal' && source.goal === 'weight');
  return metrics ? 'user.metrics' : 'user.activity';
}

/** Every Withings measure type the selected metrics read (for `meastypes` and filtering). */
export function measureTypes(metrics: readonly MetricDefinition[]): number[] {
  const types = metrics.flatMap((m) => (m.source.kind === 'measure' ? [m.source.measureType] : m.source.kind === 'bmi' ? [WEIGHT, HEIGHT] : []));
  return [...new Set(types)];
}

/** Every getactivity field the selected metrics read (empty: no getactivity at all). */
export function activityFields(metrics: readonly MetricDefinition[]): string[] {
  return [...new Set(metrics.flatMap((m) => (m.source.kind === 'activity' ? [m.source.field] : [])))];
}

/** Whether any selected metric shows a goal (getgoals is read hourly then). */
export const readsGoals = (metrics: readonly MetricDefinition[]): boolean => metrics.some((m) => m.source.kind === 'goal');

/** Every sleep-summary field the selected metrics read, plus what the value rules need as weights. */
export function summaryFields(metrics: readonly MetricDefinition[]): string[] {
  const fields = new Set<string>();
  for (const m of metrics) {
    if (m.source.kind === 'summary') {
      m.source.fields.forEach((f) => fields.add(f));
      if (m.source.aggregate === 'weighted-average' || m.source.aggregate === 'longest-night') {
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
