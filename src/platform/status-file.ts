/**
 * A small file the running plugin keeps next to the token files, so that the settings UI can show
 * what the plugin sees (last sync, a refused link) without talking to it. It holds no token.
 */
import { join } from 'node:path';

import type { ProfileStatusRecord } from '../profile/lifecycle.js';
import { writeFileAtomic } from '../util/atomic-file.js';

export const STATUS_FILE_NAME = '.status.json';

export interface PluginStatusFile {
  readonly updated_at: number;
  readonly profiles: Record<string, ProfileStatusRecord>;
}

/** Writes the status file atomically; failures are the caller's to log. */
export async function writeStatusFile(dir: string, status: PluginStatusFile): Promise<void> {
  await writeFileAtomic(join(dir, STATUS_FILE_NAME), `${JSON.stringify(status, null, 2)}\n`);
}
