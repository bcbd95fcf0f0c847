/**
 * OAuth and the rotation-safe token store: code exchange, refresh with rotation, the pair saved
 * before use (also across a crash), single-flight refresh, refusal without loops, files written by
 * another process, corrupt files never overwritten.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { jest } from '@jest/globals';
import nock from 'nock';

import { isWithingsError } from '../../src/withings/errors.js';
import { WithingsHttp } from '../../src/withings/http.js';
import { buildAuthorizeUrl, exchangeCode, REQUESTED_SCOPES } from '../../src/withings/oauth.js';
import { GrantUnavailableError, REFRESH_MARGIN_SECONDS, TokenSession } from '../../src/withings/session.js';
import { type TokenRecord, TokenStore } from '../../src/withings/token-store.js';
import { FakeClock } from '../support/clock.js';
import { isolateNetwork } from '../support/nock.js';

const BASE = 'http://withings.test';
const CLIENT = { clientId: 'client-abc', clientSecret: 'secret-do-not-print' };
const form = (body: unknown): Record<string, string> => (typeof body === 'string' ? Object.fromEntries(new URLSearchParams(body)) : body as Record<string, string>);

let dir: string;
let store: TokenStore;
let clock: FakeClock;
let http: WithingsHttp;
const now = () => Math.floor(clock.now() / 1000);

function record(overrides: Partial<TokenRecord> = {}): TokenRecord {
  return {
    version: 1, userid: '363', profile: 'Alice', access_token: 'access-1', refresh_token: 'refresh-1',
    expires_at: now() + 10_800, scope: 'user.info,user.metrics,user.activity', client_id: CLIENT.clientId,
    linked_at: now(), updated_at: now(), ...overrides,
  };
}

function tokenReply(n: number, extra: Record<string, unknown> = {}) {
  return { status: 0, body: { userid: '363', access_token: `access-${n}`, refresh_token: `refresh-${n}`, expires_in: 10_800, scope: 'user.info,user.metrics,user.activity', token_type: 'Bearer', csrf_token: 'x', ...extra } };
}

const onDisk = (): TokenRecord => JSON.parse(readFileSync(store.fileFor('363'), 'utf8'));
const session = () => new TokenSession('363', store, http, CLIENT, clock);

isolateNetwork();
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'withings-tokens-'));
  store = new TokenStore(join(dir, 'withings'));
  clock = new FakeClock();
  http = new WithingsHttp({ endpoints: { apiBase: BASE, authBase: BASE } });
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('authorize URL and code exchange', () => {
  test('the consent URL carries response_type, client_id, redirect_uri, state and the four scopes', () => {
    const url = new URL(buildAuthorizeUrl('https://account.withings.com', { clientId: 'cid', redirectUri: 'https://hb.example.com/cb', state: 'st4te' }));
    expect(url.origin + url.pathname).toBe('https://account.withings.com/oauth2_user/authorize2');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code', client_id: 'cid', redirect_uri: 'https://hb.example.com/cb', state: 'st4te',
      scope: 'user.info,user.metrics,user.activity,user.sleepevents',
    });
    expect(REQUESTED_SCOPES).toHaveLength(4);
  });

  test('a code is exchanged once; userid comes back as a string, with the granted scope and an absolute expiry', async () => {
    let body: Record<string, string> = {};
    const scope = nock(BASE).post('/v2/oauth2', (b) => {
      body = form(b);
      return true;
    }).reply(200, tokenReply(1, { userid: 363, scope: 'user.metrics' }));
    const grant = await exchangeCode(http, CLIENT, 'code-xyz', 'https://hb.example.com/cb', now);
    expect(body).toEqual({
      action: 'requesttoken', grant_type: 'authorization_code', client_id: 'client-abc', client_secret: 'secret-do-not-print',
      code: 'code-xyz', redirect_uri: 'https://hb.example.com/cb',
    });
    expect(grant).toEqual({ userid: '363', accessToken: 'access-1', refreshToken: 'refresh-1', expiresAt: now() + 10_800, scope: 'user.metrics' });
    expect(scope.isDone()).toBe(true);
  });

  test('an expired or used code fails once, with no retry', async () => {
    const scope = nock(BASE).post('/v2/oauth2').once().reply(200, { status: 503, body: {}, error: 'Invalid Params: invalid code' });
    await expect(exchangeCode(http, CLIENT, 'old-code', 'https://hb.example.com/cb', now)).rejects.toMatchObject({ kind: 'bad-request', status: 503 });
    expect(scope.isDone()).toBe(true);
    expect(nock.pendingMocks()).toEqual([]);
  });
});

describe('token store', () => {
  test('writes one file per user, mode 0600, atomically, and reads it back', async () => {
    await store.write(record());
    const file = store.fileFor('363');
    expect(file).toBe(join(dir, 'withings', '363.json'));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(await store.read('363')).toEqual(record());
    const listed = await store.list();
    expect(listed.records.map((r) => r.userid)).toEqual(['363']);
  });

  test('refuses to write a partial record', async () => {
    await expect(store.write({ ...record(), refresh_token: '' })).rejects.toThrow(/incomplete/);
  });

  test('a corrupt file is reported clearly and listed as a problem', async () => {
    await store.write(record());
    writeFileSync(store.fileFor('363'), '{"userid": "363", "access_tok');
    await expect(store.read('363')).rejects.toThrow(/token file .*363\.json is unreadable: invalid JSON/);
    const listed = await store.list();
    expect(listed.records).toEqual([]);
    expect(listed.problems).toEqual([expect.objectContaining({ userid: '363', error: expect.stringContaining('unreadable') })]);
  });
});

describe('session: rotation-safe refresh', () => {
  test('a valid token is used as is; no refresh', async () => {
    await store.write(record());
    expect(await session().accessToken()).toBe('access-1');
  });

  test('refreshes a few minutes before expires_at and saves the new pair BEFORE the new token is used', async () => {
    await store.write(record({ expires_at: now() + REFRESH_MARGIN_SECONDS - 10 }));
    let refreshBody: Record<string, string> = {};
    nock(BASE).post('/v2/oauth2', (b) => {
      refreshBody = form(b);
      return true;
    }).reply(200, tokenReply(2));
    let fileWhenUsed: TokenRecord | undefined;
    nock(BASE).post('/measure').reply(function () {
      expect(this.req.headers.authorization).toBe('Bearer access-2');
      fileWhenUsed = onDisk();
      return [200, { status: 0, body: { measuregrps: [] } }];
    });
    const s = session();
    await s.withToken((t) => http.post('/measure', { action: 'getmeas' }, { token: t }));
    expect(refreshBody).toEqual({ action: 'requesttoken', grant_type: 'refresh_token', client_id: 'client-abc', client_secret: 'secret-do-not-print', refresh_token: 'refresh-1' });
    expect(fileWhenUsed).toMatchObject({ access_token: 'access-2', refresh_token: 'refresh-2', expires_at: now() + 10_800, profile: 'Alice' });
  });

  test('a crash between the refresh reply and the save: the new token is never used, the old refresh token still refreshes', async () => {
    await store.write(record({ expires_at: now() - 1 }));
    nock(BASE).post('/v2/oauth2').reply(200, tokenReply(2));
    const data = nock(BASE).post('/measure').reply(200, { status: 0, body: {} });
    const write = jest.spyOn(store, 'update').mockRejectedValueOnce(new Error('ENOSPC: simulated crash while saving'));
    await expect(session().withToken((t) => http.post('/measure', { action: 'getmeas' }, { token: t }))).rejects.toThrow(/simulated crash/);
    expect(data.isDone()).toBe(false); // access-2 was never sent
    expect(onDisk()).toMatchObject({ access_token: 'access-1', refresh_token: 'refresh-1' });
    write.mockRestore();

    // After a restart: refresh-1 is still valid (the new access token was never used), so it works.
    let usedRefresh = '';
    nock(BASE).post('/v2/oauth2', (b) => {
      usedRefresh = form(b).refresh_token;
      return true;
    }).reply(200, tokenReply(3));
    await session().withToken((t) => http.post('/measure', { action: 'getmeas' }, { token: t }));
    expect(usedRefresh).toBe('refresh-1');
    expect(data.isDone()).toBe(true);
    expect(onDisk()).toMatchObject({ access_token: 'access-3', refresh_token: 'refresh-3' });
  });

  test('two calls hitting 401 together cause one refresh', async () => {
    await store.write(record());
    const refresh = nock(BASE).post('/v2/oauth2').once().reply(200, tokenReply(2));
    nock(BASE).post('/measure').twice().reply(200, { status: 401, body: {}, error: 'invalid_token' });
    nock(BASE).post('/measure').twice().reply(function () {
      return [200, { status: 0, body: { token: this.req.headers.authorization } }];
    });
    const s = session();
    const call = () => s.withToken((t) => http.post<{ token: string }>('/measure', { action: 'getmeas' }, { token: t }));
    const results = await Promise.all([call(), call()]);
    expect(results.map((r) => r.token)).toEqual(['Bearer access-2', 'Bearer access-2']);
    expect(refresh.isDone()).toBe(true);
    expect(nock.pendingMocks()).toEqual([]);
  });

  test('a refresh refused with 503: re-authorization needed, and no further request at all', async () => {
    await store.write(record());
    nock(BASE).post('/measure').once().reply(200, { status: 401, body: {}, error: 'invalid_token' });
    nock(BASE).post('/v2/oauth2').once().reply(200, { status: 503, body: {}, error: 'Invalid Params: invalid refresh_token' });
    const s = session();
    const call = () => s.withToken((t) => http.post('/measure', { action: 'getmeas' }, { token: t }));
    const e = await call().catch((err: unknown) => err);
    expect(e).toBeInstanceOf(GrantUnavailableError);
    expect(e).toMatchObject({ kind: 'reauth-required', problem: 'refused' });
    // Again: refused at once, without a request (nock would throw on an unexpected one).
    await expect(call()).rejects.toMatchObject({ problem: 'refused' });
    expect(nock.pendingMocks()).toEqual([]);
  });

  test('a grant written by another process (the settings UI linking anew) is used at the next call', async () => {
    await store.write(record());
    const s = session();
    expect(await s.accessToken()).toBe('access-1');
    await store.write(record({ access_token: 'access-from-ui', refresh_token: 'refresh-from-ui', updated_at: now() + 1 }));
    expect(await s.accessToken()).toBe('access-from-ui');
  });

  test('a refused grant is retried once the settings UI writes a new one', async () => {
    await store.write(record({ expires_at: now() - 1 }));
    nock(BASE).post('/v2/oauth2').once().reply(200, { status: 503, body: {}, error: 'Invalid Params: invalid refresh_token' });
    const s = session();
    await expect(s.accessToken()).rejects.toMatchObject({ problem: 'refused' });
    await store.write(record({ access_token: 'fresh', refresh_token: 'fresh-r' }));
    expect(await s.accessToken()).toBe('fresh');
  });

  test('a corrupt token file is reported and never overwritten', async () => {
    await store.write(record());
    const corrupt = '{"userid":"363","profile":"Alice","access_token":';
    writeFileSync(store.fileFor('363'), corrupt);
    await expect(session().accessToken()).rejects.toMatchObject({ problem: 'unreadable', message: expect.stringContaining('invalid JSON') });
    expect(readFileSync(store.fileFor('363'), 'utf8')).toBe(corrupt);
  });

  test('no file: the profile is not linked', async () => {
    const e = await session().accessToken().catch((err: unknown) => err);
    expect(isWithingsError(e) && (e as GrantUnavailableError).problem).toBe('unlinked');
  });

  test('a grant of another Withings app (client id changed in the config) is not refreshed with this one', async () => {
    await store.write(record({ client_id: 'another-app' }));
    await expect(session().accessToken()).rejects.toMatchObject({ problem: 'other-app' });
  });

  test('a 401 after a fresh refresh means a missing scope or revoked access: re-authorize, no loop', async () => {
    await store.write(record());
    nock(BASE).post('/measure').twice().reply(200, { status: 401, body: {}, error: 'invalid_token' });
    nock(BASE).post('/v2/oauth2').once().reply(200, tokenReply(2));
    await expect(session().withToken((t) => http.post('/measure', { action: 'getmeas' }, { token: t }))).rejects.toMatchObject({ kind: 'reauth-required' });
    expect(nock.pendingMocks()).toEqual([]);
  });

  test('no token or secret in the messages of any of these failures', async () => {
    await store.write(record({ access_token: 'a075f8c14fb8c8f7c1b5d2a6e3f2a1b0c9d8e7f6', refresh_token: 'f631236f02b991810feb774765b6ae8e6c6839ca' }));
    nock(BASE).post('/measure').reply(200, { status: 401, body: {}, error: 'invalid_token a075f8c14fb8c8f7c1b5d2a6e3f2a1b0c9d8e7f6' });
    nock(BASE).post('/v2/oauth2').reply(200, { status: 503, body: {}, error: 'invalid refresh_token f631236f02b991810feb774765b6ae8e6c6839ca secret-do-not-print' });
    const e = await session().withToken((t) => http.post('/measure', { action: 'getmeas' }, { token: t })).catch((err: Error) => err);
    const text = `${(e as Error).message} ${(e as Error).stack}`;
    for (const secret of ['a075f8c14fb8c8f7c1b5d2a6e3f2a1b0c9d8e7f6', 'f631236f02b991810feb774765b6ae8e6c6839ca', 'secret-do-not-print']) {
      expect(text).not.toContain(secret);
    }
  });
});
