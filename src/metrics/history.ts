/**
 * The history a profile's charts are drawn from, as pure functions: which points one sync adds
 * (built only from what the sync already fetched), how they merge with what was kept, and the
 * bounds. Generic over the catalog: a row's source kind decides whether it keeps every reading
 * (body measures: several weigh-ins a day are real) or one point per day (nights, activity, and
 * any other kind a catalog row may bring), the last one of the day winning.
 *
 * The file format (`<storage>/withings/<userid>.history.json`) is documented in the README.
 */
import type { MetricDefinition } from './catalog.js';
import type { ActivityDay, MeasureGroup, SleepSummary } from './data.js';
import {
  activityOfDay, aggregateNights, isUsableGroup, localNoonOf, type Reading, safeTimezone, scaled, timezoneOffsetMs, wholeBodyMeasure,
} from './values.js';

export const HISTORY_FILE_VERSION = 1;

const DAY = 86_400;
/** Body measures are kept this long (the issue promises at least 365 days). */
export const MEASURE_HISTORY_DAYS = 366;
/** Nights and activity days are kept this long (at least 60 nights / 60 days). */
export const DAILY_HISTORY_DAYS = 61;
/** A hard cap per series, whatever the data: ten readings a day for a year. */
export const MAX_POINTS_PER_SERIES = 3660;
/** The first sync asks for this many nights of sleep summaries, to fill the sleep chart. */
export const HISTORY_NIGHTS = 60;
/** Oldest date a point may carry (Withings was founded in 2008; anything older is not a reading). */
const OLDEST_SECONDS = Date.UTC(2008, 0, 1) / 1000;

/** One value: [measured at (epoch s), value in the catalog row's unit]. */
export type HistoryPoint = readonly [number, number];

/** What the plugin keeps per Withings user. */
export interface HistoryData {
  /** The profile's IANA time zone, for the chart's days. */
  readonly timezone?: string;
  /** Catalog key → points, oldest first, at most one per measured-at time (per day for daily kinds). */
  readonly series: Readonly<Record<string, readonly HistoryPoint[]>>;
}

/** What one sync adds; `replace` lists the series this delta holds completely (a full measure fetch). */
export interface HistoryDelta extends HistoryData {
  readonly replace: readonly string[];
}

/** What a sync hands to the history: only what it already fetched and computed. */
export interface HistoryInput {
  /** Groups received in this sync. */
  readonly groups: readonly MeasureGroup[];
  /** True when `groups` is every group the account has (a full fetch that ran). */
  readonly allGroups: boolean;
  /** Summaries received in this sync. */
  readonly summaries: readonly SleepSummary[];
  /** Summaries the sync still holds (the last two days), so that a day's nights are complete. */
  readonly heldSummaries: Iterable<SleepSummary>;
  /** The activity rows the sync holds (the last week), one point per day for activity kinds. */
  readonly activities?: Iterable<ActivityDay>;
  /** The values the sensors show now (`computeValues`). */
  readonly values: ReadonlyMap<string, Reading>;
  readonly timezone?: string;
}

/** Whether a row keeps one point per day (everything but body measures; never the live sleep state). */
export const isDaily = (m: MetricDefinition): boolean => m.source.kind !== 'measure';
const isRecorded = (m: MetricDefinition): boolean => m.source.kind !== 'sleep-state';

/** A finite value measured at a sane time (not before 2008, not more than a day ahead). */
function validPoint(t: unknown, v: unknown, nowSeconds: number): boolean {
  return typeof t === 'number' && typeof v === 'number' && Number.isFinite(t) && Number.isFinite(v)
    && t >= OLDEST_SECONDS && t <= nowSeconds + DAY;
}

/** The local day (days since epoch in the zone) a time falls on: the bucket of daily kinds. */
export function localDay(t: number, timezone: string): number {
  return Math.floor((t * 1000 + timezoneOffsetMs(timezone, t * 1000)) / (DAY * 1000));
}

/** The points one sync brings, per catalog row. */
export function historyDelta(input: HistoryInput, metrics: readonly MetricDefinition[], nowSeconds: number): HistoryDelta {
  const tz = safeTimezone(input.timezone);
  const series: Record<string, HistoryPoint[]> = {};
  const replace: string[] = [];
  const add = (key: string, t: number, v: number): void => {
    if (validPoint(t, v, nowSeconds)) {
      (series[key] ??= []).push([t, v]);
    }
  };

  // A day is recomputed only when one of its nights arrived now, from all its nights known: the
  // held ones cover two days, so a day never loses a night that dropped out of memory.
  const summaries = new Map<string, SleepSummary>();
  for (const s of [...input.heldSummaries, ...input.summaries]) {
    summaries.set(String(s.id), s);
  }
  const dayOf = (s: SleepSummary): number => localDay(s.enddate, s.timezone ? safeTimezone(s.timezone) : tz);
  const arrived = new Set(input.summaries.map(dayOf));
  const nightsByDay = new Map<number, SleepSummary[]>();
  for (const s of summaries.values()) {
    const day = dayOf(s);
    if (arrived.has(day)) {
      nightsByDay.set(day, [...(nightsByDay.get(day) ?? []), s]);
    }
  }
  const activityDays = new Map<string, ActivityDay[]>();
  for (const row of input.activities ?? []) {
    activityDays.set(row.date, [...(activityDays.get(row.date) ?? []), row]);
  }
  // Groups oldest first, so that among copies taken at the same second the later stored wins.
  const groups = input.groups.filter(isUsableGroup).sort((a, b) => a.date - b.date || a.modified - b.modified || a.grpid - b.grpid);

  for (const m of metrics.filter(isRecorded)) {
    const { source } = m;
    if (source.kind === 'measure') {
      for (const g of groups) {
        const measure = wholeBodyMeasure(g, source.measureType);
        if (measure) {
          add(m.key, g.date, scaled(measure.value, measure.unit));
        }
      }
      if (input.allGroups) {
        replace.push(m.key);
      }
    } else if (source.kind === 'activity') {
      for (const [date, rows] of activityDays) {
        const v = activityOfDay(rows, date)?.data[source.field];
        const t = localNoonOf(date, rows[0].timezone ?? tz);
        if (v !== undefined && v >= 0 && t !== undefined) {
          add(m.key, t, v);
        }
      }
    } else if (source.kind === 'summary') {
      for (const nights of nightsByDay.values()) {
        const r = aggregateNights(nights, source.fields, source.aggregate, source.scale);
        if (r) {
          add(m.key, r.measuredAt, r.value);
        }
      }
    }
    // Whatever the source kind: the value the sensor shows now is the newest point (last, so it wins).
    const now = input.values.get(m.key);
    if (now) {
      add(m.key, now.measuredAt, now.value);
    }
  }
  return { timezone: input.timezone, series: normalised(series, metrics, tz), replace };
}

/**
 * `next` over `base`: a series `next` replaces is taken from `next` alone; otherwise the union,
 * `next` winning at the same time (or the same day, for daily kinds). Then bounded.
 */
export function mergeHistory(base: HistoryData, next: HistoryDelta | HistoryData, metrics: readonly MetricDefinition[], nowSeconds: number): HistoryData {
  const tz = safeTimezone(next.timezone ?? base.timezone);
  const replaced = new Set('replace' in next ? next.replace : []);
  const series: Record<string, HistoryPoint[]> = {};
  for (const key of new Set([...Object.keys(base.series), ...Object.keys(next.series)])) {
    series[key] = [...(replaced.has(key) ? [] : base.series[key] ?? []), ...(next.series[key] ?? [])];
  }
  return pruneHistory({ timezone: next.timezone ?? base.timezone, series: normalised(series, metrics, tz) }, metrics, nowSeconds);
}

/** Two deltas as one (the later wins; a series either replaces is replaced): to coalesce writes. */
export function combineDeltas(a: HistoryDelta, b: HistoryDelta, metrics: readonly MetricDefinition[]): HistoryDelta {
  const tz = safeTimezone(b.timezone ?? a.timezone);
  const bReplaces = new Set(b.replace);
  const series: Record<string, HistoryPoint[]> = {};
  for (const key of new Set([...Object.keys(a.series), ...Object.keys(b.series)])) {
    series[key] = [...(bReplaces.has(key) ? [] : a.series[key] ?? []), ...(b.series[key] ?? [])];
  }
  return { timezone: b.timezone ?? a.timezone, series: normalised(series, metrics, tz), replace: [...new Set([...a.replace, ...b.replace])] };
}

/**
 * Sorted, deduplicated (the last given wins at the same time, or the same local day for daily
 * kinds), only catalog rows that are recorded, only valid points.
 */
function normalised(series: Record<string, HistoryPoint[]>, metrics: readonly MetricDefinition[], tz: string): Record<string, HistoryPoint[]> {
  const out: Record<string, HistoryPoint[]> = {};
  for (const m of metrics.filter(isRecorded)) {
    const points = series[m.key];
    if (!points || points.length === 0) {
      continue;
    }
    const byBucket = new Map<number, HistoryPoint>();
    for (const p of points) {
      const bucket = isDaily(m) ? localDay(p[0], tz) : p[0];
      byBucket.delete(bucket); // re-insert: the last given wins
      byBucket.set(bucket, p);
    }
    out[m.key] = [...byBucket.values()].sort((a, b) => a[0] - b[0]);
  }
  return out;
}

/** The bounds: body measures 366 days, daily kinds 61 days, at most 3660 points a series, nothing from the future. */
export function pruneHistory(history: HistoryData, metrics: readonly MetricDefinition[], nowSeconds: number): HistoryData {
  const series: Record<string, HistoryPoint[]> = {};
  for (const m of metrics.filter(isRecorded)) {
    const from = nowSeconds - (isDaily(m) ? DAILY_HISTORY_DAYS : MEASURE_HISTORY_DAYS) * DAY;
    const kept = (history.series[m.key] ?? []).filter(([t, v]) => t >= from && validPoint(t, v, nowSeconds)).slice(-MAX_POINTS_PER_SERIES);
    if (kept.length > 0) {
      series[m.key] = kept;
    }
  }
  return { timezone: history.timezone, series };
}

export const EMPTY_HISTORY: HistoryData = { series: {} };

/** The file's content: what is kept plus who and when. No token, ever. */
export interface HistoryFile extends HistoryData {
  readonly version: number;
  readonly userid: string;
  /** Epoch seconds of the last change. */
  readonly updated_at: number;
}

export function serializeHistory(userid: string, history: HistoryData, nowSeconds: number): string {
  const file: HistoryFile = { version: HISTORY_FILE_VERSION, userid, updated_at: nowSeconds, timezone: history.timezone, series: history.series };
  return `${JSON.stringify(file)}\n`;
}

/** Whether two histories hold the same points (then nothing is written). */
export function sameHistory(a: HistoryData, b: HistoryData): boolean {
  return a.timezone === b.timezone && JSON.stringify(a.series) === JSON.stringify(b.series);
}

/**
 * Reads a history file's text. Anything that is not a history of this format is `undefined`
 * (the caller treats it as "no history yet"); single bad points are dropped, the rest kept.
 */
export function parseHistory(text: string, metrics: readonly MetricDefinition[], nowSeconds: number): (HistoryData & { userid: string; updated_at: number }) | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return undefined;
  }
  const r = raw as Record<string, unknown>;
  if (r.version !== HISTORY_FILE_VERSION || typeof r.userid !== 'string' || typeof r.series !== 'object' || r.series === null || Array.isArray(r.series)) {
    return undefined;
  }
  const timezone = typeof r.timezone === 'string' ? r.timezone : undefined;
  const series: Record<string, HistoryPoint[]> = {};
  for (const [key, points] of Object.entries(r.series as Record<string, unknown>)) {
    if (Array.isArray(points)) {
      series[key] = points.filter((p): p is [number, number] => Array.isArray(p) && p.length === 2 && validPoint(p[0], p[1], nowSeconds));
    }
  }
  const tz = safeTimezone(timezone);
  return {
    userid: r.userid,
    updated_at: typeof r.updated_at === 'number' && Number.isFinite(r.updated_at) ? r.updated_at : 0,
    ...pruneHistory({ timezone, series: normalised(series, metrics, tz) }, metrics, nowSeconds),
  };
}
