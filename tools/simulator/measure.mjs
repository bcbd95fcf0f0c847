// @ts-check
// Measure services: `/measure` getmeas (body measures, blood pressure, temperature, SpO2…) and
// `/v2/measure` (activity, intraday activity, workouts).
import { ACTIVITY_FIELDS, activityRows } from './activity-data.mjs';
import { intParam, isInt, splitList, ymdWindow } from './params.mjs';
import { invalidParams } from './reply.mjs';
import { orderedGroups, visibleGroups } from './visible.mjs';

/** @typedef {import('./types.js').SimContext} SimContext */
/** @typedef {import('./types.js').RequestContext} RequestContext */
/** @typedef {import('./types.js').Person} Person */
/** @typedef {import('./types.js').MeasPage} MeasPage */
/** @typedef {import('./types.js').ActivityPage} ActivityPage */
/** @typedef {import('./types.js').ActivityRow} ActivityRow */

/**
 * getmeas: `meastype(s)`, `category` (default 1), `startdate`/`enddate` on the measurement date,
 * `lastupdate` on the modification time, `offset` paging; all filters apply together.
 * @param {SimContext} sim
 * @param {RequestContext} _ctx
 * @param {URLSearchParams} params
 * @param {Person} person
 * @returns {MeasPage}
 */
export function getmeas(sim, _ctx, params, person) {
  /** @type {Set<number>} */
  const types = new Set();
  const one = intParam(params, 'meastype');
  if (one !== undefined) {
    types.add(one);
  }
  for (const x of splitList(params.get('meastypes'))) {
    if (!isInt(x)) {
      throw invalidParams();
    }
    types.add(Number(x));
  }
  const category = intParam(params, 'category') ?? 1;
  const startdate = intParam(params, 'startdate');
  const enddate = intParam(params, 'enddate');
  const lastupdate = intParam(params, 'lastupdate');
  const offset = intParam(params, 'offset', { min: 0 }) ?? 0;
  let groups = visibleGroups(sim, person).filter((g) => g.category === category
    && (startdate === undefined || g.date >= startdate)
    && (enddate === undefined || g.date <= enddate)
    && (lastupdate === undefined || g.modified > lastupdate));
  if (types.size) {
    groups = groups.map((g) => ({ ...g, measures: g.measures.filter((x) => types.has(x.type)) })).filter((g) => g.measures.length);
  }
  const ordered = orderedGroups(sim, groups);
  const page = ordered.slice(offset, offset + sim.pageSize.getmeas);
  const more = offset + page.length < ordered.length;
  return {
    updatetime: sim.nowS(),
    timezone: person.timezone,
    measuregrps: page,
    more: more ? 1 : 0,
    offset: more ? offset + page.length : 0,
  };
}

/**
 * getactivity: `startdateymd`/`enddateymd` or `lastupdate` (rows modified since), `data_fields`
 * (default: every field), `offset` paging; rows are oldest day first.
 * @param {SimContext} sim
 * @param {RequestContext} _ctx
 * @param {URLSearchParams} params
 * @param {Person} person
 * @returns {ActivityPage}
 */
export function getactivity(sim, _ctx, params, person) {
  const { start, end, byDates, lastupdate } = ymdWindow(params);
  const offset = intParam(params, 'offset', { min: 0 }) ?? 0;
  const fieldsParam = params.get('data_fields');
  const wanted = fieldsParam === null ? ACTIVITY_FIELDS : ACTIVITY_FIELDS.filter((f) => splitList(fieldsParam).includes(f));
  const rows = activityRows(sim, person).filter((r) => (!byDates || (r.date >= (start ?? '') && r.date <= (end ?? '')))
    && (lastupdate === undefined || r.modified > lastupdate));
  const page = rows.slice(offset, offset + sim.pageSize.getactivity).map((r) => {
    /** @type {ActivityRow} */
    const out = {
      date: r.date, timezone: r.timezone, deviceid: r.deviceid, hash_deviceid: r.hash_deviceid,
      brand: r.brand, is_tracker: r.is_tracker, model: r.model, modelid: r.modelid, modified: r.modified,
    };
    for (const f of wanted) {
      if (r[f] !== undefined) {
        out[f] = r[f];
      }
    }
    return out;
  });
  return { activities: page, more: offset + page.length < rows.length, offset: offset + page.length };
}

/** Valid empty replies for what the demo people have no data of. */
export const getintradayactivity = () => ({ series: {} });
export const getworkouts = () => ({ series: [], more: false, offset: 0 });
