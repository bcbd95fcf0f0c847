/**
 * Benchmark (run by `npm run bench`, not by `npm test`): a real Homebridge with two linked profiles
 * against the simulator. Prints, for the steady state (after the first sync), the requests and bytes
 * per profile per sync, and the time from a new measurement to the HAP event at a client. Numbers
 * are printed, never asserted.
 */
import { jest } from '@jest/globals';

import { HAP_TYPES, HapConnection } from '../support/hap-client.js';
import { control, PEOPLE, requests, withScenario } from '../support/e2e.js';

jest.setTimeout(240_000);

const print = (line: string): boolean => process.stdout.write(`${line}\n`);

test('steady-state cost of a sync, and new measurement → HAP event', async () => withScenario({}, async (s) => {
  const first = await requests(s.sim);
  const perUser = <T extends { userid?: string | null }>(list: T[], userid: string): T[] => list.filter((r) => r.userid === userid);
  for (const [name, userid] of Object.entries(PEOPLE)) {
    const mine = perUser(first, userid);
    print(`first sync, ${name}: ${mine.length} requests, ${mine.reduce((a, r) => a + r.bytes, 0)} bytes received`);
  }

  // Steady state: the next sync of each profile.
  const mark = first.length;
  const hap = await HapConnection.open(s.hb.port);
  const bridge = await hap.accessories();
  const weight = bridge.char('Alice Weight', HAP_TYPES.CurrentAmbientLightLevel)!;
  await hap.subscribe([weight]);
  let steady: Awaited<ReturnType<typeof requests>> = [];
  const deadline = Date.now() + 45_000;
  while (Date.now() < deadline) {
    steady = (await requests(s.sim)).slice(mark);
    // A steady-state sync: getmeas, getsummary, sleep get, getactivity (goals and devices take the summaries' turn when due).
    if (Object.values(PEOPLE).every((u) => perUser(steady, u).length >= 4)) {break;}
    await new Promise((r) => setTimeout(r, 250));
  }
  for (const [name, userid] of Object.entries(PEOPLE)) {
    const mine = perUser(steady, userid);
    print(`steady-state sync, ${name}: ${mine.length} requests per profile per sync (budget ≤ 4: ${mine.map((r) => `${r.path} ${r.action}`).join(', ')}), ${mine.reduce((a, r) => a + r.bytes, 0)} bytes received`);
  }

  // A new weigh-in right after a sync: it shows at the next one.
  const added = Date.now();
  await control(s.sim, 'measure', { userid: PEOPLE.Alice, measures: [{ type: 1, value: 69_876, unit: -3 }] });
  const mark2 = (await requests(s.sim)).length;
  const [event] = await hap.waitForEvents((e) => e.aid === weight.aid && e.iid === weight.iid && e.value === 69.876, 1, 45_000);
  const fetched = (await requests(s.sim)).slice(mark2).find((r) => r.userid === PEOPLE.Alice && r.path === '/measure');
  print(`new measurement → HAP event: ${event.at - added} ms (waiting for the next 30 s sync included)`);
  if (fetched) {
    print(`sync triggered (getmeas request at the simulator) → HAP event at the client: ${event.at - fetched.t} ms`);
  }
  hap.close();
}));
