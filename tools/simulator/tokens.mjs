// @ts-check
// Grants, access tokens and refresh tokens: issuing, refresh-token rotation with its grace period,
// and authenticating data calls.
import { randomBytes } from 'node:crypto';

import { Reply } from './reply.mjs';

/** @typedef {import('./types.js').SimContext} SimContext */
/** @typedef {import('./types.js').RequestContext} RequestContext */
/** @typedef {import('./types.js').Grant} Grant */
/** @typedef {import('./types.js').AccessTokenRecord} AccessTokenRecord */
/** @typedef {import('./types.js').RefreshTokenRecord} RefreshTokenRecord */
/** @typedef {import('./types.js').TokenBody} TokenBody */
/** @typedef {{rec: AccessTokenRecord, grant: Grant}} Auth */

export const ACCESS_TTL_S = 10_800;
const REFRESH_TTL_S = 365 * 86_400;
/** The previous refresh token stays valid this long after a refresh, unless a successor is used first. */
const REFRESH_GRACE_S = 8 * 3_600;

/** 40 hex digits, the shape of codes and tokens. */
export const randomHex40 = () => randomBytes(20).toString('hex');

/**
 * @param {SimContext} sim
 * @param {Grant} grant
 * @returns {{access: string, refresh: string, body: TokenBody}}
 */
export function issueTokens(sim, grant) {
  const t = sim.nowS();
  const access = randomHex40();
  const refresh = randomHex40();
  sim.state.accessTokens.set(access, { grantId: grant.id, userid: grant.userid, scope: grant.scope, issuedAt: t, expiresAt: t + ACCESS_TTL_S, firstUsedAt: null });
  sim.state.refreshTokens.set(refresh, {
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
      csrf_token: randomHex40(),
      token_type: 'Bearer',
    },
  };
}

/**
 * @param {SimContext} sim
 * @param {string} userid
 * @param {string} clientId
 * @param {string[]} scope
 * @returns {Grant}
 */
export function newGrant(sim, userid, clientId, scope) {
  const grant = { id: sim.state.grants.size + 1, userid, clientId, scope, revoked: false };
  sim.state.grants.set(grant.id, grant);
  return grant;
}

/**
 * Why a refresh token can no longer be used, or null when it can.
 * @param {SimContext} sim
 * @param {RefreshTokenRecord} rt
 */
export function refreshTokenProblem(sim, rt) {
  const t = sim.nowS();
  const { state } = sim;
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

/**
 * @param {RequestContext} ctx
 */
export const invalidToken = (ctx) => new Reply(401, {}, `XRequestID: ${ctx.xRequestId} invalid_token: The access token provided is invalid`);

/**
 * The access-token record of a request; throws the 401 reply when it is not valid.
 * @param {SimContext} sim
 * @param {RequestContext} ctx
 * @param {string} token
 * @returns {Auth}
 */
export function authenticate(sim, ctx, token) {
  const rec = token ? sim.state.accessTokens.get(token) : undefined;
  if (rec) {
    ctx.userid = rec.userid;
  }
  const grant = rec ? sim.state.grants.get(rec.grantId) : undefined;
  if (!rec || !grant || grant.revoked || sim.nowS() >= rec.expiresAt) {
    throw invalidToken(ctx);
  }
  if (rec.firstUsedAt == null) {
    rec.firstUsedAt = sim.nowS();
  }
  return { rec, grant };
}

/**
 * @param {RequestContext} ctx
 * @param {Auth} auth
 * @param {string} scope
 */
export function requireScope(ctx, auth, scope) {
  if (!auth.rec.scope.includes(scope)) {
    throw new Reply(401, {}, `XRequestID: ${ctx.xRequestId} insufficient_scope: The request requires higher privileges than provided by the access token`);
  }
}
