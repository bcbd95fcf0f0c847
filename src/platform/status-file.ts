/**
 * A small file the running plugin keeps next to the token files, so that the settings UI can show
 * what the plugin sees (last sync, a refused link) without talking to it. It holds no token.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { NotificationStatusRecord } from '../notify/status.js';
import type { ProfileStatusRecord } from '../profile/lifecycle.js';
import { writeFileAtomic } from '../util/atomic-file.js';

export const STATUS_FILE_NAME = '.status.json';

/** A profile's record: its link and sync, and its notifications (`off` when not configured). */
export type PluginProfileStatus = ProfileStatusRecord & { readonly notifications?: NotificationStatusRecord };

export interface PluginStatusFile {
  readonly updated_at: number;
  readonly profiles: Record<string, PluginProfileStatus>;
}

/** The status file as the running plugin last wrote it; undefined when missing or not JSON. */
export async function readStatusFile(dir: string): Promise<PluginStatusFile | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, STATUS_FILE_NAME), 'utf8')) as PluginStatusFile;
  } catch {
    return undefined;
  }
}

/** Writes the status file atomically; failures are the caller's to log. */
export async function writeStatusFile(dir: string, status: PluginStatusFile): Promise<void> {
  await writeFileAtomic(join(dir, STATUS_FILE_NAME), `${JSON.stringify(status, null, 2)}\n`);
}
