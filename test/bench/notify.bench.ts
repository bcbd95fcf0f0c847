/**
 * Benchmark of notifications (run by `npm run bench`, not by `npm test`; numbers printed, never asserted):
 *  1. A real Homebridge with notifications on (loopback, lenient simulator): notification → HAP
 *     latency at a client, for in/out of bed (appli 50/51) and a notified weigh-in (appli 1).
 *  2. Idle requests per profile per hour while notifications are verified: the plugin in-process on
 *     a fake clock, the simulator on the same clock (tokens expire, subscriptions are re-checked),
 *     24 simulated hours with nothing happening.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { jest } from '@jest/globals';
import type { PlatformConfig } from 'homebridge';

import { WithingsPlatform } from '../../src/platform/platform.js';
import { linkProfiles } from '../../tools/simulator/link.mjs';
import { startSimulator } from '../../tools/simulator/server.mjs';
import { FakeClock, settle } from '../support/clock.js';
import { control, freePort, PEOPLE, readBridge, requests, withScenario } from '../support/e2e.js';
import { createApi, recordingLog } from '../support/hap.js';
import { HAP_TYPES, HapConnection } from '../support/hap-client.js';

jest.setTimeout(300_000);

const print = (line: string): boolean => process.stdout.write(`${line}\n`);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

test('notification → HAP latency (real Homebridge, read over HAP)', async () => {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/withings`;
  await withScenario({ linked: ['Alice'], sim: { callbackCheck: 'lenient' }, config: { profiles: ['Alice'], notifications: { url, port, host: '127.0.0.1' } } }, async (s) => {
    await s.hb.waitFor(/Alice: Withings notifications active/, 90_000);
    // The sensor appears with the first event; then watch it over HAP events.
    await control(s.sim, 'notify', { userid: PEOPLE.Alice, appli: 50 });
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline && (await readBridge(s.hb.port)).value('Alice In Bed', HAP_TYPES.OccupancyDetected) !== 1) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const bridge = await readBridge(s.hb.port);
    const bed = bridge.char('Alice In Bed', HAP_TYPES.OccupancyDetected)!;
    const weight = bridge.char('Alice Weight', HAP_TYPES.CurrentAmbientLightLevel)!;
    const hap = await HapConnection.open(s.hb.port);
    await hap.subscribe([bed, weight]);
    const bedMs: number[] = [];
    for (let i = 0; i < 10; i++) {
      const appli = i % 2 === 0 ? 51 : 50;
      const before = hap.events.length;
      const sent = Date.now();
      await control(s.sim, 'notify', { userid: PEOPLE.Alice, appli });
      const [e] = await hap.waitForEvents((x) => x.aid === bed.aid && x.iid === bed.iid && x.value === (appli === 50 ? 1 : 0) && hap.events.indexOf(x as never) >= before, 1, 5_000);
      bedMs.push(e.at - sent);
    }
    print(`in/out of bed notification → HAP event, 10 events: median ${median(bedMs)} ms, max ${Math.max(...bedMs)} ms`);
    const weighMs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const value = 70_100 + i * 11;
      const sent = Date.now();
      await control(s.sim, 'measure', { userid: PEOPLE.Alice, measures: [{ type: 1, value, unit: -3 }] });
      const [e] = await hap.waitForEvents((x) => x.aid === weight.aid && x.iid === weight.iid && x.value === value / 1000, 1, 15_000);
      weighMs.push(e.at - sent);
      await new Promise((r) => setTimeout(r, 10_500)); // past the 10 s coalescing window, so each is measured alone
    }
    print(`notified weigh-in (appli 1) → HAP event, 3 weigh-ins: median ${median(weighMs)} ms, max ${Math.max(...weighMs)} ms (includes the 1 s settle that groups bursts)`);
    hap.close();
  });
});

test('idle requests per profile per hour while notifications are verified (24 simulated hours)', async () => {
  const clock = new FakeClock(Date.now());
  const sim = await startSimulator({ now: () => clock.now(), callbackCheck: 'lenient' });
  const storage = mkdtempSync(join(tmpdir(), 'hb-bench-notify-'));
  const saved = { api: process.env.WITHINGS_API_BASE, auth: process.env.WITHINGS_AUTH_BASE };
  process.env.WITHINGS_API_BASE = sim.url;
  process.env.WITHINGS_AUTH_BASE = sim.url;
  const api = createApi(storage);
  try {
    await linkProfiles(sim.url, storage, { Alice: PEOPLE.Alice });
    const port = await freePort();
    const log = recordingLog();
    const platform = new WithingsPlatform(log, {
      platform: 'Withings', client_id: 'demo-client', client_secret: 'demo-secret', profiles: ['Alice'],
      notifications: { url: `http://127.0.0.1:${port}/withings`, port, host: '127.0.0.1' },
    } as PlatformConfig, api, { clock });
    api.fire('didFinishLaunching');
    await platform.started;
    // Real HTTP to the simulator between fake-clock steps: small steps, each given real time to finish.
    const step = async (ms: number, realMs = 5): Promise<void> => {
      await clock.advance(ms);
      await new Promise((r) => setTimeout(r, realMs));
      await settle();
    };
    for (let i = 0; i < 120 && !log.lines.some((l) => /notifications active/.test(l.text)); i++) {
      await step(1_000, 20);
    }
    const active = log.lines.some((l) => /notifications active/.test(l.text));
    const mark = (await requests(sim)).length;
    const hours = 24;
    for (let m = 0; m < hours * 60; m++) {
      await step(60_000);
    }
    const idle = (await requests(sim)).slice(mark).filter((r) => r.userid === PEOPLE.Alice);
    const byKind = new Map<string, number>();
    for (const r of idle) {
      byKind.set(`${r.path} ${r.action}`, (byKind.get(`${r.path} ${r.action}`) ?? 0) + 1);
    }
    print(`notifications ${active ? 'verified' : 'NOT verified'}; idle for ${hours} h: ${idle.length} requests = ${(idle.length / hours).toFixed(2)} per profile per hour (${[...byKind].map(([k, n]) => `${k} ×${n}`).join(', ')})`);
    print('  for comparison, polling only at the default 5 min: 3 per sync × 12 = 36 per hour, plus token refreshes');
  } finally {
    api.fire('shutdown');
    await settle();
    await sim.close();
    rmSync(storage, { recursive: true, force: true });
    process.env.WITHINGS_API_BASE = saved.api;
    process.env.WITHINGS_AUTH_BASE = saved.auth;
    if (saved.api === undefined) {
      delete process.env.WITHINGS_API_BASE;
    }
    if (saved.auth === undefined) {
      delete process.env.WITHINGS_AUTH_BASE;
    }
  }
});
