/**
 * The orchestrator of one configured profile: its grant (token file), its Withings sync loop and
 * its accessories. Syncs once at start, then every `update_interval`, never overlapping with
 * itself; keeps the last values through failures; stops polling when the grant is gone and
 * resumes by itself when a new one appears in the token store.
 */
import type { PlatformAccessory } from 'homebridge';

import { sourcesOf, type MetricDefinition, measureTypes, summaryFields } from '../accessories/catalog.js';
import { formatReading } from '../accessories/hap-values.js';
import type { ProfileAccessories } from '../accessories/profile-accessories.js';
import { AccountSync, type SyncReport } from '../withings/account-sync.js';
import { WithingsApi } from '../withings/api.js';
import { type Clock, epochSeconds, type TimerHandle } from '../withings/clock.js';
import { isWithingsError, type WithingsErrorKind } from '../withings/errors.js';
import type { WithingsHttp } from '../withings/http.js';
import type { RequestLimiter } from '../withings/limiter.js';
import type { ClientCredentials } from '../withings/oauth.js';
import { GrantUnavailableError, TokenSession } from '../withings/session.js';
import type { TokenRecord, TokenStore } from '../withings/token-store.js';
import { computeValues, safeTimezone, timezoneOffsetMs } from '../withings/values.js';
import { describeError, type PluginLog } from './log.js';
import type { PluginProfileStatus } from './status-file.js';
import { nextSyncDelayMs, type SyncOutcome } from './sync-policy.js';

export interface ControllerDeps {
  readonly log: PluginLog;
  readonly clock: Clock;
  readonly store: TokenStore;
  readonly http: WithingsHttp;
  readonly limiter: RequestLimiter;
  readonly client: ClientCredentials;
  readonly metrics: readonly MetricDefinition[];
  readonly intervalMs: number;
  readonly signal: AbortSignal;
  /** Called when the profile's state or last sync changes (the platform writes the status file). */
  readonly onStatus?: () => void;
}

/** Reacts to what a sync brought (reading events, Matter…); errors are caught by the controller. */
export interface SyncListener {
  onSync(report: SyncReport): void;
}

export type ControllerState = 'unlinked' | 'linked' | 'needs-relink' | 'stopped';

export class ProfileController {
  private state: ControllerState = 'unlinked';
  private session?: TokenSession;
  private account?: AccountSync;
  private timer?: TimerHandle;
  private running?: Promise<void>;
  private failureStreak = 0;
  private firstSyncDone = false;
  private missingScopesReported = '';
  private relinkReason?: string;
  /** The refresh token of a grant Withings refused; the same file is not retried. */
  private failedRefreshToken?: string;
  private readonly listeners: SyncListener[] = [];
  private since = 0;
  private lastSync?: number;

  constructor(
    private readonly deps: ControllerDeps,
    readonly accessories: ProfileAccessories,
    private readonly startDelayMs: number,
  ) {}

  get name(): string {
    return this.accessories.profile.name;
  }

  get status(): PluginProfileStatus {
    return { state: this.state, userid: this.accessories.linkedUserid, reason: this.relinkReason, since: this.since, last_sync: this.lastSync };
  }

  private setState(state: ControllerState): void {
    if (state !== this.state) {
      this.state = state;
      this.since = epochSeconds(this.deps.clock);
    }
    this.deps.onStatus?.();
  }

  /** The state read afresh (it changes across awaits; TypeScript's narrowing does not know). */
  private stateNow(): ControllerState {
    return this.state;
  }

  addListener(listener: SyncListener): void {
    this.listeners.push(listener);
  }

  adopt(accessory: PlatformAccessory): void {
    this.accessories.adopt(accessory, epochSeconds(this.deps.clock), 0);
  }

  /**
   * The token store changed (or was read at start). A new grant (other user, or the same user
   * linked anew) resumes polling; a vanished one marks the profile as needing linking; `problem`
   * says why this profile's file cannot be used (unreadable), when that is the case.
   */
  setGrant(record: TokenRecord | undefined, problem?: string): void {
    if (this.state === 'stopped') {
      return;
    }
    if (record === undefined) {
      this.dropGrant(problem);
      return;
    }
    if (this.state === 'needs-relink' && record.refresh_token === this.failedRefreshToken) {
      return; // the same refused grant: nothing new to try
    }
    const sameUser = this.session?.userid === record.userid;
    if (sameUser && this.state === 'linked') {
      return; // a refresh written by ourselves, or the same grant: the session re-reads the file itself
    }
    if (!sameUser) {
      this.session = new TokenSession(record.userid, this.deps.store, this.deps.http, this.deps.client, this.deps.clock);
      this.account = new AccountSync(new WithingsApi(this.deps.http, this.session, this.deps.limiter, this.deps.signal), this.deps.clock, {
        measureTypes: measureTypes(this.deps.metrics),
        summaryFields: summaryFields(this.deps.metrics),
        sleepState: this.deps.metrics.some((m) => m.source.kind === 'sleep-state'),
      });
      this.accessories.bind(record.userid);
      this.firstSyncDone = false;
    }
    if (this.state === 'needs-relink') {
      this.deps.log.info('%s: a new Withings link was found; syncing again.', this.name);
    }
    this.relinkReason = undefined;
    this.failedRefreshToken = undefined;
    this.setState('linked');
    this.failureStreak = 0;
    this.schedule(this.firstSyncDone ? 0 : this.startDelayMs);
  }

  private dropGrant(problem: string | undefined): void {
    const wasLinked = this.session !== undefined && this.state === 'linked';
    this.session = undefined;
    this.account = undefined;
    this.cancelTimer();
    const hasAccessories = this.accessories.accessories().length > 0;
    if (problem !== undefined) {
      if (this.state !== 'needs-relink' || this.relinkReason !== problem) {
        this.deps.log.error('%s: %s. Open the Homebridge UI → Plugins → Withings → Settings and press "Re-link" next to %s.', this.name, problem, this.name);
      }
      this.relinkReason = problem;
      this.setState('needs-relink');
      this.accessories.setHealth('fault');
      return;
    }
    if (wasLinked) {
      this.deps.log.warn('%s: the profile was unlinked in the settings; its sensors keep their last values and show a fault until it is linked again (remove the profile from "profiles" to remove them).', this.name);
    }
    this.relinkReason = undefined;
    this.setState('unlinked');
    this.accessories.setHealth(hasAccessories ? 'fault' : 'ok');
  }

  /** Stops timers; in-flight requests are aborted by the platform's signal. */
  stop(): void {
    this.state = 'stopped'; // no status write: the file keeps what the plugin last knew
    this.cancelTimer();
  }

  /** Runs one sync now unless one is running (then waits for it). Never throws. */
  syncNow(): Promise<void> {
    if (!this.running) {
      this.running = this.runSync().finally(() => {
        this.running = undefined;
      });
    }
    return this.running;
  }

  private schedule(delayMs: number): void {
    this.cancelTimer();
    this.timer = this.deps.clock.setTimer(() => {
      this.timer = undefined;
      void this.syncNow();
    }, delayMs);
  }

  private cancelTimer(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  private async runSync(): Promise<void> {
    const account = this.account;
    const session = this.session;
    if (this.state !== 'linked' || !account || !session) {
      return;
    }
    let outcome: SyncOutcome;
    let report: SyncReport | undefined;
    try {
      await session.load();
      report = await account.sync(session.scope);
      outcome = { ok: true };
    } catch (e) {
      if (this.stateNow() === 'stopped') {
        return; // Homebridge is shutting down: the request was aborted on purpose
      }
      outcome = isWithingsError(e)
        ? { ok: false, kind: e.kind, retryAfterSeconds: e.retryAfterSeconds }
        : { ok: false, kind: 'transient' };
      this.onFailure(e, outcome.kind);
    }
    if (this.account !== account || this.stateNow() === 'stopped') {
      return; // re-linked to someone else or shutting down meanwhile
    }
    try {
      this.show(account, report);
    } catch (e) {
      this.deps.log.error('%s: could not update the accessories: %s', this.name, describeError(e));
    }
    if (outcome.ok) {
      this.onSuccess(report!);
    }
    const delay = this.stateNow() === 'linked' ? nextSyncDelayMs(outcome, this.failureStreak, this.deps.intervalMs) : undefined;
    if (delay !== undefined) {
      this.schedule(delay);
    }
  }

  /** Values from the data held (fresh or not); also re-evaluates time-dependent ones like sleep state. */
  private show(account: AccountSync, report: SyncReport | undefined): void {
    const now = epochSeconds(this.deps.clock);
    const values = computeValues(account.data(), sourcesOf(this.deps.metrics), now);
    const offset = timezoneOffsetMs(safeTimezone(account.profileTimezone), now * 1000);
    const changed = this.accessories.apply(values, now, offset);
    for (const metric of changed) {
      this.deps.log.debug('%s %s: %s', this.name, metric.label, formatReading(metric, values.get(metric.key)!));
    }
    if (report) {
      for (const listener of this.listeners) {
        try {
          listener.onSync(report);
        } catch (e) {
          this.deps.log.error('%s: %s', this.name, describeError(e));
        }
      }
    }
  }

  private onSuccess(report: SyncReport): void {
    this.lastSync = epochSeconds(this.deps.clock);
    this.deps.onStatus?.();
    if (this.failureStreak > 0) {
      this.deps.log.info('%s: Withings sync works again (after %d failed attempt%s).', this.name, this.failureStreak, this.failureStreak > 1 ? 's' : '');
    }
    this.failureStreak = 0;
    this.accessories.setHealth('ok');
    if (!this.firstSyncDone) {
      this.firstSyncDone = true;
      const shown = this.accessories.groupAccessories().reduce((n, g) => n + g.metrics.filter((m) => g.service(m)).length, 0);
      this.deps.log.info('%s: linked to Withings user %s; %d measurement%s with data (%d request%s).', this.name, this.session?.userid, shown, shown === 1 ? '' : 's', report.requests, report.requests === 1 ? '' : 's');
    }
    const missing = report.missingScopes.join(',');
    if (missing && missing !== this.missingScopesReported) {
      this.deps.log.warn('%s: the Withings link does not grant %s, so some selected measurements cannot be read; re-link the profile in the plugin settings and allow every permission.', this.name, missing);
    }
    this.missingScopesReported = missing;
  }

  private onFailure(e: unknown, kind: WithingsErrorKind): void {
    if (kind === 'reauth-required') {
      this.relinkReason = describeError(e);
      this.failedRefreshToken = this.session?.current?.refresh_token;
      this.setState('needs-relink');
      this.accessories.setHealth('fault');
      const unlinked = e instanceof GrantUnavailableError && e.problem === 'unlinked';
      if (!unlinked) {
        this.deps.log.error('%s: Withings no longer accepts this profile\'s link (%s). Open the Homebridge UI → Plugins → Withings → Settings and press "Re-link" next to %s; polling is paused until then.', this.name, this.relinkReason, this.name);
      }
      return;
    }
    this.failureStreak++;
    this.accessories.setHealth('stale');
    const message = describeError(e);
    if (this.failureStreak === 1) {
      this.deps.log.warn('%s: Withings sync failed (%s); showing the last values and retrying.', this.name, message);
    } else {
      this.deps.log.debug('%s: Withings sync failed again (%d in a row): %s', this.name, this.failureStreak, message);
    }
  }
}
