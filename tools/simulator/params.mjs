// @ts-check
// Reading request parameters the way the API does: integers, comma lists, dates; anything malformed
// is 503 "Invalid Params".
import { invalidParams } from './reply.mjs';
import { isYmd } from './time.mjs';

/** @param {unknown} v */
export const isInt = (v) => typeof v === 'string' && /^-?\d{1,15}$/.test(v.trim());

/** @param {unknown} v */
export const splitList = (v) => String(v ?? '').split(',').map((x) => x.trim()).filter(Boolean);

/**
 * An integer parameter, undefined when absent.
 * @param {URLSearchParams} params
 * @param {string} name
 * @param {{required?: boolean, min?: number}} [options]
 * @returns {number | undefined}
 */
export function intParam(params, name, { required = false, min = -Infinity } = {}) {
  const v = params.get(name);
  if (v === null || v === '') {
    if (required) {
      throw invalidParams();
    }
    return undefined;
  }
  if (!isInt(v) || Number(v) < min) {
    throw invalidParams();
  }
  return Number(v);
}

/**
 * The date window of getsummary / getactivity: `startdateymd` + `enddateymd`, or `lastupdate`
 * (at least one of the two forms; both filters apply when both are given).
 * @param {URLSearchParams} params
 * @returns {{start: string | null, end: string | null, byDates: boolean, lastupdate: number | undefined}}
 */
export function ymdWindow(params) {
  const start = params.get('startdateymd');
  const end = params.get('enddateymd');
  const lastupdate = intParam(params, 'lastupdate');
  const byDates = start !== null || end !== null;
  if (byDates && (!isYmd(start) || !isYmd(end))) {
    throw invalidParams();
  }
  if (!byDates && lastupdate === undefined) {
    throw invalidParams();
  }
  return { start, end, byDates, lastupdate };
}
