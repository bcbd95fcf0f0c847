// @ts-check
// Sleep v2: `get` (stage segments with optional per-minute signals) and `getsummary` (one record
// per night).
import { DEFAULT_SUMMARY_FIELDS } from './data.mjs';
import { intParam, splitList, ymdWindow } from './params.mjs';
import { invalidParams } from './reply.mjs';
import { minutesOf, signalAt } from './sleep-data.mjs';
import { orderedSummaries, visibleSegments, visibleSummaries } from './visible.mjs';

/** @typedef {import('./types.js').SimContext} SimContext */
/** @typedef {import('./types.js').RequestContext} RequestContext */
/** @typedef {import('./types.js').Person} Person */
/** @typedef {import('./types.js').Segment} Segment */
/** @typedef {import('./types.js').SleepGetBody} SleepGetBody */
/** @typedef {import('./types.js').SummaryPage} SummaryPage */

/** Sleep get returns at most the first 24 h after `startdate`. */
const SLEEP_GET_MAX_S = 86_400;
/** @type {ReadonlyArray<'hr' | 'rr' | 'snoring'>} */
const SIGNALS = ['hr', 'rr', 'snoring'];

/**
 * @param {SimContext} sim
 * @param {RequestContext} _ctx
 * @param {URLSearchParams} params
 * @param {Person} person
 * @returns {SleepGetBody}
 */
export function sleepGet(sim, _ctx, params, person) {
  const startdate = intParam(params, 'startdate', { required: true }) ?? 0;
  const enddate = intParam(params, 'enddate', { required: true }) ?? 0;
  if (enddate < startdate) {
    throw invalidParams();
  }
  const wanted = splitList(params.get('data_fields'));
  const fields = SIGNALS.filter((f) => wanted.includes(f));
  const until = Math.min(enddate, startdate + SLEEP_GET_MAX_S);
  const series = visibleSegments(sim, person)
    .filter((s) => s.startdate <= until && s.enddate >= startdate)
    .map((s) => {
      /** @type {Segment} */
      const out = { startdate: s.startdate, enddate: s.enddate, state: s.state, model: s.model, model_id: s.model_id, hash_deviceid: s.hash_deviceid };
      for (const f of fields) {
        out[f] = Object.fromEntries(minutesOf(s).map((t) => [String(t), signalAt(f, person.userid, t, s.state) ?? 0]));
      }
      return out;
    });
  return { series, model: 32 };
}

/**
 * getsummary: `startdateymd`/`enddateymd` or `lastupdate`, `data_fields` (default: the recorded
 * default set), `offset` paging.
 * @param {SimContext} sim
 * @param {RequestContext} _ctx
 * @param {URLSearchParams} params
 * @param {Person} person
 * @returns {SummaryPage}
 */
export function getsummary(sim, _ctx, params, person) {
  const { start, end, byDates, lastupdate } = ymdWindow(params);
  const offset = intParam(params, 'offset', { min: 0 }) ?? 0;
  const fieldsParam = params.get('data_fields');
  const fields = fieldsParam !== null ? splitList(fieldsParam) : DEFAULT_SUMMARY_FIELDS;
  const list = visibleSummaries(sim, person).filter((s) => (!byDates || (s.date >= (start ?? '') && s.date <= (end ?? '')))
    && (lastupdate === undefined || s.modified > lastupdate));
  const ordered = orderedSummaries(sim, list);
  const page = ordered.slice(offset, offset + sim.pageSize.getsummary).map((s) => ({
    ...s,
    data: Object.fromEntries(fields.filter((f) => Object.hasOwn(s.data, f)).map((f) => [f, s.data[f]])),
  }));
  return { series: page, more: offset + page.length < ordered.length, offset: offset + page.length };
}
