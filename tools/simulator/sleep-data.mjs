// @ts-check
// Sleep demo data: stage segments, per-minute signals, and nightly summaries derived from them.
import { hashInts, int } from './random.mjs';
import { HOUR, MIN } from './time.mjs';

/** @typedef {import('./types.js').Segment} Segment */
/** @typedef {import('./types.js').SummaryData} SummaryData */

const { round, floor, min, max } = Math;
const BOB = '1001002';
const DAY = 86_400;

/** @type {Record<string, number>} */
const KIND_CODE = { hr: 1, rr: 2, snoring: 3 };
const HR_BY_STATE = [7, 0, -4, 4];
const RR_BY_STATE = [2, 0, -1, 1];

/**
 * Per-minute signal of a person at instant `t` during a segment of `state`: heart rate (bpm),
 * respiration rate (breaths/min) or snoring (seconds of snoring in that minute). Deterministic.
 * @param {string} kind 'hr' | 'rr' | 'snoring'
 * @param {string} userid
 * @param {number} t
 * @param {number} state
 * @returns {number | undefined}
 */
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

/**
 * Every minute sample instant of a segment, cut at `cutEnd`.
 * @param {{startdate: number, enddate: number}} segment
 * @returns {number[]}
 */
export function minutesOf(segment, cutEnd = segment.enddate) {
  const out = [];
  const end = min(segment.enddate, cutEnd);
  for (let t = segment.startdate; t < end; t += MIN) {
    out.push(t);
  }
  return out;
}

/** @type {Record<number, [number, number]>} */
const SEGMENT_LENGTH = { 0: [1, 5], 1: [3, 10], 2: [4, 10], 3: [3, 10] };

/**
 * Contiguous stage segments (1–10 min each) of one night from `start` until about `targetEnd`:
 * falling asleep, light/deep/REM cycles with a few wake-ups, then waking up.
 * @param {() => number} rand
 * @param {number} start
 * @param {number} targetEnd
 * @param {string | null} sensor hash_deviceid of the sleep sensor
 * @returns {Segment[]}
 */
export function stageSegments(rand, start, targetEnd, sensor) {
  /** @type {Segment[]} */
  const segs = [];
  let t = start;
  /** @param {number} state @param {number} minutes */
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

/**
 * REM segments less than 20 min apart belong to the same REM episode.
 * @param {Segment[]} segs
 */
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

/**
 * A full sleep summary `data` object computed from a night's segments.
 * @param {string} userid
 * @param {Segment[]} segs
 * @param {() => number} rand
 * @param {{apnea?: boolean}} [options] apnea: the person's device computes the apnea-hypopnea index
 * @returns {SummaryData}
 */
export function summaryData(userid, segs, rand, { apnea = false } = {}) {
  /** @param {Segment} s */
  const dur = (s) => s.enddate - s.startdate;
  const start = segs[0].startdate;
  const end = segs[segs.length - 1].enddate;
  /** @param {number} state */
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
  /** @type {number[]} */
  const hr = [];
  /** @type {number[]} */
  const rr = [];
  let snoring = 0;
  let snoringEpisodes = 0;
  let inEpisode = false;
  for (const s of segs) {
    for (const t of minutesOf(s)) {
      hr.push(signalAt('hr', userid, t, s.state) ?? 0);
      rr.push(signalAt('rr', userid, t, s.state) ?? 0);
      const sn = signalAt('snoring', userid, t, s.state) ?? 0;
      snoring += sn;
      if (sn > 0 && !inEpisode) {
        snoringEpisodes++;
      }
      inEpisode = sn > 0;
    }
  }
  /** @param {number[]} xs */
  const avg = (xs) => round(xs.reduce((a, x) => a + x, 0) / max(xs.length, 1));
  const wakeupcount = midAwake.length;
  const score = round(min(100, max(0,
    (tst / HOUR) * 7 + (deep / max(tst, 1)) * 60 + (rem / max(tst, 1)) * 45 - wakeupcount * 2 + 18)));
  /** @type {SummaryData} */
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
