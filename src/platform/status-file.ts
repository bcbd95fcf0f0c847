import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A small file the running plugin keeps next to the token files, so that the settings UI can show
 * what the plugin sees (last sync, a refused link) without talking to it. It holds no token.
 */
export const STATUS_FILE_NAME = '.status.json';

export interface PluginProfileStatus {
  readonly state: 'unlinked' | 'linked' | 'needs-relink' | 'stopped';
  readonly userid?: string;
  /** Why the profile needs linking again. */
  readonly reason?: string;
  /** Since when the state holds (epoch seconds). */
  readonly since?: number;
  /** Last successful sync (epoch seconds). */
  readonly last_sync?: number;
}

export interface PluginStatusFile {
  readonly updated_at: number;
  readonly profiles: Record<string, PluginProfileStatus>;
}

/** Writes the status file atomically (temp file + rename); failures are the caller's to log. */
export async function writeStatusFile(dir: string, status: PluginStatusFile): Promise<void> {
  const file = join(dir, STATUS_FILE_NAME);
  const tmp = `${file}.${process.pid}.tmp`;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(tmp, `${JSON.stringify(status, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, file);
}
