// A faithful Withings cloud simulator (consent page, token endpoint, data endpoints, notify) on plain
// node:http, with a control API for tests and the demo. Written from docs/withings-api.md, not from
// the plugin's client. See README.md next to this file.
import { randomBytes } from 'node:crypto';
import http from 'node:http';

import {
  DEFAULT_SUMMARY_FIELDS,
  DEVICE_MODELS,
  KNOWN_SCOPES,
  generateDemoData,
  hash32,
  minutesOf,
  signalAt,
  ymd,
} from './data.mjs';

const CODE_TTL_MS = 30_000;
const ACCESS_TTL_S = 10_800;
const REFRESH_TTL_S = 365 * 86_400;
const REFRESH_GRACE_S = 8 * 3_600;
const SAME_ARGS_WINDOW_MS = 10_000;
const MAX_BODY_BYTES = 1024 * 1024;
const SLEEP_GET_MAX_S = 86_400;

const NOTIFY_APPLI_SCOPE = {
  1: 'user.metrics', 2: 'user.metrics', 4: 'user.metrics', 54: 'user.metrics', 55: 'user.metrics', 58: 'user.metrics',
  16: 'user.activity', 44: 'user.activity', 46: 'user.info', 50: 'user.sleepevents', 51: 'user.sleepevents', 52: 'user.sleepevents',
};

const SCOPE_TEXT = {
  'user.info': 'your profile information',
  'user.metrics': 'your health measures (weight, body composition, blood pressure, temperature, SpO2)',
  'user.activity': 'your activity and sleep data',
  'user.sleepevents': 'real-time in-bed and out-of-bed events',
};

const FAULTS = new Set(['500', '503-http', '601', 'hang', 'reset', 'malformed', '522']);

const hex40 = () => randomBytes(20).toString('hex');
const isInt = (v) => typeof v === 'string' && /^-?\d{1,15}$/.test(v.trim());
const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
const splitList = (v) => String(v ?? '').split(',').map((x) => x.trim()).filter(Boolean);

/** Thrown inside a handler to answer with a Withings envelope. */
class Reply {
  constructor(status, body = {}, error) {
    this.envelope = error === undefined ? { status, body } : { status, body, error };
  }
}
const invalidParams = (detail) => new Reply(503, {}, detail ? `Invalid Params: ${detail}` : 'Invalid Params');
const notImplemented = () => new Reply(2554, {}, 'Not implemented');

/**
 * Starts the simulator.
 * @param {{
 *   port?: number,
 *   now?: () => number,
 *   clients?: Array<{client_id: string, client_secret: string, redirect_uris?: string[] | null, name?: string}>,
 *   pageSize?: {getmeas?: number, getsummary?: number},
 *   seed?: number,
 *   log?: boolean,
 *   callbackCheck?: 'strict' | 'lenient',
 *   rateLimitPerMinute?: number,
 * }} [options]
 * @returns {Promise<{url: string, port: number, close: () => Promise<void>, state: object}>}
 */
export async function startSimulator(options = {}) {
  const now = typeof options.now === 'function' ? options.now : () => Date.now();
  const nowS = () => Math.floor(now() / 1000);
  const clients = (options.clients ?? [{ client_id: 'demo-client', client_secret: 'demo-secret', redirect_uris: null }])
    .map((c) => ({ name: c.client_id, redirect_uris: null, ...c }));
  const pageSize = { getmeas: 200, getsummary: 300, ...(options.pageSize ?? {}) };
  const seed = options.seed ?? 1;
  const log = options.log === true;
  const callbackCheck = options.callbackCheck === 'lenient' ? 'lenient' : 'strict';
  const rateLimitPerMinute = Number(options.rateLimitPerMinute) > 0 ? Number(options.rateLimitPerMinute) : 0;

  const generated = generateDemoData({ now: now(), seed });
  /** Everything the simulator holds; exposed as `state` for in-process tests. */
  const state = {
    startedAt: now(),
    people: new Map(generated.people.map((p) => [p.userid, p])),
    clients,
    nextGrpid: generated.nextGrpid,
    nextSummaryId: generated.nextSummaryId,
    /** code → {clientId, redirectUri, userid, scope[], issuedMs, used} */
    codes: new Map(),
    /** grant id → {id, userid, clientId, scope[], revoked} */
    grants: new Map(),
    /** access token → {grantId, userid, scope[], issuedAt, expiresAt, firstUsedAt} (seconds) */
    accessTokens: new Map(),
    /** refresh token → {grantId, userid, clientId, issuedAt, expiresAt, replacedAt, successorAccess[], successorRefresh[]} */
    refreshTokens: new Map(),
    /** canonical token-request arguments → last time (ms), for the 10 s "same arguments" rule */
    recentTokenRequests: new Map(),
    /** request log of every non-control request */
    requests: [],
    nextRequestIndex: 0,
    /** active faults: {id, fault, remaining, path, wait_seconds} */
    faults: [],
    nextFaultId: 1,
    blocked: false,
    /** requests held while blocked: functions that answer them */
    pending: [],
    /** per client id: request times (ms) within the last minute, when rate limiting is on */
    rate: new Map(),
    nextRequestId: 1,
  };

  const sockets = new Set();
  const hanging = new Set();

  // ------------------------------------------------------------------ visibility and ordering

  const visibleGroups = (person) => person.groups.filter((g) => g.created <= nowS() && g.date <= nowS());
  const visibleSummaries = (person) => person.summaries.filter((s) => s.enddate <= nowS() && s.created <= nowS());
  /** Segments that have started, the one under way cut at now. */
  const visibleSegments = (person) => {
    const t = nowS();
    return person.segments.filter((s) => s.startdate < t).map((s) => (s.enddate > t ? { ...s, enddate: t } : s));
  };

  /**
   * Newest first, but with a few neighbours swapped (deterministically), as real replies are not
   * strictly sorted. Items with the same key (attrib 0/8 duplicates) stay together.
   */
  function apiOrder(items, keyOf) {
    const sorted = [...items].sort((a, b) => b.date - a.date || keyOf(b) - keyOf(a) || (a.attrib ?? 0) - (b.attrib ?? 0));
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
      if (hash32(`order:${seed}:${keyOf(clusters[k][0])}:${keyOf(clusters[k + 1][0])}`) % 8 === 0) {
        [clusters[k], clusters[k + 1]] = [clusters[k + 1], clusters[k]];
        k++;
      }
    }
    return clusters.flat();
  }
  const sortedSummaries = (list) => apiOrder(list.map((s) => ({ ...s, date: s.enddate, ymd: s.date })), (s) => s.id)
    .map(({ ymd: date, ...s }) => ({ ...s, date }));

  // ------------------------------------------------------------------ tokens

  function issueTokens(grant) {
    const t = nowS();
    const access = hex40();
    const refresh = hex40();
    state.accessTokens.set(access, { grantId: grant.id, userid: grant.userid, scope: grant.scope, issuedAt: t, expiresAt: t + ACCESS_TTL_S, firstUsedAt: null });
    state.refreshTokens.set(refresh, {
      grantId: grant.id, userid: grant.userid, clientId: grant.clientId, issuedAt: t, expiresAt: t + REFRESH_TTL_S,
      replacedAt: null, successorAccess: [], successorRefresh: [],
    });
    return {
      access,
      refresh,
      body: {
        userid: grant.userid,
        access_token: access,
        refresh_token: refresh,
        expires_in: ACCESS_TTL_S,
        scope: grant.scope.join(','),
        csrf_token: hex40(),
        token_type: 'Bearer',
      },
    };
  }

  function newGrant(userid, clientId, scope) {
    const grant = { id: state.grants.size + 1, userid, clientId, scope, revoked: false };
    state.grants.set(grant.id, grant);
    return grant;
  }

  /** Why a refresh token can no longer be used, or null when it can. */
  function refreshTokenProblem(rt) {
    const t = nowS();
    const grant = state.grants.get(rt.grantId);
    if (!grant || grant.revoked || t >= rt.expiresAt) {
      return 'invalid refresh_token';
    }
    if (rt.replacedAt !== null) {
      if (t >= rt.replacedAt + REFRESH_GRACE_S) {
        return 'invalid refresh_token';
      }
      const accessUsed = rt.successorAccess.some((a) => state.accessTokens.get(a)?.firstUsedAt != null);
      const refreshUsed = rt.successorRefresh.some((r) => state.refreshTokens.get(r)?.replacedAt != null);
      if (accessUsed || refreshUsed) {
        return 'invalid refresh_token';
      }
    }
    return null;
  }

  /** The access-token record of a request, or a Reply to send instead. */
  function authenticate(ctx, token) {
    const rec = token ? state.accessTokens.get(token) : undefined;
    if (rec) {
      ctx.userid = rec.userid;
    }
    const grant = rec ? state.grants.get(rec.grantId) : undefined;
    if (!rec || !grant || grant.revoked || nowS() >= rec.expiresAt) {
      return new Reply(401, {}, `XRequestID: ${ctx.xRequestId} invalid_token: The access token provided is invalid`);
    }
    if (rec.firstUsedAt == null) {
      rec.firstUsedAt = nowS();
    }
    return { rec, grant };
  }

  function requireScope(ctx, auth, scope) {
    if (!auth.rec.scope.includes(scope)) {
      throw new Reply(401, {}, `XRequestID: ${ctx.xRequestId} insufficient_scope: The request requires higher privileges than provided by the access token`);
    }
  }

  // ------------------------------------------------------------------ token endpoint

  function tokenEndpoint(ctx, params) {
    if (ctx.action !== 'requesttoken') {
      throw notImplemented();
    }
    // The same arguments twice within 10 s are refused, whatever they are.
    const key = [...params.entries()].sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
      .map(([k, v]) => `${k}=${v}`).join('&');
    const nowMs = now();
    for (const [k, at] of state.recentTokenRequests) {
      if (nowMs - at >= SAME_ARGS_WINDOW_MS) {
        state.recentTokenRequests.delete(k);
      }
    }
    const last = key ? state.recentTokenRequests.get(key) : undefined;
    if (last !== undefined) {
      const wait = Math.max(1, Math.ceil((SAME_ARGS_WINDOW_MS - (nowMs - last)) / 1000));
      throw new Reply(601, { wait_seconds: wait }, 'Same arguments in less than 10 seconds');
    }
    if (key) {
      state.recentTokenRequests.set(key, nowMs);
    }

    const grantType = params.get('grant_type');
    if (grantType !== 'authorization_code' && grantType !== 'refresh_token') {
      throw invalidParams('invalid grant_type');
    }
    const client = clients.find((c) => c.client_id === params.get('client_id'));
    if (!client) {
      throw invalidParams('invalid client_id');
    }
    if (params.get('client_secret') !== client.client_secret) {
      throw invalidParams('invalid client_secret');
    }
    if (grantType === 'authorization_code') {
      const code = params.get('code') ?? '';
      const rec = state.codes.get(code);
      if (!rec || rec.used || rec.clientId !== client.client_id || nowMs - rec.issuedMs > CODE_TTL_MS) {
        throw invalidParams('invalid code');
      }
      if ((params.get('redirect_uri') ?? '') !== rec.redirectUri) {
        throw invalidParams('redirect_uri mismatch');
      }
      rec.used = true;
      ctx.userid = rec.userid;
      return issueTokens(newGrant(rec.userid, client.client_id, rec.scope)).body;
    }
    const token = params.get('refresh_token') ?? '';
    const rt = state.refreshTokens.get(token);
    if (rt) {
      ctx.userid = rt.userid;
    }
    if (!rt || rt.clientId !== client.client_id || refreshTokenProblem(rt)) {
      throw invalidParams('invalid refresh_token');
    }
    const issued = issueTokens(state.grants.get(rt.grantId));
    rt.replacedAt ??= nowS();
    rt.successorAccess.push(issued.access);
    rt.successorRefresh.push(issued.refresh);
    return issued.body;
  }

  // ------------------------------------------------------------------ consent page

  function authorizeProblem(p) {
    const client = clients.find((c) => c.client_id === p.get('client_id'));
    if (!client) {
      return { html: 'invalid client_id', detail: 'The client_id is unknown.' };
    }
    const redirectUri = p.get('redirect_uri') ?? '';
    let parsed = null;
    try {
      parsed = new URL(redirectUri);
    } catch {
      parsed = null;
    }
    const registered = Array.isArray(client.redirect_uris) ? client.redirect_uris : null;
    if (!parsed || !/^https?:$/.test(parsed.protocol) || (registered && !registered.includes(redirectUri))) {
      return { html: 'redirect_uri_mismatch: The redirect URI provided is missing or does not match partner callback url' };
    }
    if (p.get('response_type') !== 'code') {
      return { html: 'invalid response_type: it must be "code"' };
    }
    if (!p.get('state')) {
      return { html: 'invalid state: the state parameter is required' };
    }
    if (!splitList(p.get('scope')).some((s) => KNOWN_SCOPES.includes(s))) {
      return { html: 'invalid scope: no known scope was requested' };
    }
    return null;
  }

  function errorPage(problem) {
    return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Withings — error</title></head>
<body><main><h1>Withings</h1><p id="oauth-error" role="alert">${escapeHtml(problem.html)}</p>${problem.detail ? `<p>${escapeHtml(problem.detail)}</p>` : ''}</main></body></html>
`;
  }

  function consentPage(p, { error, chosen, scopesChecked } = {}) {
    const client = clients.find((c) => c.client_id === p.get('client_id'));
    const requested = splitList(p.get('scope'));
    const known = requested.filter((s) => KNOWN_SCOPES.includes(s));
    const people = [...state.people.values()];
    const hidden = ['response_type', 'client_id', 'redirect_uri', 'state', 'scope', 'mode']
      .filter((k) => p.get(k) !== null)
      .map((k) => `<input type="hidden" name="${k}" value="${escapeHtml(p.get(k))}">`).join('\n      ');
    const radios = people.map((person) => {
      const checked = (people.length === 1 || chosen === person.userid) ? ' checked' : '';
      return `<div class="person"><input type="radio" name="userid" value="${escapeHtml(person.userid)}" data-userid="${escapeHtml(person.userid)}" id="user-${escapeHtml(person.userid)}"${checked}>
        <label for="user-${escapeHtml(person.userid)}">${escapeHtml(person.name)}</label></div>`;
    }).join('\n      ');
    const scopes = known.map((s) => {
      const checked = !scopesChecked || scopesChecked.includes(s) ? ' checked' : '';
      return `<li><label><input type="checkbox" name="grant_scope" value="${escapeHtml(s)}" data-scope="${escapeHtml(s)}"${checked}> <code>${escapeHtml(s)}</code>: ${escapeHtml(SCOPE_TEXT[s])}</label></li>`;
    }).join('\n        ');
    const app = escapeHtml(client?.name ?? p.get('client_id'));
    return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Withings — authorize ${app}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem}#error{color:#b00020}button{font-size:1rem;padding:.5rem 1.5rem;margin-right:.5rem}fieldset{margin-bottom:1rem}</style>
</head>
<body><main>
  <h1>Withings — authorize <span id="app-name">${app}</span></h1>
  ${p.get('mode') === 'demo' ? '<p id="demo-mode">Demo mode: you sign in to the Withings demo account.</p>' : ''}
  ${error ? `<p id="error" role="alert">${escapeHtml(error)}</p>` : ''}
  <form id="consent" method="post" action="/oauth2_user/authorize2">
      ${hidden}
      <input type="hidden" name="scope_choice" value="1">
    <fieldset id="people"><legend>Who is using ${app}?</legend>
      ${radios}
    </fieldset>
    <fieldset id="scopes"><legend>${app} asks for access to</legend>
      <ul>
        ${scopes}
      </ul>
    </fieldset>
    <button id="allow" type="submit" name="decision" value="allow">Allow</button>
    <button id="deny" type="submit" name="decision" value="deny">Deny</button>
  </form>
</main></body></html>
`;
  }

  function authorize(ctx, req, res, query, form) {
    const html = (status, text) => sendText(ctx, res, status, text, 'text/html; charset=utf-8');
    if (req.method === 'GET' || req.method === 'HEAD') {
      const problem = authorizeProblem(query);
      return problem ? html(400, errorPage(problem)) : html(200, consentPage(query));
    }
    if (req.method !== 'POST') {
      return html(405, errorPage({ html: 'method not allowed' }));
    }
    const p = form;
    const problem = authorizeProblem(p);
    if (problem) {
      return html(400, errorPage(problem));
    }
    const redirect = new URL(p.get('redirect_uri'));
    const decision = p.get('decision');
    const scopesChecked = p.get('scope_choice') !== null ? p.getAll('grant_scope') : null;
    if (decision === 'deny') {
      redirect.searchParams.append('error', 'access_denied');
      redirect.searchParams.append('state', p.get('state'));
      return sendRedirect(ctx, res, redirect.toString());
    }
    const userid = p.get('userid');
    if (decision !== 'allow') {
      return html(200, consentPage(p, { error: 'Choose Allow or Deny.', chosen: userid, scopesChecked }));
    }
    if (!userid || !state.people.has(userid)) {
      return html(200, consentPage(p, { error: 'Choose who you are before allowing access.', scopesChecked }));
    }
    const requested = splitList(p.get('scope')).filter((s) => KNOWN_SCOPES.includes(s));
    const granted = requested.filter((s) => !scopesChecked || scopesChecked.includes(s));
    const code = hex40();
    state.codes.set(code, { clientId: p.get('client_id'), redirectUri: p.get('redirect_uri'), userid, scope: [...new Set(granted)], issuedMs: now(), used: false });
    ctx.userid = userid;
    redirect.searchParams.append('code', code);
    redirect.searchParams.append('state', p.get('state'));
    return sendRedirect(ctx, res, redirect.toString());
  }

  // ------------------------------------------------------------------ data endpoints

  const intParam = (params, name, { required = false, min = -Infinity } = {}) => {
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
  };

  function getmeas(ctx, params, person) {
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
    let groups = visibleGroups(person).filter((g) => g.category === category
      && (startdate === undefined || g.date >= startdate)
      && (enddate === undefined || g.date <= enddate)
      && (lastupdate === undefined || g.modified > lastupdate));
    if (types.size) {
      groups = groups.map((g) => ({ ...g, measures: g.measures.filter((x) => types.has(x.type)) })).filter((g) => g.measures.length);
    }
    const ordered = apiOrder(groups, (g) => g.grpid);
    const page = ordered.slice(offset, offset + pageSize.getmeas);
    const more = offset + page.length < ordered.length;
    return {
      updatetime: nowS(),
      timezone: person.timezone,
      measuregrps: page,
      more: more ? 1 : 0,
      offset: more ? offset + page.length : 0,
    };
  }

  function sleepGet(ctx, params, person) {
    const startdate = intParam(params, 'startdate', { required: true });
    const enddate = intParam(params, 'enddate', { required: true });
    if (enddate < startdate) {
      throw invalidParams();
    }
    const fields = splitList(params.get('data_fields')).filter((f) => f === 'hr' || f === 'rr' || f === 'snoring');
    const until = Math.min(enddate, startdate + SLEEP_GET_MAX_S);
    const series = visibleSegments(person)
      .filter((s) => s.startdate <= until && s.enddate >= startdate)
      .map((s) => {
        const out = { startdate: s.startdate, enddate: s.enddate, state: s.state, model: s.model, model_id: s.model_id, hash_deviceid: s.hash_deviceid };
        for (const f of fields) {
          out[f] = Object.fromEntries(minutesOf(s).map((t) => [String(t), signalAt(f, person.userid, t, s.state)]));
        }
        return out;
      });
    return { series, model: 32 };
  }

  function getsummary(ctx, params, person) {
    const start = params.get('startdateymd');
    const end = params.get('enddateymd');
    const lastupdate = intParam(params, 'lastupdate');
    const ymdRe = /^\d{4}-\d{2}-\d{2}$/;
    const byDates = start !== null || end !== null;
    if (byDates && (!ymdRe.test(start ?? '') || !ymdRe.test(end ?? ''))) {
      throw invalidParams();
    }
    if (!byDates && lastupdate === undefined) {
      throw invalidParams();
    }
    const offset = intParam(params, 'offset', { min: 0 }) ?? 0;
    const fieldsParam = params.get('data_fields');
    const fields = fieldsParam !== null ? splitList(fieldsParam) : DEFAULT_SUMMARY_FIELDS;
    const list = visibleSummaries(person).filter((s) => (!byDates || (s.date >= start && s.date <= end))
      && (lastupdate === undefined || s.modified > lastupdate));
    const ordered = sortedSummaries(list);
    const page = ordered.slice(offset, offset + pageSize.getsummary).map((s) => ({
      ...s,
      data: Object.fromEntries(fields.filter((f) => Object.hasOwn(s.data, f)).map((f) => [f, s.data[f]])),
    }));
    return { series: page, more: offset + page.length < ordered.length, offset: offset + page.length };
  }

  function lastSession(person, dev) {
    const t = nowS();
    let last = null;
    for (const g of person.groups) {
      if (g.deviceid === dev.deviceid && g.created <= t && g.date <= t) {
        last = Math.max(last ?? 0, g.created);
      }
    }
    if (dev.model === 'Aura Sensor V2' || dev.model === 'Aura Dock') {
      for (const s of visibleSegments(person)) {
        if (s.hash_deviceid != null) {
          last = Math.max(last ?? 0, Math.min(s.enddate, t));
        }
      }
    }
    return last;
  }

  const devicesOf = (person) => person.devices.map((d) => ({ ...d, last_session_date: lastSession(person, d) ?? d.last_session_date }));

  function callbackProblem(url) {
    let u;
    try {
      u = new URL(url);
    } catch {
      return true;
    }
    if (callbackCheck === 'lenient') {
      return !/^https?:$/.test(u.protocol);
    }
    const host = u.hostname.replace(/^\[|\]$/g, '');
    return u.protocol !== 'https:' || url.length > 255 || host === 'localhost' || host.endsWith('.localhost')
      || /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(':') || (u.port !== '' && u.port !== '443' && u.port !== '80');
  }

  function notify(ctx, action, params, person, auth) {
    const subs = person.subscriptions;
    const appliParam = (required, fallback) => {
      const v = params.get('appli');
      if (v === null || v === '') {
        if (required) {
          throw invalidParams();
        }
        return fallback;
      }
      if (!isInt(v) || !(Number(v) in NOTIFY_APPLI_SCOPE)) {
        throw invalidParams('invalid appli');
      }
      return Number(v);
    };
    const find = (callbackurl, appli) => subs.find((s) => s.callbackurl === callbackurl && s.appli === appli);
    const noSuch = () => new Reply(294, {}, 'No such subscription was found');
    switch (action) {
      case 'subscribe': {
        const callbackurl = params.get('callbackurl');
        const appli = appliParam(true);
        if (!callbackurl) {
          throw invalidParams();
        }
        requireScope(ctx, auth, NOTIFY_APPLI_SCOPE[appli]);
        if (callbackProblem(callbackurl)) {
          throw new Reply(293, {}, 'The callback URL is either unknown or invalid');
        }
        const existing = find(callbackurl, appli);
        const comment = params.get('comment');
        if (existing) {
          existing.comment = comment ?? existing.comment;
        } else {
          subs.push({ appli, callbackurl, expires: 2147483647, comment: comment ?? null });
        }
        return {};
      }
      case 'list': {
        const appli = appliParam(false);
        return { profiles: subs.filter((s) => appli === undefined || s.appli === appli).map((s) => ({ ...s })) };
      }
      case 'get': {
        const callbackurl = params.get('callbackurl');
        if (!callbackurl) {
          throw invalidParams();
        }
        const s = find(callbackurl, appliParam(false, 1));
        if (!s) {
          throw noSuch();
        }
        return { appli: s.appli, callbackurl: s.callbackurl, comment: s.comment };
      }
      case 'revoke': {
        const callbackurl = params.get('callbackurl');
        const appli = appliParam(true);
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
        const appli = appliParam(true);
        const newUrl = params.get('new_callbackurl');
        const newAppliRaw = params.get('new_appli');
        const comment = params.get('comment');
        if (!callbackurl || (newUrl === null && newAppliRaw === null && comment === null)) {
          throw invalidParams();
        }
        const s = find(callbackurl, appli);
        if (!s) {
          throw noSuch();
        }
        let newAppli = s.appli;
        if (newAppliRaw !== null) {
          if (!isInt(newAppliRaw) || !(Number(newAppliRaw) in NOTIFY_APPLI_SCOPE)) {
            throw invalidParams('invalid appli');
          }
          newAppli = Number(newAppliRaw);
          requireScope(ctx, auth, NOTIFY_APPLI_SCOPE[newAppli]);
        }
        if (newUrl !== null && callbackProblem(newUrl)) {
          throw new Reply(293, {}, 'The callback URL is either unknown or invalid');
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

  /** path → action → {scope (null = any valid token), run} */
  const SERVICES = {
    '/measure': { getmeas: { scope: 'user.metrics', run: getmeas } },
    '/v2/measure': {
      getactivity: { scope: 'user.activity', run: () => ({ activities: [], more: false, offset: 0 }) },
      getintradayactivity: { scope: 'user.activity', run: () => ({ series: {} }) },
      getworkouts: { scope: 'user.activity', run: () => ({ series: [], more: false, offset: 0 }) },
    },
    '/v2/sleep': { get: { scope: 'user.activity', run: sleepGet }, getsummary: { scope: 'user.activity', run: getsummary } },
    '/v2/user': {
      getdevice: { scope: null, run: (ctx, params, person) => ({ devices: devicesOf(person) }) },
      getgoals: { scope: null, run: (ctx, params, person) => ({ goals: Array.isArray(person.goals) ? [] : { ...person.goals } }) },
    },
    '/v2/heart': { list: { scope: 'user.metrics', run: () => ({ series: [], more: false, offset: 0 }) } },
    '/notify': Object.fromEntries(['subscribe', 'list', 'get', 'revoke', 'update'].map((a) => [a, { scope: null, run: (ctx, params, person, auth) => notify(ctx, a, params, person, auth) }])),
  };

  function rateLimited(clientId) {
    if (!rateLimitPerMinute) {
      return null;
    }
    const t = now();
    const list = (state.rate.get(clientId) ?? []).filter((x) => t - x < 60_000);
    state.rate.set(clientId, list);
    if (list.length >= rateLimitPerMinute) {
      return new Reply(601, { wait_seconds: Math.max(1, Math.ceil((60_000 - (t - list[0])) / 1000)) }, 'Too many requests');
    }
    list.push(t);
    return null;
  }

  function dataCall(ctx, req, params) {
    const service = SERVICES[ctx.path];
    const op = service && Object.hasOwn(service, ctx.action) ? service[ctx.action] : undefined;
    if (!op || (req.method !== 'POST' && req.method !== 'GET')) {
      throw notImplemented();
    }
    const header = req.headers.authorization ?? '';
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
    const auth = authenticate(ctx, bearer ?? params.get('access_token') ?? '');
    if (auth instanceof Reply) {
      throw auth;
    }
    const limited = rateLimited(auth.grant.clientId);
    if (limited) {
      throw limited;
    }
    if (op.scope) {
      requireScope(ctx, auth, op.scope);
    }
    const person = state.people.get(auth.rec.userid);
    if (!person) {
      throw new Reply(401, {}, `XRequestID: ${ctx.xRequestId} invalid_token: The access token provided is invalid`);
    }
    return op.run(ctx, params, person, auth);
  }

  // ------------------------------------------------------------------ responses and logging

  function record(ctx, status, bytes, extra = {}) {
    if (ctx.control || ctx.logged) {
      return;
    }
    ctx.logged = true;
    const entry = {
      i: state.nextRequestIndex++, t: ctx.t, method: ctx.method, path: ctx.path, action: ctx.action,
      status, userid: ctx.userid ?? null, bytes, ...extra,
    };
    state.requests.push(entry);
    if (state.requests.length > 10_000) {
      state.requests.splice(0, state.requests.length - 10_000);
    }
    if (log) {
      process.stderr.write(`[withings-sim] ${entry.method} ${entry.path}${entry.action ? ` ${entry.action}` : ''} → ${entry.fault ?? status}${entry.userid ? ` user ${entry.userid}` : ''} (${bytes} B)\n`);
    }
  }

  function send(ctx, res, httpStatus, text, contentType, headers = {}) {
    if (res.destroyed || res.writableEnded) {
      return 0;
    }
    const buf = Buffer.from(text, 'utf8');
    res.writeHead(httpStatus, { 'Content-Type': contentType, 'Content-Length': buf.length, 'Cache-Control': 'no-store', ...headers });
    res.end(ctx.method === 'HEAD' ? undefined : buf);
    return buf.length;
  }

  function sendEnvelope(ctx, res, envelope) {
    const text = JSON.stringify(envelope).replace(/\//g, '\\/');
    const bytes = send(ctx, res, 200, text, 'application/json; charset=utf-8');
    record(ctx, envelope.status, bytes);
  }

  function sendText(ctx, res, status, text, contentType = 'text/plain; charset=utf-8') {
    const bytes = send(ctx, res, status, text, contentType);
    record(ctx, status, bytes);
  }

  function sendRedirect(ctx, res, location) {
    const text = `<!doctype html><p>Redirecting to <a href="${escapeHtml(location)}">${escapeHtml(location)}</a></p>\n`;
    const bytes = send(ctx, res, 302, text, 'text/html; charset=utf-8', { Location: location });
    record(ctx, 302, bytes);
  }

  function sendControl(res, status, value) {
    if (res.destroyed || res.writableEnded) {
      return;
    }
    const buf = Buffer.from(JSON.stringify(value), 'utf8');
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': buf.length, 'Cache-Control': 'no-store' });
    res.end(buf);
  }

  // ------------------------------------------------------------------ faults

  function takeFault(path) {
    const f = state.faults.find((x) => x.remaining !== 0 && (x.path == null || x.path === path));
    if (!f) {
      return null;
    }
    if (f.remaining > 0) {
      f.remaining--;
      if (f.remaining === 0) {
        state.faults.splice(state.faults.indexOf(f), 1);
      }
    }
    return f;
  }

  function hang(req, res) {
    hanging.add(res);
    res.on('close', () => hanging.delete(res));
  }

  function applyFault(ctx, req, res, f) {
    switch (f.fault) {
      case '500':
        return record(ctx, 500, send(ctx, res, 500, 'Internal Server Error', 'text/plain; charset=utf-8'), { fault: f.fault });
      case '503-http':
        return record(ctx, 503, send(ctx, res, 503, 'Service Unavailable', 'text/plain; charset=utf-8'), { fault: f.fault });
      case '522': {
        const text = JSON.stringify({ status: 522, body: {}, error: 'Timeout' });
        return record(ctx, 522, send(ctx, res, 200, text, 'application/json; charset=utf-8'), { fault: f.fault });
      }
      case '601': {
        const text = JSON.stringify({ status: 601, body: { wait_seconds: f.wait_seconds }, error: 'Too many requests' });
        return record(ctx, 601, send(ctx, res, 200, text, 'application/json; charset=utf-8'), { fault: f.fault });
      }
      case 'malformed': {
        // Content-Length must match what is sent, or the client would wait for the rest.
        return record(ctx, 200, send(ctx, res, 200, '{"status":0,"body":{', 'application/json; charset=utf-8'), { fault: f.fault });
      }
      case 'reset':
        record(ctx, null, 0, { fault: f.fault });
        req.socket.destroy();
        return undefined;
      case 'hang':
      default:
        record(ctx, null, 0, { fault: 'hang' });
        return hang(req, res);
    }
  }

  // ------------------------------------------------------------------ control API

  function readJson(text) {
    if (!text.trim()) {
      return {};
    }
    try {
      const v = JSON.parse(text);
      return v && typeof v === 'object' && !Array.isArray(v) ? v : null;
    } catch {
      return null;
    }
  }

  const personOr404 = (res, userid) => {
    const p = state.people.get(String(userid ?? ''));
    if (!p) {
      sendControl(res, 404, { error: 'unknown userid' });
    }
    return p;
  };

  function rawData(person) {
    return {
      userid: person.userid,
      name: person.name,
      timezone: person.timezone,
      measuregrps: apiOrder(visibleGroups(person), (g) => g.grpid),
      sleep_summaries: sortedSummaries(visibleSummaries(person)),
      sleep_segments: visibleSegments(person),
      devices: devicesOf(person),
      goals: Array.isArray(person.goals) ? [] : person.goals,
    };
  }

  function control(req, res, path, query, bodyText) {
    const m = req.method;
    const body = m === 'POST' ? readJson(bodyText) : {};
    if (body === null) {
      return sendControl(res, 400, { error: 'the body must be a JSON object' });
    }
    const route = `${m} ${path}`;
    const isNum = (v) => typeof v === 'number' && Number.isFinite(v);
    switch (route) {
      case 'GET /_control/health':
        return sendControl(res, 200, { ok: true });
      case 'GET /_control/users':
        return sendControl(res, 200, [...state.people.values()].map((p) => ({ userid: p.userid, name: p.name, timezone: p.timezone })));
      case 'POST /_control/measure': {
        const person = personOr404(res, body.userid);
        if (!person) {
          return undefined;
        }
        const measures = Array.isArray(body.measures) ? body.measures : [];
        if (!measures.length || !measures.every((x) => x && Number.isInteger(x.type) && Number.isInteger(x.value) && Number.isInteger(x.unit))) {
          return sendControl(res, 400, { error: 'measures must be a non-empty list of {type, value, unit} integers' });
        }
        const t = nowS();
        let dev = null;
        if (typeof body.deviceid === 'string') {
          dev = person.devices.find((d) => d.deviceid === body.deviceid) ?? null;
        } else if (typeof body.model === 'string' && body.deviceid === undefined) {
          dev = person.devices.find((d) => d.model === body.model) ?? null;
        }
        const model = typeof body.model === 'string' ? body.model : dev?.model ?? null;
        const deviceid = body.deviceid === null ? null : typeof body.deviceid === 'string' ? body.deviceid : dev?.deviceid ?? null;
        const grpid = state.nextGrpid;
        state.nextGrpid += 1 + (hash32(`grp:${grpid}`) % 30);
        person.groups.push({
          grpid,
          attrib: Number.isInteger(body.attrib) ? body.attrib : 0,
          date: isNum(body.date) ? Math.floor(body.date) : t,
          created: t,
          modified: t,
          category: Number.isInteger(body.category) ? body.category : 1,
          deviceid,
          hash_deviceid: deviceid,
          measures: measures.map((x) => ({ value: x.value, type: x.type, unit: x.unit, algo: 0, fm: deviceid ? 3 : 128 })),
          modelid: model ? (dev?.model_id ?? DEVICE_MODELS[model]?.model_id ?? null) : null,
          model,
          comment: null,
        });
        return sendControl(res, 200, { grpid });
      }
      case 'POST /_control/sleep_summary': {
        const person = personOr404(res, body.userid);
        if (!person) {
          return undefined;
        }
        if (!isNum(body.startdate) || !isNum(body.enddate) || body.enddate < body.startdate || !body.data || typeof body.data !== 'object') {
          return sendControl(res, 400, { error: 'startdate, enddate (epoch seconds) and data are required' });
        }
        const tz = typeof body.timezone === 'string' ? body.timezone : person.timezone;
        let date;
        try {
          date = ymd(tz, body.enddate);
        } catch {
          return sendControl(res, 400, { error: 'invalid timezone' });
        }
        const sensor = person.devices.find((d) => d.model === 'Aura Sensor V2');
        const id = state.nextSummaryId;
        state.nextSummaryId += 1 + (hash32(`sum:${id}`) % 60);
        const t = nowS();
        person.summaries.push({
          id, timezone: tz, model: 32, model_id: 63, hash_deviceid: sensor?.hash_deviceid ?? null,
          startdate: Math.floor(body.startdate), enddate: Math.floor(body.enddate), date, created: t, modified: t, data: { ...body.data },
        });
        return sendControl(res, 200, { id });
      }
      case 'POST /_control/sleep_segments': {
        const person = personOr404(res, body.userid);
        if (!person) {
          return undefined;
        }
        const segs = Array.isArray(body.segments) ? body.segments : [];
        if (!segs.every((s) => s && isNum(s.startdate) && isNum(s.enddate) && s.enddate >= s.startdate && Number.isInteger(s.state))) {
          return sendControl(res, 400, { error: 'segments must be a list of {startdate, enddate, state}' });
        }
        const sensor = person.devices.find((d) => d.model === 'Aura Sensor V2');
        for (const s of segs) {
          person.segments.push({ startdate: Math.floor(s.startdate), enddate: Math.floor(s.enddate), state: s.state, model: 'Aura Sensor V2', model_id: 63, hash_deviceid: sensor?.hash_deviceid ?? null });
        }
        person.segments.sort((a, b) => a.startdate - b.startdate);
        return sendControl(res, 200, { added: segs.length });
      }
      case 'POST /_control/grant': {
        const person = personOr404(res, body.userid);
        if (!person) {
          return undefined;
        }
        const client = clients.find((c) => c.client_id === body.client_id) ?? clients[0];
        const scope = typeof body.scope === 'string' ? splitList(body.scope).filter((s) => KNOWN_SCOPES.includes(s)) : [...KNOWN_SCOPES];
        const issued = issueTokens(newGrant(person.userid, client.client_id, scope)).body;
        return sendControl(res, 200, issued);
      }
      case 'POST /_control/tokens/expire':
      case 'POST /_control/tokens/revoke': {
        const who = body.userid == null ? null : String(body.userid);
        let n = 0;
        if (path.endsWith('expire')) {
          for (const rec of state.accessTokens.values()) {
            if ((who === null || rec.userid === who) && rec.expiresAt > nowS()) {
              rec.expiresAt = nowS();
              n++;
            }
          }
          return sendControl(res, 200, { expired: n });
        }
        for (const g of state.grants.values()) {
          if ((who === null || g.userid === who) && !g.revoked) {
            g.revoked = true;
            n++;
          }
        }
        for (const c of state.codes.values()) {
          if (who === null || c.userid === who) {
            c.used = true;
          }
        }
        return sendControl(res, 200, { revoked: n });
      }
      case 'GET /_control/faults':
        return sendControl(res, 200, state.faults);
      case 'POST /_control/faults': {
        const fault = String(body.fault ?? '');
        if (!FAULTS.has(fault)) {
          return sendControl(res, 400, { error: `fault must be one of ${[...FAULTS].join(', ')}` });
        }
        const count = body.count === undefined ? 1 : Number(body.count);
        if (!Number.isInteger(count) || (count < 1 && count !== -1)) {
          return sendControl(res, 400, { error: 'count must be a positive integer or -1' });
        }
        const f = {
          id: state.nextFaultId++, fault, remaining: count, path: typeof body.path === 'string' ? body.path : null,
          wait_seconds: Number.isInteger(body.wait_seconds) ? body.wait_seconds : 60,
        };
        state.faults.push(f);
        return sendControl(res, 200, { ok: true, ...f });
      }
      case 'POST /_control/faults/clear':
        state.faults = [];
        return sendControl(res, 200, { ok: true });
      case 'GET /_control/requests': {
        const since = Number(query.get('since') ?? 0) || 0;
        return sendControl(res, 200, state.requests.filter((r) => r.i >= since));
      }
      case 'POST /_control/requests/clear':
        state.requests = [];
        return sendControl(res, 200, { ok: true, next: state.nextRequestIndex });
      case 'POST /_control/block': {
        state.blocked = body.on === true;
        if (!state.blocked) {
          const held = state.pending.splice(0);
          for (const run of held) {
            run();
          }
        }
        return sendControl(res, 200, { ok: true, blocked: state.blocked });
      }
      case 'GET /_control/subscriptions':
        return sendControl(res, 200, Object.fromEntries([...state.people.values()].map((p) => [p.userid, p.subscriptions])));
      default: {
        const dataRoute = /^\/_control\/data\/([^/]+)$/.exec(path);
        if (m === 'GET' && dataRoute) {
          let userid = dataRoute[1];
          try {
            userid = decodeURIComponent(userid);
          } catch {
            // keep it as it came; it will not match anyone
          }
          const person = personOr404(res, userid);
          return person ? sendControl(res, 200, rawData(person)) : undefined;
        }
        return sendControl(res, 404, { error: 'not found' });
      }
    }
  }

  // ------------------------------------------------------------------ request dispatch

  function readBody(req) {
    return new Promise((resolve) => {
      const chunks = [];
      let size = 0;
      let tooLarge = false;
      req.on('data', (c) => {
        size += c.length;
        if (size > MAX_BODY_BYTES) {
          tooLarge = true;
        } else {
          chunks.push(c);
        }
      });
      req.on('end', () => resolve({ text: tooLarge ? '' : Buffer.concat(chunks).toString('utf8'), tooLarge, aborted: false }));
      req.on('error', () => resolve({ text: '', tooLarge, aborted: true }));
      req.on('aborted', () => resolve({ text: '', tooLarge, aborted: true }));
    });
  }

  function serve(ctx, req, res, query, form, tooLarge) {
    try {
      if (ctx.path === '/oauth2_user/authorize2') {
        return authorize(ctx, req, res, query, form);
      }
      if (tooLarge) {
        throw invalidParams();
      }
      if (ctx.path === '/v2/oauth2') {
        // Only the form body counts here: parameters in the query string give "invalid grant_type".
        return sendEnvelope(ctx, res, { status: 0, body: tokenEndpoint(ctx, form) });
      }
      // Data calls read the form body; legacy clients may also put parameters in the query string.
      const params = new URLSearchParams(query);
      for (const k of new Set(form.keys())) {
        params.delete(k);
      }
      for (const [k, v] of form) {
        params.append(k, v);
      }
      return sendEnvelope(ctx, res, { status: 0, body: dataCall(ctx, req, params) });
    } catch (e) {
      if (e instanceof Reply) {
        return sendEnvelope(ctx, res, e.envelope);
      }
      throw e;
    }
  }

  async function handle(req, res) {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = (q === -1 ? url : url.slice(0, q)) || '/';
    const query = new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
    const method = req.method ?? 'GET';
    if (path === '/_control' || path.startsWith('/_control/')) {
      const { text, aborted } = await readBody(req);
      if (!aborted) {
        control(req, res, path, query, text);
      }
      return;
    }
    if (path === '/' && (method === 'GET' || method === 'HEAD')) {
      await readBody(req);
      const ctx = { control: true, method };
      send(ctx, res, 200, 'Withings simulator\n', 'text/plain; charset=utf-8');
      return;
    }
    const t = now();
    const { text, tooLarge, aborted } = await readBody(req);
    if (aborted) {
      return;
    }
    const form = new URLSearchParams(tooLarge ? '' : text);
    const action = form.get('action') ?? query.get('action') ?? '';
    const ctx = {
      t, method, path, action: path === '/oauth2_user/authorize2' ? '' : action.slice(0, 100), userid: null,
      xRequestId: String(req.headers['x-request-id'] ?? '').slice(0, 64).replace(/[^\w.-]/g, '') || 'Not provided', logged: false,
    };
    const fault = takeFault(path);
    if (fault) {
      applyFault(ctx, req, res, fault);
      return;
    }
    const run = () => {
      try {
        serve(ctx, req, res, query, form, tooLarge);
      } catch (e) {
        internalError(ctx, res, e);
      }
    };
    if (state.blocked) {
      hang(req, res);
      state.pending.push(() => {
        hanging.delete(res);
        run();
      });
      return;
    }
    run();
  }

  function internalError(ctx, res, e) {
    if (log) {
      process.stderr.write(`[withings-sim] internal error: ${e?.stack ?? e}\n`);
    }
    const bytes = send(ctx, res, 500, 'Internal Server Error', 'text/plain; charset=utf-8');
    record(ctx, 500, bytes);
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((e) => internalError({ control: true, method: req.method }, res, e));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    } else {
      socket.destroy();
    }
  });
  server.keepAliveTimeout = 5_000;

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = /** @type {import('node:net').AddressInfo} */ (server.address()).port;
  const url = `http://127.0.0.1:${port}`;
  let closing = null;

  return {
    url,
    port,
    state,
    close() {
      closing ??= new Promise((resolve) => {
        state.pending.splice(0);
        server.close(() => resolve());
        for (const res of hanging) {
          res.destroy();
        }
        for (const s of sockets) {
          s.destroy();
        }
        server.closeAllConnections?.();
      });
      return closing;
    },
  };
}
