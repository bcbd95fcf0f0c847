/**
 * The Withings cloud simulator (tools/simulator): OAuth consent and token rules, the data endpoints'
 * filters and paging, faults, the request log and the demo data. Time is injected (`now`), never slept.
 */
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';

import { startSimulator } from '../tools/simulator/server.mjs';
import type {
  ActivityPage, ActivityRow, DeliveryEntry, DevicesBody, Envelope, GoalsBody, Group, LogEntry, Measure, MeasPage, NotifyResult, RawData, Segment, Simulator as Sim, SimTimers, Summary,
  SummaryPage, TokenBody,
} from '../tools/simulator/types.js';

const ALICE = '1001001';
const BOB = '1001002';
const T0 = Date.UTC(2026, 10, 28, 14, 0, 0); // 15:00 in Paris, 09:00 in New York
const REDIRECT = 'https://example.com/withings/callback?x=1';
const SCOPES = 'user.info,user.metrics,user.activity,user.sleepevents';

let clock = T0;
const nowS = (): number => Math.floor(clock / 1000);
const advance = (seconds: number): void => {
  clock += seconds * 1000;
};

async function post<T = Record<string, unknown>>(sim: Sim, path: string, params: Record<string, string | number>, token?: string): Promise<Envelope<T>> {
  const res = await fetch(sim.url + path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)])).toString(),
  });
  expect(res.status).toBe(200);
  return await res.json() as Envelope<T>;
}

async function control<T = Record<string, unknown>>(sim: Sim, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const res = await fetch(sim.url + path, { method, body: body === undefined ? undefined : JSON.stringify(body) });
  return await res.json() as T;
}

const grant = (sim: Sim, userid: string, scope?: string): Promise<TokenBody> => control<TokenBody>(sim, 'POST', '/_control/grant', { userid, scope });
const rawData = (sim: Sim, userid: string): Promise<RawData> => control<RawData>(sim, 'GET', `/_control/data/${userid}`);

function authorizeUrl(sim: Sim, params: Record<string, string> = {}): string {
  const q = new URLSearchParams({ response_type: 'code', client_id: 'demo-client', redirect_uri: REDIRECT, state: 'st-123', scope: SCOPES, ...params });
  return `${sim.url}/oauth2_user/authorize2?${q.toString()}`;
}

async function consent(sim: Sim, form: Record<string, string>): Promise<Response> {
  const body = new URLSearchParams({ response_type: 'code', client_id: 'demo-client', redirect_uri: REDIRECT, state: 'st-123', scope: SCOPES, ...form });
  return await fetch(`${sim.url}/oauth2_user/authorize2`, {
    method: 'POST', redirect: 'manual', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: body.toString(),
  });
}

async function codeFor(sim: Sim, userid: string, extra: Record<string, string> = {}): Promise<string> {
  const res = await consent(sim, { userid, decision: 'allow', ...extra });
  expect(res.status).toBe(302);
  return new URL(res.headers.get('location') ?? '').searchParams.get('code') ?? '';
}

const exchange = (sim: Sim, code: string, overrides: Record<string, string> = {}): Promise<Envelope<TokenBody>> => post<TokenBody>(sim, '/v2/oauth2', {
  action: 'requesttoken', grant_type: 'authorization_code', client_id: 'demo-client', client_secret: 'demo-secret', code, redirect_uri: REDIRECT, ...overrides,
});

const refresh = (sim: Sim, refreshToken: string): Promise<Envelope<TokenBody>> => post<TokenBody>(sim, '/v2/oauth2', {
  action: 'requesttoken', grant_type: 'refresh_token', client_id: 'demo-client', client_secret: 'demo-secret', refresh_token: refreshToken,
});

const realValue = (m: Measure): number => (m.unit < 0 ? m.value / 10 ** -m.unit : m.value * 10 ** m.unit);

let sim: Sim;
beforeAll(async () => {
  sim = await startSimulator({
    now: () => clock,
    pageSize: { getmeas: 50, getsummary: 5 },
    clients: [{ client_id: 'demo-client', client_secret: 'demo-secret', redirect_uris: [REDIRECT, 'https://example.com/other'] }],
    // The public callback of the notify test answers the subscribe-time HEAD without leaving the machine.
    callbackClient: async (r) => ({ status: new URL(r.url).hostname === 'hooks.example.com' ? 200 : 404 }),
  });
});
afterAll(async () => {
  await sim.close();
});
beforeEach(() => {
  clock = T0;
});

describe('consent page', () => {
  test('lists both people as unchecked radio inputs, the scopes, Allow and Deny', async () => {
    const res = await fetch(authorizeUrl(sim));
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('Withings — authorize demo-client');
    for (const [userid, name] of [[ALICE, 'Alice'], [BOB, 'Bob']]) {
      expect(html).toContain(`<input type="radio" name="userid" value="${userid}" data-userid="${userid}" id="user-${userid}">`);
      expect(html).toContain(`<label for="user-${userid}">${name}</label>`);
    }
    expect(html).toContain('<button id="allow" type="submit" name="decision" value="allow">Allow</button>');
    expect(html).toContain('<button id="deny" type="submit" name="decision" value="deny">Deny</button>');
    expect(html).toMatch(/<form[^>]+method="post" action="\/oauth2_user\/authorize2"/);
    expect(html).toContain('<input type="hidden" name="state" value="st-123">');
    expect(html).toContain('user.metrics');
    expect(html).toContain('user.sleepevents');
  });

  test('an unknown client_id or a redirect_uri that is not registered gets an error page', async () => {
    const bad = await fetch(authorizeUrl(sim, { client_id: 'nope' }));
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('invalid client_id');
    const mismatch = await fetch(authorizeUrl(sim, { redirect_uri: 'https://example.com/withings/callback' }));
    expect(await mismatch.text()).toContain('redirect_uri_mismatch: The redirect URI provided is missing or does not match partner callback url');
  });

  test('allow redirects with a code and the state, keeping the query of redirect_uri', async () => {
    const res = await consent(sim, { userid: ALICE, decision: 'allow' });
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location') ?? '');
    expect(`${location.origin}${location.pathname}`).toBe('https://example.com/withings/callback');
    expect(location.searchParams.get('x')).toBe('1');
    expect(location.searchParams.get('code')).toMatch(/^[0-9a-f]{40}$/);
    expect(location.searchParams.get('state')).toBe('st-123');
  });

  test('deny redirects with error=access_denied; allow without choosing a person shows the page again', async () => {
    const denied = await consent(sim, { decision: 'deny' });
    expect(denied.status).toBe(302);
    const location = new URL(denied.headers.get('location') ?? '');
    expect(location.searchParams.get('error')).toBe('access_denied');
    expect(location.searchParams.get('state')).toBe('st-123');
    expect(location.searchParams.get('code')).toBeNull();
    const unchosen = await consent(sim, { decision: 'allow' });
    expect(unchosen.status).toBe(200);
    const html = await unchosen.text();
    expect(html).toContain('id="error"');
    expect(html).toContain('data-userid="1001001"');
  });
});

describe('token endpoint', () => {
  test('a code is exchanged once, and an identical request within 10 s gets 601', async () => {
    const code = await codeFor(sim, BOB);
    const first = await exchange(sim, code);
    expect(first.status).toBe(0);
    expect(first.body).toEqual(expect.objectContaining({ userid: BOB, expires_in: 10800, scope: SCOPES, token_type: 'Bearer' }));
    expect(first.body.access_token).toMatch(/^[0-9a-f]{40}$/);
    expect(first.body.refresh_token).toMatch(/^[0-9a-f]{40}$/);
    advance(3);
    const again = await exchange(sim, code);
    expect(again).toEqual({ status: 601, body: { wait_seconds: 7 }, error: 'Same arguments in less than 10 seconds' });
    advance(8);
    expect(await exchange(sim, code)).toEqual({ status: 503, body: {}, error: 'Invalid Params: invalid code' });
  });

  test('a code older than 30 s, a wrong secret or a different redirect_uri is refused', async () => {
    const code = await codeFor(sim, ALICE);
    expect((await exchange(sim, code, { client_secret: 'wrong' })).error).toBe('Invalid Params: invalid client_secret');
    expect((await exchange(sim, code, { client_id: 'other' })).error).toBe('Invalid Params: invalid client_id');
    expect((await exchange(sim, code, { redirect_uri: 'https://example.com/other' })).error).toBe('Invalid Params: redirect_uri mismatch');
    advance(31);
    expect(await exchange(sim, code)).toEqual({ status: 503, body: {}, error: 'Invalid Params: invalid code' });
    const fresh = await codeFor(sim, ALICE);
    advance(30);
    expect((await exchange(sim, fresh)).status).toBe(0);
  });

  test('only the requested scopes are granted, and a call outside them is a 401', async () => {
    const code = await codeFor(sim, ALICE, { scope: 'user.metrics' });
    const tokens = await exchange(sim, code);
    expect(tokens.body.scope).toBe('user.metrics');
    const token = tokens.body.access_token;
    expect((await post(sim, '/measure', { action: 'getmeas', category: 1 }, token)).status).toBe(0);
    const sleep = await post(sim, '/v2/sleep', { action: 'getsummary', lastupdate: 0 }, token);
    expect(sleep.status).toBe(401);
    expect(sleep.error).toContain('insufficient_scope');
    // Unchecking a scope on the consent page grants fewer.
    const partial = await codeFor(sim, ALICE, { scope_choice: '1', grant_scope: 'user.activity' });
    expect((await exchange(sim, partial)).body.scope).toBe('user.activity');
  });

  test('refresh rotates; the old refresh token works until the new access token is used', async () => {
    const g = await grant(sim, ALICE);
    const r1 = await refresh(sim, g.refresh_token);
    expect(r1.status).toBe(0);
    expect(r1.body.refresh_token).not.toBe(g.refresh_token);
    expect(r1.body.access_token).not.toBe(g.access_token);
    expect(r1.body.userid).toBe(ALICE);
    advance(11);
    const grace = await refresh(sim, g.refresh_token); // still in its grace period
    expect(grace.status).toBe(0);
    expect((await post(sim, '/v2/user', { action: 'getdevice' }, r1.body.access_token)).status).toBe(0);
    advance(11);
    expect(await refresh(sim, g.refresh_token)).toEqual({ status: 503, body: {}, error: 'Invalid Params: invalid refresh_token' });
    expect((await refresh(sim, r1.body.refresh_token)).status).toBe(0);
  });

  test('the old refresh token dies 8 hours after the new one was issued', async () => {
    const g = await grant(sim, BOB);
    expect((await refresh(sim, g.refresh_token)).status).toBe(0);
    advance(8 * 3600 - 60);
    expect((await refresh(sim, g.refresh_token)).status).toBe(0);
    advance(61);
    expect((await refresh(sim, g.refresh_token)).status).toBe(503);
  });

  test('unknown action → 2554; parameters in the query string instead of the body → invalid grant_type', async () => {
    expect((await post(sim, '/v2/oauth2', { action: 'nothing' })).status).toBe(2554);
    const res = await fetch(`${sim.url}/v2/oauth2?action=requesttoken&grant_type=refresh_token`, { method: 'POST' });
    expect(await res.json()).toEqual({ status: 503, body: {}, error: 'Invalid Params: invalid grant_type' });
  });
});

describe('access tokens', () => {
  test('an access token expires after 3 hours; refreshing gives a working one', async () => {
    const g = await grant(sim, ALICE);
    advance(3 * 3600 - 1);
    expect((await post(sim, '/v2/user', { action: 'getgoals' }, g.access_token)).status).toBe(0);
    advance(1);
    const expired = await post(sim, '/v2/user', { action: 'getgoals' }, g.access_token);
    expect(expired.status).toBe(401);
    expect(expired.error).toMatch(/^XRequestID: \S.* invalid_token: The access token provided is invalid$/);
    const r = await refresh(sim, g.refresh_token);
    expect((await post(sim, '/v2/user', { action: 'getgoals' }, r.body.access_token)).status).toBe(0);
  });

  test('tokens/expire ends access tokens now but keeps refresh tokens; tokens/revoke ends both', async () => {
    const g = await grant(sim, BOB);
    await control(sim, 'POST', '/_control/tokens/expire', { userid: BOB });
    expect((await post(sim, '/v2/user', { action: 'getdevice' }, g.access_token)).status).toBe(401);
    const r = await refresh(sim, g.refresh_token);
    expect(r.status).toBe(0);
    await control(sim, 'POST', '/_control/tokens/revoke', { userid: BOB });
    expect((await post(sim, '/v2/user', { action: 'getdevice' }, r.body.access_token)).status).toBe(401);
    advance(11);
    expect((await refresh(sim, r.body.refresh_token)).error).toBe('Invalid Params: invalid refresh_token');
  });

  test('no token → 401; unknown action or path → 2554; bad parameters → 503', async () => {
    const g = await grant(sim, ALICE);
    expect((await post(sim, '/measure', { action: 'getmeas' })).status).toBe(401);
    expect((await post(sim, '/measure', { action: 'getmeas' }, 'f'.repeat(40))).status).toBe(401);
    expect(await post(sim, '/measure', { action: 'nope' }, g.access_token)).toEqual({ status: 2554, body: {}, error: 'Not implemented' });
    expect((await post(sim, '/v3/whatever', { action: 'getmeas' }, g.access_token)).status).toBe(2554);
    expect((await post(sim, '/measure', { action: 'getmeas', meastype: 'abc' }, g.access_token)).status).toBe(503);
    expect((await post(sim, '/v2/sleep', { action: 'get' }, g.access_token)).status).toBe(503);
    expect((await post(sim, '/v2/sleep', { action: 'getsummary' }, g.access_token)).status).toBe(503);
  });
});

describe('getmeas', () => {
  async function allPages(token: string, params: Record<string, string | number>): Promise<{ groups: Group[]; pages: MeasPage[] }> {
    const pages: MeasPage[] = [];
    let offset = 0;
    for (;;) {
      const reply = await post<MeasPage>(sim, '/measure', { action: 'getmeas', ...params, ...(offset ? { offset } : {}) }, token);
      expect(reply.status).toBe(0);
      pages.push(reply.body);
      if (!reply.body.more) {
        break;
      }
      offset = reply.body.offset;
    }
    return { groups: pages.flatMap((p) => p.measuregrps), pages };
  }

  test('pages with more/offset through every real group, newest first but not strictly sorted', async () => {
    const g = await grant(sim, ALICE);
    const raw = await rawData(sim, ALICE);
    const { groups, pages } = await allPages(g.access_token, { category: 1 });
    expect(pages.length).toBe(Math.ceil(raw.measuregrps.filter((x) => x.category === 1).length / 50));
    expect(pages[0]).toEqual(expect.objectContaining({ more: 1, offset: 50, timezone: 'Europe/Paris', updatetime: nowS() }));
    expect(pages[pages.length - 1].more).toBe(0);
    expect(groups.length).toBe(raw.measuregrps.filter((x) => x.category === 1).length);
    expect(new Set(groups.map((x) => `${x.grpid}/${x.attrib}`)).size).toBe(groups.length);
    const inversions = groups.filter((x, i) => i > 0 && x.date > groups[i - 1].date).length;
    expect(inversions).toBeGreaterThan(0);
    expect(inversions).toBeLessThan(groups.length / 4);
    expect(groups.some((x) => x.grpid > 2 ** 31)).toBe(true);
    // The real API escapes slashes.
    const text = await (await fetch(`${sim.url}/measure`, { method: 'POST', headers: { Authorization: `Bearer ${g.access_token}` }, body: 'action=getmeas&meastype=4' })).text();
    expect(text).toContain('"timezone":"Europe\\/Paris"');
  });

  test('category: omitted means real measures only; 2 gives the objectives', async () => {
    const g = await grant(sim, ALICE);
    const { groups: real } = await allPages(g.access_token, {});
    expect(real.every((x) => x.category === 1)).toBe(true);
    const { groups: goals } = await allPages(g.access_token, { category: 2 });
    expect(goals.length).toBeGreaterThan(0);
    expect(goals.every((x) => x.category === 2)).toBe(true);
  });

  test('meastype / meastypes keep only those measures and drop groups without them', async () => {
    const g = await grant(sim, ALICE);
    const { groups } = await allPages(g.access_token, { meastypes: '1,6' });
    expect(groups.length).toBeGreaterThan(30);
    expect(groups.every((x) => x.measures.length > 0 && x.measures.every((m) => m.type === 1 || m.type === 6))).toBe(true);
    const { groups: spo2 } = await allPages(g.access_token, { meastype: 54 });
    expect(spo2.length).toBeGreaterThanOrEqual(28);
    expect(spo2.every((x) => x.measures.length === 1 && x.measures[0].type === 54 && x.measures[0].unit === 0)).toBe(true);
  });

  test('startdate/enddate filter on date; lastupdate returns groups stored or modified since', async () => {
    const g = await grant(sim, BOB);
    const from = nowS() - 3 * 86400;
    const { groups } = await allPages(g.access_token, { startdate: from, enddate: nowS() });
    expect(groups.length).toBeGreaterThan(0);
    expect(groups.every((x) => x.date >= from && x.date <= nowS())).toBe(true);
    expect((await allPages(g.access_token, { lastupdate: nowS() })).groups).toEqual([]);
    advance(120);
    const added = await control<{ grpid: number }>(sim, 'POST', '/_control/measure', {
      userid: BOB, date: nowS() - 3 * 86400, model: 'BPM Connect', measures: [{ type: 10, value: 12500, unit: -2 }, { type: 9, value: 8000, unit: -2 }],
    });
    const { groups: fresh } = await allPages(g.access_token, { lastupdate: nowS() - 60 });
    expect(fresh.map((x) => x.grpid)).toEqual([added.grpid]);
    expect(fresh[0]).toEqual(expect.objectContaining({ created: nowS(), modified: nowS(), attrib: 0, category: 1, model: 'BPM Connect', modelid: 45 }));
    expect(fresh[0].deviceid).toMatch(/^[0-9a-f]{40}$/);
  });
});

describe('sleep', () => {
  test('getsummary: data_fields select the fields; the default set has no heart rate; paging', async () => {
    const g = await grant(sim, ALICE);
    const fields = await post<SummaryPage>(sim, '/v2/sleep', { action: 'getsummary', lastupdate: 0, data_fields: 'hr_average,sleep_score' }, g.access_token);
    expect(fields.body.series.length).toBe(5);
    expect(fields.body.series.every((s) => Object.keys(s.data).sort().join() === 'hr_average,sleep_score')).toBe(true);
    const plain = await post<SummaryPage>(sim, '/v2/sleep', { action: 'getsummary', lastupdate: 0 }, g.access_token);
    expect(plain.body.series[0].data).toHaveProperty('deepsleepduration');
    expect(plain.body.series[0].data).not.toHaveProperty('hr_average');
    expect(plain.body.series[0].data).not.toHaveProperty('rr_average');
    const all: Summary[] = [];
    let offset = 0;
    // Every night of November so far (the history goes back 60 nights).
    const november = (await rawData(sim, ALICE)).sleep_summaries.filter((s) => s.date.startsWith('2026-11-')).length;
    expect(november).toBe(28);
    for (let page = 0; page < 10; page++) {
      const r = await post<SummaryPage>(sim, '/v2/sleep', { action: 'getsummary', startdateymd: '2026-11-01', enddateymd: '2026-11-30', data_fields: 'sleep_score', offset }, g.access_token);
      all.push(...r.body.series);
      expect(r.body.more).toBe(all.length < november);
      if (!r.body.more) {
        break;
      }
      offset = r.body.offset;
    }
    expect(all.length).toBe(november);
    expect(new Set(all.map((s) => s.id)).size).toBe(november);
    expect(all.every((s) => s.enddate <= nowS() && /^\d{4}-\d{2}-\d{2}$/.test(s.date))).toBe(true);
    const lastNight = await post<SummaryPage>(sim, '/v2/sleep', { action: 'getsummary', startdateymd: '2026-11-28', enddateymd: '2026-11-28' }, g.access_token);
    expect(lastNight.body.series.map((s) => s.date)).toEqual(['2026-11-28']);
  });

  test('get: segments overlapping the window, at most 24 h after startdate, never in the future', async () => {
    const g = await grant(sim, BOB);
    const recent = await post<{ series: Segment[]; model: number }>(sim, '/v2/sleep', { action: 'get', startdate: nowS() - 6 * 3600, enddate: nowS(), data_fields: 'hr,rr' }, g.access_token);
    expect(recent.body.model).toBe(32);
    const segs = recent.body.series;
    expect(segs.length).toBeGreaterThan(10);
    expect(segs.every((s) => s.startdate < nowS() && s.enddate <= nowS() && s.state >= 0 && s.state <= 3)).toBe(true);
    expect(segs[segs.length - 1].enddate).toBe(nowS()); // the segment under way is cut at now
    expect(Object.keys(segs[1].hr ?? {}).length).toBeGreaterThan(0);
    for (let i = 1; i < segs.length; i++) {
      expect(segs[i].startdate).toBe(segs[i - 1].enddate);
    }
    const start = nowS() - 10 * 86400;
    const day = await post<{ series: Segment[] }>(sim, '/v2/sleep', { action: 'get', startdate: start, enddate: nowS() }, g.access_token);
    expect(day.body.series.length).toBeGreaterThan(0);
    expect(day.body.series.every((s) => s.startdate <= start + 86400 && s.enddate >= start)).toBe(true);
  });

  test("Bob's night under way has no summary until it ends", async () => {
    const g = await grant(sim, BOB);
    const end = Math.max(...sim.state.people.get(BOB)!.segments.map((s) => s.enddate));
    expect(end).toBeGreaterThan(nowS() + 3 * 3600);
    const before = await post<SummaryPage>(sim, '/v2/sleep', { action: 'getsummary', lastupdate: nowS() - 3600 }, g.access_token);
    expect(before.body.series).toEqual([]);
    clock = end * 1000;
    const g2 = await grant(sim, BOB);
    const after = await post<SummaryPage>(sim, '/v2/sleep', { action: 'getsummary', lastupdate: nowS() - 3600, data_fields: 'total_sleep_time' }, g2.access_token);
    expect(after.body.series.map((s) => s.enddate)).toEqual([end]);
  });
});

describe('notify', () => {
  test('subscribe, list, get, revoke; a local callback URL is refused with 293', async () => {
    const g = await grant(sim, ALICE);
    const url = 'https://hooks.example.com/withings';
    expect((await post(sim, '/notify', { action: 'subscribe', callbackurl: url, appli: 1, comment: 'c' }, g.access_token)).status).toBe(0);
    expect((await post(sim, '/notify', { action: 'subscribe', callbackurl: 'http://127.0.0.1:8581/hook', appli: 1 }, g.access_token)).status).toBe(293);
    expect((await post(sim, '/notify', { action: 'subscribe', appli: 1 }, g.access_token)).status).toBe(503);
    const list = await post<{ profiles: unknown[] }>(sim, '/notify', { action: 'list' }, g.access_token);
    expect(list.body.profiles).toEqual([{ appli: 1, callbackurl: url, expires: 2147483647, comment: 'c' }]);
    expect((await post<{ profiles: unknown[] }>(sim, '/notify', { action: 'list', appli: 44 }, g.access_token)).body.profiles).toEqual([]);
    expect((await post(sim, '/notify', { action: 'get', callbackurl: url }, g.access_token)).body).toEqual({ appli: 1, callbackurl: url, comment: 'c' });
    expect((await post(sim, '/notify', { action: 'revoke', callbackurl: url, appli: 1 }, g.access_token)).status).toBe(0);
    expect((await post(sim, '/notify', { action: 'revoke', callbackurl: url, appli: 1 }, g.access_token)).status).toBe(294);
  });
});

/** A local notification endpoint: records every request and answers with `answer(method, index)`. */
interface Received { method: string; path: string; contentType: string | undefined; body: string }
async function callbackServer(answer: (method: string, i: number) => number): Promise<{ url: string; received: Received[]; posted: () => Promise<Received>; close: () => Promise<void> }> {
  const received: Received[] = [];
  const waiting: Array<(r: Received) => void> = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString('utf8');
    });
    req.on('end', () => {
      const r = { method: req.method ?? '', path: req.url ?? '', contentType: req.headers['content-type'], body };
      received.push(r);
      const posts = received.filter((x) => x.method === 'POST').length;
      res.writeHead(answer(r.method, r.method === 'POST' ? posts - 1 : 0)).end();
      if (r.method === 'POST') {
        waiting.shift()?.(r);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    posted: () => new Promise<Received>((resolve) => waiting.push(resolve)),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Timers the test fires by hand: nothing waits for real time. */
function manualTimers(): SimTimers & { due: Array<{ fn: () => void; ms: number }>; next: () => Promise<{ fn: () => void; ms: number }> } {
  const due: Array<{ fn: () => void; ms: number }> = [];
  const waiting: Array<(t: { fn: () => void; ms: number }) => void> = [];
  return {
    due,
    setTimeout(fn: () => void, ms: number) {
      const t = { fn, ms };
      const w = waiting.shift();
      if (w) {
        w(t);
      } else {
        due.push(t);
      }
      return t;
    },
    clearTimeout() {},
    next: () => new Promise((resolve) => {
      const t = due.shift();
      if (t) {
        resolve(t);
      } else {
        waiting.push(resolve);
      }
    }),
  };
}

describe('notifications', () => {
  test('subscribe HEADs the callback first: 2xx is accepted, anything else is 293; update checks the new URL too', async () => {
    const hook = await callbackServer((method) => (method === 'HEAD' ? 200 : 204));
    const missing = await callbackServer(() => 404);
    const lenient = await startSimulator({ now: () => clock, callbackCheck: 'lenient' });
    try {
      const g = await grant(lenient, ALICE);
      const ok = `${hook.url}/withings?id=1`;
      expect((await post(lenient, '/notify', { action: 'subscribe', callbackurl: ok, appli: 44, comment: 'sleep' }, g.access_token)).status).toBe(0);
      expect(hook.received.map((r) => [r.method, r.path])).toEqual([['HEAD', '/withings?id=1']]);
      expect(await post(lenient, '/notify', { action: 'subscribe', callbackurl: `${missing.url}/hook`, appli: 1 }, g.access_token))
        .toEqual({ status: 293, body: {}, error: 'The callback URL is either unknown or invalid' });
      expect(missing.received.map((r) => r.method)).toEqual(['HEAD']);
      // Nothing listens there any more: refused as well.
      const closed = await callbackServer(() => 200);
      await closed.close();
      expect((await post(lenient, '/notify', { action: 'subscribe', callbackurl: `${closed.url}/x`, appli: 1 }, g.access_token)).status).toBe(293);
      expect((await post(lenient, '/notify', { action: 'update', callbackurl: ok, appli: 44, new_callbackurl: `${missing.url}/hook` }, g.access_token)).status).toBe(293);
      expect((await post(lenient, '/notify', { action: 'update', callbackurl: ok, appli: 44, comment: 'nights' }, g.access_token)).status).toBe(0);
      expect((await post(lenient, '/notify', { action: 'get', callbackurl: ok, appli: 44 }, g.access_token)).body).toEqual({ appli: 44, callbackurl: ok, comment: 'nights' });
      expect((await post(lenient, '/notify', { action: 'update', callbackurl: ok, appli: 44, new_appli: 50 }, g.access_token)).status).toBe(0);
      expect((await post<{ profiles: unknown[] }>(lenient, '/notify', { action: 'list' }, g.access_token)).body.profiles)
        .toEqual([{ appli: 50, callbackurl: ok, expires: 2147483647, comment: 'nights' }]);
      // Strict mode (the default) refuses a loopback callback before any HEAD.
      const before = hook.received.length;
      const strictGrant = await grant(sim, ALICE);
      expect((await post(sim, '/notify', { action: 'subscribe', callbackurl: ok, appli: 1 }, strictGrant.access_token)).status).toBe(293);
      expect(hook.received.length).toBe(before);
    } finally {
      await lenient.close();
      await hook.close();
      await missing.close();
    }
  });

  test('a new weigh-in is POSTed to appli 1 subscribers as a form; failures are retried on the documented schedule', async () => {
    const answers = [500, 500, 503, 200];
    const hook = await callbackServer((method, i) => (method === 'HEAD' ? 200 : answers[i] ?? 200));
    const timers = manualTimers();
    const local = await startSimulator({ now: () => clock, callbackCheck: 'lenient', timers });
    try {
      const g = await grant(local, ALICE);
      for (const appli of [1, 4]) {
        expect((await post(local, '/notify', { action: 'subscribe', callbackurl: `${hook.url}/appli${appli}`, appli }, g.access_token)).status).toBe(0);
      }
      const first = hook.posted();
      const date = nowS() - 600;
      await control(local, 'POST', '/_control/measure', { userid: ALICE, date, measures: [{ type: 1, value: 70_100, unit: -3 }] });
      const got = await first;
      expect(got).toEqual({ method: 'POST', path: '/appli1', contentType: 'application/x-www-form-urlencoded', body: `userid=${ALICE}&appli=1&startdate=${date}&enddate=${date + 1}` });
      // Both attempts of the first round failed: the next round is due 10 s after the first attempt.
      const retry = await timers.next();
      expect(retry.ms).toBe(10_000);
      advance(10);
      const third = hook.posted();
      const fourth = third.then(() => hook.posted());
      retry.fn();
      await fourth;
      const log = await control<DeliveryEntry[]>(local, 'GET', '/_control/deliveries');
      expect(log.map((e) => [e.attempt, e.status, e.ok])).toEqual([[1, 500, false], [2, 500, false], [3, 503, false], [4, 200, true]]);
      expect(log[1].next_attempt_at).toBe(T0 + 10_000);
      expect(log.every((e) => e.userid === ALICE && e.appli === 1 && e.delivery === log[0].delivery)).toBe(true);
      expect(timers.due).toEqual([]);
      // Blood pressure goes to appli 4 only.
      const bp = hook.posted();
      await control(local, 'POST', '/_control/measure', { userid: ALICE, measures: [{ type: 10, value: 12_000, unit: -2 }, { type: 9, value: 8_000, unit: -2 }] });
      expect((await bp).path).toBe('/appli4');
    } finally {
      await local.close();
      await hook.close();
    }
  });

  test('/_control/notify sends any appli now (50 = in bed) and reports each callback; a dead callback loses its subscription after 10 attempts', async () => {
    const good = await callbackServer(() => 200);
    const dead = await callbackServer((method) => (method === 'HEAD' ? 200 : 500));
    const timers = manualTimers();
    const local = await startSimulator({ now: () => clock, callbackCheck: 'lenient', timers });
    try {
      const g = await grant(local, BOB);
      await post(local, '/notify', { action: 'subscribe', callbackurl: `${good.url}/bed`, appli: 50 }, g.access_token);
      await post(local, '/notify', { action: 'subscribe', callbackurl: `${dead.url}/bed`, appli: 50 }, g.access_token);
      const result = await control<NotifyResult>(local, 'POST', '/_control/notify', { userid: BOB, appli: 50 });
      expect(result.params).toEqual({ userid: BOB, appli: '50' });
      expect(result.delivered).toEqual([
        { callbackurl: `${good.url}/bed`, status: 200, ok: true, attempts: 1 },
        { callbackurl: `${dead.url}/bed`, status: 500, ok: false, attempts: 2, next_attempt_at: T0 + 10_000 },
      ]);
      expect(good.received.filter((r) => r.method === 'POST').map((r) => r.body)).toEqual([`userid=${BOB}&appli=50`]);
      // Activity carries the local day instead of a window.
      const activity = await control<NotifyResult>(local, 'POST', '/_control/notify', { userid: BOB, appli: 16 });
      expect(activity).toEqual({ params: { userid: BOB, appli: '16', date: '2026-11-28' }, delivered: [] });
      // The remaining rounds, run by hand: +10 s, +1–10 min, +1 h, +4 h.
      const offsets: number[] = [];
      for (let round = 1; round < 5; round++) {
        const pending = local.state.outbox[0];
        offsets.push((pending.dueAt ?? 0) - pending.firstAt);
        clock = pending.dueAt ?? clock;
        await control(local, 'POST', '/_control/deliveries/run');
      }
      expect(offsets[0]).toBe(10_000);
      expect(offsets[1]).toBeGreaterThanOrEqual(60_000);
      expect(offsets[1]).toBeLessThanOrEqual(600_000);
      expect(offsets.slice(2)).toEqual([3_600_000, 14_400_000]);
      const log = await control<DeliveryEntry[]>(local, 'GET', '/_control/deliveries');
      const deadLog = log.filter((e) => e.callbackurl.startsWith(dead.url));
      expect(deadLog.map((e) => e.attempt)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(deadLog[9].subscription_removed).toBe(true);
      const later = await grant(local, BOB); // the first token expired during the 4 hours
      expect((await post<{ profiles: Array<{ callbackurl: string }> }>(local, '/notify', { action: 'list' }, later.access_token)).body.profiles.map((p) => p.callbackurl))
        .toEqual([`${good.url}/bed`]);
      expect(local.state.outbox).toEqual([]);
      expect((await fetch(`${local.url}/_control/notify`, { method: 'POST', body: JSON.stringify({ userid: BOB, appli: 3 }) })).status).toBe(400);
    } finally {
      await local.close();
      await good.close();
      await dead.close();
    }
  });
});

describe('activity, newer data, goals and devices', () => {
  test('getactivity: ~120 days of the watch, paging with more/offset, data_fields, lastupdate', async () => {
    const local = await startSimulator({ now: () => clock, pageSize: { getactivity: 50 } });
    try {
      const g = await grant(local, ALICE);
      const rows: ActivityRow[] = [];
      let offset = 0;
      for (let page = 0; page < 5; page++) {
        const r = await post<ActivityPage>(local, '/v2/measure', { action: 'getactivity', startdateymd: '2026-01-01', enddateymd: '2026-12-31', data_fields: 'steps,distance,hr_average', offset }, g.access_token);
        expect(r.status).toBe(0);
        rows.push(...r.body.activities);
        if (!r.body.more) {
          expect(r.body.offset).toBe(rows.length);
          break;
        }
        offset = r.body.offset;
      }
      expect(rows.length).toBeGreaterThanOrEqual(119);
      expect(rows.length).toBeLessThanOrEqual(121);
      expect(rows.map((r) => r.date)).toEqual([...rows.map((r) => r.date)].sort());
      expect(rows[rows.length - 1].date).toBe('2026-11-28');
      expect(rows.every((r) => Object.keys(r).sort().join() === 'brand,date,deviceid,distance,hash_deviceid,hr_average,is_tracker,model,modelid,modified,steps,timezone')).toBe(true);
      expect(rows[0]).toEqual(expect.objectContaining({ timezone: 'Europe/Paris', model: 'ScanWatch 2', modelid: 94, brand: 1, is_tracker: true }));
      // Bob has no tracker; a call without a date window or lastupdate is invalid.
      const bob = await grant(local, BOB);
      expect((await post<ActivityPage>(local, '/v2/measure', { action: 'getactivity', lastupdate: 0 }, bob.access_token)).body.activities).toEqual([]);
      expect((await post(local, '/v2/measure', { action: 'getactivity' }, g.access_token)).status).toBe(503);
      // Only today changed in the last 10 minutes.
      const recent = await post<ActivityPage>(local, '/v2/measure', { action: 'getactivity', lastupdate: nowS() - 600 }, g.access_token);
      expect(recent.body.activities.map((r) => r.date)).toEqual(['2026-11-28']);
      expect(Object.keys(recent.body.activities[0])).toEqual(expect.arrayContaining(['soft', 'moderate', 'intense', 'active', 'calories', 'totalcalories', 'hr_zone_3', 'elevation']));
    } finally {
      await local.close();
    }
  });

  test("today's row grows with the clock in the person's time zone; /_control/activity overrides a day", async () => {
    const local = await startSimulator({ now: () => clock });
    try {
      const today = async (): Promise<ActivityRow | undefined> => {
        const g = await grant(local, ALICE);
        const r = await post<ActivityPage>(local, '/v2/measure', { action: 'getactivity', startdateymd: '2026-11-28', enddateymd: '2026-11-28' }, g.access_token);
        return r.body.activities[0];
      };
      const at15 = await today(); // 15:00 in Paris
      advance(3 * 3600);
      const at18 = await today();
      expect(at18!.steps!).toBeGreaterThan(at15!.steps!);
      expect(at18!.modified).toBeGreaterThan(at15!.modified);
      expect(at18!.active).toBe(at18!.moderate! + at18!.intense!);
      advance(8 * 3600); // 02:00 on the 29th in Paris: the 28th is final
      const final = await today();
      advance(3600);
      expect(await today()).toEqual(final);
      const set = await control<ActivityRow>(local, 'POST', '/_control/activity', { userid: ALICE, date: '2026-11-28', steps: 12345 });
      expect(set).toEqual(expect.objectContaining({ date: '2026-11-28', steps: 12345, modified: nowS() }));
      expect((await today())!.steps).toBe(12345);
      expect((await fetch(`${local.url}/_control/activity`, { method: 'POST', body: JSON.stringify({ userid: ALICE, date: 'yesterday' }) })).status).toBe(400);
    } finally {
      await local.close();
    }
  });

  test('getsummary returns the newer fields when asked, with -1 where a value was not computed', async () => {
    const g = await grant(sim, ALICE);
    const fields = 'sleep_score,snoring,snoringepisodecount,breathing_disturbances_intensity,apnea_hypopnea_index,total_sleep_time,total_timeinbed,sleep_efficiency,hr_average,hr_min,hr_max,rr_average,rr_min,rr_max';
    const r = await post<SummaryPage>(sim, '/v2/sleep', { action: 'getsummary', startdateymd: '2026-09-01', enddateymd: '2026-11-30', data_fields: fields }, g.access_token);
    const series = r.body.series;
    expect(series.every((x) => Object.keys(x.data).sort().join() === fields.split(',').sort().join())).toBe(true);
    expect(series.some((x) => x.data.apnea_hypopnea_index === -1)).toBe(true);
    const all = (await rawData(sim, ALICE)).sleep_summaries;
    const short = all.filter((x) => x.data.breathing_disturbances_intensity === -1);
    expect(short.length).toBe(1);
    expect(short[0].data.total_timeinbed).toBeLessThan(5 * 3600);
    const score = all.map((x) => x.data.sleep_score as number);
    expect(score.every((v) => v >= 0 && v <= 100)).toBe(true);
    expect(all.every((x) => (x.data.sleep_efficiency as number) > 0 && (x.data.sleep_efficiency as number) <= 1)).toBe(true);
  });

  test("Alice's Body Scan and watch: newer measure types, segments, an unknown type; months of history for both", async () => {
    const alice = await rawData(sim, ALICE);
    const types = new Set(alice.measuregrps.flatMap((x) => x.measures.map((m) => m.type)));
    for (const t of [123, 155, 167, 168, 169, 170, 196, 226, 227, 173, 174, 175, 310]) {
      expect([t, types.has(t)]).toEqual([t, true]);
    }
    const value = (type: number): number => realValue(alice.measuregrps.find((x) => x.measures.some((m) => m.type === type))!.measures.find((m) => m.type === type)!);
    expect(value(123)).toBeGreaterThan(35);
    expect(value(123)).toBeLessThan(50);
    expect(value(226)).toBeGreaterThan(1200);
    expect(value(227)).toBeGreaterThan(30);
    expect(value(168) + value(169)).toBeLessThan(60);
    const segmental = alice.measuregrps.find((x) => x.measures.some((m) => m.type === 173))!;
    expect(segmental.measures.filter((m) => m.type === 173).map((m) => m.position)).toEqual([2, 3, 10, 11, 12]);
    expect(alice.measuregrps.some((x) => x.attrib === 15 && x.measures.some((m) => m.type === 167))).toBe(true);
    const bob = await rawData(sim, BOB);
    const span = (groups: Group[], type: number): number => {
      const dates = groups.filter((x) => x.category === 1 && x.measures.some((m) => m.type === type)).map((x) => x.date);
      return (Math.max(...dates) - Math.min(...dates)) / 86400;
    };
    expect(span(alice.measuregrps, 1)).toBeGreaterThanOrEqual(120);
    expect(span(bob.measuregrps, 10)).toBeGreaterThanOrEqual(120);
    expect(span(bob.measuregrps, 1)).toBeGreaterThanOrEqual(120);
    // Stage segments only for the recent nights, so that replies stay small.
    expect(Math.min(...alice.sleep_segments.map((x) => x.startdate))).toBeGreaterThan(nowS() - 16 * 86400);
  });

  test('goals: steps, sleep in seconds, weight as value/unit; an empty list when there are none', async () => {
    const a = await grant(sim, ALICE);
    expect((await post<GoalsBody>(sim, '/v2/user', { action: 'getgoals' }, a.access_token)).body).toEqual({ goals: { steps: 10000, sleep: 28800, weight: { value: 68000, unit: -3 } } });
    const b = await grant(sim, BOB);
    expect((await post<GoalsBody>(sim, '/v2/user', { action: 'getgoals' }, b.access_token)).body).toEqual({ goals: [] });
  });

  test('devices: every battery kind, a thermometer shared by both people, /_control/device changes or removes one', async () => {
    const local = await startSimulator({ now: () => clock });
    try {
      const devices = async (userid: string): Promise<DevicesBody['devices']> => (await post<DevicesBody>(local, '/v2/user', { action: 'getdevice' }, (await grant(local, userid)).access_token)).body.devices;
      const alice = await devices(ALICE);
      const bob = await devices(BOB);
      expect(alice.map((d) => [d.model, d.battery])).toEqual([['Body Scan', 'medium'], ['ScanWatch 2', 'high'], ['Aura Dock', 'unknown'], ['Aura Sensor V2', 'high'], ['Thermo', 'medium']]);
      expect(new Set([...alice, ...bob].map((d) => d.battery))).toEqual(new Set(['high', 'medium', 'low', 'unknown']));
      const thermo = alice.find((d) => d.model === 'Thermo')!;
      expect(bob.find((d) => d.model === 'Thermo')).toEqual(thermo);
      expect(thermo.last_session_date).toBeGreaterThan(0); // Bob's readings count for the shared device
      await control(local, 'POST', '/_control/device', { userid: ALICE, deviceid: thermo.deviceid, battery: 'low' });
      expect((await devices(BOB)).find((d) => d.deviceid === thermo.deviceid)!.battery).toBe('low');
      const removed = await control<DevicesBody>(local, 'POST', '/_control/device', { userid: ALICE, deviceid: thermo.deviceid, remove: true });
      expect(removed.devices.map((d) => d.model)).not.toContain('Thermo');
      expect((await devices(ALICE)).map((d) => d.model)).not.toContain('Thermo');
      expect((await devices(BOB)).map((d) => d.model)).toContain('Thermo');
      expect((await fetch(`${local.url}/_control/device`, { method: 'POST', body: JSON.stringify({ userid: ALICE, deviceid: 'nope' }) })).status).toBe(404);
      expect((await fetch(`${local.url}/_control/device`, { method: 'POST', body: JSON.stringify({ userid: BOB, deviceid: thermo.deviceid, battery: 'full' }) })).status).toBe(400);
    } finally {
      await local.close();
    }
  });
});

describe('faults, blocking and the request log', () => {
  afterEach(async () => {
    await control(sim, 'POST', '/_control/faults/clear');
    await control(sim, 'POST', '/_control/block', { on: false });
  });

  test('500 for N requests, then normal replies again', async () => {
    const g = await grant(sim, ALICE);
    await control(sim, 'POST', '/_control/faults', { fault: '500', count: 2 });
    const call = () => fetch(`${sim.url}/v2/user`, { method: 'POST', headers: { Authorization: `Bearer ${g.access_token}` }, body: 'action=getdevice' });
    for (let i = 0; i < 2; i++) {
      const res = await call();
      expect(res.status).toBe(500);
      expect(await res.text()).toBe('Internal Server Error');
    }
    const ok = await call();
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as Envelope).status).toBe(0);
  });

  test('601 with wait_seconds and 522 only on the chosen path; malformed JSON', async () => {
    const g = await grant(sim, ALICE);
    await control(sim, 'POST', '/_control/faults', { fault: '601', path: '/measure', wait_seconds: 42 });
    expect((await post(sim, '/v2/user', { action: 'getdevice' }, g.access_token)).status).toBe(0);
    expect(await post(sim, '/measure', { action: 'getmeas' }, g.access_token)).toEqual({ status: 601, body: { wait_seconds: 42 }, error: 'Too many requests' });
    expect((await post(sim, '/measure', { action: 'getmeas' }, g.access_token)).status).toBe(0);
    await control(sim, 'POST', '/_control/faults', { fault: '522' });
    expect((await post(sim, '/v2/sleep', { action: 'get' }, g.access_token)).status).toBe(522);
    await control(sim, 'POST', '/_control/faults', { fault: 'malformed' });
    const res = await fetch(`${sim.url}/measure`, { method: 'POST', headers: { Authorization: `Bearer ${g.access_token}` }, body: 'action=getmeas' });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toBe('{"status":0,"body":{');
    expect(() => JSON.parse(text)).toThrow();
  });

  test('reset closes the connection; hang never answers; count -1 lasts until cleared', async () => {
    await control(sim, 'POST', '/_control/faults', { fault: 'reset' });
    await expect(fetch(`${sim.url}/measure`, { method: 'POST', body: 'action=getmeas' })).rejects.toThrow();
    await control(sim, 'POST', '/_control/faults', { fault: 'hang', count: -1 });
    for (let i = 0; i < 2; i++) {
      await expect(fetch(`${sim.url}/measure`, { method: 'POST', body: 'action=getmeas', signal: AbortSignal.timeout(150) })).rejects.toThrow();
    }
    await control(sim, 'POST', '/_control/faults/clear');
    expect((await post(sim, '/measure', { action: 'getmeas' })).status).toBe(401);
  });

  test('block holds every request until it is lifted', async () => {
    const g = await grant(sim, BOB);
    await control(sim, 'POST', '/_control/block', { on: true });
    let answered = false;
    const pending = post(sim, '/v2/user', { action: 'getdevice' }, g.access_token).then((r) => {
      answered = true;
      return r;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(answered).toBe(false);
    expect((await control<{ ok: boolean }>(sim, 'GET', '/_control/health')).ok).toBe(true);
    await control(sim, 'POST', '/_control/block', { on: false });
    expect((await pending).status).toBe(0);
  });

  test('every non-control request is logged with its outcome, the user and the reply size', async () => {
    await control(sim, 'POST', '/_control/requests/clear');
    const g = await grant(sim, ALICE);
    await post(sim, '/measure', { action: 'getmeas', meastype: 1 }, g.access_token);
    await post(sim, '/v2/sleep', { action: 'getsummary', lastupdate: 0 });
    await control(sim, 'POST', '/_control/faults', { fault: '500' });
    await fetch(`${sim.url}/v2/user`, { method: 'POST', body: 'action=getdevice' });
    const log = await control<LogEntry[]>(sim, 'GET', '/_control/requests');
    expect(log.map((e) => [e.path, e.action, e.status, e.userid])).toEqual([
      ['/measure', 'getmeas', 0, ALICE],
      ['/v2/sleep', 'getsummary', 401, null],
      ['/v2/user', 'getdevice', 500, null],
    ]);
    expect(log.every((e) => e.t === T0 && e.method === 'POST')).toBe(true);
    expect(log[0].bytes).toBeGreaterThan(100);
    const since = await control<LogEntry[]>(sim, 'GET', `/_control/requests?since=${log[1].i}`);
    expect(since.map((e) => e.path)).toEqual(['/v2/sleep', '/v2/user']);
  });
});

describe('demo data', () => {
  const KEY_TYPES = [1, 8, 5, 76, 88, 4, 12, 71, 73, 6, 9, 10, 11, 54, 77, 91];
  const SUMMARY_FIELDS = [
    'wakeupduration', 'lightsleepduration', 'deepsleepduration', 'remsleepduration', 'wakeupcount', 'durationtosleep',
    'durationtowakeup', 'hr_average', 'hr_min', 'hr_max', 'rr_average', 'rr_min', 'rr_max',
  ];

  test('the 30 Home Assistant keys all have data for at least one person', async () => {
    const alice = await rawData(sim, ALICE);
    const bob = await rawData(sim, BOB);
    const types = new Set([...alice.measuregrps, ...bob.measuregrps].filter((x) => x.category === 1 && x.attrib !== 1).flatMap((x) => x.measures.map((m) => m.type)));
    expect(KEY_TYPES.filter((t) => !types.has(t))).toEqual([]);
    for (const field of SUMMARY_FIELDS) {
      expect(alice.sleep_summaries.some((s) => typeof s.data[field] === 'number')).toBe(true);
    }
    const s = alice.sleep_summaries[0].data;
    expect(s.sleep_latency).toBe(s.durationtosleep);
    expect(s.wakeup_latency).toBe(s.durationtowakeup);
    // sleep_state: a segment in the last 6 hours (Bob's night under way).
    expect(bob.sleep_segments.some((x) => x.enddate >= nowS() - 6 * 3600 && x.state >= 0 && x.state <= 3)).toBe(true);
    expect(alice.sleep_summaries.length).toBe(60);
    expect(bob.sleep_summaries.length).toBe(60);
    expect(alice.timezone).toBe('Europe/Paris');
    expect(bob.timezone).toBe('America/New_York');
  });

  test("a guest weigh-in (attrib 1) is newer than Alice's latest real one; a weight goal has category 2", async () => {
    const alice = await rawData(sim, ALICE);
    const weights = alice.measuregrps.filter((x) => x.category === 1 && x.measures.some((m) => m.type === 1));
    const real = weights.filter((x) => x.attrib !== 1);
    const guest = weights.filter((x) => x.attrib === 1);
    expect(guest.length).toBe(1);
    const latestReal = real.reduce((a, b) => (b.date > a.date ? b : a));
    expect(guest[0].date).toBeGreaterThan(latestReal.date);
    expect(guest[0].created).toBeGreaterThan(Math.max(...real.map((x) => x.created)));
    const guestKg = realValue(guest[0].measures.find((m) => m.type === 1)!);
    const aliceKg = realValue(latestReal.measures.find((m) => m.type === 1)!);
    expect(Math.abs(guestKg - aliceKg)).toBeGreaterThan(15);
    expect(latestReal.created - latestReal.date).toBeGreaterThanOrEqual(120);
    const goal = alice.measuregrps.filter((x) => x.category === 2);
    expect(goal.length).toBe(1);
    expect(goal[0].measures[0].type).toBe(1);
    expect(goal[0].date).toBe(Math.max(...alice.measuregrps.map((x) => x.date)));
  });

  test('real-data quirks: attrib 0/8 duplicates, manual height, a late sync, devices', async () => {
    const alice = await rawData(sim, ALICE);
    const byId = new Map<number, Group[]>();
    for (const x of alice.measuregrps) {
      byId.set(x.grpid, [...(byId.get(x.grpid) ?? []), x]);
    }
    const dups = [...byId.values()].filter((list) => list.length > 1);
    expect(dups.length).toBeGreaterThan(0);
    expect(dups.every((l) => l.map((x) => x.attrib).sort().join() === '0,8' && JSON.stringify(l[0].measures) === JSON.stringify(l[1].measures))).toBe(true);
    const height = alice.measuregrps.find((x) => x.measures.some((m) => m.type === 4));
    expect(height).toEqual(expect.objectContaining({ attrib: 2, deviceid: null }));
    expect(alice.measuregrps.some((x) => x.created - x.date > 2 * 86400)).toBe(true);
    const g = await grant(sim, BOB);
    const devices = await post<{ devices: Array<{ model: string; battery: string; deviceid: string; last_session_date: number | null }> }>(sim, '/v2/user', { action: 'getdevice' }, g.access_token);
    expect(devices.body.devices.map((d) => d.model)).toEqual(['BPM Connect', 'Thermo', 'Body+', 'Aura Dock', 'Aura Sensor V2']);
    expect(devices.body.devices.every((d) => ['high', 'medium', 'low'].includes(d.battery) && /^[0-9a-f]{40}$/.test(d.deviceid))).toBe(true);
    expect((await post(sim, '/v2/user', { action: 'getgoals' }, g.access_token)).body).toEqual({ goals: [] });
  });

  test('the same seed and start give the same data', async () => {
    const other = await startSimulator({ now: () => T0 });
    try {
      const a = await rawData(other, ALICE);
      const b = await rawData(sim, ALICE);
      expect(a.sleep_summaries).toEqual(b.sleep_summaries);
      expect(a.measuregrps.filter((x) => x.created < nowS() - 3600)).toEqual(b.measuregrps.filter((x) => x.created < nowS() - 3600));
    } finally {
      await other.close();
    }
  });
});

describe('robustness', () => {
  test('root answers, control 404s are JSON, bad bodies do not crash the server', async () => {
    expect(await (await fetch(`${sim.url}/`)).text()).toContain('Withings simulator');
    expect((await fetch(`${sim.url}/`, { method: 'HEAD' })).status).toBe(200);
    const nf = await fetch(`${sim.url}/_control/nothing`);
    expect(nf.status).toBe(404);
    expect(await nf.json()).toEqual({ error: 'not found' });
    expect((await fetch(`${sim.url}/_control/measure`, { method: 'POST', body: '{not json' })).status).toBe(400);
    expect((await post(sim, '/measure', { action: 'getmeas', meastypes: 'x'.repeat(100_000) })).status).toBe(401);
    const weird = await fetch(`${sim.url}/measure`, { method: 'POST', body: '%%%&&=&action=%E0%A4%A' });
    expect(((await weird.json()) as Envelope).status).toBe(2554);
    expect((await control<{ ok: boolean }>(sim, 'GET', '/_control/health')).ok).toBe(true);
  });
});
