// @ts-check
// Notify service (`/notify`): subscribe, list, get, revoke, update, per user and appli.
import { isInt } from './params.mjs';
import { invalidParams, notImplemented, Reply } from './reply.mjs';
import { requireScope } from './tokens.mjs';

/** @typedef {import('./types.js').SimContext} SimContext */
/** @typedef {import('./types.js').RequestContext} RequestContext */
/** @typedef {import('./types.js').Person} Person */
/** @typedef {import('./types.js').Subscription} Subscription */
/** @typedef {import('./tokens.mjs').Auth} Auth */

/** The scope each notification category needs. */
/** @type {Record<number, string>} */
export const NOTIFY_APPLI_SCOPE = {
  1: 'user.metrics', 2: 'user.metrics', 4: 'user.metrics', 54: 'user.metrics', 55: 'user.metrics', 58: 'user.metrics',
  16: 'user.activity', 44: 'user.activity', 46: 'user.info', 50: 'user.sleepevents', 51: 'user.sleepevents', 52: 'user.sleepevents',
};

/** @param {unknown} v */
export const isAppli = (v) => typeof v === 'number' && Object.hasOwn(NOTIFY_APPLI_SCOPE, v);

const NEVER_EXPIRES = 2147483647;
const badCallback = () => new Reply(293, {}, 'The callback URL is either unknown or invalid');
const noSuch = () => new Reply(294, {}, 'No such subscription was found');

/**
 * True when a callback URL breaks the rules: https, no IP address or localhost, port 80/443,
 * at most 255 characters; 'lenient' accepts any http(s) URL.
 * @param {SimContext} sim
 * @param {string} url
 */
export function callbackProblem(sim, url) {
  let u;
  try {
    u = new URL(url);
  } catch {
    return true;
  }
  if (sim.callbackCheck === 'lenient') {
    return !/^https?:$/.test(u.protocol);
  }
  const host = u.hostname.replace(/^\[|\]$/g, '');
  return u.protocol !== 'https:' || url.length > 255 || host === 'localhost' || host.endsWith('.localhost')
    || /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(':') || (u.port !== '' && u.port !== '443' && u.port !== '80');
}

/**
 * @param {URLSearchParams} params
 * @param {string} name
 * @param {boolean} required
 * @param {number} [fallback]
 * @returns {number | undefined}
 */
function appliParam(params, name, required, fallback) {
  const v = params.get(name);
  if (v === null || v === '') {
    if (required) {
      throw invalidParams();
    }
    return fallback;
  }
  if (!isInt(v) || !isAppli(Number(v))) {
    throw invalidParams('invalid appli');
  }
  return Number(v);
}

/**
 * What Withings does before it accepts a callback: the URL rules, then an HTTP HEAD that must
 * answer 2xx in time; anything else is 293.
 * @param {SimContext} sim
 * @param {string} url
 */
async function checkCallback(sim, url) {
  if (callbackProblem(sim, url)) {
    throw badCallback();
  }
  let status = 0;
  try {
    ({ status } = await sim.callbackClient({ method: 'HEAD', url, headers: {}, timeoutMs: sim.callbackTimeoutMs }));
  } catch {
    status = 0;
  }
  if (status < 200 || status > 299) {
    throw badCallback();
  }
}

/**
 * One notify action for the token's person.
 * @param {SimContext} sim
 * @param {RequestContext} ctx
 * @param {string} action
 * @param {URLSearchParams} params
 * @param {Person} person
 * @param {Auth} auth
 * @returns {Promise<Record<string, unknown>>}
 */
export async function notify(sim, ctx, action, params, person, auth) {
  const subs = person.subscriptions;
  /** @param {string} callbackurl @param {number | undefined} appli */
  const find = (callbackurl, appli) => subs.find((s) => s.callbackurl === callbackurl && s.appli === appli);
  switch (action) {
    case 'subscribe': {
      const callbackurl = params.get('callbackurl');
      const appli = appliParam(params, 'appli', true) ?? 0;
      if (!callbackurl) {
        throw invalidParams();
      }
      requireScope(ctx, auth, NOTIFY_APPLI_SCOPE[appli]);
      await checkCallback(sim, callbackurl);
      const existing = find(callbackurl, appli);
      const comment = params.get('comment');
      if (existing) {
        existing.comment = comment ?? existing.comment;
      } else {
        subs.push({ appli, callbackurl, expires: NEVER_EXPIRES, comment: comment ?? null });
      }
      return {};
    }
    case 'list': {
      const appli = appliParam(params, 'appli', false);
      return { profiles: subs.filter((s) => appli === undefined || s.appli === appli).map((s) => ({ ...s })) };
    }
    case 'get': {
      const callbackurl = params.get('callbackurl');
      if (!callbackurl) {
        throw invalidParams();
      }
      const s = find(callbackurl, appliParam(params, 'appli', false, 1));
      if (!s) {
        throw noSuch();
      }
      return { appli: s.appli, callbackurl: s.callbackurl, comment: s.comment };
    }
    case 'revoke': {
      const callbackurl = params.get('callbackurl');
      const appli = appliParam(params, 'appli', true);
      if (!callbackurl) {
        throw invalidParams();
      }
      const s = find(callbackurl, appli);
      if (!s) {
        throw noSuch();
      }
      subs.splice(subs.indexOf(s), 1);
      return {};
    }
    case 'update': {
      const callbackurl = params.get('callbackurl');
      const appli = appliParam(params, 'appli', true);
      const newUrl = params.get('new_callbackurl');
      const comment = params.get('comment');
      if (!callbackurl || (newUrl === null && params.get('new_appli') === null && comment === null)) {
        throw invalidParams();
      }
      const s = find(callbackurl, appli);
      if (!s) {
        throw noSuch();
      }
      const newAppli = appliParam(params, 'new_appli', false, s.appli) ?? s.appli;
      if (newAppli !== s.appli) {
        requireScope(ctx, auth, NOTIFY_APPLI_SCOPE[newAppli]);
      }
      if (newUrl !== null && newUrl !== s.callbackurl) {
        await checkCallback(sim, newUrl);
      }
      s.callbackurl = newUrl ?? s.callbackurl;
      s.appli = newAppli;
      if (comment !== null) {
        s.comment = comment;
      }
      return {};
    }
    default:
      throw notImplemented();
  }
}
