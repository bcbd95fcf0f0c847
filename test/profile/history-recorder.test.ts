/**
 * The history file as the plugin writes it: atomically with mode 0600, only when its content
 * changed, syncs during a write coalesced, a corrupt file replaced, an unreadable one left alone,
 * nothing written once the grant is gone.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { metricByKey } from '../../src/metrics/catalog.js';
import type { HistoryInput } from '../../src/metrics/history.js';
import { HistoryRecorder } from '../../src/profile/history-recorder.js';
import type { PluginLog } from '../../src/util/log.js';
import { FakeClock } from '../support/clock.js';

const USER = '1001001';
const metrics = [metricByKey('weight_kg')!, metricByKey('sleep_deep_duration_seconds')!];
const quiet: PluginLog = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined } as unknown as PluginLog;

let dir: string;
let clock: FakeClock;
const now = (): number => clock.now() / 1000;
const weighIn = (value: number, at = now() - 3600): HistoryInput => ({
  groups: [], allGroups: false, summaries: [], heldSummaries: [], timezone: 'UTC', values: new Map([['weight_kg', { value, measuredAt: at }]]),
});
const file = (): string => join(dir, `${USER}.history.json`);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hb-history-'));
  clock = new FakeClock();
  writeFileSync(join(dir, `${USER}.json`), '{}'); // the grant
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test('writes 0600 through a temp file, keeps what the file held, and writes again only on change', async () => {
  writeFileSync(file(), JSON.stringify({ version: 1, userid: USER, updated_at: 1, series: { weight_kg: [[now() - 86_400, 74.1]] } }));
  const r = new HistoryRecorder(dir, USER, metrics, clock, quiet);
  r.record(weighIn(72.4));
  await r.flushed();
  expect(statSync(file()).mode & 0o777).toBe(0o600);
  const saved = JSON.parse(readFileSync(file(), 'utf8'));
  expect(saved.series.weight_kg).toEqual([[now() - 86_400, 74.1], [now() - 3600, 72.4]]);
  expect(saved.updated_at).toBe(now());
  expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  r.record(weighIn(72.4)); // the same reading again: nothing to write
  await r.flushed();
  expect(r.writes).toBe(1);
  r.record(weighIn(72.1, now() - 60));
  await r.flushed();
  expect(r.writes).toBe(2);
});

test('syncs arriving during a write are coalesced into one write after it', async () => {
  const r = new HistoryRecorder(dir, USER, metrics, clock, quiet);
  r.record(weighIn(72.4, now() - 300));
  r.record(weighIn(72.3, now() - 200));
  r.record(weighIn(72.2, now() - 100));
  await r.flushed();
  expect(r.writes).toBe(1);
  expect(JSON.parse(readFileSync(file(), 'utf8')).series.weight_kg).toHaveLength(3);
});

test('a corrupt file starts a new history; an unreadable one is left alone and retried', async () => {
  writeFileSync(file(), '{"version":1,"userid":');
  const r = new HistoryRecorder(dir, USER, metrics, clock, quiet);
  r.record(weighIn(72.4));
  await r.flushed();
  expect(JSON.parse(readFileSync(file(), 'utf8')).series.weight_kg).toEqual([[now() - 3600, 72.4]]);

  const other = '1001002';
  writeFileSync(join(dir, `${other}.json`), '{}');
  mkdirSync(join(dir, `${other}.history.json`)); // reading fails with EISDIR: not "missing", not "corrupt"
  const s = new HistoryRecorder(dir, other, metrics, clock, quiet);
  s.record(weighIn(80));
  await s.flushed();
  expect(s.writes).toBe(0);
  rmSync(join(dir, `${other}.history.json`), { recursive: true });
  writeFileSync(join(dir, `${other}.history.json`), JSON.stringify({ version: 1, userid: other, updated_at: 1, series: { weight_kg: [[now() - 86_400, 81]] } }));
  s.record(weighIn(79.5, now() - 60)); // the points of the failed round were kept
  await s.flushed();
  expect(JSON.parse(readFileSync(join(dir, `${other}.history.json`), 'utf8')).series.weight_kg).toEqual([[now() - 86_400, 81], [now() - 3600, 80], [now() - 60, 79.5]]);
});

test('nothing is written once the token file is gone (unlinked in the settings meanwhile)', async () => {
  rmSync(join(dir, `${USER}.json`));
  const r = new HistoryRecorder(dir, USER, metrics, clock, quiet);
  r.record(weighIn(72.4));
  await r.flushed();
  expect(existsSync(file())).toBe(false);
});
