/** The secret path segment: created once (0600), the same across restarts, replaced only when damaged. */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { loadOrCreateSecret, SECRET_FILE_NAME } from '../../src/notify/secret.js';
import { isTokenFileName } from '../../src/withings/token-store.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hb-secret-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test('created with mode 0600, then read back unchanged', async () => {
  const first = await loadOrCreateSecret(dir);
  expect(first).toMatch(/^[0-9a-f]{40}$/);
  expect(statSync(join(dir, SECRET_FILE_NAME)).mode & 0o777).toBe(0o600);
  expect(await loadOrCreateSecret(dir)).toBe(first);
  expect(readFileSync(join(dir, SECRET_FILE_NAME), 'utf8')).toBe(`${first}\n`);
});

test('a damaged file is replaced by a new secret', async () => {
  writeFileSync(join(dir, SECRET_FILE_NAME), 'not-a-secret');
  expect(await loadOrCreateSecret(dir)).toMatch(/^[0-9a-f]{40}$/);
});

test('the token folder watcher does not take it for a token file', () => {
  expect(isTokenFileName(SECRET_FILE_NAME)).toBe(false);
});
