/**
 * The orchestrator of one configured profile: its grant (token file), its Withings sync loop and
 * its accessories. Syncs once at start, then every `update_interval`, never overlapping with
 * itself; keeps the last values through failures; stops polling when the grant is gone and
 * resumes by itself when a new one appears in the token store.
 *
 * Its state is one `Lifecycle` value, changed only by `transition()`.
 */
import type { PlatformAccessory } from 'homebridge';

import type { ProfileAccessories } from '../accessories/profile-accessories.js';
import { activityFields, type MetricDefinition, measureTypes, readsGoals, sourcesOf, summaryFields } from '../metrics/catalog.js';
import type { WithingsDevice } from '../metrics/data.js';
import { formatReading } from '../accessories/hap-values.js';
import { computeValues, nextLocalMidnight, type Reading, safeTimezone, timezoneOffsetMs } from '../metrics/values.js';
import { type Clock, epochSeconds, type TimerHandle } from '../util/clock.js';
import { describeError, type PluginLog } from '../util/log.js';
import { WithingsApi } from '../withings/api.js';
import { isWithingsError, type WithingsErrorKind } from '../withings/errors.js';
import type { WithingsHttp } from '../withings/http.js';
import type { RequestLimiter } from '../withings/limiter.js';
import type { ClientCredentials } from '../withings/oauth.js';
import { GrantUnavailableError, TokenSession } from '../withings/session.js';
import type { TokenRecord, TokenStore } from '../withings/token-store.js';
import { AccountSync, type SyncReport } from './account-sync.js';
import { HistoryRecorder } from './history-recorder.js';
import { isVisibleChange, type Lifecycle, type Link, newSyncState, type ProfileStatusRecord } from './lifecycle.js';
import { nextSyncDelayMs, notifySyncDelayMs, pollIntervalMs, rescheduledDelayMs, type SyncOutcome } from './sync-policy.js';

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
  /** The token folder, where each linked user's chart history is kept (none: no history). */
  readonly historyDir?: string;
  /** The account's devices, when a sync read them (the platform keeps one accessory per device). */
  readonly onDevices?: (userid: string, devices: readonly WithingsDevice[], ownerName: string) => void;
  /** Called when the profile becomes linked (at start, or to a new grant): notifications subscribe. */
  readonly onLinked?: (controller: ProfileController) => void;
}

/** What the notification layer may use of a working link. */
export interface LinkGrant {
  readonly userid: string;
  readonly session: TokenSession;
}

/** A lifecycle value as a caller proposes it; `transition` adds `since`. */
type Next = Lifecycle extends infer L ? (L extends Lifecycle ? Omit<L, 'since'> : never) : never;

export class ProfileController {
  private life: Lifecycle;
  private timer?: TimerHandle;
  /** Re-evaluates the values at local midnight ("today" values drop to 0, the step goal closes). */
  private midnightTimer?: TimerHandle;
  private running?: Promise<void>;
  private lastSync?: number;
  private recorder?: HistoryRecorder;
  /** The regular poll interval now: `update_interval`, or the safety poll while notifications are verified. */
  private pollMs: number;
  private notificationsVerified = false;
  private soonTimer?: TimerHandle;
  private lastNotifySyncAt?: number;
  /** The last in-bed / out-of-bed event (from notifications), once one arrived in this run. */
  private bed?: Reading;

  constructor(
    private readonly deps: ControllerDeps,
    readonly accessories: ProfileAccessories,
    private readonly startDelayMs: number,
  ) {
    this.life = { kind: 'unlinked', since: epochSeconds(deps.clock) };
    this.pollMs = deps.intervalMs;
  }

  get name(): string {
    return this.accessories.profile.name;
  }

  /** The lifecycle now (read-only; tests and the status file look at it). */
  get lifecycle(): Lifecycle {
    return this.life;
  }

  get status(): ProfileStatusRecord {
    const life = this.life;
    return {
      state: life.kind,
      userid: this.accessories.linkedUserid,
      reason: life.kind === 'needs-relink' ? life.reason : undefined,
      since: life.since,
      last_sync: this.lastSync,
    };
  }

  /** The one place the lifecycle changes; the status file hears only of visible changes. */
  private transition(next: Next): void {
    const before = this.life;
    const since = before.kind === next.kind ? before.since : epochSeconds(this.deps.clock);
    this.life = { ...next, since } as Lifecycle;
    if (isVisibleChange(before, this.life)) {
      this.deps.onStatus?.();
    }
  }

  adopt(accessory: PlatformAccessory): void {
    const dropped = this.accessories.adopt(accessory, epochSeconds(this.deps.clock), 0);
    if (dropped.length > 0) {
      this.deps.log.warn('%s: dropped unusable cached value%s of %s (not a number, or dated in the future); the next sync shows the real one.', this.name, dropped.length === 1 ? '' : 's', dropped.join(', '));
    }
  }

  /**
   * The token store changed (or was read at start). A new grant (other user, or the same user
   * linked anew) resumes polling; a vanished one marks the profile as needing linking; `problem`
   * says why this profile's file cannot be used (unreadable), when that is the case.
   */
  setGrant(record: TokenRecord | undefined, problem?: string): void {
    const life = this.life;
    if (life.kind === 'stopped') {
      return;
    }
    if (record === undefined) {
      this.dropGrant(problem);
      return;
    }
    if (life.kind === 'linked' && life.link.userid === record.userid) {
      return; // a refresh written by ourselves, or the same grant: the session re-reads the file itself
    }
    const previous = life.kind === 'needs-relink' ? life.previous : undefined;
    if (previous && previous.session.current?.refresh_token === record.refresh_token) {
      return; // the very grant that failed: nothing new to try
    }
    let link = previous?.userid === record.userid ? previous : undefined;
    if (!link) {
      link = this.newLink(record.userid);
      this.accessories.bind(record.userid);
    }
    if (life.kind === 'needs-relink') {
      this.deps.log.info('%s: a new Withings link was found; syncing again.', this.name);
    }
    link.sync.failureStreak = 0;
    this.transition({ kind: 'linked', link });
    this.schedule(link.sync.firstSyncDone ? 0 : this.startDelayMs);
    this.deps.onLinked?.(this);
  }

  /** The regular poll interval now (ms). */
  get pollIntervalMs(): number {
    return this.pollMs;
  }

  /** The working link's user and session (for notification subscriptions), while linked. */
  get grant(): LinkGrant | undefined {
    return this.life.kind === 'linked' ? { userid: this.life.link.userid, session: this.life.link.session } : undefined;
  }

  /**
   * Notifications are verified (or no longer are): poll every `max(update_interval, 1 h)` as a
   * safety net, or at `update_interval` again, at once.
   */
  setNotificationsVerified(verified: boolean): void {
    const pollMs = pollIntervalMs(this.deps.intervalMs, verified);
    this.notificationsVerified = verified;
    if (pollMs === this.pollMs) {
      return;
    }
    this.pollMs = pollMs;
    const link = this.life.kind === 'linked' ? this.life.link : undefined;
    if (link && this.timer && !this.running && link.sync.firstSyncDone && link.sync.failureStreak === 0) {
      const endedAt = (this.lastSync ?? epochSeconds(this.deps.clock)) * 1000;
      this.schedule(rescheduledDelayMs(endedAt, pollMs, this.deps.clock.now()));
    }
  }

  /**
   * Withings announced new data: an incremental sync soon, at most one per 10 s (a burst of
   * notifications coalesces into one), through the shared request limiter like every sync.
   */
  syncSoon(): void {
    if (this.life.kind !== 'linked' || this.soonTimer) {
      return;
    }
    this.soonTimer = this.deps.clock.setTimer(() => {
      this.soonTimer = undefined;
      this.lastNotifySyncAt = this.deps.clock.now();
      const after = this.running ?? Promise.resolve();
      void after.then(() => this.syncNow(true));
    }, notifySyncDelayMs(this.lastNotifySyncAt, this.deps.clock.now()));
  }

  /** In bed (appli 50) or out of bed (51) at `atSeconds`: shown at once; an older event than the one shown is ignored. */
  setInBed(inBed: boolean, atSeconds: number): boolean {
    const metric = this.deps.metrics.find((m) => m.source.kind === 'bed-presence');
    const link = this.life.kind === 'linked' ? this.life.link : undefined;
    if (!metric || !link) {
      return false;
    }
    const shown = this.bed ?? this.accessories.knownReading(metric.key);
    if (shown && shown.measuredAt > atSeconds) {
      return false; // a retried, older delivery
    }
    this.bed = { value: inBed ? 1 : 0, measuredAt: atSeconds, text: inBed ? 'in bed' : 'out of bed' };
    try {
      this.show(link, undefined);
    } catch (e) {
      this.deps.log.error('%s: could not update the accessories: %s', this.name, describeError(e));
    }
    return true;
  }

  private newLink(userid: string): Link {
    const { deps } = this;
    const session = new TokenSession(userid, deps.store, deps.http, deps.client, deps.clock);
    const account = new AccountSync(new WithingsApi(deps.http, session, deps.limiter, deps.signal), deps.clock, {
      measureTypes: measureTypes(deps.metrics),
      summaryFields: summaryFields(deps.metrics),
      sleepState: deps.metrics.some((m) => m.source.kind === 'sleep-state'),
      activityFields: activityFields(deps.metrics),
      goals: readsGoals(deps.metrics),
      devices: deps.onDevices !== undefined,
    });
    return { userid, session, account, sync: newSyncState() };
  }

  private dropGrant(problem: string | undefined): void {
    const life = this.life;
    this.cancelTimer();
    if (problem !== undefined) {
      if (life.kind !== 'needs-relink' || life.reason !== problem) {
        this.deps.log.error('%s: %s. Open the Homebridge UI → Plugins → Withings → Settings and press "Re-link" next to %s.', this.name, problem, this.name);
      }
      this.transition({ kind: 'needs-relink', reason: problem });
      this.accessories.setHealth('fault');
      return;
    }
    if (life.kind === 'linked') {
      this.deps.log.warn('%s: the profile was unlinked in the settings; its sensors keep their last values and show a fault until it is linked again (remove the profile from "profiles" to remove them).', this.name);
    }
    this.transition({ kind: 'unlinked' });
    this.accessories.setHealth(this.accessories.accessories().length > 0 ? 'fault' : 'ok');
  }

  /** Stops timers; in-flight requests are aborted by the platform's signal. */
  stop(): void {
    this.life = { kind: 'stopped', since: epochSeconds(this.deps.clock) }; // no status write: the file keeps what the plugin last knew
    this.cancelTimer();
    this.soonTimer?.cancel();
    this.soonTimer = undefined;
    this.midnightTimer?.cancel();
    this.midnightTimer = undefined;
  }

  /** Runs one sync now unless one is running (then waits for it). Never throws. */
  syncNow(notified = false): Promise<void> {
    if (!this.running) {
      this.running = this.runSync(notified).finally(() => {
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

  /** The link the profile has now: the working one, or the one that failed and waits for a re-link. */
  private currentLink(): Link | undefined {
    const life = this.life;
    return life.kind === 'linked' ? life.link : life.kind === 'needs-relink' ? life.previous : undefined;
  }

  private async runSync(notified: boolean): Promise<void> {
    if (this.life.kind !== 'linked') {
      return;
    }
    const { link } = this.life;
    let outcome: SyncOutcome;
    let report: SyncReport | undefined;
    try {
      await link.session.load();
      // While notifications are verified, the hourly safety poll skips the sleep stages (appli 44 announces them).
      report = await link.account.sync(link.session.scope, { safetyPoll: !notified && this.notificationsVerified });
      outcome = { ok: true };
    } catch (e) {
      if (this.deps.signal.aborted) {
        return; // Homebridge is shutting down: the request was aborted on purpose
      }
      outcome = isWithingsError(e)
        ? { ok: false, kind: e.kind, retryAfterSeconds: e.retryAfterSeconds }
        : { ok: false, kind: 'transient' };
      this.onFailure(link, e, outcome.kind);
    }
    if (this.currentLink() !== link) {
      return; // re-linked to someone else, unlinked or shutting down meanwhile
    }
    try {
      this.show(link, report);
    } catch (e) {
      this.deps.log.error('%s: could not update the accessories: %s', this.name, describeError(e));
    }
    if (report) {
      this.onSuccess(link, report);
    }
    const delay = this.life.kind === 'linked' ? nextSyncDelayMs(outcome, link.sync.failureStreak, this.pollMs) : undefined;
    if (delay !== undefined) {
      this.schedule(delay);
    }
  }

  /** Values from the data held (fresh or not); also re-evaluates time-dependent ones like sleep state. */
  private show(link: Link, report: SyncReport | undefined): void {
    const now = epochSeconds(this.deps.clock);
    const values = computeValues(link.account.data(), sourcesOf(this.deps.metrics), now);
    const bedMetric = this.deps.metrics.find((m) => m.source.kind === 'bed-presence');
    const bed = bedMetric && (this.bed ?? this.accessories.knownReading(bedMetric.key));
    if (bedMetric && bed) {
      values.set(bedMetric.key, bed);
    }
    const offset = timezoneOffsetMs(safeTimezone(link.account.profileTimezone), now * 1000);
    const changed = this.accessories.apply(values, now, offset, link.account.hasSynced);
    for (const metric of changed) {
      this.deps.log.debug('%s %s: %s', this.name, metric.label, formatReading(metric, values.get(metric.key)!));
    }
    this.scheduleMidnight(link, now);
    if (report) {
      try {
        this.accessories.onSync({ groups: report.groups, summaries: report.summaries, full: report.full, nowSeconds: now });
      } catch (e) {
        this.deps.log.error('%s: %s', this.name, describeError(e));
      }
      this.history(link.userid)?.record({
        groups: report.groups, allGroups: report.allGroups, summaries: report.summaries,
        heldSummaries: link.account.data().summaries, activities: link.account.data().activities, values, timezone: link.account.profileTimezone,
      });
    }
  }

  /** The chart history of the linked user: fed with what each sync brought, written in the background. */
  private history(userid: string): HistoryRecorder | undefined {
    const { historyDir, metrics, clock, log } = this.deps;
    if (historyDir !== undefined && this.recorder?.userid !== userid) {
      this.recorder = new HistoryRecorder(historyDir, userid, metrics, clock, log);
    }
    return this.recorder;
  }

  /** "Today" values (activity, the step goal) change at local midnight even without a sync. */
  private scheduleMidnight(link: Link, now: number): void {
    if (!this.deps.metrics.some((m) => m.source.kind === 'activity')) {
      return;
    }
    this.midnightTimer?.cancel();
    const at = nextLocalMidnight(now, safeTimezone(link.account.profileTimezone));
    this.midnightTimer = this.deps.clock.setTimer(() => {
      this.midnightTimer = undefined;
      if (this.currentLink() === link && !this.running) {
        try {
          this.show(link, undefined);
        } catch (e) {
          this.deps.log.error('%s: could not update the accessories: %s', this.name, describeError(e));
        }
      }
    }, (at - now) * 1000 + 1000);
  }

  private onSuccess(link: Link, report: SyncReport): void {
    const { sync } = link;
    if (report.devices) {
      try {
        this.deps.onDevices?.(link.userid, report.devices, this.accessories.profile.displayName);
      } catch (e) {
        this.deps.log.error('%s: could not update the device accessories: %s', this.name, describeError(e));
      }
    }
    this.lastSync = epochSeconds(this.deps.clock);
    this.deps.onStatus?.();
    if (sync.failureStreak > 0) {
      this.deps.log.info('%s: Withings sync works again (after %d failed attempt%s).', this.name, sync.failureStreak, sync.failureStreak > 1 ? 's' : '');
    }
    sync.failureStreak = 0;
    this.accessories.setHealth('ok');
    if (!sync.firstSyncDone) {
      sync.firstSyncDone = true;
      const shown = this.accessories.groupAccessories().reduce((n, g) => n + g.metrics.filter((m) => g.service(m)).length, 0);
      this.deps.log.info('%s: linked to Withings user %s; %d measurement%s with data (%d request%s).', this.name, link.userid, shown, shown === 1 ? '' : 's', report.requests, report.requests === 1 ? '' : 's');
    }
    const missing = report.missingScopes.join(',');
    if (missing && missing !== sync.missingScopesReported) {
      this.deps.log.warn('%s: the Withings link does not grant %s, so some selected measurements cannot be read; re-link the profile in the plugin settings and allow every permission.', this.name, missing);
    }
    sync.missingScopesReported = missing;
    if (report.ignoredFuture > 0) {
      this.deps.log.warn('%s: ignored %d reading%s dated more than a day in the future (a device clock is probably wrong); the previous values stay.', this.name, report.ignoredFuture, report.ignoredFuture === 1 ? '' : 's');
    }
  }

  private onFailure(link: Link, e: unknown, kind: WithingsErrorKind): void {
    if (kind === 'reauth-required') {
      const reason = describeError(e);
      this.transition({ kind: 'needs-relink', reason, previous: link });
      this.accessories.setHealth('fault');
      const unlinked = e instanceof GrantUnavailableError && e.problem === 'unlinked';
      if (!unlinked) {
        this.deps.log.error('%s: Withings no longer accepts this profile\'s link (%s). Open the Homebridge UI → Plugins → Withings → Settings and press "Re-link" next to %s; polling is paused until then.', this.name, reason, this.name);
      }
      return;
    }
    link.sync.failureStreak++;
    this.accessories.setHealth('stale');
    const message = describeError(e);
    if (link.sync.failureStreak === 1) {
      this.deps.log.warn('%s: Withings sync failed (%s); showing the last values and retrying.', this.name, message);
    } else {
      this.deps.log.debug('%s: Withings sync failed again (%d in a row): %s', this.name, link.sync.failureStreak, message);
    }
  }
}
