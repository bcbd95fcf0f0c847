/**
 * Notifications for every profile: one listener, and per linked profile subscriptions that heal
 * themselves (listed and repaired at start, on every new link and every 6 h). A notification is
 * routed by `userid`: appli 50/51 set In Bed at once, data applis ask the profile for a sync soon.
 * Polling falls back to `update_interval` whenever a profile's subscriptions are not verified.
 */
import { neededApplis, APPLI_IN_BED, APPLI_OUT_OF_BED, APPLI_SCOPES, isDataAppli } from '../metrics/notify-applis.js';
import type { MetricDefinition } from '../metrics/catalog.js';
import type { ProfileController } from '../profile/controller.js';
import { type Clock, epochSeconds, type TimerHandle } from '../util/clock.js';
import { describeError, type PluginLog } from '../util/log.js';
import { WithingsApi } from '../withings/api.js';
import { isWithingsError } from '../withings/errors.js';
import type { WithingsHttp } from '../withings/http.js';
import type { RequestLimiter } from '../withings/limiter.js';
import { redactor } from '../withings/redact.js';
import { parseScopes } from '../withings/oauth.js';
import { eventTime, type Notification } from './body.js';
import { ListenError, NotifyListener } from './listener.js';
import { planSubscriptions, RECONCILE_INTERVAL_MS, RECONCILE_RETRY_MS, SUBSCRIBE_SPACING_MS, SUBSCRIPTION_COMMENT } from './plan.js';
import { loadOrCreateSecret } from './secret.js';
import type { NotificationStatusRecord } from './status.js';
import { callbackUrlOf, maskCallbackUrl } from './url.js';

export interface NotificationsConfig {
  /** The public address (checked by `checkNotifyUrl`), without the secret. */
  readonly url: string;
  readonly port: number;
  readonly host?: string;
}

export interface NotifyDeps {
  readonly log: PluginLog;
  readonly clock: Clock;
  readonly http: WithingsHttp;
  readonly limiter: RequestLimiter;
  readonly signal: AbortSignal;
  /** The token folder: the secret lives there. */
  readonly dir: string;
  readonly metrics: readonly MetricDefinition[];
  /** A profile's notification status changed (the status file is rewritten). */
  readonly onStatus: () => void;
}

/** Refused or unreachable: polling stays at `update_interval` and the hub tries again after a while. */
const REFUSED_RETRY_MS = 60 * 60 * 1000;

interface ProfileNotify {
  record: NotificationStatusRecord;
  timer?: TimerHandle;
  running?: Promise<void>;
  /** The user whose subscriptions were last set up (a re-link to someone else starts over). */
  userid?: string;
  /** The last warning logged, so that a repeated failure is not logged every time. */
  warned?: string;
}

export class NotifyHub {
  private listener?: NotifyListener;
  private secret?: string;
  private callbackUrl?: string;
  /** Set when the listener could not start: every profile is failing for this reason. */
  private listenProblem?: string;
  private readonly state = new Map<ProfileController, ProfileNotify>();
  private readonly applis: number[];
  private started = false;
  private stopped = false;

  constructor(
    private readonly config: NotificationsConfig,
    private readonly deps: NotifyDeps,
    private readonly profiles: () => Iterable<ProfileController>,
  ) {
    this.applis = neededApplis(deps.metrics);
  }

  /** The callback URL with its secret masked (for logs and the settings page). */
  get maskedCallback(): string | undefined {
    return this.callbackUrl && this.secret ? maskCallbackUrl(this.callbackUrl, this.secret) : undefined;
  }

  /** The port the listener is bound to (tests with port 0). */
  get port(): number | undefined {
    return this.listener?.port;
  }

  /** Loads the secret and starts the listener; then sets up every profile linked by then. Never throws. */
  async start(): Promise<void> {
    try {
      this.secret = await loadOrCreateSecret(this.deps.dir);
      redactor.add(this.secret);
      this.callbackUrl = callbackUrlOf(this.config.url, this.secret);
      const listener = new NotifyListener({
        host: this.config.host,
        port: this.config.port,
        secret: this.secret,
        onNotification: (n) => this.received(n),
        onRejected: (why) => this.deps.log.debug('Notifications: ignored a request with %s.', why),
      });
      await listener.start();
      if (this.stopped) {
        await listener.close();
        return;
      }
      this.listener = listener;
      this.deps.log.debug('Notifications: listening on %s:%d for %s', this.config.host ?? '*', listener.port, this.maskedCallback);
    } catch (e) {
      this.listenProblem = e instanceof ListenError ? e.message : `could not start: ${describeError(e)}`;
      this.deps.log.error('Notifications: %s. Polling continues every "update_interval"; fix it and restart Homebridge.', this.listenProblem);
    }
    this.started = true;
    for (const p of this.profiles()) {
      this.linked(p);
    }
    // No status write here: the runtime writes the status file once start-up is done.
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const s of this.state.values()) {
      s.timer?.cancel();
    }
    await this.listener?.close();
    this.listener = undefined;
  }

  /** A profile became linked: set up its subscriptions (now, or once the listener runs). */
  linked(profile: ProfileController): void {
    if (!this.started || this.stopped || !profile.grant) {
      return;
    }
    const s = this.entry(profile);
    s.timer?.cancel();
    s.timer = undefined;
    void (s.running ?? Promise.resolve()).then(() => this.reconcile(profile));
  }

  /** What the status file records of a profile's notifications. */
  statusOf(profile: ProfileController): NotificationStatusRecord {
    const s = this.state.get(profile);
    if (this.listenProblem) {
      return { ...s?.record, state: 'failing', applis: this.applis, reason: `the plugin cannot receive notifications: ${this.listenProblem}`, action: 'Fix "notifications" in the plugin settings and restart Homebridge.' };
    }
    if (!profile.grant && s?.record.state !== 'failing') {
      return { state: 'pending', applis: this.applis, reason: 'the profile is not linked', action: 'Link the profile.', last_received: s?.record.last_received, last_appli: s?.record.last_appli };
    }
    return s?.record ?? { state: 'pending', applis: this.applis, callback: this.maskedCallback };
  }

  private entry(profile: ProfileController): ProfileNotify {
    let s = this.state.get(profile);
    if (!s) {
      s = { record: { state: 'pending', applis: this.applis, callback: this.maskedCallback, since: epochSeconds(this.deps.clock) } };
      this.state.set(profile, s);
    }
    return s;
  }

  private setRecord(s: ProfileNotify, next: Omit<NotificationStatusRecord, 'since' | 'last_received' | 'last_appli'>): void {
    const since = s.record.state === next.state ? s.record.since : epochSeconds(this.deps.clock);
    const record = { ...next, since, last_received: s.record.last_received, last_appli: s.record.last_appli };
    const changed = JSON.stringify(record) !== JSON.stringify(s.record);
    s.record = record;
    if (changed) {
      this.deps.onStatus(); // a reconcile that finds everything as it was writes nothing
    }
  }

  /** Lists, revokes our stale subscriptions, subscribes what is missing; then schedules the next check. Never throws. */
  private reconcile(profile: ProfileController): Promise<void> {
    const s = this.entry(profile);
    if (!s.running) {
      s.running = this.runReconcile(profile, s).finally(() => {
        s.running = undefined;
      });
    }
    return s.running;
  }

  private async runReconcile(profile: ProfileController, s: ProfileNotify): Promise<void> {
    const grant = profile.grant;
    const callbackUrl = this.callbackUrl;
    if (!grant || !callbackUrl || this.listenProblem || this.stopped) {
      profile.setNotificationsVerified(false);
      return;
    }
    const masked = this.maskedCallback!;
    let next = RECONCILE_INTERVAL_MS;
    try {
      await grant.session.load();
      const granted = parseScopes(grant.session.scope);
      const usable = this.applis.filter((a) => granted.has(APPLI_SCOPES[a] ?? ''));
      const lacking = [...new Set(this.applis.filter((a) => !usable.includes(a)).map((a) => APPLI_SCOPES[a]))];
      const api = new WithingsApi(this.deps.http, grant.session, this.deps.limiter, this.deps.signal);
      const plan = planSubscriptions(await api.listSubscriptions(), callbackUrl, usable);
      for (const stale of plan.revoke) {
        await api.revokeSubscription(stale.callbackurl, stale.appli).catch((e: unknown) => {
          this.deps.log.debug('%s: could not revoke an old notification subscription (appli %d): %s', profile.name, stale.appli, describeError(e));
        });
      }
      if (plan.subscribe.length > 0) {
        this.setRecord(s, { state: 'pending', applis: this.applis, callback: masked });
      }
      for (const appli of plan.subscribe) {
        await this.pause(SUBSCRIBE_SPACING_MS);
        if (this.stopped || profile.grant?.userid !== grant.userid) {
          return;
        }
        await api.subscribe(callbackUrl, appli, SUBSCRIPTION_COMMENT);
      }
      if (this.stopped || profile.grant?.userid !== grant.userid) {
        return;
      }
      const becameActive = s.record.state !== 'active' || s.userid !== grant.userid;
      s.userid = grant.userid;
      if (usable.length === 0) {
        throw new Error(`the link does not grant ${lacking.join(', ')}`);
      }
      this.setRecord(s, {
        state: 'active',
        applis: usable,
        callback: masked,
        reason: lacking.length > 0 ? `the link does not grant ${lacking.join(', ')}, so appli ${this.applis.filter((a) => !usable.includes(a)).join(', ')} cannot be subscribed` : undefined,
        action: lacking.length > 0 ? 'Re-link the profile in the plugin settings and allow every permission.' : undefined,
      });
      profile.setNotificationsVerified(true);
      s.warned = undefined;
      if (becameActive) {
        this.deps.log.info('%s: Withings notifications active (appli %s) at %s; polling every %d min as a safety net.', profile.name, usable.join(', '), masked, Math.round(profile.pollIntervalMs / 60_000));
        if (lacking.length > 0) {
          this.deps.log.warn('%s: the Withings link does not grant %s, so In Bed (or some notifications) cannot work; re-link the profile in the plugin settings and allow every permission.', profile.name, lacking.join(', '));
        }
      }
    } catch (e) {
      if (this.deps.signal.aborted || this.stopped || profile.grant?.userid !== grant.userid) {
        return;
      }
      const refused = isWithingsError(e) && (e.status === 293 || e.kind === 'bad-request');
      const reason = refused
        ? `Withings refused the callback URL ${masked}${isWithingsError(e) && e.status !== undefined ? ` (status ${e.status})` : ''}: it could not reach it`
        : `setting up notifications failed: ${describeError(e)}`;
      const action = refused
        ? `Check that ${this.config.url} reaches this Homebridge (port ${this.config.port}) from the internet over https, e.g. with curl -I; the plugin tries again within an hour.`
        : 'The plugin tries again in 15 minutes.';
      next = refused ? REFUSED_RETRY_MS : RECONCILE_RETRY_MS;
      this.setRecord(s, { state: 'failing', applis: this.applis, callback: masked, reason, action });
      profile.setNotificationsVerified(false);
      if (s.warned !== reason) {
        s.warned = reason;
        this.deps.log.warn('%s: notifications do not work (%s). %s Polling stays at every "update_interval".', profile.name, reason, action);
      }
    }
    if (!this.stopped) {
      s.timer = this.deps.clock.setTimer(() => {
        s.timer = undefined;
        void this.reconcile(profile);
      }, next);
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = this.deps.clock.setTimer(resolve, ms);
      this.deps.signal.addEventListener('abort', () => {
        t.cancel();
        resolve();
      }, { once: true });
    });
  }

  /** A well-formed notification: route it by user; unknown users are ignored. */
  private received(n: Notification): void {
    try {
      const profile = [...this.profiles()].find((p) => p.grant?.userid === n.userid);
      if (!profile) {
        this.deps.log.debug('Notifications: appli %d for a Withings user no profile is linked to; ignored.', n.appli);
        return;
      }
      const now = epochSeconds(this.deps.clock);
      const s = this.entry(profile);
      s.record = { ...s.record, last_received: now, last_appli: n.appli };
      this.deps.onStatus();
      if (n.appli === APPLI_IN_BED || n.appli === APPLI_OUT_OF_BED) {
        const inBed = n.appli === APPLI_IN_BED;
        if (profile.setInBed(inBed, eventTime(n, now))) {
          this.deps.log.debug('%s: %s.', profile.name, inBed ? 'in bed' : 'out of bed');
        }
      } else if (isDataAppli(n.appli)) {
        this.deps.log.debug('%s: Withings announced new data (appli %d); syncing.', profile.name, n.appli);
        profile.syncSoon();
      }
    } catch (e) {
      this.deps.log.error('Notifications: %s', describeError(e));
    }
  }
}
