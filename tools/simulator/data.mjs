// Demo data of the Withings simulator: one Withings account with two people (Alice and Bob), always
// generated relative to the simulator's start time so that it is recent, and deterministic for a
// given `seed` and start time. Shapes follow docs/withings-api.md (§2.1, §2.5–2.8, §3) and the
// recorded replies under test/fixtures/.

// Builtins bound once: global lookups are slow when the module runs inside a vm context (jest).
const { imul, round, floor, min, max } = Math;

export const ALICE = '1001001';
export const BOB = '1001002';

/** Every scope a grant can carry (withings-api.md §1.1). */
export const KNOWN_SCOPES = ['user.info', 'user.metrics', 'user.activity', 'user.sleepevents'];

/** Device models the simulator knows: getdevice `type`, `model`, `model_id` (withings-api.md §2.7). */
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

const DAY = 86_400;
const HOUR = 3_600;
const MIN = 60;

// ---------------------------------------------------------------------------------------------
// Deterministic randomness

/** mulberry32: a small, fast, seedable PRNG returning floats in [0, 1). */
export function prng(seed) {
  let a = (Number(seed) >>> 0) || 0x9e3779b9;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** FNV-1a over a string: a stable 32-bit hash for per-item decisions. */
export function hash32(text) {
  let h = 0x811c9dc5;
  const s = `${text}`;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = imul(h, 0x01000193) >>> 0;
  }
  // A final avalanche so that neighbouring inputs give unrelated outputs.
  h ^= h >>> 16;
  h = imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  return h >>> 0;
}

/** A stable 32-bit hash of a few 32-bit integers (the hot path of the per-minute signals). */
function hashInts(a, b, c) {
  let h = imul(a ^ 0x9e3779b9, 0x85ebca6b);
  h = imul(h ^ (h >>> 13) ^ b, 0xc2b2ae35);
  h = imul(h ^ (h >>> 16) ^ c, 0x27d4eb2f);
  h ^= h >>> 15;
  return h >>> 0;
}

const int = (rand, lo, hi) => lo + floor(rand() * (hi - lo + 1));
const hex40 = (rand) => Array.from({ length: 40 }, () => '0123456789abcdef'[floor(rand() * 16)]).join('');

// ---------------------------------------------------------------------------------------------
// Time zones (Intl only)

const formatters = new Map();
function formatter(tz) {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    formatters.set(tz, f);
  }
  return f;
}

/** Wall-clock fields of an epoch-second instant in `tz`. */
export function localParts(tz, epochS) {
  const out = {};
  for (const p of formatter(tz).formatToParts(new Date(epochS * 1000))) {
    if (p.type !== 'literal') {
      out[p.type] = Number(p.value);
    }
  }
  return { y: out.year, m: out.month, d: out.day, hh: out.hour % 24, mm: out.minute, ss: out.second };
}

/** `YYYY-MM-DD` of an instant in `tz`. */
export function ymd(tz, epochS) {
  const p = localParts(tz, epochS);
  return `${p.y}-${String(p.m).padStart(2, '0')}-${String(p.d).padStart(2, '0')}`;
}

function offsetS(tz, epochS) {
  const p = localParts(tz, epochS);
  return Date.UTC(p.y, p.m - 1, p.d, p.hh, p.mm, p.ss) / 1000 - epochS;
}

/** Epoch seconds of a local wall-clock time in `tz` (day overflow allowed: d = 0 is the previous month's last day). */
export function localToEpoch(tz, y, m, d, hh = 0, mm = 0, ss = 0) {
  const guess = Date.UTC(y, m - 1, d, hh, mm, ss) / 1000;
  const first = guess - offsetS(tz, guess);
  return guess - offsetS(tz, first);
}

/** The local calendar day `back` days before the local day of `epochS`, as {y, m, d}. */
function dayBefore(tz, epochS, back) {
  const p = localParts(tz, epochS);
  const t = new Date(Date.UTC(p.y, p.m - 1, p.d - back));
  return { y: t.getUTCFullYear(), m: t.getUTCMonth() + 1, d: t.getUTCDate() };
}

// ---------------------------------------------------------------------------------------------
// Sleep: stage segments, per-minute signals, and summaries derived from them

/**
 * Per-minute signal of a person at instant `t` during a segment of `state`: heart rate (bpm),
 * respiration rate (breaths/min) or snoring (seconds of snoring in that minute). Deterministic.
 */
const KIND_CODE = { hr: 1, rr: 2, snoring: 3 };
const HR_BY_STATE = [7, 0, -4, 4];
const RR_BY_STATE = [2, 0, -1, 1];

export function signalAt(kind, userid, t, state) {
  const k = KIND_CODE[kind] ?? 0;
  const u = +userid | 0;
  const h = hashInts(k, u, t | 0);
  const noise = (h % 1000) / 1000; // [0, 1)
  const base = userid === BOB ? 1 : 0;
  // A per-night offset (days split at 12:00 UTC) so that nights differ from each other.
  const night = hashInts(k + 16, u, floor((t + 43_200) / DAY)) % 5;
  if (kind === 'hr') {
    return round(54 + base * 6 + night + (HR_BY_STATE[state] ?? 0) + noise * 6);
  }
  if (kind === 'rr') {
    return round(12 + base + night / 2 + (RR_BY_STATE[state] ?? 0) + noise * 3);
  }
  if (kind === 'snoring') {
    if (state === 0 || state === 3) {
      return 0;
    }
    return h % 7 === 0 ? 10 + (h % 50) : 0;
  }
  return undefined;
}

/** Every minute sample instant of a segment, cut at `cutEnd`. */
export function minutesOf(segment, cutEnd = segment.enddate) {
  const out = [];
  const end = min(segment.enddate, cutEnd);
  for (let t = segment.startdate; t < end; t += MIN) {
    out.push(t);
  }
  return out;
}

const SEGMENT_LENGTH = { 0: [1, 5], 1: [3, 10], 2: [4, 10], 3: [3, 10] };

/**
 * Contiguous stage segments (1–10 min each) of one night from `start` until about `targetEnd`:
 * falling asleep, light/deep/REM cycles with a few wake-ups, then waking up.
 */
function stageSegments(rand, start, targetEnd, sensor) {
  const segs = [];
  let t = start;
  const push = (state, minutes) => {
    segs.push({ startdate: t, enddate: t + minutes * MIN, state, model: 'Aura Sensor V2', model_id: 63, hash_deviceid: sensor });
    t += minutes * MIN;
  };
  // Sleep latency: awake in bed before falling asleep (one segment: consecutive segments differ).
  push(0, int(rand, 4, 10));
  let state = 1;
  while (t < targetEnd) {
    const [lo, hi] = SEGMENT_LENGTH[state];
    push(state, int(rand, lo, hi));
    const r = rand();
    const intoNight = t - start;
    if (state === 1) {
      state = r < 0.5 ? 2 : r < 0.85 && intoNight > HOUR ? 3 : r < 0.93 ? 2 : 0;
    } else if (state === 2) {
      state = r < 0.88 ? 1 : r < 0.95 ? 3 : 0;
    } else if (state === 3) {
      state = r < 0.85 ? 1 : 0;
    } else {
      state = 1;
    }
  }
  if (segs[segs.length - 1].state === 0) {
    push(1, int(rand, 3, 6));
  }
  // Wake-up latency: awake in bed before getting up.
  push(0, int(rand, 2, 10));
  return segs;
}

/** REM segments less than 20 min apart belong to the same REM episode. */
function remEpisodes(segs) {
  let episodes = 0;
  let lastRemEnd = -Infinity;
  for (const s of segs) {
    if (s.state === 3) {
      if (s.startdate - lastRemEnd > 20 * MIN) {
        episodes++;
      }
      lastRemEnd = s.enddate;
    }
  }
  return episodes;
}

/** A full sleep summary `data` object computed from a night's segments (withings-api.md §2.6). */
export function summaryData(userid, segs, rand, { apnea = false } = {}) {
  const dur = (s) => s.enddate - s.startdate;
  const start = segs[0].startdate;
  const end = segs[segs.length - 1].enddate;
  const sum = (state) => segs.filter((s) => s.state === state).reduce((a, s) => a + dur(s), 0);
  const firstSleep = segs.findIndex((s) => s.state !== 0);
  let lastSleep = segs.length - 1;
  while (lastSleep > 0 && segs[lastSleep].state === 0) {
    lastSleep--;
  }
  const sleepLatency = segs.slice(0, max(firstSleep, 0)).reduce((a, s) => a + dur(s), 0);
  const wakeupLatency = segs.slice(lastSleep + 1).reduce((a, s) => a + dur(s), 0);
  const middle = firstSleep >= 0 ? segs.slice(firstSleep, lastSleep + 1) : [];
  const midAwake = middle.filter((s) => s.state === 0);
  const light = sum(1);
  const deep = sum(2);
  const rem = sum(3);
  const awake = sum(0);
  const tst = light + deep + rem;
  const tib = end - start;
  const hr = [];
  const rr = [];
  let snoring = 0;
  let snoringEpisodes = 0;
  let inEpisode = false;
  for (const s of segs) {
    for (const t of minutesOf(s)) {
      hr.push(signalAt('hr', userid, t, s.state));
      rr.push(signalAt('rr', userid, t, s.state));
      const sn = signalAt('snoring', userid, t, s.state);
      snoring += sn;
      if (sn > 0 && !inEpisode) {
        snoringEpisodes++;
      }
      inEpisode = sn > 0;
    }
  }
  const avg = (xs) => round(xs.reduce((a, x) => a + x, 0) / max(xs.length, 1));
  const wakeupcount = midAwake.length;
  const score = round(min(100, max(0,
    (tst / HOUR) * 7 + (deep / max(tst, 1)) * 60 + (rem / max(tst, 1)) * 45 - wakeupcount * 2 + 18)));
  const data = {
    wakeupduration: awake,
    wakeupcount,
    durationtosleep: sleepLatency,
    remsleepduration: rem,
    durationtowakeup: wakeupLatency,
    total_timeinbed: tib,
    total_sleep_time: tst,
    sleep_efficiency: round((tst / tib) * 100) / 100,
    sleep_latency: sleepLatency,
    wakeup_latency: wakeupLatency,
    waso: midAwake.reduce((a, s) => a + dur(s), 0),
    nb_rem_episodes: remEpisodes(segs),
    out_of_bed_count: rand() < 0.25 ? 1 : 0,
    lightsleepduration: light,
    deepsleepduration: deep,
    hr_average: avg(hr),
    hr_min: min(...hr),
    hr_max: max(...hr),
    rr_average: avg(rr),
    rr_min: min(...rr),
    rr_max: max(...rr),
    breathing_disturbances_intensity: tib >= 5 * HOUR ? int(rand, 4, 38) : -1,
    snoring,
    snoringepisodecount: snoringEpisodes,
    sleep_score: score,
    night_events: { 1: [0], 2: [sleepLatency], 3: [tib - wakeupLatency], 4: [tib] },
  };
  if (apnea) {
    data.apnea_hypopnea_index = tib >= 5 * HOUR ? int(rand, 1, 9) : -1;
  }
  return data;
}

// ---------------------------------------------------------------------------------------------
// The account

function device(rand, t0, tz, model, battery) {
  const id = hex40(rand);
  const { type, model_id } = DEVICE_MODELS[model];
  return {
    type, model, model_id, battery, deviceid: id, hash_deviceid: id, timezone: tz,
    first_session_date: t0 - int(rand, 200, 700) * DAY,
    last_session_date: null, // computed from the data when asked (the last sync)
  };
}

const m = (type, value, unit, extra = { algo: 0, fm: 128 }) => ({ value, type, unit, ...extra });

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

/** Nights (segments + summary) whose end is at or before `limit`, newest first, `count` of them. */
function nights(rand, person, sensor, t0, limit, count, { bedHour, apnea }) {
  const out = [];
  for (let back = 0; out.length < count && back < count + 10; back++) {
    const evening = dayBefore(person.timezone, t0, back + 1);
    const start = localToEpoch(person.timezone, evening.y, evening.m, evening.d, bedHour, 0) + int(rand, -40, 40) * MIN + int(rand, 0, 59);
    const targetEnd = start + int(rand, 450, 500) * MIN;
    if (targetEnd + 30 * MIN > limit) {
      continue;
    }
    const segs = stageSegments(rand, start, targetEnd, sensor.hash_deviceid);
    out.push({ segs, data: summaryData(person.userid, segs, rand, { apnea }) });
  }
  return out;
}

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

function alice(rand, t0) {
  const tz = 'Europe/Paris';
  const person = { userid: ALICE, name: 'Alice', timezone: tz, groups: [], summaries: [], segments: [], subscriptions: [] };
  const scale = device(rand, t0, tz, 'Body Cardio', 'medium');
  const watch = device(rand, t0, tz, 'ScanWatch 2', 'high');
  const dock = device(rand, t0, tz, 'Aura Dock', 'high');
  const sensor = device(rand, t0, tz, 'Aura Sensor V2', 'high');
  person.devices = [scale, watch, dock, sensor];
  person.goals = { steps: 10000, sleep: 28800, weight: { value: 68000, unit: -3 } };
  const g = person.groups;

  // Height, entered by hand long ago (grpid below 2^31 like old groups).
  const heightDate = t0 - 400 * DAY - int(rand, 0, 3600);
  g.push({ ...group(null, { date: heightDate, created: heightDate + 1, attrib: 2, measures: [m(4, 1680, -3)] }), grpid: 1_987_654_321 });

  // Body Cardio weigh-ins each morning: a composition group, a standing-pulse group, a PWV group.
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
    if (back === 0) {
      latest = { date, created };
    }
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
  // The weight objective (category 2), newer than everything else.
  g.push(group(null, { date: t0 - 30, created: t0 - 30, attrib: 2, category: 2, measures: [m(1, 68_000, -3)] }));

  // Sleep Analyzer: the last 14 nights.
  for (const { segs, data } of nights(rand, person, sensor, t0, t0 - HOUR, 14, { bedHour: 23, apnea: true })) {
    person.segments.push(...segs);
    person.summaries.push(summaryOf(person, sensor, segs, data, segs[segs.length - 1].enddate + int(rand, 5, 30) * MIN));
  }
  return person;
}

function bob(rand, t0) {
  const tz = 'America/New_York';
  const person = { userid: BOB, name: 'Bob', timezone: tz, groups: [], summaries: [], segments: [], subscriptions: [] };
  const bpm = device(rand, t0, tz, 'BPM Connect', 'low');
  const thermo = device(rand, t0, tz, 'Thermo', 'medium');
  const scale = device(rand, t0, tz, 'Body+', 'high');
  const dock = device(rand, t0, tz, 'Aura Dock', 'high');
  const sensor = device(rand, t0, tz, 'Aura Sensor V2', 'medium');
  person.devices = [bpm, thermo, scale, dock, sensor];
  person.goals = [];
  const g = person.groups;
  for (let back = 0; back < 30; back++) {
    const day = dayBefore(tz, t0, back);
    // Blood pressure twice a day.
    for (const [hh, spread] of [[7, 30], [20, 60]]) {
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
    if (back % 3 === 1) {
      const date = localToEpoch(tz, day.y, day.m, day.d, 8, int(rand, 5, 25));
      const created = date + int(rand, 10, 40);
      if (created <= t0 - 2 * MIN) {
        g.push(group(thermo, { date, created, measures: [m(12, int(rand, 3_640, 3_720), -2, { algo: 0, fm: 131 })] }));
      }
    }
    // Body+ every other day.
    if (back % 2 === 0) {
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
  // Sleep: a session under way (started ~4 h before the start, 8 h long), and 14 earlier nights.
  const liveStart = t0 - 4 * HOUR - int(rand, 0, 10 * MIN);
  const liveSegs = stageSegments(rand, liveStart, liveStart + 8 * HOUR - 15 * MIN, sensor.hash_deviceid);
  for (const { segs, data } of nights(rand, person, sensor, t0, liveStart - HOUR, 14, { bedHour: 23, apnea: false })) {
    person.segments.push(...segs);
    person.summaries.push(summaryOf(person, sensor, segs, data, segs[segs.length - 1].enddate + int(rand, 5, 30) * MIN));
  }
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
 */
export function generateDemoData({ now: nowMs, seed = 1 }) {
  const t0 = floor(nowMs / 1000);
  const rand = prng(hash32(`withings-sim:${seed}`));
  const people = [alice(prng(hash32(`alice:${seed}`)), t0), bob(prng(hash32(`bob:${seed}`)), t0)];
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
