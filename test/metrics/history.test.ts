/**
 * The chart history as pure functions: which points a sync adds (generic over catalog rows),
 * merging, dedupe, replacement on a full fetch, the bounds, the file format.
 */
import { METRICS, metricByKey, type MetricDefinition, sourcesOf } from '../../src/metrics/catalog.js';
import type { MeasureGroup, SleepSummary } from '../../src/metrics/data.js';
import {
  combineDeltas, DAILY_HISTORY_DAYS, EMPTY_HISTORY, historyDelta, type HistoryInput, MAX_POINTS_PER_SERIES, MEASURE_HISTORY_DAYS, mergeHistory, parseHistory,
  pruneHistory, sameHistory, serializeHistory,
} from '../../src/metrics/history.js';
import { computeValues } from '../../src/metrics/values.js';
import { isTokenFileName } from '../../src/withings/token-store.js';
import { historyFileName } from '../../src/settings.js';

const DAY = 86_400;
const NOW = Date.UTC(2026, 10, 28, 8, 0, 0) / 1000;

const group = (grpid: number, date: number, measures: [type: number, value: number, unit: number][], extra: Partial<MeasureGroup> = {}): MeasureGroup => ({
  grpid, attrib: 0, date, created: date + 10, modified: date + 10, category: 1, deviceid: 'd1',
  measures: measures.map(([type, value, unit]) => ({ type, value, unit })), ...extra,
});
const night = (id: number, enddate: number, data: Record<string, number>): SleepSummary => ({
  id, timezone: 'Europe/Paris', startdate: enddate - 8 * 3600, enddate, modified: enddate + 600, data,
});
const input = (over: Partial<HistoryInput>): HistoryInput => ({ groups: [], allGroups: false, summaries: [], heldSummaries: [], values: new Map(), timezone: 'Europe/Paris', ...over });
const rows = (...keys: string[]): MetricDefinition[] => keys.map((k) => metricByKey(k)!);

describe('historyDelta: the points one sync brings', () => {
  test('a scaled summary row (sleep efficiency, a ratio) is recorded as the sensor shows it: a percentage', () => {
    const n = night(1, NOW - 3600, { sleep_efficiency: 0.94, lightsleepduration: 20_000 });
    const d = historyDelta(input({ summaries: [n], heldSummaries: [n] }), rows('sleep_efficiency_pct'), NOW);
    expect(d.series.sleep_efficiency_pct).toEqual([[NOW - 3600, 94]]);
  });

  test('activity: one point per day from the rows the sync holds, the row with more steps when phone and watch both report a day', () => {
    const day = (date: string, source: string, steps: number) => ({ date, timezone: 'Europe/Paris', modified: NOW - 60, source, data: { steps, distance: steps * 0.7 } });
    const d = historyDelta(input({
      activities: [day('2026-11-26', 'watch', 8000), day('2026-11-26', 'phone', 7500), day('2026-11-27', 'watch', 11000), day('bad', 'watch', 5)],
    }), rows('steps_today'), NOW);
    // Local noon in Paris (UTC+1) on each day.
    expect(d.series.steps_today).toEqual([[Date.UTC(2026, 10, 26, 11) / 1000, 8000], [Date.UTC(2026, 10, 27, 11) / 1000, 11000]]);
  });

  test('every usable whole-body measure of each selected row, with its measured-at time and exact value', () => {
    const d = historyDelta(input({
      groups: [
        group(2, NOW - DAY, [[1, 72400, -3], [6, 2150, -2]]),
        group(1, NOW - 2 * DAY, [[1, 7410, -2]]),
        group(3, NOW - 3 * DAY, [[1, 80000, -3]], { attrib: 1 }), // ambiguous: not this user's
        group(4, NOW - 4 * DAY, [[1, 60000, -3]], { category: 2 }), // an objective, not a measure
        group(5, NOW - 5 * DAY, [[6, 30, 0]].map(([t, v, u]) => [t, v, u] as [number, number, number]), {}),
      ],
    }), rows('weight_kg', 'fat_ratio_pct'), NOW);
    expect(d.series.weight_kg).toEqual([[NOW - 2 * DAY, 74.1], [NOW - DAY, 72.4]]);
    expect(d.series.fat_ratio_pct).toEqual([[NOW - 5 * DAY, 30], [NOW - DAY, 21.5]]);
    expect(d.replace).toEqual([]);
  });

  test('segment values (positions) are not the whole body', () => {
    const g: MeasureGroup = { ...group(1, NOW - DAY, []), measures: [{ type: 76, value: 30, unit: 0, position: 12 }, { type: 76, value: 55, unit: 0 }] };
    expect(historyDelta(input({ groups: [g] }), rows('muscle_mass_kg'), NOW).series.muscle_mass_kg).toEqual([[NOW - DAY, 55]]);
  });

  test('a full fetch replaces the measure series; an incremental one adds to them', () => {
    const full = historyDelta(input({ groups: [group(1, NOW - DAY, [[1, 70, 0]])], allGroups: true }), rows('weight_kg', 'sleep_deep_duration_seconds'), NOW);
    expect(full.replace).toEqual(['weight_kg']);
    const base = { series: { weight_kg: [[NOW - 10 * DAY, 75], [NOW - 3 * DAY, 71]] as [number, number][] } };
    expect(mergeHistory(base, full, METRICS, NOW).series.weight_kg).toEqual([[NOW - DAY, 70]]); // the group deleted in the app is gone
    const incremental = historyDelta(input({ groups: [group(1, NOW - DAY, [[1, 70, 0]])] }), rows('weight_kg'), NOW);
    expect(mergeHistory(base, incremental, METRICS, NOW).series.weight_kg).toEqual([[NOW - 10 * DAY, 75], [NOW - 3 * DAY, 71], [NOW - DAY, 70]]);
  });

  test('one point per night for summary rows, at the night\'s end, from every night known of that day', () => {
    const n1 = night(1, NOW - 2 * DAY, { deepsleepduration: 3600, sleep_score: 80 });
    const n2 = night(2, NOW - DAY, { deepsleepduration: 5400 });
    const nap = night(3, NOW - DAY + 4 * 3600, { deepsleepduration: 600 }); // same local day as n2
    const d = historyDelta(input({ summaries: [n1, n2, nap] }), rows('sleep_deep_duration_seconds'), NOW);
    expect(d.series.sleep_deep_duration_seconds).toEqual([[NOW - 2 * DAY, 3600], [NOW - DAY + 4 * 3600, 6000]]);
  });

  test('a day is recomputed only when one of its nights arrived, with the held nights of that day', () => {
    const n2 = night(2, NOW - DAY, { deepsleepduration: 5400 });
    const nap = night(3, NOW - DAY + 4 * 3600, { deepsleepduration: 600 });
    const old = night(1, NOW - 2 * DAY, { deepsleepduration: 100 }); // held, but nothing new that day
    const d = historyDelta(input({ summaries: [nap], heldSummaries: [old, n2] }), rows('sleep_deep_duration_seconds'), NOW);
    expect(d.series.sleep_deep_duration_seconds).toEqual([[NOW - DAY + 4 * 3600, 6000]]);
  });

  test('the value the sensor shows is the newest point, for any source kind (generic over rows); never the live sleep state', () => {
    const n = night(1, NOW - 3600, { hr_average: 58, lightsleepduration: 20000 });
    const metrics = rows('sleep_heart_rate_average_bpm', 'weight_kg', 'sleep_state');
    const values = computeValues({ groups: [group(1, NOW - 7200, [[1, 7240, -2]])], summaries: [n], segments: [{ startdate: NOW - 600, enddate: NOW - 60, state: 2 }] }, sourcesOf(metrics), NOW);
    const d = historyDelta(input({ values }), metrics, NOW);
    expect(d.series).toEqual({ weight_kg: [[NOW - 7200, 72.4]], sleep_heart_rate_average_bpm: [[NOW - 3600, 58]] });
    // A row of a kind the history does not know (as issue 14 adds): its current value is still recorded, one a day.
    const steps = { ...metricByKey('weight_kg')!, key: 'steps_today', source: { kind: 'activity' } } as unknown as MetricDefinition;
    const a = historyDelta(input({ values: new Map([['steps_today', { value: 4200, measuredAt: NOW - 600 }]]) }), [steps], NOW);
    const b = historyDelta(input({ values: new Map([['steps_today', { value: 5100, measuredAt: NOW - 60 }]]) }), [steps], NOW);
    expect(mergeHistory(mergeHistory(EMPTY_HISTORY, a, [steps], NOW), b, [steps], NOW).series.steps_today).toEqual([[NOW - 60, 5100]]);
  });

  test('invalid points are dropped: not finite, before 2008, more than a day ahead', () => {
    const d = historyDelta(input({
      values: new Map([
        ['weight_kg', { value: Number.NaN, measuredAt: NOW }],
        ['fat_ratio_pct', { value: 20, measuredAt: NOW + 3 * DAY }],
        ['heart_pulse_bpm', { value: 60, measuredAt: 1000 }],
        ['spo2_pct', { value: 97, measuredAt: NOW }],
      ]),
    }), rows('weight_kg', 'fat_ratio_pct', 'heart_pulse_bpm', 'spo2_pct'), NOW);
    expect(d.series).toEqual({ spo2_pct: [[NOW, 97]] });
  });
});

describe('merge, dedupe, bounds', () => {
  test('the same reading twice is one point; at the same time the later one wins', () => {
    const a = { series: { weight_kg: [[NOW - DAY, 70], [NOW - 2 * DAY, 71]] as [number, number][] } };
    const b = { series: { weight_kg: [[NOW - DAY, 70.5]] as [number, number][] }, replace: [] };
    expect(mergeHistory(a, b, METRICS, NOW).series.weight_kg).toEqual([[NOW - 2 * DAY, 71], [NOW - DAY, 70.5]]);
    expect(sameHistory(mergeHistory(a, { ...a, replace: [] }, METRICS, NOW), mergeHistory(a, EMPTY_HISTORY, METRICS, NOW))).toBe(true);
  });

  test('combineDeltas keeps the later one\'s replacement and the union otherwise', () => {
    const metrics = rows('weight_kg');
    const first = { series: { weight_kg: [[NOW - 5 * DAY, 71]] as [number, number][] }, replace: [] };
    const full = { series: { weight_kg: [[NOW - DAY, 70]] as [number, number][] }, replace: ['weight_kg'] };
    const later = { series: { weight_kg: [[NOW - 60, 69]] as [number, number][] }, replace: [] };
    const c = combineDeltas(combineDeltas(first, full, metrics), later, metrics);
    expect(c).toEqual({ timezone: undefined, series: { weight_kg: [[NOW - DAY, 70], [NOW - 60, 69]] }, replace: ['weight_kg'] });
  });

  test('body measures are kept 366 days, nights and days 61, at most 3660 points, unknown keys dropped', () => {
    const old = NOW - (MEASURE_HISTORY_DAYS + 1) * DAY;
    const pruned = pruneHistory({
      series: {
        weight_kg: [[old, 80], [NOW - 365 * DAY, 79], [NOW - DAY, 70]],
        sleep_deep_duration_seconds: [[NOW - (DAILY_HISTORY_DAYS + 1) * DAY, 1], [NOW - 60 * DAY, 2], [NOW - DAY, 3]],
        no_such_key: [[NOW, 1]],
      },
    }, METRICS, NOW);
    expect(pruned.series).toEqual({ weight_kg: [[NOW - 365 * DAY, 79], [NOW - DAY, 70]], sleep_deep_duration_seconds: [[NOW - 60 * DAY, 2], [NOW - DAY, 3]] });
    const many = Array.from({ length: MAX_POINTS_PER_SERIES + 50 }, (_, i) => [NOW - i * 60, i] as [number, number]).reverse();
    const capped = pruneHistory({ series: { weight_kg: many } }, METRICS, NOW).series.weight_kg;
    expect(capped).toHaveLength(MAX_POINTS_PER_SERIES);
    expect(capped.at(-1)).toEqual([NOW, 0]); // the newest are kept
  });
});

describe('the file', () => {
  test('round trip; holds no token; a corrupt or foreign file is "no history"', () => {
    const h = { timezone: 'Europe/Paris', series: { weight_kg: [[NOW - DAY, 72.4]] as [number, number][] } };
    const text = serializeHistory('1001001', h, NOW);
    expect(JSON.parse(text)).toEqual({ version: 1, userid: '1001001', updated_at: NOW, timezone: 'Europe/Paris', series: { weight_kg: [[NOW - DAY, 72.4]] } });
    expect(text).not.toMatch(/token/);
    expect(parseHistory(text, METRICS, NOW)).toEqual({ userid: '1001001', updated_at: NOW, ...h });
    expect(parseHistory('{"version":1,', METRICS, NOW)).toBeUndefined();
    expect(parseHistory('[]', METRICS, NOW)).toBeUndefined();
    expect(parseHistory(JSON.stringify({ version: 2, userid: '1', series: {} }), METRICS, NOW)).toBeUndefined();
    const bad = JSON.stringify({ version: 1, userid: '1', series: { weight_kg: [[NOW, 'x'], [NOW - 60, 70], 'junk'], fat_ratio_pct: 3 } });
    expect(parseHistory(bad, METRICS, NOW)?.series).toEqual({ weight_kg: [[NOW - 60, 70]] });
  });

  test('its name is not a token file name (the token-folder watcher ignores it)', () => {
    expect(historyFileName('1001001')).toBe('1001001.history.json');
    expect(isTokenFileName(historyFileName('1001001'))).toBe(false);
    expect(isTokenFileName('1001001.json')).toBe(true);
  });
});
