// @ts-check
// Time zones with Intl only: local calendar days and wall-clock times of a person.

export const DAY = 86_400;
export const HOUR = 3_600;
export const MIN = 60;

/** @type {Map<string, Intl.DateTimeFormat>} */
const formatters = new Map();

/** @param {string} tz */
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

/**
 * Wall-clock fields of an epoch-second instant in `tz`.
 * @param {string} tz
 * @param {number} epochS
 * @returns {{y: number, m: number, d: number, hh: number, mm: number, ss: number}}
 */
export function localParts(tz, epochS) {
  /** @type {Record<string, number>} */
  const out = {};
  for (const p of formatter(tz).formatToParts(new Date(epochS * 1000))) {
    if (p.type !== 'literal') {
      out[p.type] = Number(p.value);
    }
  }
  return { y: out.year, m: out.month, d: out.day, hh: out.hour % 24, mm: out.minute, ss: out.second };
}

/**
 * `YYYY-MM-DD` of an instant in `tz`.
 * @param {string} tz
 * @param {number} epochS
 */
export function ymd(tz, epochS) {
  const p = localParts(tz, epochS);
  return `${p.y}-${String(p.m).padStart(2, '0')}-${String(p.d).padStart(2, '0')}`;
}

/**
 * @param {string} tz
 * @param {number} epochS
 */
function offsetS(tz, epochS) {
  const p = localParts(tz, epochS);
  return Date.UTC(p.y, p.m - 1, p.d, p.hh, p.mm, p.ss) / 1000 - epochS;
}

/**
 * Epoch seconds of a local wall-clock time in `tz` (day overflow allowed: d = 0 is the previous month's last day).
 * @param {string} tz
 * @param {number} y
 * @param {number} m
 * @param {number} d
 */
export function localToEpoch(tz, y, m, d, hh = 0, mm = 0, ss = 0) {
  const guess = Date.UTC(y, m - 1, d, hh, mm, ss) / 1000;
  const first = guess - offsetS(tz, guess);
  return guess - offsetS(tz, first);
}

/**
 * The local calendar day `back` days before the local day of `epochS`, as {y, m, d}.
 * @param {string} tz
 * @param {number} epochS
 * @param {number} back
 */
export function dayBefore(tz, epochS, back) {
  const p = localParts(tz, epochS);
  const t = new Date(Date.UTC(p.y, p.m - 1, p.d - back));
  return { y: t.getUTCFullYear(), m: t.getUTCMonth() + 1, d: t.getUTCDate() };
}

/**
 * `YYYY-MM-DD` plus `days` (calendar arithmetic, no time zone involved).
 * @param {string} date
 * @param {number} days
 */
export function addDays(date, days) {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/**
 * Epoch seconds of local midnight starting `date` in `tz`.
 * @param {string} tz
 * @param {string} date YYYY-MM-DD
 */
export function startOfDay(tz, date) {
  const [y, m, d] = date.split('-').map(Number);
  return localToEpoch(tz, y, m, d);
}

/** @param {unknown} v */
export const isYmd = (v) => typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(`${v}T00:00:00Z`));
