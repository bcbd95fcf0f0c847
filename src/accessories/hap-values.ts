/**
 * How a metric's value becomes HomeKit characteristic values (pure: no HAP objects). The props set
 * on each characteristic and the clamping here agree, so HAP-NodeJS never logs "illegal value".
 */
import type { Reading } from '../metrics/values.js';
import { isAsleep, SLEEP_STATE_WINDOW_SECONDS } from '../metrics/values.js';
import type { HomeKitServiceKind, MetricDefinition } from '../metrics/catalog.js';

export interface NumericProps {
  readonly minValue: number;
  readonly maxValue: number;
  /** A step rounds values; `null` removes HAP's default step so the value is passed on exactly. */
  readonly minStep?: number | null;
}

/**
 * Props of the value characteristic Apple Home shows, per service kind. No step: HAP-NodeJS would
 * otherwise round 18.457 % to 18 % (humidity, step 1) and 36.65 °C with float noise (step 0.1);
 * the Home app rounds for display by itself, and Matter gets the same exact value.
 */
export const SERVICE_PROPS: Readonly<Record<Exclude<HomeKitServiceKind, 'OccupancySensor'>, NumericProps>> = {
  // Lux' minimum is 0.0001 by default; 0 must be legal (0 s of REM sleep, 0 wake-ups).
  LightSensor: { minValue: 0, maxValue: 100_000 },
  TemperatureSensor: { minValue: -50, maxValue: 100, minStep: null },
  HumiditySensor: { minValue: 0, maxValue: 100, minStep: null },
};

/** Props of the exact-value custom characteristic (float, the seed key's unit). */
export const EXACT_VALUE_PROPS: NumericProps = { minValue: -1_000_000, maxValue: 1_000_000_000 };

/** Clamps to [min, max] (and rounds to the step, if any) so that HAP-NodeJS has nothing to correct. */
export function clampToProps(value: number, props: NumericProps): number {
  if (Number.isNaN(value)) {
    return props.minValue; // unreachable for validated readings; HAP must never get NaN
  }
  let v = Math.min(props.maxValue, Math.max(props.minValue, value));
  if (props.minStep) {
    const decimals = Math.max(0, -Math.floor(Math.log10(props.minStep)));
    v = Number((Math.round((v - props.minValue) / props.minStep) * props.minStep + props.minValue).toFixed(decimals));
    v = Math.min(props.maxValue, Math.max(props.minValue, v));
  }
  return v;
}

/** What Apple Home shows for a metric's reading (the primary characteristic's value). */
export function homeKitValue(metric: MetricDefinition, reading: Reading, nowSeconds: number): number {
  if (metric.homekit === 'OccupancySensor') {
    return occupancy(metric, reading, nowSeconds);
  }
  const shown = metric.homekitShows ? reading.value * metric.homekitShows.factor : reading.value;
  return clampToProps(shown, SERVICE_PROPS[metric.homekit]);
}

/** A sleep-state reading still inside the 6-hour window, else undefined (unknown). */
export function freshSleepState(reading: Reading | undefined, nowSeconds: number): Reading | undefined {
  return reading !== undefined && nowSeconds - reading.measuredAt <= SLEEP_STATE_WINDOW_SECONDS ? reading : undefined;
}

/** 1 (detected) while light, deep or REM and the segment is at most 6 h old; else 0. */
export function sleepOccupancy(reading: Reading | undefined, nowSeconds: number): 0 | 1 {
  return isAsleep(freshSleepState(reading, nowSeconds)) ? 1 : 0;
}

/** In bed (1) or not (0): the last in-bed / out-of-bed event decides, however old (the mat reports every change). */
export const bedOccupancy = (reading: Reading | undefined): 0 | 1 => (reading?.value === 1 ? 1 : 0);

/** OccupancyDetected of an occupancy metric: asleep for `sleep_state`, in bed for `in_bed`. */
export function occupancy(metric: MetricDefinition, reading: Reading | undefined, nowSeconds: number): 0 | 1 {
  return metric.source.kind === 'bed-presence' ? bedOccupancy(reading) : sleepOccupancy(reading, nowSeconds);
}

/** The text of an in-bed reading. */
export const bedText = (reading: Reading): string => reading.text ?? (reading.value === 1 ? 'in bed' : 'out of bed');

/** The exact value, as the custom characteristic carries it (the state's name for `sleep_state`, "in bed" / "out of bed" for `in_bed`). */
export function exactValue(metric: MetricDefinition, reading: Reading, nowSeconds: number): number | string {
  if (metric.source.kind === 'sleep-state') {
    return freshSleepState(reading, nowSeconds)?.text ?? 'unknown';
  }
  if (metric.source.kind === 'bed-presence') {
    return bedText(reading);
  }
  return clampToProps(reading.value, EXACT_VALUE_PROPS);
}

/**
 * When the value was measured, as ISO 8601 with the profile's UTC offset
 * (e.g. `2026-11-28T07:31:05+01:00`), so apps that show custom characteristics give local time.
 */
export function measuredAtText(epochSeconds: number, offsetMs: number): string {
  if (!Number.isFinite(epochSeconds) || !Number.isFinite(offsetMs) || Math.abs(epochSeconds) > 8.64e12 - 86_400) {
    return ''; // never throw from a HAP update: validation upstream keeps such dates out
  }
  const local = new Date(epochSeconds * 1000 + offsetMs).toISOString().slice(0, 19);
  if (offsetMs === 0) {
    return `${local}Z`;
  }
  const sign = offsetMs < 0 ? '-' : '+';
  const minutes = Math.round(Math.abs(offsetMs) / 60_000);
  return `${local}${sign}${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/** A value with its unit for log lines ("72.5 kg", "asleep (deep)"). */
export function formatReading(metric: MetricDefinition, reading: Reading): string {
  if (metric.source.kind === 'sleep-state') {
    return reading.text ?? 'unknown';
  }
  if (metric.source.kind === 'bed-presence') {
    return bedText(reading);
  }
  const text = Number(reading.value.toFixed(metric.decimals)).toString();
  return metric.unit ? `${text} ${metric.unit}` : text;
}
