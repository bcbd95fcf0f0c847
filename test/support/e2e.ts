/**
 * End-to-end scenarios: the Withings simulator, a real Homebridge (child process) with the built
 * plugin pointed at it, and a HAP client reading the bridge from outside.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { METRICS, type MetricDefinition, sourcesOf } from '../../src/metrics/catalog.js';
import { exactValue, homeKitValue } from '../../src/accessories/hap-values.js';
import { composeName } from '../../src/accessories/names.js';
import type { MeasureGroup, SleepSummary } from '../../src/metrics/data.js';
import { parseActivityPage, parseGoals, parseMeasureGroup, parseSleepSegments, parseSleepSummary } from '../../src/withings/types.js';
import { computeValues, type Reading } from '../../src/metrics/values.js';
import { DEMO_PEOPLE, linkProfiles } from '../../tools/simulator/link.mjs';
import { startSimulator } from '../../tools/simulator/server.mjs';
import type { LogEntry, RawData, Simulator } from '../../tools/simulator/types.js';
import { HAP_TYPES, type HapSnapshot, readBridge } from './hap-client.js';
import { type HomebridgeLine, HomebridgeProcess } from './homebridge.js';

export const PEOPLE = DEMO_PEOPLE;
export type Person = keyof typeof PEOPLE;
export const CLIENT = { client_id: 'demo-client', client_secret: 'demo-secret' };

export async function control<T = unknown>(sim: Simulator, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${sim.url}/_control/${path}`, body === undefined ? undefined : {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });
  if (!res.ok) {throw new Error(`control ${path}: HTTP ${res.status}`);}
  return await res.json() as T;
}

/** One entry of the simulator's request log. */
export type SimRequest = LogEntry;

export const requests = (sim: Simulator, since = 0): Promise<SimRequest[]> => control<SimRequest[]>(sim, `requests?since=${since}`);

export interface Scenario {
  readonly sim: Simulator;
  readonly storage: string;
  hb: HomebridgeProcess;
  readonly secrets: string[];
  readonly env: Record<string, string>;
  readonly platform: Record<string, unknown>;
  readonly line: HomebridgeLine;
}

/**
 * A simulator with the demo people, token files as the settings UI writes them, and a Homebridge
 * that has synced every linked profile once.
 */
export async function startScenario(options: {
  line?: HomebridgeLine;
  linked?: Person[];
  config?: Record<string, unknown>;
  /** Runs against the simulator before Homebridge starts (e.g. to add a reading). */
  beforeStart?: (sim: Simulator) => Promise<void>;
  /** Simulator options (e.g. `callbackCheck: 'lenient'` for loopback notification callbacks). */
  sim?: Parameters<typeof startSimulator>[0];
} = {}): Promise<Scenario> {
  const sim = await startSimulator(options.sim ?? {});
  await options.beforeStart?.(sim);
  const storage = mkdtempSync(join(tmpdir(), 'hb-e2e-'));
  const linked = options.linked ?? ['Alice', 'Bob'];
  const grants = await linkProfiles(sim.url, storage, Object.fromEntries(linked.map((p) => [p, PEOPLE[p]])), CLIENT.client_id);
  const secrets = [CLIENT.client_secret, ...grants.flatMap((g) => [g.access_token, g.refresh_token])];
  const env = { WITHINGS_API_BASE: sim.url, WITHINGS_AUTH_BASE: sim.url };
  const platform = { platform: 'Withings', ...CLIENT, profiles: ['Alice', 'Bob'], update_interval: 30, ...options.config };
  const line = options.line ?? '2';
  const hb = await HomebridgeProcess.start({ line, platform, env, storage });
  await hb.waitFor(/is running on port/);
  for (const person of linked) {
    await hb.waitFor(new RegExp(`\\[Withings\\] ${person}: linked to Withings user`));
  }
  return { sim, storage, hb, secrets, env, platform, line };
}

export async function stopScenario(s: Scenario | undefined): Promise<void> {
  if (!s) {return;}
  await s.hb.stop();
  await s.sim.close();
  s.hb.remove();
}

/** Runs `body` with a fresh scenario, which is always stopped and removed afterwards. */
export async function withScenario(options: Parameters<typeof startScenario>[0], body: (s: Scenario) => Promise<void>): Promise<void> {
  let s: Scenario | undefined;
  try {
    s = await startScenario(options);
    await body(s);
  } finally {
    await stopScenario(s);
  }
}

/** Restarts Homebridge on the same storage (cache, token files). */
export async function restart(s: Scenario, waitFor?: RegExp): Promise<void> {
  await s.hb.stop();
  s.hb = await HomebridgeProcess.start({ line: s.line, platform: s.platform, env: s.env, storage: s.storage, port: s.hb.port });
  await s.hb.waitFor(waitFor ?? /is running on port/);
}

/** The values the plugin's own rules give for what the simulator holds for a person now. */
export async function expectedValues(sim: Simulator, person: Person, metrics: readonly MetricDefinition[] = METRICS): Promise<Map<string, Reading>> {
  const data = await control<RawData>(sim, `data/${PEOPLE[person]}`);
  const now = Math.floor(Date.now() / 1000);
  return computeValues({
    groups: data.measuregrps.map(parseMeasureGroup).filter((g): g is MeasureGroup => g !== undefined),
    summaries: data.sleep_summaries.map(parseSleepSummary).filter((x): x is SleepSummary => x !== undefined),
    segments: parseSleepSegments({ series: data.sleep_segments }),
    activities: parseActivityPage({ activities: data.activities }, now).activities,
    // The goals' "measured at" is when the plugin read them; only the values are compared.
    goals: { goals: parseGoals({ goals: data.goals }), seenAt: now },
    timezone: data.timezone,
  }, sourcesOf(metrics), now);
}

const PRIMARY: Record<MetricDefinition['homekit'], string> = {
  LightSensor: HAP_TYPES.CurrentAmbientLightLevel,
  TemperatureSensor: HAP_TYPES.CurrentTemperature,
  HumiditySensor: HAP_TYPES.CurrentRelativeHumidity,
  OccupancySensor: HAP_TYPES.OccupancyDetected,
};

export interface Shown {
  readonly shown: unknown;
  readonly exact: unknown;
}

/** What the bridge serves for a person's metric: the value Apple Home shows and the exact custom value. */
export function shownOnBridge(snapshot: HapSnapshot, person: Person, metric: MetricDefinition): Shown | undefined {
  const name = composeName(person, metric.label);
  if (!snapshot.service(name)) {return undefined;}
  return { shown: snapshot.value(name, PRIMARY[metric.homekit]), exact: snapshot.value(name, metric.uuid) };
}

/** What the bridge should serve for a reading (the same mapping the plugin applies). */
export function expectedOnBridge(metric: MetricDefinition, reading: Reading): Shown {
  const now = Math.floor(Date.now() / 1000);
  return { shown: homeKitValue(metric, reading, now), exact: exactValue(metric, reading, now) };
}

export { readBridge };

/** A free loopback port (for the notification listener of a scenario). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
