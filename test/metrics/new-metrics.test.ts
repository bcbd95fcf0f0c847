/**
 * The value rules of issue 14 on recorded replies (Home Assistant and aiowithings) and on the edge
 * cases the recordings lack: activity "today" across local midnight ahead of and behind UTC, the
 * longest-night picks, `-1` fields, summed fields, BMI, goals, unknown measure types and fields.
 */
import { METRICS, measureTypes, sourcesOf, summaryFields, activityFields } from '../../src/metrics/catalog.js';
import type { ActivityDay, SleepSummary } from '../../src/metrics/data.js';
import { parseActivityDay, parseActivityPage, parseGoals, parseMeasurePage, parseSleepSummary, parseSleepSummaryPage } from '../../src/withings/types.js';
import { activityToday, aggregateNights, bmi, computeValues, goalReached, localDate, nextLocalMidnight, startOfLocalDay, todaysActivity } from '../../src/metrics/values.js';
import { fixture, reply } from '../support/fixtures.js';

const UTC = (y: number, mo: number, d: number, h = 0, mi = 0): number => Date.UTC(y, mo - 1, d, h, mi) / 1000;
const day = (date: string, data: Record<string, number>, modified: number, source = 'watch', timezone?: string): ActivityDay => ({ date, data, modified, source, timezone });
const night = (id: number, enddate: number, data: Record<string, number>): SleepSummary => ({ id, startdate: enddate - 8 * 3600, enddate, modified: enddate, data });
const values = (data: Parameters<typeof computeValues>[0], now: number) => computeValues(data, sourcesOf(METRICS), now);

describe('activity today (getactivity)', () => {
  const ha = parseActivityPage({ activities: fixture<unknown[]>('home-assistant/activity.json') }, UTC(2023, 10, 22)).activities;

  test('the recorded reply: today\'s row in the profile\'s time zone gives every activity key', () => {

    const now = UTC(2023, 10, 21, 20); // 22:00 in Amsterdam (CEST, UTC+2)
    const v = values({ groups: [], summaries: [], segments: [], activities: ha, timezone: 'Europe/Amsterdam' }, now);
    const row = fixture<Record<string, number | string>[]>('home-assistant/activity.json').find((r) => r.date === '2023-10-21')!;
    expect(v.get('steps_today')?.value).toBe(row.steps);
    expect(v.get('distance_today_m')?.value).toBe(row.distance);
    expect(v.get('elevation_today_m')?.value).toBe(row.elevation);
    expect(v.get('active_time_today_seconds')?.value).toBe(row.active);
    expect(v.get('soft_activity_today_seconds')?.value).toBe(row.soft);
    expect(v.get('moderate_activity_today_seconds')?.value).toBe(row.moderate);
    expect(v.get('intense_activity_today_seconds')?.value).toBe(row.intense);
    expect(v.get('active_calories_today_kcal')?.value).toBe(row.calories);
    expect(v.get('total_calories_today_kcal')?.value).toBe(row.totalcalories);
    expect(v.get('steps_today')?.measuredAt).toBe(row.modified);
  });

  test('aiowithings: `more: false` with a non-zero offset is one page; heart-rate fields are kept but not shown', () => {
    const page = parseActivityPage(fixture<{ body: unknown }>('aiowithings/activity.json').body, UTC(2023, 10, 22));
    expect(page.more).toBe(false);
    expect(page.activities.map((a) => a.date)).toEqual(['2023-10-20', '2023-10-21']);
    expect(page.activities[0].data.hr_zone_3).toBe(400);
    expect(page.activities[0].source).toBe('GoogleFit tracker:1055'); // no device id: the phone source
  });

  test.each([
    ['ahead of UTC', 'Asia/Tokyo', UTC(2024, 3, 9, 14, 59), UTC(2024, 3, 9, 15, 1), '2024-03-09', '2024-03-10'],
    ['behind UTC', 'America/Los_Angeles', UTC(2024, 3, 10, 7, 59), UTC(2024, 3, 10, 8, 1), '2024-03-09', '2024-03-10'],
  ])('the midnight reset %s (%s): 0 from local midnight until today\'s row arrives', (_label, tz, before, after, yesterday, today) => {
    const rows = [day(yesterday, { steps: 9_000, distance: 6_000 }, before - 60)];
    expect(localDate(before, tz)).toBe(yesterday);
    expect(localDate(after, tz)).toBe(today);
    expect(activityToday(rows, 'steps', before, tz)).toEqual({ value: 9_000, measuredAt: before - 60 });
    const midnight = startOfLocalDay(after, tz);
    expect(midnight).toBeGreaterThan(before);
    expect(midnight).toBeLessThanOrEqual(after);
    expect(nextLocalMidnight(before, tz)).toBe(midnight);
    expect(activityToday(rows, 'steps', after, tz)).toEqual({ value: 0, measuredAt: midnight });
    // A field the account never sent stays without a value.
    expect(activityToday(rows, 'elevation', after, tz)).toBeUndefined();
    // Today's first row replaces the 0; a watch that syncs later corrects the same day.
    const withToday = [...rows, day(today, { steps: 120 }, after + 300)];
    expect(activityToday(withToday, 'steps', after + 600, tz)?.value).toBe(120);
    const corrected = [...rows, day(today, { steps: 2_400 }, after + 900)];
    expect(activityToday(corrected, 'steps', after + 1_000, tz)?.value).toBe(2_400);
  });

  test('phone and watch on the same day: the source with more steps, not their sum', () => {
    const rows = [day('2024-03-10', { steps: 3_000 }, UTC(2024, 3, 10, 9), 'phone'), day('2024-03-10', { steps: 5_200 }, UTC(2024, 3, 10, 8), 'watch')];
    expect(todaysActivity(rows, UTC(2024, 3, 10, 12), 'UTC')?.source).toBe('watch');
  });

  test('an account without activity rows has no activity values (no sensor)', () => {
    expect(activityToday([], 'steps', UTC(2024, 3, 10), 'UTC')).toBeUndefined();
    expect(values({ groups: [], summaries: [], segments: [] }, UTC(2024, 3, 10)).has('steps_today')).toBe(false);
  });

  test('the parser drops what is not a value: a bad date, negative or non-numeric fields; unknown fields do not break it', () => {
    const now = UTC(2024, 3, 10);
    expect(parseActivityDay({ date: '2024-02-30', steps: 1 }, now)).toBeUndefined();
    expect(parseActivityDay({ date: 'today', steps: 1 }, now)).toBeUndefined();
    const row = parseActivityDay({ date: '2024-03-09', steps: 'NaN', distance: -3, calories: '12.5', a_new_field: 7, modified: 9e12 }, now)!;
    expect(row.data).toEqual({ calories: 12.5, a_new_field: 7 });
    expect(row.modified).toBe(UTC(2024, 3, 9)); // an impossible `modified` is not trusted
  });
});

describe('the new sleep-summary fields', () => {
  const all = parseSleepSummaryPage(fixture<{ body: unknown }>('aiowithings/sleep_summary.json').body).series;
  const recorded = all.find((s) => s.date === '2021-04-18')!;
  const now = recorded.enddate + 3600;

  test('one recorded night: score, snoring, breathing, totals and efficiency as the rules say', () => {
    const v = values({ groups: [], summaries: [recorded], segments: [], timezone: 'Europe/Paris' }, now);
    expect(v.get('sleep_score')?.value).toBe(recorded.data.sleep_score);
    expect(v.get('sleep_snoring_duration_seconds')?.value).toBe(recorded.data.snoring);
    expect(v.get('sleep_snoring_episode_count')?.value).toBe(recorded.data.snoringepisodecount);
    expect(v.get('sleep_breathing_disturbances_intensity')?.value).toBe(recorded.data.breathing_disturbances_intensity);
    expect(v.get('sleep_apnea_hypopnea_index')?.value).toBe(recorded.data.apnea_hypopnea_index);
    expect(v.get('sleep_total_duration_seconds')?.value).toBe(recorded.data.total_sleep_time);
    expect(v.get('sleep_efficiency_pct')?.value).toBe(86); // 0.86 × 100, without float noise
  });

  test('two nights in the window: sums add up, the picks come from the night with the most sleep time', () => {
    const end = UTC(2024, 3, 10, 7);
    const main = night(1, end, {
      lightsleepduration: 14_000, deepsleepduration: 6_000, remsleepduration: 5_000, total_sleep_time: 25_000, total_timeinbed: 28_000,
      sleep_score: 82, snoring: 600, snoringepisodecount: 4, sleep_efficiency: 0.89, breathing_disturbances_intensity: 12, apnea_hypopnea_index: 3.5,
    });
    const nap = night(2, end + 6 * 3600, {
      lightsleepduration: 1_800, total_sleep_time: 1_800, total_timeinbed: 2_400,
      sleep_score: 40, snoring: 60, snoringepisodecount: 1, sleep_efficiency: 0.75, breathing_disturbances_intensity: 50, apnea_hypopnea_index: 20,
    });
    const v = values({ groups: [], summaries: [main, nap], segments: [] }, end + 7 * 3600);
    expect(v.get('sleep_total_duration_seconds')?.value).toBe(26_800);
    expect(v.get('sleep_time_in_bed_seconds')?.value).toBe(30_400);
    expect(v.get('sleep_snoring_duration_seconds')?.value).toBe(660);
    expect(v.get('sleep_snoring_episode_count')?.value).toBe(5);
    expect(v.get('sleep_score')).toEqual({ value: 82, measuredAt: end });
    expect(v.get('sleep_efficiency_pct')?.value).toBe(89);
    expect(v.get('sleep_breathing_disturbances_intensity')?.value).toBe(12);
    expect(v.get('sleep_apnea_hypopnea_index')?.value).toBe(3.5);
  });

  test('`-1` means not computed: no value, never -1, and never another night\'s value instead', () => {
    const end = UTC(2024, 3, 10, 7);
    const main = night(1, end, { total_sleep_time: 25_000, breathing_disturbances_intensity: -1, apnea_hypopnea_index: -1, snoring: -1 });
    const nap = night(2, end + 3600, { total_sleep_time: 1_000, breathing_disturbances_intensity: 40, apnea_hypopnea_index: 8, snoring: 30 });
    const v = values({ groups: [], summaries: [main, nap], segments: [] }, end + 2 * 3600);
    expect(v.has('sleep_breathing_disturbances_intensity')).toBe(false);
    expect(v.has('sleep_apnea_hypopnea_index')).toBe(false);
    expect(v.get('sleep_snoring_duration_seconds')?.value).toBe(30); // a sum leaves the -1 out
    expect(aggregateNights([main], ['apnea_hypopnea_index'], 'longest-night')).toBeUndefined();
  });

  test('an unknown summary field is ignored; the fields requested include what the picks weigh by', () => {
    const parsed = parseSleepSummary({ id: 1, startdate: 1, enddate: 2, data: { a_field_from_2030: 5, sleep_score: 70 } })!;
    expect(parsed.data.sleep_score).toBe(70);
    const fields = summaryFields(METRICS);
    expect(fields).toEqual(expect.arrayContaining(['sleep_score', 'snoring', 'snoringepisodecount', 'breathing_disturbances_intensity', 'apnea_hypopnea_index', 'total_sleep_time', 'total_timeinbed', 'sleep_efficiency', 'lightsleepduration']));
  });
});

describe('newer body measures and BMI', () => {
  test('Body Scan recording: basal metabolic rate (226) and visceral fat (170) as whole-body values', () => {
    const page = parseMeasurePage(reply({ measuregrps: fixture('aiowithings/measurement_positions.json') }).body);
    const v = values({ groups: page.groups, summaries: [], segments: [] }, UTC(2030, 1, 1));
    expect(v.get('basal_metabolic_rate_kcal')?.value).toBeGreaterThan(1000);
    expect(v.get('visceral_fat_index')?.value).toBeGreaterThan(0);
  });

  test('every new type is read from getmeas; an unknown type in a reply is ignored, never an error', () => {
    expect(measureTypes(METRICS)).toEqual(expect.arrayContaining([123, 168, 169, 170, 155, 226, 227, 167, 196]));
    const g = { grpid: 1, attrib: 0, date: UTC(2024, 3, 1), created: UTC(2024, 3, 1), category: 1, measures: [
      { type: 123, value: 452, unit: -1 }, { type: 168, value: 1750, unit: -2 }, { type: 169, value: 2310, unit: -2 },
      { type: 155, value: 41, unit: 0 }, { type: 227, value: 38, unit: 0 }, { type: 167, value: 3, unit: 0 }, { type: 196, value: 74, unit: 0 },
      { type: 9999, value: 1, unit: 0, position: 42 },
    ] };
    const v = values({ groups: parseMeasurePage({ measuregrps: [g] }).groups, summaries: [], segments: [] }, UTC(2024, 3, 2));
    expect(v.get('vo2max_ml_min_kg')?.value).toBe(45.2);
    expect(v.get('extracellular_water_kg')?.value).toBe(17.5);
    expect(v.get('intracellular_water_kg')?.value).toBe(23.1);
    expect(v.get('vascular_age_years')?.value).toBe(41);
    expect(v.get('metabolic_age_years')?.value).toBe(38);
    expect(v.get('nerve_health_score_feet')?.value).toBe(3);
    expect(v.get('electrodermal_activity_feet_pct')?.value).toBe(74);
  });

  test('BMI = latest weight / latest height², measured when the weight was; only with both', () => {
    const group = (grpid: number, date: number, type: number, value: number, unit: number) =>
      ({ grpid, attrib: type === 4 ? 2 : 0, date, created: date, category: 1, measures: [{ type, value, unit }] });
    const height = group(1, UTC(2020, 1, 1), 4, 175, -2);
    const oldWeight = group(2, UTC(2024, 1, 1), 1, 80_000, -3);
    const weight = group(3, UTC(2024, 3, 1, 7), 1, 72_500, -3);
    const now = UTC(2024, 3, 2);
    const v = values({ groups: parseMeasurePage({ measuregrps: [height, oldWeight, weight] }).groups, summaries: [], segments: [] }, now);
    expect(v.get('bmi')).toEqual({ value: 23.67, measuredAt: UTC(2024, 3, 1, 7) });
    expect(values({ groups: parseMeasurePage({ measuregrps: [weight] }).groups, summaries: [], segments: [] }, now).has('bmi')).toBe(false);
    expect(values({ groups: parseMeasurePage({ measuregrps: [height] }).groups, summaries: [], segments: [] }, now).has('bmi')).toBe(false);
    expect(bmi({ value: 70, measuredAt: 1 }, { value: 0, measuredAt: 1 })).toBeUndefined();
    // Selecting only bmi still reads weight and height.
    expect(measureTypes(METRICS.filter((m) => m.key === 'bmi'))).toEqual([1, 4]);
  });
});

describe('goals (getgoals)', () => {
  test.each([
    ['home-assistant/goals.json', { steps: 10_000, sleepSeconds: 28_800, weightKg: 70.5 }],
    ['aiowithings/goals_1.json', { weightKg: 70.5 }],
    ['aiowithings/goals_2.json', { steps: 10_000, sleepSeconds: 28_800 }],
    ['aiowithings/no_goals.json', {}],
  ])('%s', (file, expected) => {
    const raw = fixture<Record<string, unknown>>(file);
    const body = 'status' in raw ? raw.body : { goals: raw };
    expect(parseGoals(body)).toEqual(expected);
  });

  test('goal values as metrics; a goal is reached at or above it', () => {
    const v = values({ groups: [], summaries: [], segments: [], goals: { goals: { steps: 10_000, sleepSeconds: 28_800, weightKg: 70.5 }, seenAt: 100 } }, 200);
    expect(v.get('steps_goal')).toEqual({ value: 10_000, measuredAt: 100 });
    expect(v.get('sleep_goal_seconds')?.value).toBe(28_800);
    expect(v.get('weight_goal_kg')?.value).toBe(70.5);
    expect(goalReached({ value: 9_999, measuredAt: 1 }, v.get('steps_goal'))).toBe(false);
    expect(goalReached({ value: 10_000, measuredAt: 1 }, v.get('steps_goal'))).toBe(true);
    expect(goalReached(undefined, v.get('steps_goal'))).toBeUndefined();
    expect(parseGoals({ goals: { steps: -5, sleep: 'x', weight: { value: 1, unit: 1.5 } } })).toEqual({});
  });

  test('activity fields requested are exactly those of the selected keys', () => {
    expect(activityFields(METRICS).sort()).toEqual(['active', 'calories', 'distance', 'elevation', 'intense', 'moderate', 'soft', 'steps', 'totalcalories']);
    expect(activityFields(METRICS.filter((m) => m.key !== 'steps_today' && m.group !== 'activity'))).toEqual([]);
  });
});
