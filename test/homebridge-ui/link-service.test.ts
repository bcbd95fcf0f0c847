/**
 * The settings UI server's logic, in-process with Withings answered by nock: link, state checks,
 * expired / used codes, wrong secret, redirect mismatch, re-link to another person, a Withings user
 * already linked elsewhere, missing scopes, unlink. The IPC suite runs the built server.js.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import nock from 'nock';

import { LinkService, parseRedirect, STATE_TTL_MS } from '../../src/homebridge-ui/link-service.js';
import { WithingsHttp } from '../../src/withings/http.js';
import { FakeClock } from '../support/clock.js';
import { isolateNetwork } from '../support/nock.js';

const API = 'http://withings-api.test';
const AUTH = 'http://withings-account.test';
const REDIRECT = 'https://hb.example.com/api/plugins/settings-ui/homebridge-withings/callback.html';
const CLIENT = { clientId: 'cid-1', clientSecret: 'the-secret-value' };

let storage: string;
let clock: FakeClock;
let service: LinkService;

function tokenReply(userid: string, n = 1, scope = 'user.info,user.metrics,user.activity,user.sleepevents') {
  return { status: 0, body: { userid, access_token: `acc-${userid}-${n}`, refresh_token: `ref-${userid}-${n}`, expires_in: 10_800, scope, token_type: 'Bearer' } };
}

function start(profile = 'Alice') {
  return service.start({ profile, ...CLIENT, callbackUrl: REDIRECT });
}

/** Starts a link and finishes it with the redirected URL, Withings answering `reply`. */
async function link(profile: string, reply: unknown) {
  const { state } = start(profile);
  nock(API).post('/v2/oauth2').once().reply(200, reply as nock.Body);
  return service.complete({ state, input: `${REDIRECT}?code=abcdef0123456789&state=${state}` });
}

const file = (userid: string) => join(storage, 'withings', `${userid}.json`);

isolateNetwork();
beforeEach(() => {
  storage = mkdtempSync(join(tmpdir(), 'hb-ui-'));
  clock = new FakeClock();
  service = new LinkService({ storagePath: storage, clock, http: new WithingsHttp({ endpoints: { apiBase: API, authBase: AUTH } }) });
});
afterEach(() => {
  rmSync(storage, { recursive: true, force: true });
});

test('start: a consent URL with a fresh random state, the callback URL and the four scopes', () => {
  const a = start();
  const b = start();
  expect(a.state).toMatch(/^[0-9a-f]{48}$/);
  expect(a.state).not.toBe(b.state);
  const url = new URL(a.url);
  expect(url.origin + url.pathname).toBe(`${AUTH}/oauth2_user/authorize2`);
  expect(url.searchParams.get('redirect_uri')).toBe(REDIRECT);
  expect(url.searchParams.get('state')).toBe(a.state);
  expect(url.searchParams.get('client_id')).toBe('cid-1');
  expect(a.url).not.toContain('the-secret-value');
});

test('start refuses without client id / secret or profile, with a sentence saying what to do', () => {
  expect(() => service.start({ profile: 'Alice', callbackUrl: REDIRECT })).toThrow(/Enter the Client ID and Secret/);
  expect(() => service.start({ ...CLIENT, callbackUrl: REDIRECT })).toThrow(/Add the profile/);
  expect(() => service.start({ profile: 'Alice', ...CLIENT, callbackUrl: 'nope' })).toThrow(/"Callback URL" is not a valid address/);
  expect(() => service.start({ profile: 'Alice', ...CLIENT })).toThrow(/address of this Homebridge UI is unknown/);
});

test('link: the code is exchanged once, server-side, and the grant lands in the token store (0600), never in the reply', async () => {
  let exchanged: Record<string, string> = {};
  const { state } = start();
  nock(API).post('/v2/oauth2', (b) => {
    exchanged = b as Record<string, string>;
    return true;
  }).once().reply(200, tokenReply('1001001'));
  const result = await service.complete({ state, input: `${REDIRECT}?code=abcdef0123456789&state=${state}` });
  expect(result).toEqual({ status: 'linked', profile: 'Alice', userid: '1001001', scope: 'user.info,user.metrics,user.activity,user.sleepevents', missingScopes: [] });
  expect(exchanged).toMatchObject({ grant_type: 'authorization_code', code: 'abcdef0123456789', redirect_uri: REDIRECT, client_secret: 'the-secret-value' });
  const saved = JSON.parse(readFileSync(file('1001001'), 'utf8'));
  expect(saved).toMatchObject({ userid: '1001001', profile: 'Alice', access_token: 'acc-1001001-1', refresh_token: 'ref-1001001-1', client_id: 'cid-1', scope: expect.any(String) });
  expect(statSync(file('1001001')).mode & 0o777).toBe(0o600);
  expect(JSON.stringify(result)).not.toMatch(/acc-|ref-|secret/);

  // The same redirect again: the state was single-use, nothing is sent to Withings.
  await expect(service.complete({ state, input: `${REDIRECT}?code=abcdef0123456789&state=${state}` })).rejects.toThrow(/expired, was already used/);

  const status = await service.status({ profiles: ['Alice', 'Bob'], clientId: 'cid-1' });
  expect(status.profiles).toEqual([
    expect.objectContaining({ name: 'Alice', state: 'linked', userid: '1001001', missingScopes: [] }),
    expect.objectContaining({ name: 'Bob', state: 'unlinked' }),
  ]);
  expect(JSON.stringify(status)).not.toMatch(/acc-|ref-|secret/);
});

test('the manual way: a pasted address (even of a page that failed) or its query string', async () => {
  expect(parseRedirect('http://127.0.0.1:1/x/callback.html?code=c0de1234&state=s1')).toEqual({ code: 'c0de1234', state: 's1', error: undefined });
  expect(parseRedirect('?state=s1&code=c0de1234')).toMatchObject({ code: 'c0de1234', state: 's1' });
  expect(parseRedirect('https://x/cb?error=access_denied&state=s1')).toMatchObject({ error: 'access_denied', state: 's1' });
  expect(parseRedirect('c0de1234abcd')).toEqual({});

  const { state } = start();
  nock(API).post('/v2/oauth2').once().reply(200, tokenReply('1001001'));
  await expect(service.complete({ state, input: `  ?code=abcdef0123456789&state=${state}  ` })).resolves.toMatchObject({ status: 'linked' });
});

test('an address without state (or a bare code) never borrows the attempt state of the paste box', async () => {
  // 17.5: a crafted address with someone else's code and no state must not complete a link.
  const { state } = start();
  await expect(service.complete({ state, input: `${REDIRECT}?code=someone-elses-code` })).rejects.toThrow(/has no "state="/);
  await expect(service.complete({ state, input: 'someone-elses-code-123' })).rejects.toThrow(/Paste the whole address/);
  expect(nock.pendingMocks()).toEqual([]);
  // The attempt is still usable with its own address.
  nock(API).post('/v2/oauth2').once().reply(200, tokenReply('1001001'));
  await expect(service.complete({ state, input: `${REDIRECT}?code=abcdef0123456789&state=${state}` })).resolves.toMatchObject({ status: 'linked' });
});

test('the redirect URI is the one the server builds from the settings, never one the page sends', () => {
  // 17.11: a finished `redirectUri` from the page is ignored.
  const forged = service.start({ profile: 'Alice', ...CLIENT, origin: 'http://192.168.1.20:8581', redirectUri: 'https://evil.example/steal' } as never);
  expect(forged.redirectUri).toBe('http://192.168.1.20:8581/api/plugins/settings-ui/homebridge-withings/callback.html');
  expect(new URL(forged.url).searchParams.get('redirect_uri')).toBe(forged.redirectUri);
  const viaBase = service.start({ profile: 'Alice', ...CLIENT, baseUrl: 'https://hb.example.com/', origin: 'http://192.168.1.20:8581' });
  expect(viaBase.redirectUri).toBe(REDIRECT);
  const hosted = service.start({ profile: 'Alice', ...CLIENT, callbackUrl: 'https://homebridge-withings.github.io/homebridge-withings/callback.html', baseUrl: 'https://hb.example.com' });
  expect(hosted.redirectUri).toBe('https://homebridge-withings.github.io/homebridge-withings/callback.html');
  expect(() => service.start({ profile: 'Alice', ...CLIENT, origin: 'http://192.168.1.20:8581/evil/path' })).toThrow(/address of this Homebridge UI is unknown/);
});

test('status: the callback URL to register and, in words, whether Withings accepts it', async () => {
  const local = (await service.status({ profiles: [], origin: 'http://192.168.1.20:8581' })).callback;
  expect(local).toMatchObject({ url: 'http://192.168.1.20:8581/api/plugins/settings-ui/homebridge-withings/callback.html', accepted: false });
  expect(local.problems).toEqual(['it does not start with https://', 'it contains an IP address', 'it uses port 8581 (Withings allows only 80 and 443)']);
  expect(local.hosted).toBe('https://homebridge-withings.github.io/homebridge-withings/callback.html');
  const proxy = (await service.status({ profiles: [], baseUrl: 'https://hb.example.com', origin: 'http://192.168.1.20:8581' })).callback;
  expect(proxy).toMatchObject({ url: REDIRECT, accepted: true, problems: [] });
  const lan = (await service.status({ profiles: [], origin: 'https://homebridge.local' })).callback;
  expect(lan.problems).toEqual(['"homebridge.local" is a name of the home network that Withings cannot reach']);
  const bad = (await service.status({ profiles: [], callbackUrl: 'https://x.example/cb#frag' })).callback;
  expect(bad).toMatchObject({ accepted: false, error: '"Callback URL" must not contain a "#" fragment (Withings drops it)' });
});

test('status: the settings are checked as the plugin checks them at start-up (never quoting the secret)', async () => {
  const reply = await service.status({ profiles: ['Alice', 'alice'], config: { client_id: '', client_secret: 'the-secret-value', profiles: ['Alice', 'alice'] } });
  expect(reply.configErrors).toEqual([
    '"client_id" is missing: enter the Client ID of your Withings developer app',
    '"profiles" lists "alice" twice: each profile name must be unique',
  ]);
  expect(JSON.stringify(reply)).not.toContain('the-secret-value');
  expect((await service.status({ profiles: ['Alice'], config: { client_id: 'a', client_secret: 'b', profiles: ['Alice'] } })).configErrors).toEqual([]);
});

test('status: a reason from the plugin is redacted before it reaches the page (tokens of the token files)', async () => {
  await link('Alice', tokenReply('1001001'));
  const record = JSON.parse(readFileSync(file('1001001'), 'utf8'));
  writeFileSync(join(storage, 'withings', '.status.json'), JSON.stringify({
    profiles: { Alice: { state: 'needs-relink', userid: '1001001', since: record.updated_at + 1, reason: `refresh failed for ${record.refresh_token} (access_token=abc123secretvalue)` } },
  }));
  const reply = await service.status({ profiles: ['Alice'] });
  expect(reply.profiles[0]).toMatchObject({ state: 'needs-relink' });
  expect(reply.profiles[0]!.reason).not.toContain(record.refresh_token);
  expect(reply.profiles[0]!.reason).not.toContain('abc123secretvalue');
  expect(reply.profiles[0]!.reason).toBe('refresh failed for [redacted] (access_token=[redacted])');
});

test('state mismatch: an address of another attempt is refused without an exchange', async () => {
  const first = start();
  const second = start('Bob');
  await expect(service.complete({ state: second.state, input: `${REDIRECT}?code=abcdef0123456789&state=${first.state}` })).rejects.toThrow(/another link attempt/);
  await expect(service.complete({ state: '', input: `${REDIRECT}?code=abcdef0123456789&state=forged` })).rejects.toThrow(/expired, was already used or was started in another window/);
  expect(nock.pendingMocks()).toEqual([]);
});

test('a state older than its lifetime is refused', async () => {
  const { state } = start();
  await clock.advance(STATE_TTL_MS + 1);
  await expect(service.complete({ state, input: `${REDIRECT}?code=abcdef0123456789&state=${state}` })).rejects.toThrow(/expired/);
});

test('denied on the Withings page', async () => {
  const { state } = start();
  await expect(service.complete({ state, input: `${REDIRECT}?error=access_denied&state=${state}` })).rejects.toThrow('Access was denied on the Withings page. Press Link again and choose Allow.');
});

test.each([
  [{ status: 503, body: {}, error: 'Invalid Params: invalid code' }, /the code expired \(codes are valid for 30 seconds\) or was already used|refused the code: it expired/],
  [{ status: 503, body: {}, error: 'Invalid Params: invalid client_secret' }, /refused the Client Secret/],
  [{ status: 503, body: {}, error: 'Invalid Params: invalid client_id' }, /refused the Client ID/],
  [{ status: 503, body: {}, error: 'redirect_uri_mismatch: The redirect URI provided is missing or does not match partner callback url' }, new RegExp(`register exactly ${REDIRECT.replace(/[.?]/g, '\\$&')}`)],
  [{ status: 601, body: { wait_seconds: 8 }, error: 'Same arguments in less than 10 seconds' }, /wait 8 seconds/],
])('a failed exchange (%j) is one sentence the user can act on', async (reply, message) => {
  const e = await link('Alice', reply).catch((err: Error) => err);
  expect((e as Error).message).toMatch(message);
  expect((e as Error).message).not.toMatch(/abcdef0123456789|the-secret-value/);
});

test('Withings unreachable: a network sentence', async () => {
  const { state } = start();
  // No interceptor: nock refuses the connection, as a network without internet would.
  await expect(service.complete({ state, input: `${REDIRECT}?code=abcdef0123456789&state=${state}` })).rejects.toThrow(/Could not reach Withings .*internet connection/);
});

test('re-linking a profile to a different person asks first; yes replaces, no keeps', async () => {
  await link('Alice', tokenReply('1001001'));
  const asked = await link('Alice', tokenReply('2002002'));
  expect(asked).toMatchObject({ status: 'confirm', previousUserid: '1001001', newUserid: '2002002' });
  if (asked.status !== 'confirm') {return;}
  expect(() => statSync(file('2002002'))).toThrow(); // nothing written before the answer

  await expect(service.confirm({ confirmId: asked.confirmId, accept: false })).resolves.toEqual({ status: 'cancelled', profile: 'Alice' });
  expect(JSON.parse(readFileSync(file('1001001'), 'utf8')).profile).toBe('Alice');

  const again = await link('Alice', tokenReply('2002002', 2));
  if (again.status !== 'confirm') {throw new Error('expected a question');}
  await expect(service.confirm({ confirmId: again.confirmId, accept: true })).resolves.toMatchObject({ status: 'linked', userid: '2002002' });
  expect(() => statSync(file('1001001'))).toThrow();
  expect(JSON.parse(readFileSync(file('2002002'), 'utf8')).profile).toBe('Alice');
  await expect(service.confirm({ confirmId: again.confirmId, accept: true })).rejects.toThrow(/expired/);
});

test('re-linking the same person replaces the grant without a question', async () => {
  await link('Alice', tokenReply('1001001'));
  await expect(link('Alice', tokenReply('1001001', 2))).resolves.toMatchObject({ status: 'linked' });
  expect(JSON.parse(readFileSync(file('1001001'), 'utf8')).access_token).toBe('acc-1001001-2');
});

test('one Withings user cannot be linked to two profiles', async () => {
  await link('Alice', tokenReply('1001001'));
  await expect(link('Bob', tokenReply('1001001', 2))).rejects.toThrow('Withings user 1001001 is already linked to profile "Alice". Sign in as the person of "Bob" instead, or unlink "Alice" first.');
  expect(JSON.parse(readFileSync(file('1001001'), 'utf8')).access_token).toBe('acc-1001001-1');
});

test('scopes short of what the selected measurements need are reported', async () => {
  const result = await link('Alice', tokenReply('1001001', 1, 'user.info,user.metrics'));
  expect(result).toMatchObject({ status: 'linked', missingScopes: ['user.activity'] });
  const onlyWeight = await service.status({ profiles: ['Alice'], measurements: ['weight_kg'] });
  expect(onlyWeight.profiles[0].missingScopes).toEqual([]);
  const withSleep = await service.status({ profiles: ['Alice'], measurements: ['weight_kg', 'sleep_state'] });
  expect(withSleep.profiles[0].missingScopes).toEqual(['user.activity']);
});

test('a link made with another Withings app needs re-linking', async () => {
  await link('Alice', tokenReply('1001001'));
  const status = await service.status({ profiles: ['Alice'], clientId: 'another-app' });
  expect(status.profiles[0]).toMatchObject({ state: 'needs-relink', reason: expect.stringContaining('another Withings app') });
});

test('unlink deletes the grant (revoking the plugin\'s own notification subscriptions first, not other tools\') and its chart history, and leaves other profiles alone', async () => {
  await link('Alice', tokenReply('1001001'));
  await link('Bob', tokenReply('2002002'));
  const history = (userid: string): string => file(userid).replace(/\.json$/, '.history.json');
  writeFileSync(history('1001001'), '{}');
  writeFileSync(history('2002002'), '{}');
  const revoked: string[] = [];
  nock(API).post('/notify', (b) => (b as Record<string, string>).action === 'list').reply(200, { status: 0, body: { profiles: [
    { appli: 1, callbackurl: 'https://x/hook', expires: 2147483647, comment: 'homebridge-withings' },
    { appli: 50, callbackurl: 'https://not.my.callback/url', expires: 2147483647, comment: null },
    { appli: 4, callbackurl: 'https://www.withings.com', expires: 2147483647, comment: 'My notification subscription' },
  ] } });
  nock(API).post('/notify', (b) => {
    revoked.push(`${(b as Record<string, string>).action} ${(b as Record<string, string>).appli}`);
    return true;
  }).reply(200, { status: 0, body: {} });
  await expect(service.unlink({ profile: 'alice' })).resolves.toEqual({ removed: true, userid: '1001001' });
  expect(revoked).toEqual(['revoke 1']);
  expect(() => statSync(file('1001001'))).toThrow();
  expect(statSync(file('2002002')).isFile()).toBe(true);
  expect(existsSync(history('1001001'))).toBe(false);
  expect(existsSync(history('2002002'))).toBe(true);
  const status = await service.status({ profiles: ['Alice', 'Bob'] });
  expect(status.profiles.map((p) => p.state)).toEqual(['unlinked', 'linked']);
});

test('links of profiles removed from the form are listed so they can be unlinked', async () => {
  await link('Carol', tokenReply('3003003'));
  const status = await service.status({ profiles: ['Alice'] });
  expect(status.otherLinks).toEqual([{ userid: '3003003', profile: 'Carol' }]);
});

test('a renamed profile: its link moves to the new name (same Withings user), unless that name is linked', async () => {
  await link('Alice', tokenReply('1001001'));
  await link('Bob', tokenReply('2002002'));
  await expect(service.move({ from: 'Alice', to: 'Bob' })).rejects.toThrow('"Bob" is already linked to Withings user 2002002: unlink it first.');
  await expect(service.move({ from: 'Alice', to: 'Alicia' })).resolves.toEqual({ moved: true, userid: '1001001', profile: 'Alicia' });
  const record = JSON.parse(readFileSync(file('1001001'), 'utf8'));
  expect(record).toMatchObject({ profile: 'Alicia', access_token: 'acc-1001001-1', refresh_token: 'ref-1001001-1' });
  expect(statSync(file('1001001')).mode & 0o777).toBe(0o600);
  const status = await service.status({ profiles: ['Alicia', 'Bob'] });
  expect(status.profiles.map((p) => [p.name, p.state])).toEqual([['Alicia', 'linked'], ['Bob', 'linked']]);
  expect(status.otherLinks).toEqual([]);
});

test('status: the plugin\'s notification record for the linked user, in the page\'s words, secrets masked', async () => {
  await link('Alice', tokenReply('1001001'));
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(storage, 'withings', '.status.json'), JSON.stringify({ updated_at: 1, profiles: { Alice: {
    state: 'linked', userid: '1001001', since: 1, last_sync: 2,
    notifications: { state: 'failing', applis: [1, 50, 51], callback: 'https://hb.example.com/withings/0123…', reason: 'Withings refused the callback URL https://hb.example.com/withings/0123… (status 293): it could not reach it', action: 'Check that …', last_received: 1764576000, last_appli: 50 },
  } } }));
  const status = await service.status({ profiles: ['Alice'] });
  expect(status.profiles[0].notifications).toEqual({
    state: 'failing', applis: [1, 50, 51], callback: 'https://hb.example.com/withings/0123…',
    reason: 'Withings refused the callback URL https://hb.example.com/withings/0123… (status 293): it could not reach it', action: 'Check that …',
    lastReceived: 1764576000, lastAppli: 50,
  });
});
