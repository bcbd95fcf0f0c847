// @ts-check
// OAuth2: the consent page (`/oauth2_user/authorize2`) and the token endpoint (`/v2/oauth2`
// action=requesttoken, authorization_code and refresh_token grants).
import { KNOWN_SCOPES } from './data.mjs';
import { splitList } from './params.mjs';
import { escapeHtml, invalidParams, notImplemented, Reply, sendRedirect, sendText } from './reply.mjs';
import { issueTokens, newGrant, randomHex40, refreshTokenProblem } from './tokens.mjs';

/** @typedef {import('./types.js').SimContext} SimContext */
/** @typedef {import('./types.js').RequestContext} RequestContext */
/** @typedef {import('./types.js').TokenBody} TokenBody */
/** @typedef {import('node:http').IncomingMessage} IncomingMessage */
/** @typedef {import('node:http').ServerResponse} ServerResponse */
/** @typedef {{html: string, detail?: string}} Problem */

const CODE_TTL_MS = 30_000;
const SAME_ARGS_WINDOW_MS = 10_000;

/** @type {Record<string, string>} */
const SCOPE_TEXT = {
  'user.info': 'your profile information',
  'user.metrics': 'your health measures (weight, body composition, blood pressure, temperature, SpO2)',
  'user.activity': 'your activity and sleep data',
  'user.sleepevents': 'real-time in-bed and out-of-bed events',
};

// ------------------------------------------------------------------ token endpoint

/**
 * The body of a successful requesttoken; throws a Reply otherwise.
 * @param {SimContext} sim
 * @param {RequestContext} ctx
 * @param {URLSearchParams} params
 * @returns {TokenBody}
 */
export function tokenEndpoint(sim, ctx, params) {
  const { state, clients } = sim;
  if (ctx.action !== 'requesttoken') {
    throw notImplemented();
  }
  // The same arguments twice within 10 s are refused, whatever they are.
  const key = [...params.entries()].sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`).join('&');
  const nowMs = sim.now();
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
    return issueTokens(sim, newGrant(sim, rec.userid, client.client_id, rec.scope)).body;
  }
  const token = params.get('refresh_token') ?? '';
  const rt = state.refreshTokens.get(token);
  if (rt) {
    ctx.userid = rt.userid;
  }
  const grant = rt ? state.grants.get(rt.grantId) : undefined;
  if (!rt || !grant || rt.clientId !== client.client_id || refreshTokenProblem(sim, rt)) {
    throw invalidParams('invalid refresh_token');
  }
  const issued = issueTokens(sim, grant);
  rt.replacedAt ??= sim.nowS();
  rt.successorAccess.push(issued.access);
  rt.successorRefresh.push(issued.refresh);
  return issued.body;
}

// ------------------------------------------------------------------ consent page

/**
 * @param {SimContext} sim
 * @param {URLSearchParams} p
 * @returns {Problem | null}
 */
function authorizeProblem(sim, p) {
  const client = sim.clients.find((c) => c.client_id === p.get('client_id'));
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

/** @param {Problem} problem */
function errorPage(problem) {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Withings — error</title></head>
<body><main><h1>Withings</h1><p id="oauth-error" role="alert">${escapeHtml(problem.html)}</p>${problem.detail ? `<p>${escapeHtml(problem.detail)}</p>` : ''}</main></body></html>
`;
}

/**
 * @param {SimContext} sim
 * @param {URLSearchParams} p
 * @param {{error?: string, chosen?: string | null, scopesChecked?: string[] | null}} [options]
 */
function consentPage(sim, p, { error, chosen, scopesChecked } = {}) {
  const client = sim.clients.find((c) => c.client_id === p.get('client_id'));
  const requested = splitList(p.get('scope'));
  const known = requested.filter((s) => KNOWN_SCOPES.includes(s));
  const people = [...sim.state.people.values()];
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

/**
 * GET shows the consent page; POST is the form: allow → redirect with a code, deny → access_denied.
 * @param {SimContext} sim
 * @param {RequestContext} ctx
 * @param {IncomingMessage} req
 * @param {ServerResponse} res
 * @param {URLSearchParams} query
 * @param {URLSearchParams} form
 */
export function authorize(sim, ctx, req, res, query, form) {
  /** @param {number} status @param {string} text */
  const html = (status, text) => sendText(sim, ctx, res, status, text, 'text/html; charset=utf-8');
  if (req.method === 'GET' || req.method === 'HEAD') {
    const problem = authorizeProblem(sim, query);
    return problem ? html(400, errorPage(problem)) : html(200, consentPage(sim, query));
  }
  if (req.method !== 'POST') {
    return html(405, errorPage({ html: 'method not allowed' }));
  }
  const p = form;
  const problem = authorizeProblem(sim, p);
  if (problem) {
    return html(400, errorPage(problem));
  }
  // authorizeProblem checked redirect_uri, client_id and state.
  const redirectUri = p.get('redirect_uri') ?? '';
  const stateParam = p.get('state') ?? '';
  const redirect = new URL(redirectUri);
  const decision = p.get('decision');
  const scopesChecked = p.get('scope_choice') !== null ? p.getAll('grant_scope') : null;
  if (decision === 'deny') {
    redirect.searchParams.append('error', 'access_denied');
    redirect.searchParams.append('state', stateParam);
    return sendRedirect(sim, ctx, res, redirect.toString());
  }
  const userid = p.get('userid');
  if (decision !== 'allow') {
    return html(200, consentPage(sim, p, { error: 'Choose Allow or Deny.', chosen: userid, scopesChecked }));
  }
  if (!userid || !sim.state.people.has(userid)) {
    return html(200, consentPage(sim, p, { error: 'Choose who you are before allowing access.', scopesChecked }));
  }
  const requested = splitList(p.get('scope')).filter((s) => KNOWN_SCOPES.includes(s));
  const granted = requested.filter((s) => !scopesChecked || scopesChecked.includes(s));
  const code = randomHex40();
  sim.state.codes.set(code, { clientId: p.get('client_id') ?? '', redirectUri, userid, scope: [...new Set(granted)], issuedMs: sim.now(), used: false });
  ctx.userid = userid;
  redirect.searchParams.append('code', code);
  redirect.searchParams.append('state', stateParam);
  return sendRedirect(sim, ctx, res, redirect.toString());
}
