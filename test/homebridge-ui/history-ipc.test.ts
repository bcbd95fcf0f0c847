/**
 * The dashboard's `/history` request over the real IPC protocol of Config UI X: it reads only the
 * status file and the history files (no Withings at all: the API base points nowhere), gives each
 * profile its series with label, unit and decimals, only the selected measurements, and "no
 * history yet" (no series) for a missing, corrupt or foreign file. Needs `npm run build`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { UiServer } from '../support/ui-server.js';

const NOW = Math.floor(Date.now() / 1000);
let storage: string;
let ui: UiServer;

const put = (name: string, content: unknown): void => writeFileSync(join(storage, 'withings', name), typeof content === 'string' ? content : JSON.stringify(content));

beforeEach(async () => {
  storage = mkdtempSync(join(tmpdir(), 'hb-ui-history-'));
  mkdirSync(join(storage, 'withings'));
  writeFileSync(join(storage, 'config.json'), JSON.stringify({ platforms: [{ platform: 'Withings', profiles: ['Alice', 'Bob', 'Chloé', 'Dan'] }] }));
  put('.status.json', {
    updated_at: NOW,
    profiles: {
      Alice: { state: 'linked', userid: '1001001', since: NOW - 3600, last_sync: NOW - 60 },
      Bob: { state: 'linked', userid: '1001002', since: NOW - 3600 },
      Chloé: { state: 'linked', userid: '1001003', since: NOW - 3600 },
      Dan: { state: 'linked', userid: '../../etc/passwd', since: NOW - 3600 },
    },
  });
  put('1001001.history.json', {
    version: 1, userid: '1001001', updated_at: NOW - 60, timezone: 'Europe/Paris',
    series: {
      weight_kg: [[NOW - 5 * 86_400, 74.1], [NOW - 3 * 3600, 72.4]],
      fat_ratio_pct: [[NOW - 3 * 3600, 21.5]],
      sleep_deep_duration_seconds: [[NOW - 86_400, 5400]],
    },
  });
  put('1001002.history.json', '{"version":1,"userid":"1001002","series":{"weight_kg":[[1'); // cut short
  // Chloé has no history file yet.
  ui = await UiServer.start(storage, { WITHINGS_API_BASE: 'http://127.0.0.1:9', WITHINGS_AUTH_BASE: 'http://127.0.0.1:9' });
});
afterEach(async () => {
  await ui.close();
  rmSync(storage, { recursive: true, force: true });
});

interface Reply {
  now: number;
  profiles: { name: string; userid?: string; timezone?: string; series: { key: string; label: string; unit: string; decimals: number; daily: boolean; points: [number, number][] }[] }[];
}

test('each profile\'s series from its history file; missing, corrupt or unsafe files are "no history yet"', async () => {
  const reply = await ui.request<Reply>('/history', { profiles: ['Alice', 'Bob', 'Chloé', 'Dan', 'Eve'] });
  expect(Math.abs(reply.now - NOW)).toBeLessThan(60);
  const [alice, bob, chloe, dan, eve] = reply.profiles;
  expect(alice).toMatchObject({ name: 'Alice', userid: '1001001', timezone: 'Europe/Paris' });
  expect(alice.series).toEqual([
    { key: 'weight_kg', label: 'Weight', unit: 'kg', decimals: 2, daily: false, points: [[NOW - 5 * 86_400, 74.1], [NOW - 3 * 3600, 72.4]] },
    { key: 'fat_ratio_pct', label: 'Fat Ratio', unit: '%', decimals: 2, daily: false, points: [[NOW - 3 * 3600, 21.5]] },
    { key: 'sleep_deep_duration_seconds', label: 'Deep Sleep', unit: 's', decimals: 0, daily: true, points: [[NOW - 86_400, 5400]] },
  ]);
  expect(bob).toEqual({ name: 'Bob', userid: '1001002', series: [] });
  expect(chloe).toEqual({ name: 'Chloé', userid: '1001003', series: [] });
  expect(dan).toEqual({ name: 'Dan', series: [] });
  expect(eve).toEqual({ name: 'Eve', series: [] });
});

test('only the selected measurements; no status file at all is no history, not an error', async () => {
  const reply = await ui.request<Reply>('/history', { profiles: ['Alice'], measurements: ['weight_kg'] });
  expect(reply.profiles[0].series.map((s) => s.key)).toEqual(['weight_kg']);
  rmSync(join(storage, 'withings', '.status.json'));
  expect((await ui.request<Reply>('/history', { profiles: ['Alice'] })).profiles).toEqual([{ name: 'Alice', series: [] }]);
});
