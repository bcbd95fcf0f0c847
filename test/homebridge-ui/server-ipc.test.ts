/**
 * The built settings UI server over the real IPC protocol Config UI X uses, against the project's
 * Withings simulator: link, state mismatch, expired and used codes, wrong secret, re-link to
 * another person, a user already linked elsewhere, unlink. Needs `npm run build`.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { startSimulator } from '../../tools/simulator/server.mjs';
import { UiServer, UiServerError } from '../support/ui-server.js';

const REDIRECT = 'http://127.0.0.1:1/api/plugins/settings-ui/homebridge-withings/callback.html';
const CLIENT = { clientId: 'demo-client', clientSecret: 'demo-secret' };
const ALICE = '1001001';
const BOB = '1001002';

let simNow = Date.now();
let sim: Awaited<ReturnType<typeof startSimulator>>;
let storage: string;
let ui: UiServer;

/** What the browser does on the simulator's consent page: choose the person, press Allow (or Deny). */
async function consent(authorizeUrl: string, userid: string, decision: 'allow' | 'deny' = 'allow'): Promise<string> {
  const page = await fetch(authorizeUrl);
  expect(page.status).toBe(200);
  const query = new URL(authorizeUrl).searchParams;
  const form = new URLSearchParams({ ...Object.fromEntries(query), userid, decision });
  const res = await fetch(new URL('/oauth2_user/authorize2', authorizeUrl), { method: 'POST', body: form, redirect: 'manual' });
  expect(res.status).toBe(302);
  return res.headers.get('location')!;
}

async function link(profile: string, userid: string, client = CLIENT) {
  const { url, state } = await ui.request<{ url: string; state: string }>('/link/start', { profile, ...client, callbackUrl: REDIRECT });
  const redirected = await consent(url, userid);
  return { state, redirected, result: await ui.request<{ status: string; userid?: string; confirmId?: string }>('/link/complete', { state, input: redirected }) };
}

const failure = async (p: Promise<unknown>): Promise<string> => {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(UiServerError);
  return (e as UiServerError).message;
};

const tokenFile = (userid: string) => join(storage, 'withings', `${userid}.json`);

beforeAll(async () => {
  sim = await startSimulator({ now: () => simNow });
});
afterAll(async () => {
  await sim.close();
});
beforeEach(async () => {
  storage = mkdtempSync(join(tmpdir(), 'hb-ui-ipc-'));
  writeFileSync(join(storage, 'config.json'), JSON.stringify({ platforms: [{ platform: 'Withings', ...CLIENT, profiles: ['Alice', 'Bob'] }] }));
  ui = await UiServer.start(storage, { WITHINGS_API_BASE: sim.url, WITHINGS_AUTH_BASE: sim.url });
});
afterEach(async () => {
  await ui.close();
  rmSync(storage, { recursive: true, force: true });
});

test('link two profiles: grants in the token store (0600), none in config.json or in any reply', async () => {
  const alice = await link('Alice', ALICE);
  expect(alice.result).toMatchObject({ status: 'linked', userid: ALICE });
  const bob = await link('Bob', BOB);
  expect(bob.result).toMatchObject({ status: 'linked', userid: BOB });

  for (const [userid, profile] of [[ALICE, 'Alice'], [BOB, 'Bob']]) {
    expect(statSync(tokenFile(userid)).mode & 0o777).toBe(0o600);
    const record = JSON.parse(readFileSync(tokenFile(userid), 'utf8'));
    expect(record).toMatchObject({ userid, profile, client_id: 'demo-client', scope: expect.stringContaining('user.metrics') });
    expect(record.access_token).toMatch(/^[0-9a-f]{40}$/);
    expect(JSON.stringify(alice.result) + JSON.stringify(bob.result)).not.toContain(record.access_token);
  }
  expect(readFileSync(join(storage, 'config.json'), 'utf8')).not.toMatch(/access_token|refresh_token/);

  const status = await ui.request<{ profiles: { name: string; state: string; userid?: string }[] }>('/status', { profiles: ['Alice', 'Bob', 'Chloé'] });
  expect(status.profiles.map((p) => [p.name, p.state, p.userid])).toEqual([['Alice', 'linked', ALICE], ['Bob', 'linked', BOB], ['Chloé', 'unlinked', undefined]]);
  expect(JSON.stringify(status)).not.toContain('demo-secret');
  // The server's log (the Homebridge UI log) never shows a code, a token or the secret.
  expect(ui.output.join('')).not.toMatch(/code=|demo-secret|[0-9a-f]{40}/);
});

test('the address of another attempt (state mismatch) is refused', async () => {
  const first = await ui.request<{ url: string; state: string }>('/link/start', { profile: 'Alice', ...CLIENT, callbackUrl: REDIRECT });
  const second = await ui.request<{ url: string; state: string }>('/link/start', { profile: 'Bob', ...CLIENT, callbackUrl: REDIRECT });
  const redirected = await consent(first.url, ALICE);
  expect(await failure(ui.request('/link/complete', { state: second.state, input: redirected }))).toMatch(/another link attempt/);
  expect(existsSync(tokenFile(ALICE))).toBe(false);
});

test('a used code (the same address twice) and an expired code (older than 30 s) are refused with a plain sentence', async () => {
  const { state, redirected } = await link('Alice', ALICE);
  expect(await failure(ui.request('/link/complete', { state, input: redirected }))).toMatch(/expired, was already used/);

  const { url, state: s2 } = await ui.request<{ url: string; state: string }>('/link/start', { profile: 'Bob', ...CLIENT, callbackUrl: REDIRECT });
  const late = await consent(url, BOB);
  simNow += 31_000; // Withings codes die after 30 s
  expect(await failure(ui.request('/link/complete', { state: s2, input: late }))).toMatch(/codes are valid for 30 seconds/);
  expect(existsSync(tokenFile(BOB))).toBe(false);
});

test('a wrong client secret is explained', async () => {
  const message = await failure(link('Alice', ALICE, { clientId: 'demo-client', clientSecret: 'not-the-secret' }).then((r) => r.result));
  expect(message).toMatch(/refused the Client Secret/);
  expect(message).not.toContain('not-the-secret');
});

test('denied on the consent page', async () => {
  const { url, state } = await ui.request<{ url: string; state: string }>('/link/start', { profile: 'Alice', ...CLIENT, callbackUrl: REDIRECT });
  const redirected = await consent(url, ALICE, 'deny');
  expect(await failure(ui.request('/link/complete', { state, input: redirected }))).toMatch(/Access was denied/);
});

test('re-link to another person asks first; yes replaces the grant', async () => {
  await link('Alice', ALICE);
  const again = await link('Alice', BOB);
  expect(again.result).toMatchObject({ status: 'confirm', previousUserid: ALICE, newUserid: BOB });
  const done = await ui.request('/link/confirm', { confirmId: again.result.confirmId, accept: true });
  expect(done).toMatchObject({ status: 'linked', userid: BOB });
  expect(existsSync(tokenFile(ALICE))).toBe(false);
  expect(JSON.parse(readFileSync(tokenFile(BOB), 'utf8')).profile).toBe('Alice');
});

test('one Withings user cannot be linked to two profiles', async () => {
  await link('Alice', ALICE);
  expect(await failure(link('Bob', ALICE).then((r) => r.result))).toMatch(/already linked to profile "Alice"/);
});

test('unlink deletes the grant', async () => {
  await link('Alice', ALICE);
  await expect(ui.request('/unlink', { profile: 'Alice' })).resolves.toEqual({ removed: true, userid: ALICE });
  expect(existsSync(tokenFile(ALICE))).toBe(false);
  const status = await ui.request<{ profiles: { state: string }[] }>('/status', { profiles: ['Alice'] });
  expect(status.profiles[0].state).toBe('unlinked');
});

test('without HOMEBRIDGE_STORAGE_PATH the server refuses to read or write links (never a relative folder)', async () => {
  const orphan = await UiServer.start(storage, { HOMEBRIDGE_STORAGE_PATH: '', WITHINGS_API_BASE: sim.url, WITHINGS_AUTH_BASE: sim.url });
  try {
    expect(await failure(orphan.request('/status', { profiles: ['Alice'] }))).toMatch(/did not say where the Homebridge storage folder is/);
    expect(await failure(orphan.request('/link/start', { profile: 'Alice', ...CLIENT, callbackUrl: REDIRECT }))).toMatch(/HOMEBRIDGE_STORAGE_PATH/);
    expect(existsSync(join(process.cwd(), 'withings'))).toBe(false);
  } finally {
    await orphan.close();
  }
});

test('the server exits when the settings close (IPC disconnect)', async () => {
  const other = await UiServer.start(storage, { WITHINGS_API_BASE: sim.url, WITHINGS_AUTH_BASE: sim.url });
  expect(await other.close()).toEqual({ byItself: true });
});
