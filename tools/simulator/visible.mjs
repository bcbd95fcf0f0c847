// @ts-check
// What the API shows at the simulator's `now()`, and in which order: data stored ahead of time
// (a night under way, a late sync) appears only once its time has come.
import { hash32 } from './random.mjs';

/** @typedef {import('./types.js').SimContext} SimContext */
/** @typedef {import('./types.js').Person} Person */
/** @typedef {import('./types.js').Group} Group */
/** @typedef {import('./types.js').Summary} Summary */
/** @typedef {import('./types.js').Segment} Segment */

/**
 * @param {SimContext} sim
 * @param {Person} person
 */
export const visibleGroups = (sim, person) => person.groups.filter((g) => g.created <= sim.nowS() && g.date <= sim.nowS());

/**
 * @param {SimContext} sim
 * @param {Person} person
 */
export const visibleSummaries = (sim, person) => person.summaries.filter((s) => s.enddate <= sim.nowS() && s.created <= sim.nowS());

/**
 * Segments that have started, the one under way cut at now.
 * @param {SimContext} sim
 * @param {Person} person
 * @returns {Segment[]}
 */
export function visibleSegments(sim, person) {
  const t = sim.nowS();
  return person.segments.filter((s) => s.startdate < t).map((s) => (s.enddate > t ? { ...s, enddate: t } : s));
}

/**
 * Newest first, but with a few neighbours swapped (deterministically), as real replies are not
 * strictly sorted. Items with the same key (attrib 0/8 duplicates) stay together.
 * @template {{date: number, attrib?: number}} T
 * @param {SimContext} sim
 * @param {T[]} items
 * @param {(item: T) => number} keyOf
 * @returns {T[]}
 */
export function apiOrder(sim, items, keyOf) {
  const sorted = [...items].sort((a, b) => b.date - a.date || keyOf(b) - keyOf(a) || (a.attrib ?? 0) - (b.attrib ?? 0));
  /** @type {T[][]} */
  const clusters = [];
  for (const it of sorted) {
    const last = clusters[clusters.length - 1];
    if (last && keyOf(last[0]) === keyOf(it)) {
      last.push(it);
    } else {
      clusters.push([it]);
    }
  }
  for (let k = 0; k + 1 < clusters.length; k++) {
    if (hash32(`order:${sim.seed}:${keyOf(clusters[k][0])}:${keyOf(clusters[k + 1][0])}`) % 8 === 0) {
      [clusters[k], clusters[k + 1]] = [clusters[k + 1], clusters[k]];
      k++;
    }
  }
  return clusters.flat();
}

/**
 * @param {SimContext} sim
 * @param {Group[]} groups
 */
export const orderedGroups = (sim, groups) => apiOrder(sim, groups, (g) => g.grpid);

/**
 * Summaries in API order (by end time, newest first, a few neighbours swapped).
 * @param {SimContext} sim
 * @param {Summary[]} list
 * @returns {Summary[]}
 */
export function orderedSummaries(sim, list) {
  const keyed = list.map((s) => ({ s, date: s.enddate }));
  return apiOrder(sim, keyed, (x) => x.s.id).map((x) => x.s);
}
