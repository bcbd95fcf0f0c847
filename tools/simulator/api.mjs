// @ts-check
// The data API router: service path → action → handler, with authentication, the per-client rate
// limit and the scope each action needs.
import { getactivity, getintradayactivity, getmeas, getworkouts } from './measure.mjs';
import { notify } from './notify.mjs';
import { notImplemented, Reply } from './reply.mjs';
import { getsummary, sleepGet } from './sleep.mjs';
import { authenticate, invalidToken, requireScope } from './tokens.mjs';
import { getdevice, getgoals } from './user.mjs';

/** @typedef {import('./types.js').SimContext} SimContext */
/** @typedef {import('./types.js').RequestContext} RequestContext */
/** @typedef {import('./types.js').Person} Person */
/** @typedef {import('./tokens.mjs').Auth} Auth */
/** @typedef {import('node:http').IncomingMessage} IncomingMessage */
/**
 * @typedef {(sim: SimContext, ctx: RequestContext, params: URLSearchParams, person: Person, auth: Auth) => unknown} Handler
 * @typedef {{scope: string | null, run: Handler}} Operation
 */

/** @param {string} action @returns {Operation} */
const notifyOp = (action) => ({ scope: null, run: (sim, ctx, params, person, auth) => notify(sim, ctx, action, params, person, auth) });

/** path → action → {scope (null = any valid token), run} */
/** @type {Record<string, Record<string, Operation>>} */
const SERVICES = {
  '/measure': { getmeas: { scope: 'user.metrics', run: getmeas } },
  '/v2/measure': {
    getactivity: { scope: 'user.activity', run: getactivity },
    getintradayactivity: { scope: 'user.activity', run: getintradayactivity },
    getworkouts: { scope: 'user.activity', run: getworkouts },
  },
  '/v2/sleep': { get: { scope: 'user.activity', run: sleepGet }, getsummary: { scope: 'user.activity', run: getsummary } },
  '/v2/user': { getdevice: { scope: null, run: getdevice }, getgoals: { scope: null, run: getgoals } },
  '/v2/heart': { list: { scope: 'user.metrics', run: () => ({ series: [], more: false, offset: 0 }) } },
  '/notify': Object.fromEntries(['subscribe', 'list', 'get', 'revoke', 'update'].map((a) => [a, notifyOp(a)])),
};

/**
 * A 601 reply when the client made too many calls in the last minute, else null (and counts this one).
 * @param {SimContext} sim
 * @param {string} clientId
 */
function rateLimited(sim, clientId) {
  if (!sim.rateLimitPerMinute) {
    return null;
  }
  const t = sim.now();
  const list = (sim.state.rate.get(clientId) ?? []).filter((x) => t - x < 60_000);
  sim.state.rate.set(clientId, list);
  if (list.length >= sim.rateLimitPerMinute) {
    return new Reply(601, { wait_seconds: Math.max(1, Math.ceil((60_000 - (t - list[0])) / 1000)) }, 'Too many requests');
  }
  list.push(t);
  return null;
}

/**
 * Runs a data call; resolves with the envelope body, throws (or rejects with) a Reply otherwise.
 * @param {SimContext} sim
 * @param {RequestContext} ctx
 * @param {IncomingMessage} req
 * @param {URLSearchParams} params
 * @returns {Promise<unknown>}
 */
export async function dataCall(sim, ctx, req, params) {
  const service = Object.hasOwn(SERVICES, ctx.path) ? SERVICES[ctx.path] : undefined;
  const op = service && Object.hasOwn(service, ctx.action) ? service[ctx.action] : undefined;
  if (!op || (req.method !== 'POST' && req.method !== 'GET')) {
    throw notImplemented();
  }
  const header = req.headers.authorization ?? '';
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
  const auth = authenticate(sim, ctx, bearer ?? params.get('access_token') ?? '');
  const limited = rateLimited(sim, auth.grant.clientId);
  if (limited) {
    throw limited;
  }
  if (op.scope) {
    requireScope(ctx, auth, op.scope);
  }
  const person = sim.state.people.get(auth.rec.userid);
  if (!person) {
    throw invalidToken(ctx);
  }
  return await op.run(sim, ctx, params, person, auth);
}
