/**
 * The value rules, the product's definition of truth, on recorded Withings data and on cases built
 * by hand where the recordings have none.
 */
import { METRICS, sourcesOf } from '../../src/metrics/catalog.js';
import type { MeasureGroup, SleepSummary } from '../../src/metrics/data.js';
import { parseMeasureGroup, parseSleepSegments, parseSleepSummary } from '../../src/withings/types.js';
import {
  aggregateNights,
  computeValues,
  latestMeasures,
  nightsInWindow,
  noonOfPreviousDay,
  scaled,
  sleepState,
} from '../../src/metrics/values.js';
import { fixture } from '../support/fixtures.js';

const groups = (list: unknown[]): MeasureGroup[] => list.map((g) => parseMeasureGroup(g)!);
const summaries = (list: unknown[]): SleepSummary[] => list.map((s) => parseSleepSummary(s)!);
const valueOf = (list: MeasureGroup[], type: number): number | undefined => latestMeasures(list, [type]).get(type)?.value;

describe('scaled: value × 10^unit, exactly', () => {
  test.each([
    [95, -2, 0.95],
    [70, -3, 0.07],
    [65750, -3, 65.75],
    [10600, -2, 106],
    [7200, -3, 7.2],
    [400, -1, 40],
    [118003, -3, 118.003],
    [72, 0, 72],
    [12, 2, 1200],
  ])('%d × 10^%d = %d', (value, unit, expected) => {
    expect(scaled(value, unit)).toBe(expected);
    expect(String(scaled(value, unit))).toBe(String(expected));
  });

  test('never shows the float noise of value * 10 ** unit', () => {
    expect(95 * 10 ** -2).not.toBe(0.95); // the trap
    expect(String(scaled(95, -2))).toBe('0.95');
  });
});

describe('body measures', () => {
  const ha = groups(fixture('home-assistant/measurements.json'));

  test('Home Assistant fixture: weight 70 kg (the newer ambiguous 71 kg is skipped), fat ratio 0.07 %, SpO2 0.95 %', () => {
    expect(valueOf(ha, 1)).toBe(70);
    expect(valueOf(ha, 6)).toBe(0.07);
    expect(valueOf(ha, 54)).toBe(0.95);
    // The ambiguous group is the newest one and says 71 kg: it must not win.
    const ambiguous = ha.find((g) => g.attrib === 1)!;
    expect(ambiguous.date).toBeGreaterThan(Math.max(...ha.filter((g) => g.attrib !== 1).map((g) => g.date)));
    expect(ambiguous.measures.find((m) => m.type === 1)!.value).toBe(71);
  });

  test('real 2062-group recording: heart pulse of the reading taken last (62 bpm, BPM Connect), not of the one stored last (90 bpm, Body Cardio)', () => {
    const real = groups(fixture('aiowithings/measurement_list.json'));
    expect(real).toHaveLength(2062);
    const withPulse = real.filter((g) => g.category === 1 && g.attrib !== 1 && g.measures.some((m) => m.type === 11));
    const byTaken = [...withPulse].sort((a, b) => b.date - a.date)[0];
    const byStored = [...withPulse].sort((a, b) => b.created - a.created)[0];
    // The recording really has the trap: the two orders disagree.
    expect(byTaken.grpid).not.toBe(byStored.grpid);
    expect(byTaken.model).toBe('BPM Connect');
    expect(byStored.model).toBe('Body Cardio');
    const pulse = latestMeasures(real, [11]).get(11)!;
    expect(pulse.value).toBe(62);
    expect(pulse.grpid).toBe(byTaken.grpid);
    expect(pulse.measuredAt).toBe(byTaken.date);
  });

  test('duplicated attrib 0/8 groups of one weigh-in give that weigh-in', () => {
    const dup = groups((fixture('aiowithings/measurement.json') as { body: { measuregrps: unknown[] } }).body.measuregrps);
    expect(dup.map((g) => g.attrib)).toEqual([0, 8]);
    expect(valueOf(dup, 1)).toBe(118.003);
  });

  test('whole-body values only: position 7 counts, segment positions do not', () => {
    const scan = groups(fixture('aiowithings/measurement_positions.json'));
    const latest = scan.sort((a, b) => b.date - a.date)[0];
    expect(latest.grpid).toBeGreaterThan(2 ** 31);
    expect(valueOf(scan, 8)).toBe(17.8); // fat mass, position 7
    expect(valueOf(scan, 76)).toBe(74.75); // muscle mass, position 7
    expect(valueOf(scan, 1)).toBe(96.44); // weight, no position
    expect(valueOf(scan, 6)).toBe(18.457);
    expect(valueOf(scan, 173)).toBeUndefined(); // only per-segment values
  });

  const base = { attrib: 0, created: 100, modified: 100, category: 1, deviceid: null };
  const group = (grpid: number, date: number, weight: number, extra: Partial<MeasureGroup> = {}): MeasureGroup =>
    ({ ...base, grpid, date, measures: [{ type: 1, value: weight * 1000, unit: -3 }], ...extra });

  test('a goal (category 2) newer than the real weigh-in is not a reading', () => {
    const list = [group(1, 1000, 80), group(2, 2000, 70, { category: 2 })];
    expect(valueOf(list, 1)).toBe(80);
  });

  test('taken order wins over stored order; a tie on the taken time goes to the later modification', () => {
    const lateSync = group(1, 1000, 81, { created: 9000, modified: 9000 });
    const newer = group(2, 2000, 80, { created: 2000, modified: 2000 });
    expect(valueOf([lateSync, newer], 1)).toBe(80);
    const edited = group(3, 2000, 79, { created: 2000, modified: 5000 });
    expect(valueOf([newer, edited], 1)).toBe(79);
    expect(valueOf([edited, newer], 1)).toBe(79);
  });

  test('a type never measured has no value (not zero)', () => {
    expect(latestMeasures([group(1, 1000, 80)], [54]).has(54)).toBe(false);
  });
});

describe('sleep summaries: the nights since noon of the previous day', () => {
  const paris = summaries(fixture('home-assistant/sleep_summaries.json'));
  // 2021-04-18 10:00 in Paris (08:00 UTC).
  const now = Date.UTC(2021, 3, 18, 8, 0, 0) / 1000;

  test('noon of the previous day is computed in the profile timezone', () => {
    expect(noonOfPreviousDay(now, 'Europe/Paris')).toBe(Date.UTC(2021, 3, 17, 10, 0, 0) / 1000);
    expect(noonOfPreviousDay(now, 'America/New_York')).toBe(Date.UTC(2021, 3, 17, 16, 0, 0) / 1000);
    expect(noonOfPreviousDay(now, 'UTC')).toBe(Date.UTC(2021, 3, 17, 12, 0, 0) / 1000);
    // Just after midnight in Tokyo it is already the 19th there: the cut-off is noon of the 18th.
    expect(noonOfPreviousDay(Date.UTC(2021, 3, 18, 15, 30) / 1000, 'Asia/Tokyo')).toBe(Date.UTC(2021, 3, 18, 3, 0, 0) / 1000);
    // A day with a DST change (Paris, 2021-03-28): noon is still noon local time.
    expect(noonOfPreviousDay(Date.UTC(2021, 2, 29, 8) / 1000, 'Europe/Paris')).toBe(Date.UTC(2021, 2, 28, 10, 0, 0) / 1000);
    expect(noonOfPreviousDay(now, 'Not/AZone')).toBe(Date.UTC(2021, 3, 17, 12, 0, 0) / 1000);
  });

  test('one night in the window: the values are that night\'s (Home Assistant fixture)', () => {
    const nights = nightsInWindow(paris, now);
    expect(nights.map((n) => n.date)).toEqual(['2021-04-18']);
    const values = computeValues({ groups: [], summaries: paris, segments: [] }, sourcesOf(METRICS), now);
    expect(values.get('sleep_heart_rate_average_bpm')?.value).toBe(103);
    expect(values.get('sleep_deep_duration_seconds')?.value).toBe(5820);
    expect(values.get('sleep_tosleep_duration_seconds')?.value).toBe(540);
    expect(values.get('sleep_towakeup_duration_seconds')?.value).toBe(1140);
    expect(values.get('sleep_deep_duration_seconds')?.measuredAt).toBe(1618713173);
  });

  test('a two-night window sums durations, weights the averages by sleep time, takes extreme minima and maxima', () => {
    const [night17, night18] = [paris.find((n) => n.date === '2021-04-17')!, paris.find((n) => n.date === '2021-04-18')!];
    // The 17th's sleep moved to an afternoon nap that ended at 15:00 in Paris on the 17th: inside the window.
    const nap: SleepSummary = { ...night17, id: 'nap', startdate: Date.UTC(2021, 3, 17, 5) / 1000, enddate: Date.UTC(2021, 3, 17, 13) / 1000 };
    const nights = nightsInWindow([night18, nap, night17], now);
    expect(nights.map((n) => n.id)).toEqual([night18.id, 'nap']);

    // By hand: night 18: hr 103 over 10440 + 5820 + 2400 = 18660 s asleep;
    //          nap:      hr  85 over 12840 + 7200 + 6840 = 26880 s asleep.
    //          (103 × 18660 + 85 × 26880) / (18660 + 26880) = 4206780 / 45540 = 92.3755 bpm
    expect(aggregateNights(nights, ['hr_average'], 'weighted-average')?.value).toBe(92.3755);
    // Not the sum of averages (Home Assistant 0.97 showed 188), nor the last night only (103).
    expect(aggregateNights(nights, ['rr_average'], 'weighted-average')?.value).toBe(Math.round(((14 * 18660 + 16 * 26880) / 45540) * 1e4) / 1e4);
    expect(aggregateNights(nights, ['deepsleepduration'], 'sum')?.value).toBe(5820 + 7200);
    expect(aggregateNights(nights, ['wakeupcount'], 'sum')?.value).toBe(1 + 3);
    expect(aggregateNights(nights, ['hr_min'], 'min')?.value).toBe(Math.min(night18.data.hr_min, nap.data.hr_min));
    expect(aggregateNights(nights, ['hr_max'], 'max')?.value).toBe(Math.max(night18.data.hr_max, nap.data.hr_max));
    expect(aggregateNights(nights, ['sleep_latency', 'durationtosleep'], 'sum')?.value).toBe(540 + 900);
    expect(aggregateNights(nights, ['hr_average'], 'weighted-average')?.measuredAt).toBe(night18.enddate);
  });

  test('no night in the window: no value', () => {
    const later = Date.UTC(2021, 3, 20, 8) / 1000;
    expect(nightsInWindow(paris, later)).toEqual([]);
    const values = computeValues({ groups: [], summaries: paris, segments: [] }, sourcesOf(METRICS), later);
    expect([...values.keys()]).toEqual([]);
  });

  test('a night without heart-rate data does not drag the rate to zero', () => {
    const [a, b] = [paris[0], { ...paris[1], data: { ...paris[1].data, hr_average: 0, hr_min: 0 } }];
    expect(aggregateNights([a, b], ['hr_average'], 'weighted-average')?.value).toBe(a.data.hr_average);
    expect(aggregateNights([a, b], ['hr_min'], 'min')?.value).toBe(a.data.hr_min);
  });

  test('the deprecated durationtosleep is used when sleep_latency is absent', () => {
    const old = summaries((fixture('home-assistant/get_sleep.json') as { series: unknown[] }).series);
    expect(aggregateNights(old, ['sleep_latency', 'durationtosleep'], 'sum')?.value).toBe(112 + 212);
  });
});

describe('sleep state: the latest segment of the last 6 hours', () => {
  const segments = parseSleepSegments((fixture('aiowithings/sleep.json') as { body: unknown }).body);

  test('the recording has 613 segments', () => {
    expect(segments).toHaveLength(613);
  });

  test('after the last segment: its state (awake)', () => {
    expect(sleepState(segments, 1619296297 + 60)).toEqual({ value: 0, measuredAt: 1619296297, text: 'awake' });
  });

  test('during the night: the state of the segment under way (light sleep)', () => {
    expect(sleepState(segments, 1619229198 + 30)?.text).toBe('light');
  });

  test('nothing in the last 6 hours, or a state without meaning: unknown', () => {
    expect(sleepState(segments, 1619231658 + 6 * 3600 + 1)).toBeUndefined();
    expect(sleepState([{ startdate: 0, enddate: 100, state: 4 }], 200)).toBeUndefined();
    expect(sleepState([], 200)).toBeUndefined();
  });
});
