/**
 * The product's definition of truth: the value of each measurement, as pure functions of the data
 * Withings returned and the current time. No I/O, no Homebridge.
 */
import type { ActivityDay, Goals, Measure, MeasureGroup, SleepSegment, SleepSummary } from './data.js';

/**
 * How a summary field becomes one value over the nights in the window: `longest-night` takes the
 * value of the night with the most sleep time (scores, indexes and ratios do not add up).
 */
export type SleepAggregation = 'sum' | 'weighted-average' | 'min' | 'max' | 'longest-night';

export type GoalKind = 'steps' | 'sleep' | 'weight';

/** Where a value comes from in the Withings API. */
export type MetricSource =
  | { readonly kind: 'measure'; readonly measureType: number }
  /** Summary fields in order of preference (the first one a night has is used). */
  /** `scale` multiplies the value (sleep efficiency, a ratio, is shown as a percentage). */
  | { readonly kind: 'summary'; readonly fields: readonly string[]; readonly aggregate: SleepAggregation; readonly scale?: number }
  | { readonly kind: 'sleep-state' }
  /** A field of today's getactivity row, in the profile's time zone. */
  | { readonly kind: 'activity'; readonly field: string }
  /** Body mass index from the latest weight and the latest height. */
  | { readonly kind: 'bmi' }
  | { readonly kind: 'goal'; readonly goal: GoalKind }
  /** In bed / out of bed: only ever from Withings notifications (appli 50/51), never computed from data. */
  | { readonly kind: 'bed-presence' };

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
  /** Activity rows of the last days (every source). */
  readonly activities?: Iterable<ActivityDay>;
  /** The goals and when they were read with these values (epoch s). */
  readonly goals?: { readonly goals: Goals; readonly seenAt: number };
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
  return localWallTime(nowSeconds, timeZone, -1, 12);
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

/** A summary value below 0 (Withings sends `-1`) means "not computed", never a reading. */
const isComputed = (v: number): boolean => v >= 0;

/**
 * The night with the most sleep time among those that carry one of `fields` (a later end wins a
 * tie). Its value is the answer even when it is `-1`: then there is no value, not another night's.
 */
export function longestNight(nights: readonly SleepSummary[], fields: readonly string[]): { night: SleepSummary; value: number } | undefined {
  let best: { night: SleepSummary; value: number; time: number } | undefined;
  for (const night of nights) {
    const value = field(night, fields);
    if (value === undefined) {
      continue;
    }
    const time = sleepTime(night);
    if (best === undefined || time > best.time || (time === best.time && night.enddate > best.night.enddate)) {
      best = { night, value, time };
    }
  }
  return best && { night: best.night, value: best.value };
}

/**
 * Aggregates one summary field over the nights in the window: durations and counts are summed,
 * averages are weighted by each night's sleep time, minima and maxima are the extremes, scores and
 * indexes are those of the longest night. Values below 0 are "not computed" and left out; `scale`
 * multiplies the result (a ratio shown as %).
 */
export function aggregateNights(nights: readonly SleepSummary[], fields: readonly string[], how: SleepAggregation, scale = 1): Reading | undefined {
  const reading = aggregateUnscaled(nights, fields, how);
  return reading && scale !== 1 ? { ...reading, value: Math.round(reading.value * scale * 1e4) / 1e4 } : reading;
}

function aggregateUnscaled(nights: readonly SleepSummary[], fields: readonly string[], how: SleepAggregation): Reading | undefined {
  if (how === 'longest-night') {
    const pick = longestNight(nights, fields);
    return pick && isComputed(pick.value) ? { value: pick.value, measuredAt: pick.night.enddate } : undefined;
  }
  const rates = isRate(fields);
  const points = nights
    .map((n) => ({ night: n, value: field(n, fields) }))
    .filter((p): p is { night: SleepSummary; value: number } => p.value !== undefined && isComputed(p.value) && (!rates || p.value > 0));
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
// Activity today

/** The local calendar day of an instant in `timeZone`, as getactivity's `date` (YYYY-MM-DD). */
export function localDate(nowSeconds: number, timeZone: string): string {
  const p = zonedParts(safeTimezone(timeZone), nowSeconds * 1000);
  return `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
}

/** Epoch seconds of the local midnight that began `nowSeconds`'s day in `timeZone`. */
export function startOfLocalDay(nowSeconds: number, timeZone: string): number {
  return localWallTime(nowSeconds, timeZone, 0, 0);
}

/** Epoch seconds of the next local midnight after `nowSeconds` in `timeZone`. */
export function nextLocalMidnight(nowSeconds: number, timeZone: string): number {
  return localWallTime(nowSeconds, timeZone, 1, 0);
}

/** The instant of `hour`:00 on the day `dayOffset` days from `nowSeconds`'s day, in `timeZone`. */
function localWallTime(nowSeconds: number, timeZone: string, dayOffset: number, hour: number): number {
  const tz = safeTimezone(timeZone);
  const today = zonedParts(tz, nowSeconds * 1000);
  return wallClockToEpoch(Date.UTC(today.year, today.month - 1, today.day + dayOffset, hour, 0, 0), tz);
}

/** A local wall-clock time (as if it were UTC, in ms) → the instant (epoch s): the offset is re-checked at the found instant (DST days). */
function wallClockToEpoch(wallMs: number, tz: string): number {
  let guess = wallMs - timezoneOffsetMs(tz, wallMs);
  guess = wallMs - timezoneOffsetMs(tz, guess);
  return Math.floor(guess / 1000);
}

/**
 * Today's activity row, in `timeZone`. Phone and watch may both send a row for the same day; they
 * count the same steps, so the one with the most steps is the day's (a later change wins a tie).
 */
export function todaysActivity(rows: Iterable<ActivityDay>, nowSeconds: number, timeZone: string): ActivityDay | undefined {
  return activityOfDay(rows, localDate(nowSeconds, timeZone));
}

/**
 * The row that stands for a day (YYYY-MM-DD): when a phone and a watch both report it, the one
 * with more steps (they count the same walk twice, so never the sum), then the later changed.
 */
export function activityOfDay(rows: Iterable<ActivityDay>, date: string): ActivityDay | undefined {
  let best: ActivityDay | undefined;
  for (const row of rows) {
    if (row.date !== date) {
      continue;
    }
    const steps = row.data.steps ?? -1;
    const bestSteps = best?.data.steps ?? -1;
    if (best === undefined || steps > bestSteps || (steps === bestSteps && row.modified > best.modified)) {
      best = row;
    }
  }
  return best;
}

/** Epoch seconds of 12:00 local time on `date` (YYYY-MM-DD) in `timeZone`: a day's one instant. */
export function localNoonOf(date: string, timeZone: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) {
    return undefined;
  }
  return wallClockToEpoch(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), 12, 0, 0), safeTimezone(timeZone));
}

/**
 * One activity field for today. With today's row: its value (measured at its last change). Without
 * one yet (after local midnight, before the watch synced): 0 since midnight, but only for a field the
 * account has sent before, so an account without activity data gets no sensor.
 */
export function activityToday(rows: readonly ActivityDay[], fieldName: string, nowSeconds: number, timeZone: string): Reading | undefined {
  const today = localDate(nowSeconds, timeZone);
  const row = activityOfDay(rows, today);
  const midnight = startOfLocalDay(nowSeconds, timeZone);
  if (row) {
    const v = row.data[fieldName];
    return v === undefined || v < 0 ? undefined : { value: v, measuredAt: Math.max(midnight, Math.min(row.modified, nowSeconds)) };
  }
  const known = rows.some((r) => r.data[fieldName] !== undefined && r.date < today);
  return known ? { value: 0, measuredAt: midnight } : undefined;
}

// ---------------------------------------------------------------------------------------------
// Derived and goals

/** The measure types BMI is computed from (weight, height). */
export const WEIGHT = 1;
export const HEIGHT = 4;

/** BMI = weight / height², from the latest of each; "measured" when the weight was. Needs both. */
export function bmi(weight: Reading | undefined, height: Reading | undefined): Reading | undefined {
  if (weight === undefined || height === undefined || height.value <= 0 || weight.value <= 0) {
    return undefined;
  }
  return { value: Math.round((weight.value / height.value ** 2) * 100) / 100, measuredAt: weight.measuredAt };
}

/** A goal's value (steps, seconds of sleep, kg), "measured" when it was read with that value. */
export function goalValue(goals: AccountData['goals'], kind: GoalKind): Reading | undefined {
  const g = goals?.goals;
  const value = kind === 'steps' ? g?.steps : kind === 'sleep' ? g?.sleepSeconds : g?.weightKg;
  return value === undefined || goals === undefined ? undefined : { value, measuredAt: goals.seenAt };
}

/** Whether a goal is reached: a current value at or above a goal above 0; undefined without both. */
export function goalReached(value: Reading | undefined, goal: Reading | undefined): boolean | undefined {
  if (value === undefined || goal === undefined || goal.value <= 0) {
    return undefined;
  }
  return value.value >= goal.value;
}

// ---------------------------------------------------------------------------------------------
// All metrics at once

/**
 * The value of every metric that has one. `sources` maps a metric key to its Withings source;
 * missing keys in the result mean "no value" (never zero).
 */
export function computeValues(data: AccountData, sources: ReadonlyMap<string, MetricSource>, nowSeconds: number): Map<string, Reading> {
  const out = new Map<string, Reading>();
  const types = [...sources.values()].flatMap((s) => (s.kind === 'measure' ? [s.measureType] : s.kind === 'bmi' ? [WEIGHT, HEIGHT] : []));
  const measures = types.length > 0 ? latestMeasures(data.groups, types) : new Map<number, Reading>();
  const plain = (m: Reading | undefined): Reading | undefined => m && { value: m.value, measuredAt: m.measuredAt };
  let nights: SleepSummary[] | undefined;
  let activities: ActivityDay[] | undefined;
  for (const [key, source] of sources) {
    let reading: Reading | undefined;
    if (source.kind === 'measure') {
      reading = plain(measures.get(source.measureType));
    } else if (source.kind === 'summary') {
      nights ??= nightsInWindow(data.summaries, nowSeconds, data.timezone);
      reading = aggregateNights(nights, source.fields, source.aggregate, source.scale);
    } else if (source.kind === 'activity') {
      activities ??= [...(data.activities ?? [])];
      reading = activityToday(activities, source.field, nowSeconds, data.timezone ?? activities.find((a) => a.timezone)?.timezone ?? 'UTC');
    } else if (source.kind === 'bmi') {
      reading = bmi(plain(measures.get(WEIGHT)), plain(measures.get(HEIGHT)));
    } else if (source.kind === 'goal') {
      reading = goalValue(data.goals, source.goal);
    } else if (source.kind === 'sleep-state') {
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
