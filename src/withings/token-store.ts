/**
 * One JSON file per linked Withings user: `<storage>/withings/<userid>.json`, mode 0600, written
 * atomically (temp file + rename). Shared by the plugin (the only party that refreshes) and the
 * settings UI server (which writes new grants). The README documents the format; keep it stable.
 */
import { type FSWatcher, watch } from 'node:fs';
import { mkdir, open, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

import { syncDir, writeFileAtomic } from '../util/atomic-file.js';
import type { TokenGrant } from './oauth.js';
import { redactor } from './redact.js';

export const TOKEN_FILE_VERSION = 1;

/** The on-disk record. Field names are snake_case because users read and back up these files. */
export interface TokenRecord {
  readonly version: number;
  readonly userid: string;
  /** The profile name from the plugin config this Withings user is shown as. */
  readonly profile: string;
  readonly access_token: string;
  readonly refresh_token: string;
  /** Epoch seconds when the access token expires. */
  readonly expires_at: number;
  /** Comma-separated scopes the user granted. */
  readonly scope: string;
  /** The Withings app (client id) the grant belongs to; a grant only refreshes with its own app. */
  readonly client_id: string;
  /** Epoch seconds of the consent that created this grant. */
  readonly linked_at: number;
  /** Epoch seconds of the last write (link or refresh). */
  readonly updated_at: number;
}

/** The record of a new grant (a link made in the settings UI). */
export function newTokenRecord(grant: TokenGrant, link: { profile: string; clientId: string; nowSeconds: number }): TokenRecord {
  return {
    version: TOKEN_FILE_VERSION,
    userid: grant.userid,
    profile: link.profile,
    access_token: grant.accessToken,
    refresh_token: grant.refreshToken,
    expires_at: grant.expiresAt,
    scope: grant.scope,
    client_id: link.clientId,
    linked_at: link.nowSeconds,
    updated_at: link.nowSeconds,
  };
}

/** The record after a refresh: the rotated pair replaces the old one, the rest is kept. */
export function rotatedRecord(from: TokenRecord, grant: TokenGrant, nowSeconds: number): TokenRecord {
  return {
    ...from,
    access_token: grant.accessToken,
    refresh_token: grant.refreshToken,
    expires_at: grant.expiresAt,
    scope: grant.scope || from.scope,
    updated_at: nowSeconds,
  };
}

export class TokenFileError extends Error {
  override readonly name = 'TokenFileError';
  constructor(readonly file: string, readonly reason: 'missing' | 'unreadable', detail: string) {
    super(reason === 'missing' ? `token file ${file} does not exist` : `token file ${file} is unreadable: ${detail}`);
  }
}

const USERID = /^[0-9A-Za-z_-]{1,64}$/;

/** Whether `id` can be a Withings user id (it names a file, so nothing else is ever accepted). */
export const isValidUserid = (id: string): boolean => USERID.test(id);

/** A token file is a few hundred bytes; anything much larger is not one (and is never read whole). */
export const MAX_TOKEN_FILE_BYTES = 64 * 1024;
/** A writer holds a user's lock for milliseconds; one this old was left by a process that died. */
export const LOCK_STALE_MS = 10_000;
const LOCK_TIMEOUT_MS = 5_000;
const LOCK_RETRY_MS = 20;

function assertComplete(record: TokenRecord): void {
  const problem = validateRecord(record);
  if (problem) {
    throw new Error(`refusing to write an incomplete token record: ${problem}`);
  }
}

/** `<userid>.json`: the only names in the folder that are token files. */
export const isTokenFileName = (name: string): boolean => name.endsWith('.json') && USERID.test(name.slice(0, -5));

/** Checks a parsed file; returns a problem description or undefined when it is a full record. */
export function validateRecord(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return 'not a JSON object';
  }
  const r = value as Record<string, unknown>;
  for (const key of ['userid', 'profile', 'access_token', 'refresh_token', 'scope'] as const) {
    if (typeof r[key] !== 'string' || (key !== 'scope' && r[key] === '')) {
      return `"${key}" is missing or not a string`;
    }
  }
  if (!USERID.test(r.userid as string)) {
    return '"userid" is not a Withings user id';
  }
  if (typeof r.expires_at !== 'number' || !Number.isFinite(r.expires_at)) {
    return '"expires_at" is missing or not a number';
  }
  return undefined;
}

function normalise(value: Record<string, unknown>): TokenRecord {
  const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  return {
    version: num(value.version) || TOKEN_FILE_VERSION,
    userid: value.userid as string,
    profile: value.profile as string,
    access_token: value.access_token as string,
    refresh_token: value.refresh_token as string,
    expires_at: value.expires_at as number,
    scope: value.scope as string,
    client_id: typeof value.client_id === 'string' ? value.client_id : '',
    linked_at: num(value.linked_at),
    updated_at: num(value.updated_at),
  };
}

/** Identity of a file version, to notice writes by another process cheaply. */
export interface FileStamp {
  readonly mtimeMs: number;
  readonly size: number;
  readonly ino: number;
}

export interface ListedGrants {
  readonly records: TokenRecord[];
  /** Files that exist but cannot be used, with the reason (reported, never overwritten). */
  readonly problems: { file: string; userid: string; error: string }[];
}

export class TokenStore {
  constructor(readonly dir: string) {}

  fileFor(userid: string): string {
    if (!USERID.test(userid)) {
      throw new Error(`invalid Withings user id "${userid}"`);
    }
    return join(this.dir, `${userid}.json`);
  }

  async stamp(userid: string): Promise<FileStamp | undefined> {
    try {
      const s = await stat(this.fileFor(userid));
      return { mtimeMs: s.mtimeMs, size: s.size, ino: s.ino };
    } catch {
      return undefined;
    }
  }

  /** Reads one user's record; throws TokenFileError when it is missing or unusable. */
  async read(userid: string): Promise<TokenRecord> {
    const file = this.fileFor(userid);
    let text: string;
    try {
      const size = (await stat(file)).size;
      if (size > MAX_TOKEN_FILE_BYTES) {
        throw new TokenFileError(file, 'unreadable', `it is ${size} bytes, far more than a token file holds`);
      }
      text = await readFile(file, 'utf8');
    } catch (e) {
      if (e instanceof TokenFileError) {
        throw e;
      }
      const code = (e as NodeJS.ErrnoException).code;
      throw new TokenFileError(file, code === 'ENOENT' ? 'missing' : 'unreadable', code ?? String(e));
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Not the parser's message: it quotes the file, and the file holds tokens.
      throw new TokenFileError(file, 'unreadable', 'invalid JSON');
    }
    const problem = validateRecord(parsed);
    if (problem) {
      throw new TokenFileError(file, 'unreadable', problem);
    }
    const record = normalise(parsed as Record<string, unknown>);
    if (record.userid !== userid) {
      throw new TokenFileError(file, 'unreadable', `it holds user ${record.userid}, not ${userid}`);
    }
    redactor.add(record.access_token, record.refresh_token);
    return record;
  }

  /** Every token file in the folder: usable records and the files that are not. */
  async list(): Promise<ListedGrants> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return { records: [], problems: [] };
    }
    const records: TokenRecord[] = [];
    const problems: ListedGrants['problems'] = [];
    for (const name of names.sort()) {
      if (!isTokenFileName(name)) {
        continue;
      }
      const userid = name.slice(0, -5);
      try {
        records.push(await this.read(userid));
      } catch (e) {
        if (e instanceof TokenFileError && e.reason === 'missing') {
          continue; // removed between readdir and read
        }
        problems.push({ file: join(this.dir, name), userid, error: (e as Error).message });
      }
    }
    return { records, problems };
  }

  /**
   * Writes a full record atomically with mode 0600. Refuses anything less than a full record, so a
   * bug can never replace a good file with a partial one.
   */
  async write(record: TokenRecord): Promise<void> {
    assertComplete(record);
    await this.locked(record.userid, () => this.save(record));
  }

  async remove(userid: string): Promise<void> {
    await this.locked(userid, () => this.delete(userid));
  }

  /**
   * Read-modify-write of one user's file under its lock: `change` gets the record on disk now
   * (undefined when there is none) and returns the record to write, `null` to delete the file, or
   * `undefined` to leave it as it is. Every writer (the plugin's refresh, the settings UI's link,
   * move, unlink) goes through the lock, so no interleaving loses a rotation, an unlink or a move.
   * Returns what is on disk afterwards.
   */
  async update(userid: string, change: (current: TokenRecord | undefined) => TokenRecord | null | undefined): Promise<TokenRecord | undefined> {
    return this.locked(userid, async () => {
      const current = await this.read(userid).catch((e: unknown) => {
        if (e instanceof TokenFileError && e.reason === 'missing') {
          return undefined;
        }
        throw e; // an unreadable file is reported, never overwritten
      });
      const next = change(current);
      if (next === null) {
        await this.delete(userid);
        return undefined;
      }
      if (next === undefined || next === current) {
        return current;
      }
      assertComplete(next);
      if (next.userid !== userid) {
        throw new Error(`refusing to write user ${next.userid} into the file of user ${userid}`);
      }
      await this.save(next);
      return next;
    });
  }

  private async save(record: TokenRecord): Promise<void> {
    await writeFileAtomic(this.fileFor(record.userid), `${JSON.stringify(record, null, 2)}\n`);
  }

  private async delete(userid: string): Promise<void> {
    await rm(this.fileFor(userid), { force: true });
    await syncDir(this.dir);
  }

  /**
   * Runs `fn` holding the user's lock: a file `.<userid>.lock` created exclusively next to the
   * token file, so the plugin and the settings UI server (two processes) take turns. A lock older
   * than LOCK_STALE_MS belongs to a process that died and is taken over.
   */
  async locked<T>(userid: string, fn: () => Promise<T>): Promise<T> {
    const lock = join(this.dir, `.${userid}.lock`);
    this.fileFor(userid); // validates the id before it becomes part of a path
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const started = Date.now();
    for (;;) {
      try {
        const h = await open(lock, 'wx', 0o600);
        await h.writeFile(`${process.pid}\n`);
        await h.close();
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw e;
        }
        const age = await stat(lock).then((st) => Date.now() - st.mtimeMs, () => 0);
        if (age > LOCK_STALE_MS) {
          await rm(lock, { force: true });
          continue;
        }
        if (Date.now() - started > LOCK_TIMEOUT_MS) {
          throw new Error(`the token file of Withings user ${userid} stayed locked by another process`, { cause: e });
        }
        await new Promise((resolve) => setTimeout(resolve, LOCK_RETRY_MS));
      }
    }
    try {
      return await fn();
    } finally {
      await rm(lock, { force: true });
    }
  }

  /**
   * Calls `onChange` (debounced) when a file in the folder is written, renamed or removed, e.g. by
   * the settings UI linking a profile. Callers also rescan on their own schedule: some file systems
   * (network shares, some Docker mounts) do not deliver change events.
   */
  watch(onChange: () => void, debounceMs = 200): { close(): void } {
    let watcher: FSWatcher | undefined;
    let timer: NodeJS.Timeout | undefined;
    let closed = false;
    const fire = (_event: string, name: string | Buffer | null): void => {
      // Only token files count: the plugin's own status file, histories and temporary files live
      // in this folder too, and reacting to them would make every write trigger the next one.
      if (name !== null && !isTokenFileName(String(name))) {
        return;
      }
      clearTimeout(timer);
      timer = setTimeout(onChange, debounceMs);
      timer.unref?.();
    };
    const start = async (): Promise<void> => {
      try {
        await mkdir(this.dir, { recursive: true, mode: 0o700 });
        if (!closed) {
          watcher = watch(this.dir, { persistent: false }, fire);
          watcher.on('error', () => watcher?.close());
        }
      } catch {
        // No watcher: the periodic rescan still picks changes up.
      }
    };
    void start();
    return {
      close: () => {
        closed = true;
        clearTimeout(timer);
        watcher?.close();
      },
    };
  }
}
