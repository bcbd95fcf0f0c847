/**
 * The HTTP layer: form-encoded POSTs with a Bearer token, the `{status, body, error}` envelope and
 * the classification of every failure into the five families the plugin acts on.
 */
import { type AddressInfo, createServer } from 'node:net';

import nock from 'nock';

import { classifyStatus, WithingsError } from '../../src/withings/errors.js';
import { DEFAULT_API_BASE, DEFAULT_AUTH_BASE, endpointsFromEnv, REQUEST_TIMEOUT_MS, WithingsHttp } from '../../src/withings/http.js';
import { redactor } from '../../src/withings/redact.js';
import { isolateNetwork } from '../support/nock.js';

const BASE = 'http://withings.test';
const http = (timeoutMs?: number) => new WithingsHttp({ endpoints: { apiBase: BASE, authBase: BASE }, timeoutMs });

isolateNetwork();

/** A real local server that accepts connections and drops them at once (a connection reset). */
async function resettingServer(): Promise<{ base: string; close: () => Promise<void> }> {
  const server = createServer((socket) => socket.resetAndDestroy());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  nock.enableNetConnect('127.0.0.1');
  return {
    base: `http://127.0.0.1:${port}`,
    close: async () => {
      nock.disableNetConnect();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

async function failure(p: Promise<unknown>): Promise<WithingsError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(WithingsError);
    return e as WithingsError;
  }
  throw new Error('expected a failure');
}

describe('requests', () => {
  test('POSTs the parameters form-encoded with the Bearer token, and returns the body of status 0', async () => {
    let seen: { body?: unknown; headers?: Record<string, unknown> } = {};
    nock(BASE).post('/measure').reply(function (_uri, body) {
      seen = { body, headers: this.req.headers };
      return [200, '{"status":0,"body":{"measuregrps":[],"timezone":"Europe\\/Paris"}}']; // escaped slash, as Withings sends
    });
    const body = await http().post<{ timezone: string }>('/measure', { action: 'getmeas', category: 1, lastupdate: undefined }, { token: 'tok-123456' });
    expect(body.timezone).toBe('Europe/Paris');
    expect(seen.body).toBe('action=getmeas&category=1');
    expect(seen.headers?.['content-type']).toBe('application/x-www-form-urlencoded');
    expect(seen.headers?.authorization).toBe('Bearer tok-123456');
  });

  test('the default timeout is 10 s, and the base URLs come from WITHINGS_API_BASE / WITHINGS_AUTH_BASE', () => {
    expect(REQUEST_TIMEOUT_MS).toBe(10_000);
    expect(endpointsFromEnv({})).toEqual({ apiBase: DEFAULT_API_BASE, authBase: DEFAULT_AUTH_BASE });
    expect(DEFAULT_API_BASE).toBe('https://wbsapi.withings.net');
    expect(DEFAULT_AUTH_BASE).toBe('https://account.withings.com');
    expect(endpointsFromEnv({ WITHINGS_API_BASE: 'http://127.0.0.1:9000/', WITHINGS_AUTH_BASE: 'http://127.0.0.1:9001' }))
      .toEqual({ apiBase: 'http://127.0.0.1:9000', authBase: 'http://127.0.0.1:9001' });
  });
});

describe('failures are classified by Withings status family', () => {
  test.each([
    [{ status: 401, body: {}, error: 'XRequestID: abc invalid_token: The access token provided is invalid' }, 'auth-expired', 401],
    [{ status: 100, body: {} }, 'auth-expired', 100],
    [{ status: 214, body: {} }, 'reauth-required', 214],
    [{ status: 2555, body: {} }, 'reauth-required', 2555],
    [{ status: 2554, body: {}, error: 'Not implemented' }, 'bad-request', 2554],
    [{ status: 503, body: {}, error: 'Invalid Params' }, 'bad-request', 503],
    [{ status: 293, body: {} }, 'bad-request', 293],
    [{ status: 522, body: {} }, 'transient', 522],
    [{ status: 524, body: {} }, 'transient', 524],
    [{ status: 2552, body: {} }, 'transient', 2552],
    [{ status: 9999, body: {} }, 'transient', 9999],
  ])('HTTP 200 with %j → %s', async (reply, kind, status) => {
    nock(BASE).post('/measure').reply(200, reply);
    const e = await failure(http().post('/measure', { action: 'getmeas' }, { token: 't' }));
    expect(e.kind).toBe(kind);
    expect(e.status).toBe(status);
  });

  test('601 honours wait_seconds', async () => {
    nock(BASE).post('/measure').reply(200, { status: 601, body: { wait_seconds: 12 }, error: 'Too many request' });
    const e = await failure(http().post('/measure', { action: 'getmeas' }));
    expect(e).toMatchObject({ kind: 'rate-limited', status: 601, retryAfterSeconds: 12 });
  });

  test('HTTP 429 is rate-limited too', async () => {
    nock(BASE).post('/measure').reply(429, 'slow down');
    expect((await failure(http().post('/measure', { action: 'getmeas' }))).kind).toBe('rate-limited');
  });

  test.each([500, 502, 503, 522])('HTTP %d is transient', async (code) => {
    nock(BASE).post('/measure').reply(code, { status: 0, body: {} });
    expect((await failure(http().post('/measure', { action: 'getmeas' }))).kind).toBe('transient');
  });

  test('a body that is not JSON is transient', async () => {
    nock(BASE).post('/measure').reply(200, '<html>Bad gateway</html>');
    const e = await failure(http().post('/measure', { action: 'getmeas' }));
    expect(e.kind).toBe('transient');
    expect(e.message).toContain('not JSON');
  });

  test('JSON without a status is transient', async () => {
    nock(BASE).post('/measure').reply(200, { hello: 'world' });
    expect((await failure(http().post('/measure', { action: 'getmeas' }))).kind).toBe('transient');
  });

  test('a connection reset is transient', async () => {
    const server = await resettingServer();
    try {
      const e = await failure(new WithingsHttp({ endpoints: { apiBase: server.base, authBase: server.base } }).post('/measure', { action: 'getmeas' }));
      expect(e.kind).toBe('transient');
      expect(e.message).toContain('ECONNRESET');
    } finally {
      await server.close();
    }
  });

  test('no connection at all is transient', async () => {
    const e = await failure(http().post('/measure', { action: 'getmeas' })); // nock refuses: no interceptor
    expect(e.kind).toBe('transient');
  });

  test('a reply slower than the timeout is transient (timed out)', async () => {
    nock(BASE).post('/measure').delay(500).reply(200, { status: 0, body: {} });
    const e = await failure(http(30).post('/measure', { action: 'getmeas' }));
    expect(e.kind).toBe('transient');
    expect(e.message).toContain('timed out');
  });

  test('the token endpoint: 503 on refresh means re-authorization, on code exchange a bad request', () => {
    expect(classifyStatus(503, 'refresh')).toBe('reauth-required');
    expect(classifyStatus(401, 'refresh')).toBe('reauth-required');
    expect(classifyStatus(503, 'exchange')).toBe('bad-request');
    expect(classifyStatus(601, 'refresh')).toBe('rate-limited');
  });
});

describe('no secret in any message', () => {
  test('tokens, codes and secrets echoed by Withings or carried by the request never reach an error message', async () => {
    const token = 'a075f8c14fb8c8f7c1b5d2a6e3f2a1b0c9d8e7f6';
    redactor.add('my-client-secret-xyz');
    nock(BASE).post('/v2/oauth2').reply(200, {
      status: 503, body: {},
      error: `Invalid Params: invalid refresh_token ${token} for client_secret=my-client-secret-xyz code=0123456789abcdef0123`,
    });
    const e = await failure(http().post('/v2/oauth2', { action: 'requesttoken', refresh_token: token, client_secret: 'my-client-secret-xyz' }, { call: 'refresh' }));
    expect(e.kind).toBe('reauth-required');
    expect(e.message).not.toContain(token);
    expect(e.message).not.toContain('my-client-secret-xyz');
    expect(e.message).not.toContain('0123456789abcdef0123');
    expect(e.message).toContain('Invalid Params');

    const server = await resettingServer();
    try {
      const e2 = await failure(new WithingsHttp({ endpoints: { apiBase: server.base, authBase: server.base } }).post('/measure', { action: 'getmeas' }, { token }));
      expect(JSON.stringify({ message: e2.message, stack: e2.stack, cause: (e2 as { cause?: unknown }).cause })).not.toContain(token);
    } finally {
      await server.close();
    }
  });
});
