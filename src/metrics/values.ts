/**
 * The product's definition of truth: the value of each measurement, as pure functions of the data
 * Withings returned and the current time. No I/O, no Homebridge.
 */
import type { Measure, MeasureGroup, SleepSegment, SleepSummary } from './data.js';

export type SleepAggregation = 'sum' | 'weighted-average' | 'min' | 'max';

/** Where a value comes from in the Withings API. */
export type MetricSource =
  | { readonly kind: 'measure'; readonly measureType: number }
  /** Summary fields in order of preference (the first one a night has is used). */
  | { readonly kind: 'summary'; readonly fields: readonly string[]; readonly aggregate: SleepAggregation }
  | { readonly kind: 'sleep-state' };

export interface Reading {
  /** In the seed key's unit; for `sleep_state` the state code 0–3. */
  readonly value: number;
  /** When the value was measured (epoch seconds). */
  readonly measuredAt: number;
  /** `awake` / `light` / `deep` / `rem` for `sleep_state`. */
  readonly text?: string;
}

/** Everything the value rules read for one account. */
export interface AccountData {
  readonly groups: Iterable<MeasureGroup>;
  readonly summaries: Iterable<SleepSummary>;
  readonly segments: Iterable<SleepSegment>;
  /** The profile's IANA timezone, from the replies. */
  readonly timezone?: string;
}

// ---------------------------------------------------------------------------------------------
// Numbers

/**
 * `value × 10^unit`, exactly: dividing by an exact power of ten rounds once, so `95, -2` is 0.95,
 * never the 0.9500000000000001 that `95 * 10 ** -2` gives.
 */
export function scaled(value: number, unit: number): number {
  return unit < 0 ? value / 10 ** -unit : value * 10 ** unit;
}

// ---------------------------------------------------------------------------------------------
// Body measures

/** Whole-body values only: no position, 6 (between legs) or 7 (whole body), docs/withings-api.md#positions. */
const WHOLE_BODY_POSITIONS = new Set([6, 7]);
const AMBIGUOUS_ATTRIB = 1;
const REAL_MEASURE_CATEGORY = 1;

/** Whether a group may be shown as this user's reading: a real measure, not ambiguous. */
export function isUsableGroup(g: MeasureGroup): boolean {
  return g.category === REAL_MEASURE_CATEGORY && g.attrib !== AMBIGUOUS_ATTRIB;
}

/** A whole-body value (not one of a body segment). */
const isWholeBody = (m: Measure): boolean => m.position === undefined || WHOLE_BODY_POSITIONS.has(m.position);

/** The whole-body measure of `type` in a group, if any. */
export function wholeBodyMeasure(g: MeasureGroup, type: number): Measure | undefined {
  return g.measures.find((m) => m.type === type && isWholeBody(m));
}

/** Later taken (`date`) wins; on a tie the later `modified`, then the higher group id. */
export function takenLater(a: MeasureGroup, b: MeasureGroup): boolean {
  if (a.date !== b.date) {
    return a.date > b.date;
  }
  if (a.modified !== b.modified) {
    return a.modified > b.modified;
  }
  return a.grpid > b.grpid;
}

/**
 * For each wanted type, the value from the usable group taken most recently. A type never seen
 * has no entry (and so no sensor).
 */
export function latestMeasures(groups: Iterable<MeasureGroup>, types: Iterable<number>): Map<number, Reading & { grpid: number }> {
  const wanted = new Set(types);
  const best = new Map<number, MeasureGroup>();
  for (const g of groups) {
    if (!isUsableGroup(g)) {
      continue;
    }
    for (const m of g.measures) {
      if (!wanted.has(m.type) || !isWholeBody(m)) {
        continue;
      }
      const current = best.get(m.type);
      if (current === undefined || takenLater(g, current)) {
        best.set(m.type, g);
      }
    }
  }
  const out = new Map<number, Reading & { grpid: number }>();
  for (const [type, g] of best) {
    const m = wholeBodyMeasure(g, type)!;
    out.set(type, { value: scaled(m.value, m.unit), measuredAt: g.date, grpid: g.grpid });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Sleep summaries

/** Offset of `timeZone` from UTC at `epochMs`, in ms (positive east of Greenwich). */
export function timezoneOffsetMs(timeZone: string, epochMs: number): number {
  const parts = zonedParts(timeZone, epochMs);
  const asUtc = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
  return asUtc - Math.floor(epochMs / 1000) * 1000;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function zonedParts(timeZone: string, epochMs: number): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  const p: Record<string, number> = {};
  for (const part of f.formatToParts(new Date(epochMs))) {
    if (part.type !== 'literal') {
      p[part.type] = Number(part.value);
    }
  }
  return { year: p.year, month: p.month, day: p.day, hour: p.hour, minute: p.minute, second: p.second };
}

/** A usable IANA zone name, else UTC. */
export function safeTimezone(tz: string | undefined): string {
  if (tz) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      return tz;
    } catch {
      // fall through
    }
  }
  return 'UTC';
}

/** Epoch seconds of 12:00 on the day before `nowSeconds`'s day, in `timeZone`. */
export function noonOfPreviousDay(nowSeconds: number, timeZone: string): number {
  const tz = safeTimezone(timeZone);
  const today = zonedParts(tz, nowSeconds * 1000);
  const wall = Date.UTC(today.year, today.month - 1, today.day - 1, 12, 0, 0);
  // Wall-clock → instant: subtract the offset, then re-check it at the found instant (DST days).
  let guess = wall - timezoneOffsetMs(tz, wall);
  guess = wall - timezoneOffsetMs(tz, guess);
  return Math.floor(guess / 1000);
}

/** The nights in the window: ended after noon of the previous day (profile's timezone), not in the future. */
export function nightsInWindow(summaries: Iterable<SleepSummary>, nowSeconds: number, timezone?: string): SleepSummary[] {
  const nights: SleepSummary[] = [];
  const cutoffs = new Map<string, number>(); // one timezone computation per zone, not per night
  for (const s of summaries) {
    const tz = s.timezone ?? timezone ?? 'UTC';
    let cutoff = cutoffs.get(tz);
    if (cutoff === undefined) {
      cutoff = noonOfPreviousDay(nowSeconds, tz);
      cutoffs.set(tz, cutoff);
    }
    if (s.enddate > cutoff && s.enddate <= nowSeconds + 60) {
      nights.push(s);
    }
  }
  return nights;
}

/** The first of `fields` a night has (e.g. `sleep_latency`, then the deprecated `durationtosleep`). */
function field(night: SleepSummary, fields: readonly string[]): number | undefined {
  for (const f of fields) {
    const v = night.data[f];
    if (v !== undefined) {
      return v;
    }
  }
  return undefined;
}

/** A night's sleep time (light + deep + REM), the weight of its averages. */
export function sleepTime(night: SleepSummary): number {
  const stages = ['lightsleepduration', 'deepsleepduration', 'remsleepduration'].map((f) => night.data[f]);
  if (stages.some((v) => v !== undefined)) {
    return stages.reduce<number>((sum, v) => sum + Math.max(0, v ?? 0), 0);
  }
  return Math.max(0, night.data.total_sleep_time ?? night.data.asleepduration ?? 0);
}

/** Heart and breathing rates of 0 or below mean "not measured", not a rate. */
const isRate = (fields: readonly string[]): boolean => fields.some((f) => /^(hr|rr)_/.test(f));

/**
 * Aggregates one summary field over the nights in the window: durations and counts are summed,
 * averages are weighted by each night's sleep time, minima and maxima are the extremes.
 */
export function aggregateNights(nights: readonly SleepSummary[], fields: readonly string[], how: SleepAggregation): Reading | undefined {
  const rates = isRate(fields);
  const points = nights
    .map((n) => ({ night: n, value: field(n, fields) }))
    .filter((p): p is { night: SleepSummary; value: number } => p.value !== undefined && (!rates || p.value > 0));
  if (points.length === 0) {
    return undefined;
  }
  // Loops, not Math.max(...list): a spread of a long list overflows the call stack.
  const measuredAt = points.reduce((latest, p) => Math.max(latest, p.night.enddate), -Infinity);
  const values = points.map((p) => p.value);
  switch (how) {
    case 'sum':
      return { value: roundSum(values), measuredAt };
    case 'min':
      return { value: values.reduce((a, b) => Math.min(a, b)), measuredAt };
    case 'max':
      return { value: values.reduce((a, b) => Math.max(a, b)), measuredAt };
    case 'weighted-average': {
      const weights = points.map((p) => sleepTime(p.night));
      const total = weights.reduce((a, b) => a + b, 0);
      const value = total > 0
        ? points.reduce((acc, p, i) => acc + p.value * weights[i], 0) / total
        : values.reduce((a, b) => a + b, 0) / values.length;
      return { value: Math.round(value * 1e4) / 1e4, measuredAt };
    }
  }
}

/** Sums without float noise (values are whole seconds or counts in practice). */
function roundSum(values: number[]): number {
  return Math.round(values.reduce((a, b) => a + b, 0) * 1e6) / 1e6;
}

// ---------------------------------------------------------------------------------------------
// Sleep state

export const SLEEP_STATE_WINDOW_SECONDS = 6 * 3600;
export const SLEEP_STATES: Readonly<Record<number, string>> = { 0: 'awake', 1: 'light', 2: 'deep', 3: 'rem' };

/**
 * The state of the segment that ended last among those of the past 6 hours. Any other state
 * code, or no segment in the window, is unknown (undefined).
 */
export function sleepState(segments: Iterable<SleepSegment>, nowSeconds: number): Reading | undefined {
  let latest: SleepSegment | undefined;
  for (const s of segments) {
    if (s.enddate < nowSeconds - SLEEP_STATE_WINDOW_SECONDS || s.startdate > nowSeconds) {
      continue;
    }
    if (latest === undefined || s.enddate > latest.enddate) {
      latest = s;
    }
  }
  if (latest === undefined || SLEEP_STATES[latest.state] === undefined) {
    return undefined;
  }
  return { value: latest.state, measuredAt: latest.enddate, text: SLEEP_STATES[latest.state] };
}

/** Light, deep and REM sleep count as asleep. */
export const isAsleep = (reading: Reading | undefined): boolean => reading !== undefined && reading.value >= 1 && reading.value <= 3;

// ---------------------------------------------------------------------------------------------
// All metrics at once

/**
 * The value of every metric that has one. `sources` maps a metric key to its Withings source;
 * missing keys in the result mean "no value" (never zero).
 */
export function computeValues(data: AccountData, sources: ReadonlyMap<string, MetricSource>, nowSeconds: number): Map<string, Reading> {
  const out = new Map<string, Reading>();
  const types = [...sources.values()].flatMap((s) => (s.kind === 'measure' ? [s.measureType] : []));
  const measures = types.length > 0 ? latestMeasures(data.groups, types) : new Map<number, Reading>();
  let nights: SleepSummary[] | undefined;
  for (const [key, source] of sources) {
    let reading: Reading | undefined;
    if (source.kind === 'measure') {
      const m = measures.get(source.measureType);
      reading = m && { value: m.value, measuredAt: m.measuredAt };
    } else if (source.kind === 'summary') {
      nights ??= nightsInWindow(data.summaries, nowSeconds, data.timezone);
      reading = aggregateNights(nights, source.fields, source.aggregate);
    } else {
      reading = sleepState(data.segments, nowSeconds);
    }
    if (reading !== undefined && isSaneReading(reading)) {
      out.set(key, reading);
    }
  }
  return out;
}

/**
 * A reading HomeKit and the cache can hold: a finite value and a real instant. Anything else (a
 * sum that overflowed, a weight of Infinity) is no value at all, never NaN on a characteristic.
 */
export function isSaneReading(r: { value?: unknown; measuredAt?: unknown; text?: unknown }): r is Reading {
  return typeof r.value === 'number' && Number.isFinite(r.value)
    && typeof r.measuredAt === 'number' && Number.isFinite(r.measuredAt) && r.measuredAt >= 0 && r.measuredAt <= MAX_EPOCH_SECONDS
    && (r.text === undefined || typeof r.text === 'string');
}

/**
 * Readings dated further ahead than this are not readings: a device with a wrong clock (or a
 * corrupt reply) would otherwise stay the "latest" value for years. A day covers every time-zone mix-up.
 */
export const FUTURE_SLACK_SECONDS = 24 * 3600;

/** Whether a reading may be shown at `nowSeconds`: sane, and not dated more than a day ahead. */
export const isPlausibleAt = (r: { value?: unknown; measuredAt?: unknown; text?: unknown }, nowSeconds: number): r is Reading =>
  isSaneReading(r) && r.measuredAt <= nowSeconds + FUTURE_SLACK_SECONDS;

/**
 * The last instant a reading may carry (epoch seconds, the year 2200): beyond it dates stop making
 * sense (`toISOString()` throws from year 275760) and a typo'd date would win "latest" forever.
 */
export const MAX_EPOCH_SECONDS = 7_258_118_400;
