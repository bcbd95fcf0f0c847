/**
 * The whole path through a real Homebridge (started from devDependencies, with the built plugin)
 * against the Withings simulator, read over HAP from outside the process. Scenarios run side by
 * side: each has its own simulator, storage and bridge. Syncs run at the 30 s minimum interval, so
 * a scenario that waits for "the next sync" takes up to half a minute of real time.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { jest } from '@jest/globals';

import { METRICS, metricByKey } from '../../src/metrics/catalog.js';
import { localDate } from '../../src/metrics/values.js';
import { HAP_TYPES, HapConnection } from '../support/hap-client.js';
import {
  control, expectedOnBridge, expectedValues, PEOPLE, type Person, readBridge, requests, restart, type Scenario, shownOnBridge,
  withScenario,
} from '../support/e2e.js';

jest.setTimeout(180_000);

const SYNC_WAIT_MS = 45_000; // one 30 s interval, with room for a loaded machine

/** Nothing worrying in the log, and no token, code or secret anywhere in it. */
function checkLog(s: Scenario, expected: RegExp[] = []): void {
  expect(s.hb.problems(expected)).toEqual([]);
  const text = s.hb.logText();
  const files = ['1001001', '1001002'].flatMap((u) => {
    try {
      const r = JSON.parse(readFileSync(join(s.storage, 'withings', `${u}.json`), 'utf8'));
      return [r.access_token, r.refresh_token];
    } catch {
      return [];
    }
  });
  for (const secret of [...s.secrets, ...files]) {
    expect(text).not.toContain(secret);
  }
  expect(text).not.toMatch(/[?&]code=|Bearer \w/);
}

/** Every metric's [key, shown] next to what the rules give, and how many had a value. */
async function compareAllValues(s: Scenario, person: Person): Promise<{ pairs: [unknown, unknown][]; checked: number }> {
  const expected = await expectedValues(s.sim, person);
  const bridge = await readBridge(s.hb.port);
  const pairs: [unknown, unknown][] = [];
  let checked = 0;
  for (const metric of METRICS) {
    const reading = expected.get(metric.key);
    const shown = shownOnBridge(bridge, person, metric);
    if (reading === undefined) {
      // No data for this metric: no service (sleep_state keeps its service once it had data).
      if (metric.key !== 'sleep_state') {pairs.push([[metric.key, shown], [metric.key, undefined]]);}
      continue;
    }
    pairs.push([[metric.key, shown], [metric.key, expectedOnBridge(metric, reading)]]);
    checked++;
  }
  return { pairs, checked };
}

async function checkAllValues(s: Scenario, person: Person): Promise<number> {
  let result = await compareAllValues(s, person);
  if (result.pairs.some(([a, b]) => JSON.stringify(a) !== JSON.stringify(b))) {
    // The simulated watch syncs every 10 minutes: it may have done so since the plugin's last sync.
    await new Promise((r) => setTimeout(r, SYNC_WAIT_MS));
    result = await compareAllValues(s, person);
  }
  for (const [shown, expected] of result.pairs) {
    expect(shown).toEqual(expected);
  }
  return result.checked;
}

test.concurrent.each(['2', '1'] as const)('Homebridge %s.x: two linked profiles: every metric with data shows the value of the value rules, over HAP', async (line) => withScenario({ line }, async (s) => {
  const alice = await checkAllValues(s, 'Alice');
  const bob = await checkAllValues(s, 'Bob');
  // Together the two demo people cover all 60 measurements (issue 14 added 30).
  expect(alice + bob).toBeGreaterThanOrEqual(60);
  const bridge = await readBridge(s.hb.port);
  expect(Boolean(bridge.value('Alice Weight', HAP_TYPES.StatusActive))).toBe(true); // HAP's JSON carries 1/0
  expect(bridge.value('Alice Weight', HAP_TYPES.StatusFault)).toBe(0);
  // The guest weigh-in (attrib 1, 95 kg) and the weight goal (category 2) never show.
  expect(bridge.value('Alice Weight', HAP_TYPES.CurrentAmbientLightLevel)).not.toBe(95);
  checkLog(s);
}));

test.concurrent('a new weigh-in appears at the next sync, with one "Weigh-in" press; a restart shows the last values before Withings answers, and presses nothing', async () => withScenario({}, async (s) => {
  const before = await readBridge(s.hb.port);
  const weight = before.char('Alice Weight', HAP_TYPES.CurrentAmbientLightLevel)!;
  const button = before.char('Alice Weigh-in', HAP_TYPES.ProgrammableSwitchEvent)!;
  expect(button).toBeDefined();
  const hap = await HapConnection.open(s.hb.port);
  await hap.subscribe([weight, button]);
  const { grpid } = await control<{ grpid: number }>(s.sim, 'measure', { userid: PEOPLE.Alice, measures: [{ type: 1, value: 71234, unit: -3 }] });
  expect(grpid).toBeGreaterThan(0);
  const [value] = await hap.waitForEvents((e) => e.aid === weight.aid && e.iid === weight.iid, 1, SYNC_WAIT_MS);
  expect(value.value).toBe(71.234);
  const presses = await hap.waitForEvents((e) => e.aid === button.aid && e.iid === button.iid, 1, 5_000);
  await new Promise((r) => setTimeout(r, 1_500)); // any second press would come with the first
  expect(hap.events.filter((e) => e.aid === button.aid && e.iid === button.iid)).toHaveLength(1);
  expect(presses[0].value).toBe(0);
  hap.close();
  expect(s.hb.lines.some((l) => /Alice: new weigh-in/.test(l.text))).toBe(true);

  // Restart with Withings blocked: the values are there before any answer, and no press follows.
  await control(s.sim, 'block', { on: true });
  const answeredBefore = (await requests(s.sim)).filter((r) => r.status !== null).length;
  await restart(s);
  const cached = await readBridge(s.hb.port);
  expect(cached.value('Alice Weight', HAP_TYPES.CurrentAmbientLightLevel)).toBe(71.234);
  expect(cached.value('Bob Systolic Blood Pressure', HAP_TYPES.CurrentAmbientLightLevel)).toBe(before.value('Bob Systolic Blood Pressure', HAP_TYPES.CurrentAmbientLightLevel));
  expect((await requests(s.sim)).filter((r) => r.status !== null).length).toBe(answeredBefore);
  const watch = await HapConnection.open(s.hb.port);
  await watch.subscribe([cached.char('Alice Weigh-in', HAP_TYPES.ProgrammableSwitchEvent)!]);
  await control(s.sim, 'block', { on: false });
  await s.hb.waitFor(/Alice: linked to Withings user/);
  await new Promise((r) => setTimeout(r, 2_000));
  expect(watch.events).toEqual([]);
  watch.close();
  checkLog(s);
}));

test.concurrent('the access token expires mid-run: one refresh, the rotated pair saved, no gap', async () => withScenario({ linked: ['Alice'] }, async (s) => {
  const file = join(s.storage, 'withings', `${PEOPLE.Alice}.json`);
  const before = JSON.parse(readFileSync(file, 'utf8'));
  const mark = (await requests(s.sim)).length;
  await control(s.sim, 'tokens/expire', { userid: PEOPLE.Alice });
  const hap = await HapConnection.open(s.hb.port);
  const bridge = await hap.accessories();
  const active = bridge.char('Alice Weight', HAP_TYPES.StatusActive)!;
  await hap.subscribe([active]);
  // Wait for the next sync to finish: the first data call after it is refused, refreshed, retried.
  const deadline = Date.now() + SYNC_WAIT_MS;
  let after: { path: string; action?: string; status: number | null }[] = [];
  while (Date.now() < deadline) {
    after = (await requests(s.sim)).slice(mark);
    if (after.some((r) => r.action === 'getactivity')) {break;}
    await new Promise((r) => setTimeout(r, 500));
  }
  expect(after.map((r) => `${r.path} ${r.action} ${r.status}`)).toEqual([
    '/measure getmeas 401', '/v2/oauth2 requesttoken 0', '/measure getmeas 0', '/v2/sleep getsummary 0', '/v2/sleep get 0', '/v2/measure getactivity 0',
  ]);
  const rotated = JSON.parse(readFileSync(file, 'utf8'));
  expect(rotated.refresh_token).not.toBe(before.refresh_token);
  expect(rotated.access_token).not.toBe(before.access_token);
  expect(rotated.expires_at).toBeGreaterThan(before.expires_at - 1);
  s.secrets.push(rotated.access_token, rotated.refresh_token);
  expect(hap.events).toEqual([]); // StatusActive never went false: no gap
  hap.close();
  checkLog(s);
}));

test.concurrent.each([
  ['500', { fault: '500' }],
  ['601', { fault: '601', wait_seconds: 5 }],
  ['hang', { fault: 'hang' }],
  ['malformed JSON', { fault: 'malformed' }],
])('failures (%s): values kept, StatusActive false, one warning; recovery after', async (_name, fault) => withScenario({ linked: ['Alice'] }, async (s) => {
  const hap = await HapConnection.open(s.hb.port);
  const bridge = await hap.accessories();
  const weightBefore = bridge.value('Alice Weight', HAP_TYPES.CurrentAmbientLightLevel);
  const active = bridge.char('Alice Weight', HAP_TYPES.StatusActive)!;
  await hap.subscribe([active]);
  await control(s.sim, 'faults', { ...fault, count: -1, path: '/measure' });
  const [down] = await hap.waitForEvents((e) => e.iid === active.iid && e.aid === active.aid, 1, SYNC_WAIT_MS + 15_000);
  expect(Boolean(down.value)).toBe(false); // HAP sends booleans as 0/1 in events
  const during = await readBridge(s.hb.port);
  expect(during.value('Alice Weight', HAP_TYPES.CurrentAmbientLightLevel)).toBe(weightBefore);
  expect(during.value('Alice Weight', HAP_TYPES.StatusFault)).toBe(0);
  await control(s.sim, 'faults/clear', {});
  const [, up] = await hap.waitForEvents((e) => e.iid === active.iid && e.aid === active.aid, 2, SYNC_WAIT_MS + 15_000);
  expect(Boolean(up.value)).toBe(true);
  hap.close();
  const warnings = s.hb.lines.filter((l) => l.level === 'warn' && l.text.includes('[Withings]'));
  expect(warnings).toHaveLength(1);
  expect(warnings[0].text).toMatch(/Alice: Withings sync failed/);
  expect(s.hb.lines.some((l) => /Alice: Withings sync works again/.test(l.text))).toBe(true);
  checkLog(s, [/Alice: Withings sync failed/]);
}));

test.concurrent('a revoked grant: StatusFault, one clear error line, and no request loop', async () => withScenario({ linked: ['Alice'] }, async (s) => {
  const hap = await HapConnection.open(s.hb.port);
  const bridge = await hap.accessories();
  const fault = bridge.char('Alice Weight', HAP_TYPES.StatusFault)!;
  await hap.subscribe([fault]);
  await control(s.sim, 'tokens/revoke', { userid: PEOPLE.Alice });
  const mark = (await requests(s.sim)).length;
  const [event] = await hap.waitForEvents((e) => e.iid === fault.iid && e.aid === fault.aid, 1, SYNC_WAIT_MS);
  expect(event.value).toBe(1);
  hap.close();
  const afterFault = (await requests(s.sim)).slice(mark);
  expect(afterFault.map((r) => `${r.path} ${r.status}`)).toEqual(['/measure 401', '/v2/oauth2 503']);
  // Another whole interval: not a single request.
  await new Promise((r) => setTimeout(r, 35_000));
  expect((await requests(s.sim)).slice(mark)).toHaveLength(2);
  const errors = s.hb.lines.filter((l) => l.level === 'error');
  expect(errors).toHaveLength(1);
  expect(errors[0].text).toMatch(/Alice: Withings no longer accepts this profile's link .*press "Re-link" next to Alice/);
  expect((await readBridge(s.hb.port)).value('Alice Weight', HAP_TYPES.CurrentAmbientLightLevel)).toBe(bridge.value('Alice Weight', HAP_TYPES.CurrentAmbientLightLevel));
  checkLog(s, [/no longer accepts this profile's link/]);
}));

test.concurrent('a threshold alert "SpO2 below 92": open at start with a latest SpO2 of 90, closed after a reading of 96', async () => withScenario({
  linked: ['Alice'],
  config: { alerts: [{ profile: 'Alice', measurement: 'spo2_pct', below: 92, name: 'Low SpO2' }] },
  beforeStart: (sim) => control(sim, 'measure', { userid: PEOPLE.Alice, measures: [{ type: 54, value: 90, unit: 0 }] }).then(() => undefined),
}, async (s) => {
  const hap = await HapConnection.open(s.hb.port);
  const bridge = await hap.accessories();
  expect(bridge.value('Alice SpO2', HAP_TYPES.CurrentRelativeHumidity)).toBe(90);
  const alert = bridge.char('Alice Low SpO2', HAP_TYPES.ContactSensorState)!;
  expect(alert.value).toBe(1); // open: alerting
  await hap.subscribe([alert]);
  await control(s.sim, 'measure', { userid: PEOPLE.Alice, measures: [{ type: 54, value: 96, unit: 0 }] });
  const [closed] = await hap.waitForEvents((e) => e.aid === alert.aid && e.iid === alert.iid, 1, SYNC_WAIT_MS);
  expect(closed.value).toBe(0);
  hap.close();
  checkLog(s);
}));

test.concurrent('goals and devices: the Step Goal opens when steps cross the goal; a low battery shows StatusLowBattery 1; a shared device is one accessory', async () => withScenario({}, async (s) => {
  const data = await control<{ goals: { steps?: number }; timezone: string }>(s.sim, `data/${PEOPLE.Alice}`);
  const goal = data.goals.steps!;
  expect(goal).toBeGreaterThan(0);
  const today = localDate(Math.floor(Date.now() / 1000), data.timezone);
  const hap = await HapConnection.open(s.hb.port);
  let bridge = await hap.accessories();

  // Devices: Bob's BPM Connect is low; the Thermo Alice and Bob share is one accessory.
  expect(bridge.value('BPM Connect Blood Pressure Monitor', HAP_TYPES.StatusLowBattery)).toBe(1);
  expect(bridge.value('Thermo Smart Connected Thermometer', HAP_TYPES.StatusLowBattery)).toBe(0); // medium
  const thermos = bridge.accessories.filter((a) => a.services.some((sv) => sv.characteristics.some((c) => typeof c.value === 'string' && /^Thermo\b/.test(c.value))));
  expect(thermos).toHaveLength(1);

  // Steps below the goal, then across it: the contact sensor opens at the next sync.
  await control(s.sim, 'activity', { userid: PEOPLE.Alice, date: today, steps: Math.max(0, goal - 500) });
  const state = bridge.char('Alice Step Goal', HAP_TYPES.ContactSensorState)!;
  expect(state).toBeDefined();
  await hap.subscribe([state]);
  if (state.value !== 0) {
    await hap.waitForEvents((e) => e.aid === state.aid && e.iid === state.iid && e.value === 0, 1, SYNC_WAIT_MS);
  }
  await control(s.sim, 'activity', { userid: PEOPLE.Alice, date: today, steps: goal + 250 });
  const [opened] = await hap.waitForEvents((e) => e.aid === state.aid && e.iid === state.iid && e.value === 1, 1, SYNC_WAIT_MS);
  expect(opened.value).toBe(1);
  bridge = await hap.accessories();
  expect(bridge.value('Alice Steps Today', metricByKey('steps_today')!.uuid)).toBe(goal + 250);
  hap.close();
  checkLog(s);
}));
