// @ts-check
// Demo data of the Withings simulator: one Withings account with two people (Alice and Bob), always
// generated relative to the simulator's start time so that it is recent, and deterministic for a
// given `seed` and start time. Shapes follow the Withings API and the recorded replies under
// test/fixtures/.
import { hash32, hex40, int, prng } from './random.mjs';
import { stageSegments, summaryData } from './sleep-data.mjs';
import { DAY, HOUR, MIN, dayBefore, localToEpoch, ymd } from './time.mjs';

/** @typedef {import('./types.js').Device} Device */
/** @typedef {import('./types.js').Battery} Battery */
/** @typedef {import('./types.js').Group} Group */
/** @typedef {import('./types.js').Measure} Measure */
/** @typedef {import('./types.js').Person} Person */
/** @typedef {import('./types.js').Segment} Segment */
/** @typedef {import('./types.js').Summary} Summary */
/** @typedef {import('./types.js').SummaryData} SummaryData */

// Builtins bound once: global lookups are slow when the module runs inside a vm context (jest).
const { round, floor, min } = Math;

export const ALICE = '1001001';
export const BOB = '1001002';

/** Every scope a grant can carry. */
export const KNOWN_SCOPES = ['user.info', 'user.metrics', 'user.activity', 'user.sleepevents'];

/** Device models the simulator knows: getdevice `type`, `model`, `model_id`. */
/** @type {Record<string, {type: string, model_id: number}>} */
export const DEVICE_MODELS = {
  'Body+': { type: 'Scale', model_id: 5 },
  'Body Cardio': { type: 'Scale', model_id: 6 },
  'Body Scan': { type: 'Scale', model_id: 10 },
  'Body Comp': { type: 'Scale', model_id: 18 },
  'BPM Core': { type: 'Blood Pressure Monitor', model_id: 44 },
  'BPM Connect': { type: 'Blood Pressure Monitor', model_id: 45 },
  'Aura Dock': { type: 'Sleep Monitor', model_id: 60 },
  'Aura Sensor V2': { type: 'Sleep Monitor', model_id: 63 },
  Thermo: { type: 'Smart Connected Thermometer', model_id: 70 },
  BeamO: { type: 'Smart Connected Thermometer', model_id: 71 },
  ScanWatch: { type: 'Activity Tracker', model_id: 93 },
  'ScanWatch 2': { type: 'Activity Tracker', model_id: 94 },
};

/** Sleep-summary fields returned when a getsummary call has no `data_fields` (recorded default set). */
export const DEFAULT_SUMMARY_FIELDS = [
  'wakeupduration', 'wakeupcount', 'durationtosleep', 'remsleepduration', 'durationtowakeup',
  'total_timeinbed', 'total_sleep_time', 'sleep_efficiency', 'sleep_latency', 'wakeup_latency', 'waso',
  'nb_rem_episodes', 'out_of_bed_count', 'lightsleepduration', 'deepsleepduration',
];

// ---------------------------------------------------------------------------------------------
// The account

/**
 * @param {() => number} rand
 * @param {number} t0
 * @param {string} tz
 * @param {string} model
 * @param {Battery} battery
 * @returns {Device}
 */
function device(rand, t0, tz, model, battery) {
  const id = hex40(rand);
  const { type, model_id } = DEVICE_MODELS[model];
  return {
    type, model, model_id, battery, deviceid: id, hash_deviceid: id, timezone: tz,
    first_session_date: t0 - int(rand, 200, 700) * DAY,
    last_session_date: null, // computed from the data when asked (the last sync)
  };
}

/**
 * @param {number} type
 * @param {number} value
 * @param {number} unit
 * @param {Partial<Measure>} [extra]
 * @returns {Measure}
 */
const m = (type, value, unit, extra = { algo: 0, fm: 128 }) => ({ value, type, unit, ...extra });

/**
 * @param {Device | null} dev
 * @param {{date: number, created: number, attrib?: number, category?: number, measures: Measure[]}} fields
 * @returns {Group}
 */
function group(dev, { date, created, attrib = 0, category = 1, measures }) {
  return {
    grpid: 0, // assigned once every group exists, in `created` order
    attrib,
    date,
    created,
    modified: created,
    category,
    deviceid: dev ? dev.deviceid : null,
    hash_deviceid: dev ? dev.hash_deviceid : null,
    measures,
    modelid: dev ? dev.model_id : null,
    model: dev ? dev.model : null,
    comment: null,
  };
}

/**
 * Nights (segments + summary) whose end is at or before `limit`, newest first, `count` of them.
 * @param {() => number} rand
 * @param {Person} person
 * @param {Device} sensor
 * @param {number} t0
 * @param {number} limit
 * @param {number} count
 * @param {{bedHour: number, apnea: boolean}} options
 * @returns {Array<{segs: Segment[], data: SummaryData}>}
 */
function nights(rand, person, sensor, t0, limit, count, { bedHour, apnea }) {
  const out = [];
  for (let back = 0; out.length < count && back < count + 10; back++) {
    const evening = dayBefore(person.timezone, t0, back + 1);
    const start = localToEpoch(person.timezone, evening.y, evening.m, evening.d, bedHour, 0) + int(rand, -40, 40) * MIN + int(rand, 0, 59);
    // One short night (under 5 h: breathing disturbances are not computed, -1) among the older ones.
    const short = out.length === SHORT_NIGHT;
    const targetEnd = start + (short ? int(rand, 200, 260) : int(rand, 450, 500)) * MIN;
    if (targetEnd + 30 * MIN > limit) {
      continue;
    }
    const segs = stageSegments(rand, start, targetEnd, sensor.hash_deviceid);
    const data = summaryData(person.userid, segs, rand, { apnea });
    // The apnea-hypopnea index is sometimes not computed even for a long night.
    if (apnea && out.length % 9 === 4) {
      data.apnea_hypopnea_index = -1;
    }
    out.push({ segs, data });
  }
  return out;
}

/** Nights with a summary; stage segments are kept for the latest SEGMENT_NIGHTS only (reply sizes). */
const SUMMARY_NIGHTS = 60;
const SEGMENT_NIGHTS = 14;
const SHORT_NIGHT = 17;
/** Days of body measures and blood pressure. */
const HISTORY_DAYS = 125;
/** Days of activity, today included. */
const ACTIVITY_DAYS = 120;

/**
 * Adds nights to a person: every summary, the segments of the latest ones.
 * @param {() => number} rand
 * @param {Person} person
 * @param {Device} sensor
 * @param {Array<{segs: Segment[], data: SummaryData}>} list newest first
 */
function addNights(rand, person, sensor, list) {
  list.forEach(({ segs, data }, i) => {
    if (i < SEGMENT_NIGHTS) {
      person.segments.push(...segs);
    }
    person.summaries.push(summaryOf(person, sensor, segs, data, segs[segs.length - 1].enddate + int(rand, 5, 30) * MIN));
  });
}

/**
 * Morning instants of a sparser history (every 1–3 days) from `fromBack` to HISTORY_DAYS days back.
 * @param {() => number} rand
 * @param {string} tz
 * @param {number} t0
 * @param {number} fromBack
 * @param {number} hour
 */
function sparseMornings(rand, tz, t0, fromBack, hour) {
  const out = [];
  for (let back = fromBack + int(rand, 0, 1); back < HISTORY_DAYS; back += int(rand, 1, 3)) {
    const day = dayBefore(tz, t0, back);
    out.push({ back, date: localToEpoch(tz, day.y, day.m, day.d, hour, 0) + int(rand, 0, 40 * MIN) });
  }
  return out;
}

/**
 * @param {Person} person
 * @param {Device} sensor
 * @param {Segment[]} segs
 * @param {SummaryData} data
 * @param {number} created
 * @returns {Summary}
 */
function summaryOf(person, sensor, segs, data, created) {
  const startdate = segs[0].startdate;
  const enddate = segs[segs.length - 1].enddate;
  return {
    id: 0,
    timezone: person.timezone,
    model: 32,
    model_id: 63,
    hash_deviceid: sensor.hash_deviceid,
    startdate,
    enddate,
    date: ymd(person.timezone, enddate),
    created,
    modified: created,
    data,
  };
}

/**
 * @param {() => number} rand
 * @param {number} t0
 * @returns {Person}
 */
function alice(rand, t0) {
  const tz = 'Europe/Paris';
  /** @type {Person} */
  const person = {
    userid: ALICE, name: 'Alice', timezone: tz, devices: [], goals: [], groups: [], summaries: [], segments: [], subscriptions: [],
    tracker: null, activityOverrides: new Map(),
  };
  const scale = device(rand, t0, tz, 'Body Scan', 'medium');
  const watch = device(rand, t0, tz, 'ScanWatch 2', 'high');
  // The dock is mains powered: Withings reports its battery as unknown.
  const dock = device(rand, t0, tz, 'Aura Dock', 'unknown');
  const sensor = device(rand, t0, tz, 'Aura Sensor V2', 'high');
  person.devices = [scale, watch, dock, sensor];
  person.goals = { steps: 10000, sleep: 28800, weight: { value: 68000, unit: -3 } };
  person.tracker = { device: watch, firstDate: ymd(tz, t0 - (ACTIVITY_DAYS - 1) * DAY) };
  const g = person.groups;

  // Height, entered by hand long ago (grpid below 2^31 like old groups).
  const heightDate = t0 - 400 * DAY - int(rand, 0, 3600);
  g.push({ ...group(null, { date: heightDate, created: heightDate + 1, attrib: 2, measures: [m(4, 1680, -3)] }), grpid: 1_987_654_321 });

  // Body Scan weigh-ins each morning for 30 days: a composition group, a standing-pulse group, a PWV
  // group, and the newer Body Scan measures (below); then every 1–3 days, composition only.
  const weighins = [];
  for (let back = 0; weighins.length < 30 && back < 32; back++) {
    const day = dayBefore(tz, t0, back);
    const date = localToEpoch(tz, day.y, day.m, day.d, 7, 0) + int(rand, 0, 30 * MIN);
    if (date + 15 * MIN > t0) {
      continue;
    }
    weighins.push({ back: weighins.length, date });
  }
  let latest = null;
  for (const { back, date } of weighins) {
    const weight = round(72_350 - back * 35 + (rand() - 0.5) * 900); // g, slowly going down
    const fatRatio = round(18_457 + back * 20 + (rand() - 0.5) * 700); // %·1000
    const fatMass = round((weight * fatRatio) / 100_000); // g
    const ffm = weight - fatMass;
    const bone = round(2_950 + (rand() - 0.5) * 60);
    const muscle = ffm - bone - int(rand, 150, 350);
    const hydration = round(ffm * 0.725);
    let created = date + int(rand, 30, 150);
    if (back === 0) {
      created = date + int(rand, 180, 300); // the latest weigh-in was stored a few minutes later
    }
    if (back === 20) {
      created = date + 3 * DAY + int(rand, 1, 6) * HOUR; // a scale that synced late
    }
    const alg = { algo: 3, fm: 3 };
    const composition = group(scale, {
      date, created, measures: [
        m(1, weight, -3, alg), m(5, ffm, -3, alg), m(6, fatRatio, -3, alg), m(8, round(fatMass / 10), -2, alg),
        m(76, round(muscle / 10), -2, alg), m(77, round(hydration / 10), -2, alg), m(88, round(bone / 10), -2, alg),
      ],
    });
    g.push(composition);
    if (back % 4 === 1) {
      g.push({ ...composition, attrib: 8, dup: composition }); // the same group again, attrib 8
    }
    g.push(group(scale, { date, created, measures: [m(11, int(rand, 62, 78) * 100, -2, alg)] }));
    g.push(group(scale, { date, created, measures: [m(91, int(rand, 6_900, 7_600), -3, alg), m(155, int(rand, 36, 42) * 10, -1, alg)] }));
    // Water split, visceral fat, basal metabolic rate, metabolic age, and segmental composition
    // (one measure per body segment: arms 2/3, legs 10/11, torso 12).
    const ecw = round(hydration * 0.41);
    /** @type {Measure[]} */
    const segmental = [];
    for (const [position, share] of [[2, 0.055], [3, 0.054], [10, 0.175], [11, 0.176], [12, 0.46]]) {
      segmental.push(m(173, round((ffm * share) / 10), -2, { ...alg, position }), m(174, round((fatMass * share) / 10), -2, { ...alg, position }),
        m(175, round((muscle * share) / 10), -2, { ...alg, position }));
    }
    g.push(group(scale, {
      date, created, measures: [
        m(168, round(ecw / 10), -2, alg), m(169, round((hydration - ecw) / 10), -2, alg), m(170, int(rand, 55, 70), -1, alg),
        m(226, round(370 + 21.6 * (ffm / 1000)), 0, alg), m(227, int(rand, 34, 39), 0, alg), ...segmental,
      ],
    }));
    // Nerve health and electrodermal activity of the feet: a guided measurement, once a week.
    if (back % 7 === 2) {
      g.push(group(scale, { date, created, attrib: 15, measures: [m(167, int(rand, 70, 88), 0, alg), m(196, int(rand, 60, 85), 0, alg)] }));
    }
    if (back === 0) {
      latest = { date, created };
    }
  }
  for (const { back, date } of sparseMornings(rand, tz, t0, 31, 7)) {
    const weight = round(72_350 - back * 35 + (rand() - 0.5) * 900);
    const fatRatio = round(18_457 + back * 20 + (rand() - 0.5) * 700);
    const fatMass = round((weight * fatRatio) / 100_000);
    const alg = { algo: 3, fm: 3 };
    g.push(group(scale, {
      date, created: date + int(rand, 30, 150), measures: [
        m(1, weight, -3, alg), m(5, weight - fatMass, -3, alg), m(6, fatRatio, -3, alg), m(8, round(fatMass / 10), -2, alg),
      ],
    }));
  }
  // A guest (ambiguous, attrib 1) stepped on the scale after Alice's latest weigh-in.
  if (latest) {
    const gap = t0 - latest.date;
    const date = latest.date + min(20 * MIN, floor(gap / 2));
    g.push(group(scale, {
      date, created: date + 60, attrib: 1, measures: [
        m(1, 95_120, -3, { algo: 3, fm: 3 }), m(5, 70_390, -3, { algo: 3, fm: 3 }), m(6, 26_000, -3, { algo: 3, fm: 3 }), m(8, 2_473, -2, { algo: 3, fm: 3 }),
      ],
    }));
  }
  // ScanWatch 2: a SpO2 spot check each day, body and skin temperature every third day.
  for (let back = 0; back < 30; back++) {
    const day = dayBefore(tz, t0, back);
    const date = localToEpoch(tz, day.y, day.m, day.d, int(rand, 10, 20), int(rand, 0, 59), int(rand, 0, 59));
    const created = date + int(rand, 5, 60) * MIN;
    if (created <= t0 - 2 * MIN) {
      g.push(group(watch, { date, created, measures: [m(54, int(rand, 95, 99), 0)] }));
    }
    if (back % 3 === 0) {
      const tDate = localToEpoch(tz, day.y, day.m, day.d, 6, int(rand, 10, 40));
      const tCreated = tDate + int(rand, 20, 90) * MIN;
      if (tCreated <= t0 - 2 * MIN) {
        g.push(group(watch, { date: tDate, created: tCreated, measures: [m(71, int(rand, 3_650, 3_720), -2), m(73, int(rand, 3_340, 3_480), -2)] }));
      }
    }
  }
  // ScanWatch 2: VO2 max estimated once a week; one group with a measure type this simulator does
  // not document (a newer firmware), with the undocumented extra keys real replies carry.
  for (let back = 3; back < 90; back += 7) {
    const day = dayBefore(tz, t0, back);
    const date = localToEpoch(tz, day.y, day.m, day.d, 21, int(rand, 0, 59));
    g.push(group(watch, { date, created: date + int(rand, 10, 60) * MIN, measures: [m(123, int(rand, 4_050, 4_300), -2)] }));
  }
  {
    const day = dayBefore(tz, t0, 5);
    const date = localToEpoch(tz, day.y, day.m, day.d, 12, 0);
    g.push(group(watch, { date, created: date + 20 * MIN, measures: [m(310, 4_213, -2, { algo: 0, fm: 128, apppfmid: 7, appliver: 5_080_310 })] }));
  }
  // The weight objective (category 2), newer than everything else.
  g.push(group(null, { date: t0 - 30, created: t0 - 30, attrib: 2, category: 2, measures: [m(1, 68_000, -3)] }));

  // Sleep Analyzer: the last 60 nights.
  addNights(rand, person, sensor, nights(rand, person, sensor, t0, t0 - HOUR, SUMMARY_NIGHTS, { bedHour: 23, apnea: true }));
  return person;
}

/**
 * @param {() => number} rand
 * @param {number} t0
 * @returns {Person}
 */
function bob(rand, t0) {
  const tz = 'America/New_York';
  /** @type {Person} */
  const person = {
    userid: BOB, name: 'Bob', timezone: tz, devices: [], goals: [], groups: [], summaries: [], segments: [], subscriptions: [],
    tracker: null, activityOverrides: new Map(),
  };
  const bpm = device(rand, t0, tz, 'BPM Connect', 'low');
  const thermo = device(rand, t0, tz, 'Thermo', 'medium');
  const scale = device(rand, t0, tz, 'Body+', 'high');
  const dock = device(rand, t0, tz, 'Aura Dock', 'high');
  const sensor = device(rand, t0, tz, 'Aura Sensor V2', 'medium');
  person.devices = [bpm, thermo, scale, dock, sensor];
  person.goals = [];
  const g = person.groups;
  for (let back = 0; back < HISTORY_DAYS; back++) {
    const day = dayBefore(tz, t0, back);
    const recent = back < 30;
    // Blood pressure twice a day for 30 days, in the morning before that.
    for (const [hh, spread] of recent ? [[7, 30], [20, 60]] : [[7, 30]]) {
      const date = localToEpoch(tz, day.y, day.m, day.d, hh, 30) + int(rand, 0, spread * MIN);
      const created = date + int(rand, 20, 120);
      if (created <= t0 - 2 * MIN) {
        const sys = int(rand, 118, 136) * 100;
        const dia = int(rand, 75, 88) * 100;
        const alg = { algo: 0, fm: 3 };
        g.push(group(bpm, { date, created, attrib: rand() < 0.3 ? 17 : 0, measures: [m(9, dia, -2, alg), m(10, sys, -2, alg), m(11, int(rand, 60, 78) * 100, -2, alg)] }));
      }
    }
    // Thermo every third day.
    if (recent && back % 3 === 1) {
      const date = localToEpoch(tz, day.y, day.m, day.d, 8, int(rand, 5, 25));
      const created = date + int(rand, 10, 40);
      if (created <= t0 - 2 * MIN) {
        g.push(group(thermo, { date, created, measures: [m(12, int(rand, 3_640, 3_720), -2, { algo: 0, fm: 131 })] }));
      }
    }
    // Body+ every other day, every fourth day before that.
    if (back % (recent ? 2 : 4) === 0) {
      const date = localToEpoch(tz, day.y, day.m, day.d, 6, 45) + int(rand, 0, 30 * MIN);
      const created = date + int(rand, 30, 240);
      if (created <= t0 - 2 * MIN) {
        const weight = round(84_200 + back * 25 + (rand() - 0.5) * 800);
        const ratio = round(24_100 + (rand() - 0.5) * 900);
        const alg = { algo: 3, fm: 3 };
        g.push(group(scale, { date, created, measures: [m(1, weight, -3, alg), m(6, ratio, -3, alg), m(8, round((weight * ratio) / 100_000), -3, alg)] }));
      }
    }
  }
  // Sleep: a session under way (started ~4 h before the start, 8 h long), and 60 earlier nights.
  const liveStart = t0 - 4 * HOUR - int(rand, 0, 10 * MIN);
  const liveSegs = stageSegments(rand, liveStart, liveStart + 8 * HOUR - 15 * MIN, sensor.hash_deviceid);
  addNights(rand, person, sensor, nights(rand, person, sensor, t0, liveStart - HOUR, SUMMARY_NIGHTS, { bedHour: 23, apnea: false }));
  person.segments.push(...liveSegs);
  // Its summary is stored when the session ends; until then it is in the future, hence hidden.
  const liveEnd = liveSegs[liveSegs.length - 1].enddate;
  person.summaries.push(summaryOf(person, sensor, liveSegs, summaryData(BOB, liveSegs, rand), liveEnd));
  return person;
}

/**
 * Builds the demo account relative to `nowMs` (the simulator's start). Deterministic for a given
 * `seed` and start instant. Returns `{ people: [alice, bob], nextGrpid, nextSummaryId }`.
 * A person: `{ userid, name, timezone, devices, goals, groups, summaries, segments, subscriptions }`,
 * where groups, summaries and segments are stored in their API shape.
 * @param {{now: number, seed?: number}} options
 * @returns {import('./types.js').DemoData}
 */
export function generateDemoData({ now: nowMs, seed = 1 }) {
  const t0 = floor(nowMs / 1000);
  const rand = prng(hash32(`withings-sim:${seed}`));
  const people = [alice(prng(hash32(`alice:${seed}`)), t0), bob(prng(hash32(`bob:${seed}`)), t0)];
  // The household thermometer: one device (same deviceid, same object) in both people's lists.
  const thermo = people[1].devices.find((d) => d.model === 'Thermo');
  if (thermo) {
    people[0].devices.push(thermo);
  }
  // Group ids grow with the time the group was stored (a late sync gets a late id); attrib-8
  // duplicates share the id of their original.
  const all = people.flatMap((p) => p.groups).filter((x) => x.grpid === 0 && !x.dup);
  all.sort((a, b) => a.created - b.created || a.date - b.date);
  let grpid = 5_149_600_000 + int(rand, 0, 9_999);
  for (const x of all) {
    grpid += int(rand, 1, 40);
    x.grpid = grpid;
  }
  for (const p of people) {
    for (const x of p.groups) {
      if (x.dup) {
        x.grpid = x.dup.grpid;
        delete x.dup;
      }
    }
  }
  const summaries = people.flatMap((p) => p.summaries).sort((a, b) => a.created - b.created);
  let id = 2_081_804_000 + int(rand, 0, 999);
  for (const s of summaries) {
    id += int(rand, 40, 120);
    s.id = id;
  }
  for (const p of people) {
    p.segments.sort((a, b) => a.startdate - b.startdate);
  }
  return { people, nextGrpid: grpid + 100, nextSummaryId: id + 100 };
}
