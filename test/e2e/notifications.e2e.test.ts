/**
 * Notifications through a real Homebridge 2.x against the simulator (lenient callback check, so a
 * loopback URL is accepted): the plugin subscribes the needed applis, appli 50 shows "Alice In Bed"
 * detected over HAP within 2 s, a notified weigh-in shows without waiting for a poll (the safety
 * poll is then 1 h), a POST without the secret or for an unknown user changes nothing, and a
 * subscription removed on the Withings side is back after a restart.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { jest } from '@jest/globals';

import { HAP_TYPES, HapConnection } from '../support/hap-client.js';
import { control, freePort, PEOPLE, readBridge, restart, withScenario } from '../support/e2e.js';

jest.setTimeout(240_000);

const APPLIS = [1, 2, 4, 44, 50, 51];

interface Subscriptions {
  [userid: string]: { appli: number; callbackurl: string; comment?: string }[];
}

async function waitUntil<T>(probe: () => Promise<T | undefined>, timeoutMs: number, stepMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) {
      return v;
    }
    if (Date.now() > deadline) {
      throw new Error(`not within ${timeoutMs} ms`);
    }
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

const post = (url: string, body: string) => fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body });

test('Homebridge 2.x: subscriptions, In Bed within 2 s, a notified weigh-in within 5 s, forged POSTs change nothing, a removed subscription heals on restart', async () => {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/withings`;
  await withScenario({ linked: ['Alice'], sim: { callbackCheck: 'lenient' }, config: { profiles: ['Alice'], notifications: { url, port, host: '127.0.0.1' } } }, async (s) => {
    await s.hb.waitFor(/Alice: Withings notifications active \(appli 1, 2, 4, 44, 50, 51\)/, 90_000);
    const secret = readFileSync(join(s.storage, 'withings', '.notify-secret'), 'utf8').trim();
    expect(secret).toMatch(/^[0-9a-f]{40}$/);
    expect(s.hb.logText()).not.toContain(secret);
    const subs = await control<Subscriptions>(s.sim, 'subscriptions');
    expect(subs[PEOPLE.Alice].map((x) => x.appli).sort((a, b) => a - b)).toEqual(APPLIS);
    expect(subs[PEOPLE.Alice].every((x) => x.callbackurl === `${url}/${secret}` && x.comment === 'homebridge-withings')).toBe(true);
    // The status file is written right after the log line (asynchronously): wait for it.
    const notifications = await waitUntil(async () => {
      const n = JSON.parse(readFileSync(join(s.storage, 'withings', '.status.json'), 'utf8')).profiles.Alice.notifications;
      return n?.state === 'active' ? n : undefined;
    }, 5_000);
    expect(notifications).toMatchObject({ state: 'active', applis: APPLIS, callback: `${url}/${secret.slice(0, 4)}…` });

    // appli 50 → In Bed detected, read over HAP from outside.
    const sent = Date.now();
    await control(s.sim, 'notify', { userid: PEOPLE.Alice, appli: 50 });
    const inBedAt = await waitUntil(async () => {
      const b = await readBridge(s.hb.port);
      return b.value('Alice In Bed', HAP_TYPES.OccupancyDetected) === 1 ? Date.now() : undefined;
    }, 5_000);
    const inBedMs = inBedAt - sent;
    expect(inBedMs).toBeLessThan(2_000);

    // Forged: without the secret, and for a user no profile is linked to: nothing changes.
    expect((await post(`${url}/not-the-secret`, `userid=${PEOPLE.Alice}&appli=51`)).status).toBe(404);
    expect((await post(`${url}/${secret}`, 'userid=999999&appli=51')).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await readBridge(s.hb.port)).value('Alice In Bed', HAP_TYPES.OccupancyDetected)).toBe(1);

    // A weigh-in Withings announces (appli 1) shows within seconds: the poll is now an hour away.
    const bridge = await readBridge(s.hb.port);
    const weight = bridge.char('Alice Weight', HAP_TYPES.CurrentAmbientLightLevel)!;
    const hap = await HapConnection.open(s.hb.port);
    await hap.subscribe([weight]);
    const weighed = Date.now();
    await control(s.sim, 'measure', { userid: PEOPLE.Alice, measures: [{ type: 1, value: 70555, unit: -3 }] });
    const [event] = await hap.waitForEvents((e) => e.aid === weight.aid && e.iid === weight.iid, 1, 5_000);
    expect(event.value).toBe(70.555);
    const weighMs = event.at - weighed;
    hap.close();
    console.log(`notification → HAP: in bed ${inBedMs} ms, weigh-in ${weighMs} ms`);

    // Out of bed, then a restart: the last state shows at once from the cache.
    await control(s.sim, 'notify', { userid: PEOPLE.Alice, appli: 51 });
    await waitUntil(async () => ((await readBridge(s.hb.port)).value('Alice In Bed', HAP_TYPES.OccupancyDetected) === 0 ? true : undefined), 5_000);

    // Withings drops one subscription; after a restart the plugin subscribes it again.
    const token = JSON.parse(readFileSync(join(s.storage, 'withings', `${PEOPLE.Alice}.json`), 'utf8')).access_token as string;
    s.secrets.push(token);
    const revoked = await fetch(`${s.sim.url}/notify`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/x-www-form-urlencoded' }, body: `action=revoke&appli=50&callbackurl=${encodeURIComponent(`${url}/${secret}`)}` });
    expect((await revoked.json() as { status: number }).status).toBe(0);
    await restart(s);
    expect((await readBridge(s.hb.port)).value('Alice In Bed', HAP_TYPES.OccupancyDetected)).toBe(0);
    await s.hb.waitFor(/Alice: Withings notifications active/, 90_000);
    const healed = await control<Subscriptions>(s.sim, 'subscriptions');
    expect(healed[PEOPLE.Alice].map((x) => x.appli).sort((a, b) => a - b)).toEqual(APPLIS);
    expect(s.hb.problems([])).toEqual([]);
  });
});
