/**
 * The secret path segment of the callback URL: 40 random hex characters, kept in
 * `<storage>/withings/.notify-secret` (mode 0600) so that the URL registered at Withings stays the
 * same across restarts. The token folder watcher reacts only to `<userid>.json` names, so writing
 * it triggers no rescan.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { writeFileAtomic } from '../util/atomic-file.js';

export const SECRET_FILE_NAME = '.notify-secret';
const SECRET = /^[0-9a-f]{40}$/;

/** Reads the secret, or creates and stores a new one when there is none (or it is damaged). */
export async function loadOrCreateSecret(dir: string): Promise<string> {
  const file = join(dir, SECRET_FILE_NAME);
  try {
    const text = (await readFile(file, 'utf8')).trim();
    if (SECRET.test(text)) {
      return text;
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw e;
    }
  }
  const secret = randomBytes(20).toString('hex');
  await writeFileAtomic(file, `${secret}\n`);
  return secret;
}
