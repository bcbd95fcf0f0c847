// @ts-check
// User v2: getdevice (devices with battery and last sync) and getgoals.
import { visibleSegments } from './visible.mjs';

/** @typedef {import('./types.js').SimContext} SimContext */
/** @typedef {import('./types.js').RequestContext} RequestContext */
/** @typedef {import('./types.js').Person} Person */
/** @typedef {import('./types.js').Device} Device */
/** @typedef {import('./types.js').DevicesBody} DevicesBody */
/** @typedef {import('./types.js').GoalsBody} GoalsBody */

/**
 * The last time a device sent data (its last sync), from what is visible now.
 * @param {SimContext} sim
 * @param {Person} person
 * @param {Device} dev
 * @returns {number | null}
 */
function lastSession(sim, person, dev) {
  const t = sim.nowS();
  /** @type {number | null} */
  let last = null;
  // A shared device (the household thermometer) syncs everyone's measures.
  for (const p of sim.state.people.values()) {
    for (const g of p.groups) {
      if (g.deviceid === dev.deviceid && g.created <= t && g.date <= t) {
        last = Math.max(last ?? 0, g.created);
      }
    }
  }
  if (dev.model === 'Aura Sensor V2' || dev.model === 'Aura Dock') {
    for (const s of visibleSegments(sim, person)) {
      if (s.hash_deviceid != null) {
        last = Math.max(last ?? 0, Math.min(s.enddate, t));
      }
    }
  }
  return last;
}

/**
 * @param {SimContext} sim
 * @param {Person} person
 * @returns {Device[]}
 */
export const devicesOf = (sim, person) => person.devices.map((d) => ({ ...d, last_session_date: lastSession(sim, person, d) ?? d.last_session_date }));

/**
 * @param {Person} person
 * @returns {GoalsBody}
 */
export const goalsOf = (person) => ({ goals: Array.isArray(person.goals) ? [] : { ...person.goals } });

/**
 * @param {SimContext} sim
 * @param {RequestContext} _ctx
 * @param {URLSearchParams} _params
 * @param {Person} person
 * @returns {DevicesBody}
 */
export const getdevice = (sim, _ctx, _params, person) => ({ devices: devicesOf(sim, person) });

/**
 * @param {SimContext} _sim
 * @param {RequestContext} _ctx
 * @param {URLSearchParams} _params
 * @param {Person} person
 * @returns {GoalsBody}
 */
export const getgoals = (_sim, _ctx, _params, person) => goalsOf(person);
