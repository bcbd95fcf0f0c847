// @ts-check
// Daily activity of a person with a tracker, computed on demand: a day's totals depend only on the
// seed, the person and the date; today's row holds what was done up to the watch's last sync
// (every 10 minutes), so it grows as the simulator's clock moves on.
import { hash32, int, prng } from './random.mjs';
import { addDays, localParts, startOfDay, ymd } from './time.mjs';

/** @typedef {import('./types.js').SimContext} SimContext */
/** @typedef {import('./types.js').Person} Person */
/** @typedef {import('./types.js').ActivityFields} ActivityFields */
/** @typedef {import('./types.js').ActivityRow} ActivityRow */

const { round, min, max } = Math;
const SYNC_EVERY_S = 600;
/** Passive kcal a day (totalcalories − calories). */
const PASSIVE_KCAL = 1_450;

/** Every field getactivity can return, in the order of the reference. */
/** @type {ReadonlyArray<keyof ActivityFields>} */
export const ACTIVITY_FIELDS = [
  'steps', 'distance', 'elevation', 'soft', 'moderate', 'intense', 'active', 'calories', 'totalcalories',
  'hr_average', 'hr_min', 'hr_max', 'hr_zone_0', 'hr_zone_1', 'hr_zone_2', 'hr_zone_3',
];
const NOT_SCALED = new Set(['hr_average', 'hr_min', 'hr_max']);

/**
 * The whole day's totals of a tracker day.
 * @param {number} seed
 * @param {string} userid
 * @param {string} date
 * @returns {ActivityFields}
 */
function dayTotals(seed, userid, date) {
  const rand = prng(hash32(`activity:${seed}:${userid}:${date}`));
  const weekday = new Date(`${date}T12:00:00Z`).getUTCDay();
  const weekend = weekday === 0 || weekday === 6;
  const steps = weekend ? int(rand, 2_500, 14_500) : int(rand, 5_500, 11_500);
  const soft = int(rand, 4_000, 11_000);
  const moderate = int(rand, 600, 3_000);
  const intense = rand() < 0.35 ? int(rand, 900, 3_600) : int(rand, 0, 600);
  const calories = round(steps * 0.04 + intense / 60 * 9 + moderate / 60 * 4);
  const zone1 = round(moderate * 0.8);
  const zone2 = round(intense * 0.7);
  const zone3 = round(intense * 0.1);
  return {
    steps, distance: round(steps * 0.74), elevation: int(rand, 2, 18), soft, moderate, intense, active: moderate + intense,
    calories, totalcalories: calories + PASSIVE_KCAL, hr_average: int(rand, 66, 78), hr_min: int(rand, 48, 56), hr_max: int(rand, 118, 162),
    hr_zone_0: int(rand, 30_000, 42_000), hr_zone_1: zone1, hr_zone_2: zone2, hr_zone_3: zone3,
  };
}

/**
 * Share of the day's activity done by a local wall-clock time: nothing before 7:00, all by 22:00.
 * @param {number} hours local hours since midnight
 */
function doneBy(hours) {
  const x = min(1, max(0, (hours - 7) / 15));
  return x * x * (3 - 2 * x);
}

/**
 * The row of one day as the API shows it now, or null when the day has not started.
 * @param {SimContext} sim
 * @param {Person} person
 * @param {string} date
 * @returns {ActivityRow | null}
 */
function rowOf(sim, person, date) {
  const tz = person.timezone;
  const sync = Math.floor(sim.nowS() / SYNC_EVERY_S) * SYNC_EVERY_S;
  const dayStart = startOfDay(tz, date);
  const dayEnd = startOfDay(tz, addDays(date, 1));
  const override = person.activityOverrides.get(date);
  const tracker = person.tracker;
  if (dayStart > sim.nowS() || (!tracker && !override)) {
    return null;
  }
  /** @type {Partial<ActivityFields>} */
  let fields = {};
  let modified = 0;
  if (tracker && date >= tracker.firstDate && dayStart <= sync) {
    const totals = dayTotals(sim.seed, person.userid, date);
    const ended = sync >= dayEnd;
    const p = localParts(tz, sync);
    const share = ended ? 1 : doneBy(p.hh + p.mm / 60);
    const dayShare = ended ? 1 : (sync - dayStart) / (dayEnd - dayStart);
    for (const k of ACTIVITY_FIELDS) {
      fields[k] = NOT_SCALED.has(k) ? totals[k] : round(totals[k] * share);
    }
    fields.totalcalories = (fields.calories ?? 0) + round(PASSIVE_KCAL * dayShare);
    // A finished day was last changed by the first sync after midnight.
    modified = ended ? Math.ceil(dayEnd / SYNC_EVERY_S) * SYNC_EVERY_S : sync;
  }
  if (override) {
    fields = { ...fields, ...override.fields };
    modified = max(modified, override.modified);
  }
  const dev = tracker?.device ?? null;
  return {
    date, timezone: tz, deviceid: dev?.deviceid ?? null, hash_deviceid: dev?.hash_deviceid ?? null, brand: 1, is_tracker: dev !== null,
    model: dev?.model ?? null, modelid: dev?.model_id ?? null, modified, ...fields,
  };
}

/**
 * Every activity row of a person visible now, oldest day first.
 * @param {SimContext} sim
 * @param {Person} person
 * @returns {ActivityRow[]}
 */
export function activityRows(sim, person) {
  const dates = new Set(person.activityOverrides.keys());
  if (person.tracker) {
    const today = ymd(person.timezone, sim.nowS());
    for (let d = person.tracker.firstDate; d <= today; d = addDays(d, 1)) {
      dates.add(d);
    }
  }
  return [...dates].sort().map((d) => rowOf(sim, person, d)).filter((r) => r !== null);
}
