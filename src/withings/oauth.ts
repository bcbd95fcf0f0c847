/**
 * OAuth2 authorization-code flow (docs/withings-api.md#oauth): the consent URL, the one-shot code exchange,
 * and the refresh that rotates the refresh token.
 */
import { WithingsError } from './errors.js';
import type { WithingsHttp } from './http.js';
import { redactor } from './redact.js';
import { isValidUserid } from './token-store.js';

/** Every scope the plugin can use; the user may grant fewer. */
export const REQUESTED_SCOPES = ['user.info', 'user.metrics', 'user.activity', 'user.sleepevents'] as const;

export const AUTHORIZE_PATH = '/oauth2_user/authorize2';
export const TOKEN_PATH = '/v2/oauth2';

export interface ClientCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
}

/** What a token reply gives us, normalised (ids as strings, absolute expiry). */
export interface TokenGrant {
  readonly userid: string;
  readonly accessToken: string;
  readonly refreshToken: string;
  /** Epoch seconds. */
  readonly expiresAt: number;
  /** Comma-separated scopes the user really granted. */
  readonly scope: string;
}

export function buildAuthorizeUrl(authBase: string, params: { clientId: string; redirectUri: string; state: string; mode?: 'demo' }): string {
  const url = new URL(AUTHORIZE_PATH, `${authBase}/`);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', params.clientId);
  url.searchParams.set('redirect_uri', params.redirectUri);
  url.searchParams.set('state', params.state);
  url.searchParams.set('scope', REQUESTED_SCOPES.join(','));
  if (params.mode) {
    url.searchParams.set('mode', params.mode);
  }
  return url.toString();
}

interface RawTokenBody {
  userid?: unknown;
  access_token?: unknown;
  refresh_token?: unknown;
  expires_in?: unknown;
  scope?: unknown;
}

function toGrant(body: RawTokenBody, nowSeconds: number, previousScope?: string): TokenGrant {
  const userid = typeof body.userid === 'number' || typeof body.userid === 'string' ? String(body.userid) : '';
  const accessToken = typeof body.access_token === 'string' ? body.access_token : '';
  const refreshToken = typeof body.refresh_token === 'string' ? body.refresh_token : '';
  redactor.add(accessToken, refreshToken);
  if (!userid || !accessToken || !refreshToken) {
    throw new WithingsError('transient', 'Withings token reply is missing userid, access_token or refresh_token');
  }
  if (!isValidUserid(userid)) {
    // The id names the token file: anything else is refused before it reaches a path.
    throw new WithingsError('transient', 'Withings token reply has an invalid userid');
  }
  const expiresIn = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 10_800;
  const scope = typeof body.scope === 'string' && body.scope !== '' ? body.scope : (previousScope ?? '');
  return { userid, accessToken, refreshToken, expiresAt: nowSeconds + expiresIn, scope };
}

/**
 * Exchanges an authorization code. Called exactly once per code: a code lives 30 s and is
 * single-use, and a second identical request within 10 s is refused with 601 anyway.
 */
export async function exchangeCode(
  http: WithingsHttp,
  client: ClientCredentials,
  code: string,
  redirectUri: string,
  nowSeconds: () => number,
): Promise<TokenGrant> {
  redactor.add(code, client.clientSecret);
  const body = await http.post<RawTokenBody>(TOKEN_PATH, {
    action: 'requesttoken',
    grant_type: 'authorization_code',
    client_id: client.clientId,
    client_secret: client.clientSecret,
    code,
    redirect_uri: redirectUri,
  }, { call: 'exchange' });
  return toGrant(body, nowSeconds());
}

/** Refreshes a grant. The reply carries a new refresh token that replaces the old one. */
export async function refreshGrant(
  http: WithingsHttp,
  client: ClientCredentials,
  grant: Pick<TokenGrant, 'refreshToken' | 'scope' | 'userid'>,
  nowSeconds: () => number,
): Promise<TokenGrant> {
  redactor.add(grant.refreshToken, client.clientSecret);
  const body = await http.post<RawTokenBody>(TOKEN_PATH, {
    action: 'requesttoken',
    grant_type: 'refresh_token',
    client_id: client.clientId,
    client_secret: client.clientSecret,
    refresh_token: grant.refreshToken,
  }, { call: 'refresh' });
  const next = toGrant({ ...body, userid: body.userid ?? grant.userid }, nowSeconds(), grant.scope);
  if (next.userid !== grant.userid) {
    throw new WithingsError('reauth-required', `Withings refreshed the grant of user ${grant.userid} for another user (${next.userid})`);
  }
  return next;
}

/** Scopes from a comma- (or space-) separated list. */
export function parseScopes(scope: string): Set<string> {
  return new Set(scope.split(/[,\s]+/).map((s) => s.trim()).filter(Boolean));
}
