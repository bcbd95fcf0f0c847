/**
 * A real Homebridge (2.x and 1.x from devDependencies) loads the built plugin: with the seed's
 * example config it logs the "link your profiles" line once and nothing else worrying; with a
 * broken config it logs one error line naming the key and keeps running; it stops cleanly.
 * Needs `npm run build` first (npm test runs it through `pretest`).
 */
import { existsSync, mkdirSync, readdirSync, watch } from 'node:fs';
import { join } from 'node:path';

import { HomebridgeProcess, type HomebridgeLine, REPO } from './support/homebridge.js';

const SEED = { platform: 'Withings', client_id: 'my-client-id', client_secret: 'my-very-secret-value', profiles: ['Alice'] };

beforeAll(() => {
  if (!existsSync(join(REPO, 'dist', 'index.js'))) {
    throw new Error('dist/ is missing: run npm run build before the tests');
  }
});

describe.each<HomebridgeLine>(['2', '1'])('Homebridge %s.x start-up', (line) => {
  let hb: HomebridgeProcess | undefined;

  afterEach(async () => {
    await hb?.stop();
    hb?.remove();
    hb = undefined;
  });

  test('the seed config loads and asks once to link the profile, with no warnings', async () => {
    hb = await HomebridgeProcess.start({ line, platform: SEED });
    await hb.waitFor(/is running on port/);
    await hb.waitFor(/\[Withings\] No profile is linked to Withings yet/);
    const hints = hb.lines.filter((l) => /not linked|No profile is linked/.test(l.text));
    expect(hints).toHaveLength(1);
    expect(hints[0].text).toContain('Plugins → Withings → Settings');
    expect(hints[0].text).toContain('"Alice"');
    expect(hb.lines.some((l) => /Loaded plugin: homebridge-withings@/.test(l.text))).toBe(true);
    expect(hb.problems()).toEqual([]);
    expect(hb.logText()).not.toContain('my-very-secret-value');
    // Nothing is written outside the storage folder's own "withings" sub-folder and Homebridge's files.
    expect(readdirSync(hb.storage).sort()).toEqual(expect.arrayContaining(['config.json']));
    const stopped = await hb.stop();
    expect(stopped.killed).toBe(false);
    expect(hb.lines.some((l) => /Got SIGTERM/.test(l.text))).toBe(true);
  });

  test('with nothing linked, the plugin leaves the storage folder alone: at most a few writes in 30 s', async () => {
    hb = await HomebridgeProcess.start({ line, platform: SEED });
    await hb.waitFor(/\[Withings\] No profile is linked to Withings yet/);
    const folder = join(hb.storage, 'withings');
    mkdirSync(folder, { recursive: true });
    const events: string[] = [];
    const watcher = watch(folder, (event, name) => events.push(`${event} ${name}`));
    try {
      // Longer than the 30 s grant rescan: a rescan that rewrote the status file would show here,
      // and each write would trigger the next (a loop of about 20 writes a second before the fix).
      await new Promise((resolve) => setTimeout(resolve, 31_000));
    } finally {
      watcher.close();
    }
    // Each atomic write is a temporary file renamed onto the target: count those arrivals. The
    // one write at start (what this run knows) may fall inside the window; nothing after it.
    const writes = events.filter((e) => e === 'rename .status.json');
    expect({ writes: writes.length, others: events.filter((e) => !/\.status\.json/.test(e)) }).toEqual({ writes: expect.any(Number), others: [] });
    expect(writes.length).toBeLessThanOrEqual(1);
    expect(hb.problems()).toEqual([]);
  }, 60_000);

  test('a broken config is refused with one error line naming the key, and Homebridge keeps running', async () => {
    const broken: [Record<string, unknown>, RegExp][] = [
      [{ ...SEED, profiles: [] }, /"profiles" must list at least one profile name/],
      [{ platform: 'Withings', client_secret: 'x', profiles: ['Alice'] }, /"client_id" is missing/],
      [{ ...SEED, update_interval: 5 }, /"update_interval" must be between 30 and 86400 seconds \(got 5\)/],
    ];
    // One Homebridge per config, run side by side (each takes ~5 s to shut down).
    const bridges = await Promise.all(broken.map(([platform]) => HomebridgeProcess.start({ line, platform })));
    try {
      await Promise.all(bridges.map((b) => b.waitFor(/is running on port/)));
      bridges.forEach((b, i) => {
        const errors = b.lines.filter((l) => l.level === 'error');
        expect(errors).toHaveLength(1);
        expect(errors[0].text).toMatch(/\[Withings\] Invalid configuration, the plugin does nothing until it is fixed/);
        expect(errors[0].text).toMatch(broken[i][1]);
        expect(b.problems([/\[Withings\] Invalid configuration/])).toEqual([]);
        expect(b.lines.some((l) => /not linked/.test(l.text))).toBe(false);
        expect(b.running).toBe(true);
      });
      const stopped = await Promise.all(bridges.map((b) => b.stop()));
      expect(stopped.map((s) => s.killed)).toEqual([false, false, false]);
    } finally {
      await Promise.all(bridges.map((b) => b.stop()));
      bridges.forEach((b) => b.remove());
    }
  });
});
