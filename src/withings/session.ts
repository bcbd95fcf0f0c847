/**
 * Access tokens for one linked Withings user, kept valid without ever losing the grant:
 * - the refreshed pair is saved before the new access token is first used (its first use kills the
 *   old refresh token, docs/withings-api.md#token-refresh);
 * - one refresh at a time (single-flight), also when several calls hit 401 together;
 * - a proactive refresh a few minutes before `expires_at`;
 * - a file rewritten by another process (the settings UI linking anew) is picked up at the next call;
 * - a refused refresh becomes `reauth-required` once, never a loop.
 */
import { type Clock, epochSeconds } from '../util/clock.js';
import { isWithingsError, WithingsError } from './errors.js';
import type { WithingsHttp } from './http.js';
import { type ClientCredentials, refreshGrant } from './oauth.js';
import { type FileStamp, rotatedRecord, TokenFileError, type TokenRecord, type TokenStore } from './token-store.js';

/** Refresh this long before the access token expires. */
export const REFRESH_MARGIN_SECONDS = 300;

/** Why a session cannot make calls until the user links the profile again. */
export type GrantProblem = 'unlinked' | 'unreadable' | 'refused' | 'other-app';

export class GrantUnavailableError extends WithingsError {
  constructor(readonly problem: GrantProblem, message: string) {
    super('reauth-required', message);
  }
}

export class TokenSession {
  private record?: TokenRecord;
  private stampSeen?: FileStamp;
  private refreshing?: Promise<TokenRecord>;
  /** Set once a refresh was refused; cleared only by a new file on disk. */
  private refusedFor?: string;

  constructor(
    readonly userid: string,
    private readonly store: TokenStore,
    private readonly http: WithingsHttp,
    private readonly client: ClientCredentials,
    private readonly clock: Clock,
  ) {}

  /** The record last read or written (undefined before the first `load`). */
  get current(): TokenRecord | undefined {
    return this.record;
  }

  /** The granted scopes of the current record (after at least one call or `load`). */
  get scope(): string {
    return this.record?.scope ?? '';
  }

  /** Reads the record from disk when it changed since last seen (cheap: one stat when unchanged). */
  async load(): Promise<TokenRecord> {
    const stamp = await this.store.stamp(this.userid);
    if (stamp === undefined) {
      this.record = undefined;
      this.stampSeen = undefined;
      throw new GrantUnavailableError('unlinked', `Withings user ${this.userid} is not linked (no token file)`);
    }
    if (this.record && this.stampSeen && sameStamp(stamp, this.stampSeen)) {
      return this.record;
    }
    let record: TokenRecord;
    try {
      record = await this.store.read(this.userid);
    } catch (e) {
      if (e instanceof TokenFileError) {
        throw new GrantUnavailableError(e.reason === 'missing' ? 'unlinked' : 'unreadable', e.message);
      }
      throw e;
    }
    if (record.refresh_token !== this.record?.refresh_token) {
      this.refusedFor = undefined; // a new grant: give it a chance
    }
    this.record = record;
    this.stampSeen = stamp;
    return record;
  }

  /** A usable access token, refreshed first when it expires within the margin. */
  async accessToken(): Promise<string> {
    const record = await this.usableRecord();
    if (record.expires_at - epochSeconds(this.clock) > REFRESH_MARGIN_SECONDS) {
      return record.access_token;
    }
    return (await this.refresh(record)).access_token;
  }

  /**
   * Runs `call` with a valid token. On `auth-expired` (401) it refreshes once — or adopts a token
   * another caller or process already obtained — and retries once.
   */
  async withToken<T>(call: (token: string) => Promise<T>): Promise<T> {
    const token = await this.accessToken();
    try {
      return await call(token);
    } catch (e) {
      if (!isWithingsError(e) || e.kind !== 'auth-expired') {
        throw e;
      }
      const fresh = await this.tokenAfterRejection(token);
      try {
        return await call(fresh);
      } catch (again) {
        if (isWithingsError(again) && again.kind === 'auth-expired') {
          throw new WithingsError('reauth-required', `Withings refused a freshly refreshed token for user ${this.userid} (${again.message}); a scope may be missing`, again.status);
        }
        throw again;
      }
    }
  }

  private async usableRecord(): Promise<TokenRecord> {
    const record = await this.load();
    if (record.client_id && record.client_id !== this.client.clientId) {
      throw new GrantUnavailableError('other-app', `the grant of Withings user ${this.userid} belongs to another Withings app (client id changed)`);
    }
    if (this.refusedFor === record.refresh_token) {
      throw new GrantUnavailableError('refused', `Withings refused to refresh the grant of user ${this.userid}`);
    }
    return record;
  }

  private async tokenAfterRejection(rejected: string): Promise<string> {
    // Another call may already have refreshed, or the settings UI may have written a new grant.
    const record = await this.usableRecord();
    if (record.access_token !== rejected) {
      return record.access_token;
    }
    return (await this.refresh(record)).access_token;
  }

  /** Single-flight: every caller during a refresh shares its outcome. */
  private refresh(from: TokenRecord): Promise<TokenRecord> {
    if (!this.refreshing) {
      this.refreshing = this.doRefresh(from).finally(() => {
        this.refreshing = undefined;
      });
    }
    return this.refreshing;
  }

  private async doRefresh(from: TokenRecord): Promise<TokenRecord> {
    let grant;
    try {
      grant = await refreshGrant(this.http, this.client, { refreshToken: from.refresh_token, scope: from.scope, userid: from.userid }, () => epochSeconds(this.clock));
    } catch (e) {
      if (isWithingsError(e) && e.kind === 'reauth-required') {
        // A concurrent link in the settings UI may have replaced the file while we asked.
        const onDisk = await this.load().catch(() => undefined);
        if (onDisk && onDisk.refresh_token !== from.refresh_token) {
          return onDisk;
        }
        this.refusedFor = from.refresh_token;
        throw new GrantUnavailableError('refused', e.message);
      }
      throw e;
    }
    // Saved BEFORE the new access token is used, under the file's lock and against what is on disk
    // now: a file removed meanwhile (unlinked) is not recreated, a newer grant (linked anew) is kept,
    // and a profile moved meanwhile keeps its new name. If the save fails the new token is never
    // used and the old refresh token stays valid (8 h grace), so the next attempt can refresh again.
    const now = epochSeconds(this.clock);
    let wrote: TokenRecord | undefined;
    const onDisk = await this.store.update(this.userid, (current) => {
      if (current === undefined || current.refresh_token !== from.refresh_token) {
        return undefined;
      }
      wrote = rotatedRecord(current, grant, now);
      return wrote;
    });
    if (onDisk === undefined) {
      this.record = undefined;
      this.stampSeen = undefined;
      throw new GrantUnavailableError('unlinked', `Withings user ${this.userid} was unlinked while the grant was being refreshed`);
    }
    if (wrote === undefined) {
      return this.load(); // another process wrote a newer grant: it wins
    }
    const next = wrote;
    this.record = next;
    this.stampSeen = await this.store.stamp(this.userid);
    return next;
  }
}

function sameStamp(a: FileStamp, b: FileStamp): boolean {
  return a.mtimeMs === b.mtimeMs && a.size === b.size && a.ino === b.ino;
}
