/**
 * Keeps one account's data current with as few requests as possible: a full measure fetch first
 * (and once a day, to notice deleted groups), then only what changed (`lastupdate`); the sleep
 * summaries of the last 60 nights (for the chart history), then only changes; the sleep stages of the last 6 hours; the
 * activity rows of the last week, then only changes; goals hourly and devices every 6 hours
 * (`planRequests` in request-budget.ts decides which calls a sync makes).
 */
import type { WithingsApi } from '../withings/api.js';
import { isWithingsError } from '../withings/errors.js';
import { type Clock, epochSeconds } from '../util/clock.js';
import { parseScopes } from '../withings/oauth.js';
import type { ActivityDay, Goals, MeasureGroup, SleepSegment, SleepSummary, WithingsDevice } from '../metrics/data.js';
import { type AccountData, FUTURE_SLACK_SECONDS, isUsableGroup, SLEEP_STATE_WINDOW_SECONDS } from '../metrics/values.js';
import { HISTORY_NIGHTS } from '../metrics/history.js';
import { planRequests, type SyncCall } from './request-budget.js';

/** Activity rows kept (and read on the first sync): a week, enough for "today" in any time zone. */
const ACTIVITY_DAYS = 7;
const ymd = (epochSeconds: number): string => new Date(epochSeconds * 1000).toISOString().slice(0, 10);

/** Summaries that can still fall in the "since noon yesterday" window (≤ 36 h) are kept, with slack. */
const SUMMARY_HORIZON_SECONDS = 48 * 3600;
/** Overlap between incremental fetches, so a group stored during a reply is never missed. */
const CURSOR_OVERLAP_SECONDS = 120;
/** A full measure fetch this often notices groups deleted in the Withings app. */
export const FULL_RESYNC_SECONDS = 24 * 3600;
/** Bound on the ids of ignored readings remembered (each is reported once). */
const MAX_IGNORED_REMEMBERED = 500;

export interface SyncNeeds {
  /** Measure types to read (empty: no getmeas at all). */
  readonly measureTypes: readonly number[];
  /** Summary fields to request (empty: no getsummary). */
  readonly summaryFields: readonly string[];
  readonly sleepState: boolean;
  /** getactivity fields to request (empty: no getactivity). */
  readonly activityFields?: readonly string[];
  /** Read the goals (hourly). */
  readonly goals?: boolean;
  /** Read the devices and their batteries (every 6 h). */
  readonly devices?: boolean;
}

export interface SyncReport {
  /** Groups received in this sync, oldest taken first: every group on a full fetch, then only new or modified ones. */
  readonly groups: readonly MeasureGroup[];
  /** Summaries received in this sync. */
  readonly summaries: readonly SleepSummary[];
  /** True for a full fetch (first sync or daily resync). */
  readonly full: boolean;
  /** True when `groups` is every group the account has (a full measure fetch ran). */
  readonly allGroups: boolean;
  readonly requests: number;
  /** The calls this sync made. */
  readonly calls?: readonly SyncCall[];
  /** The account's devices, when this sync read them. */
  readonly devices?: readonly WithingsDevice[];
  /** Scopes the selected measurements need but the grant lacks (those calls were skipped). */
  readonly missingScopes: readonly string[];
  /** Readings first seen in this sync and ignored because they are dated in the future. */
  readonly ignoredFuture: number;
}

export class AccountSync {
  private readonly groups = new Map<number, MeasureGroup[]>();
  private readonly summaries = new Map<string, SleepSummary>();
  private segments: SleepSegment[] = [];
  private timezone?: string;
  private measureCursor?: number;
  private summaryCursor?: number;
  private lastFull?: number;
  private readonly activities = new Map<string, ActivityDay>();
  private activityCursor?: number;
  private goals?: { goals: Goals; seenAt: number };
  private lastGoals?: number;
  private lastDevices?: number;
  private summariesDeferred = false;
  private lastSummaries?: number;
  private lastActivity?: number;
  private everSynced = false;
  private readonly ignored = new Set<string>();

  constructor(
    private readonly api: WithingsApi,
    private readonly clock: Clock,
    private readonly needs: SyncNeeds,
  ) {}

  /** The data the value rules read. */
  data(): AccountData {
    return {
      groups: [...this.groups.values()].flat(),
      summaries: this.summaries.values(),
      segments: this.segments,
      activities: this.activities.values(),
      goals: this.goals,
      timezone: this.timezone,
    };
  }

  get profileTimezone(): string | undefined {
    return this.timezone;
  }

  /** Whether a whole sync succeeded at least once: until then the data held is not the account's. */
  get hasSynced(): boolean {
    return this.everSynced;
  }

  /** Keeps what is not dated in the future; counts (once per reading) what it drops. */
  private notInFuture<T>(items: readonly T[], idOf: (t: T) => string, dateOf: (t: T) => number, now: number, count: { n: number }): T[] {
    const limit = now + FUTURE_SLACK_SECONDS;
    return items.filter((item) => {
      if (dateOf(item) <= limit) {
        return true;
      }
      const id = idOf(item);
      if (!this.ignored.has(id)) {
        if (this.ignored.size >= MAX_IGNORED_REMEMBERED) {
          this.ignored.clear();
        }
        this.ignored.add(id);
        count.n++;
      }
      return false;
    });
  }

  /**
   * One sync. Throws WithingsError on failure; the data kept so far stays as it was.
   * `safetyPoll: true` is the hourly poll while notifications are verified: it reads only what a
   * lost notification could have missed (see `planRequests`).
   */
  async sync(scope: string, options: { readonly safetyPoll?: boolean } = {}): Promise<SyncReport> {
    const granted = parseScopes(scope);
    const missing = new Set<string>();
    const started = epochSeconds(this.clock);
    let requests = 0;
    let received: MeasureGroup[] = [];
    let receivedSummaries: SleepSummary[] = [];
    let allGroups = false;
    const ignored = { n: 0 };
    const full = this.lastFull === undefined || started - this.lastFull >= FULL_RESYNC_SECONDS;
    const activityFields = this.needs.activityFields ?? [];
    const plan = planRequests({
      measures: this.needs.measureTypes.length > 0,
      summaries: this.needs.summaryFields.length > 0,
      sleepState: this.needs.sleepState,
      activity: activityFields.length > 0,
      goals: this.needs.goals ?? false,
      devices: this.needs.devices ?? false,
    }, { first: !this.everSynced, nowSeconds: started, lastGoals: this.lastGoals, lastDevices: this.lastDevices, summariesDeferred: this.summariesDeferred,
      safetyPoll: options.safetyPoll, lastSummaries: this.lastSummaries, lastActivity: this.lastActivity });
    const calls: SyncCall[] = [];
    let devices: WithingsDevice[] | undefined;

    if (plan.includes('measures')) {
      if (granted.has('user.metrics')) {
        const reply = await this.api.getMeasures({
          meastypes: this.needs.measureTypes,
          lastupdate: full ? undefined : this.measureCursor,
        });
        requests += reply.requests;
        calls.push('measures');
        received = this.mergeGroups(this.notInFuture(reply.groups, (g) => `g${g.grpid}`, (g) => g.date, started, ignored), full);
        this.timezone = reply.timezone ?? this.timezone;
        this.measureCursor = (reply.updatetime ?? started) - CURSOR_OVERLAP_SECONDS;
        if (full) {
          this.lastFull = started;
          allGroups = true;
        }
      } else {
        missing.add('user.metrics');
      }
    }

    const activityPlanned = plan.includes('summaries') || plan.includes('sleep-state') || plan.includes('activity');
    if (activityPlanned && !granted.has('user.activity')) {
      missing.add('user.activity');
    } else {
      if (plan.includes('summaries')) {
        // The first sync reaches back 60 nights for the chart history (one request, as before).
        const lastupdate = this.summaryCursor ?? started - HISTORY_NIGHTS * 86_400;
        const reply = await this.api.getSleepSummaries({ lastupdate, dataFields: this.needs.summaryFields });
        requests += reply.requests;
        calls.push('summaries');
        receivedSummaries = this.mergeSummaries(this.notInFuture(reply.series, (x) => `s${x.id}`, (x) => x.enddate, started, ignored), started);
        this.summaryCursor = started - CURSOR_OVERLAP_SECONDS;
        this.lastSummaries = started;
        this.timezone ??= reply.series.find((s) => s.timezone)?.timezone;
      }
      if (plan.includes('sleep-state')) {
        const segments = await this.api.getSleepSegments(started - SLEEP_STATE_WINDOW_SECONDS, started);
        this.segments = this.notInFuture(segments, (x) => `t${x.startdate}-${x.enddate}`, (x) => x.enddate, started, ignored);
        requests++;
        calls.push('sleep-state');
      }
      if (plan.includes('activity')) {
        // The first read covers a week of UTC days plus one, which holds "today" in every time zone.
        const window = this.activityCursor === undefined
          ? { startdateymd: ymd(started - ACTIVITY_DAYS * 86_400), enddateymd: ymd(started + 86_400) }
          : { lastupdate: this.activityCursor };
        const reply = await this.api.getActivity({ ...window, dataFields: activityFields }, started);
        requests += reply.requests;
        calls.push('activity');
        this.mergeActivities(reply.activities, started);
        this.activityCursor = started - CURSOR_OVERLAP_SECONDS;
        this.lastActivity = started;
        this.timezone ??= reply.activities.find((a) => a.timezone)?.timezone;
      }
    }
    this.summariesDeferred = this.needs.summaryFields.length > 0 && !plan.includes('summaries') && granted.has('user.activity');

    if (plan.includes('goals')) {
      const goals = await optional(() => this.api.getGoals());
      requests++;
      calls.push('goals');
      this.lastGoals = started;
      if (goals !== undefined && JSON.stringify(goals) !== JSON.stringify(this.goals?.goals)) {
        this.goals = { goals, seenAt: started };
      }
    }
    if (plan.includes('devices')) {
      devices = await optional(() => this.api.getDeviceStatuses(started));
      requests++;
      calls.push('devices');
      this.lastDevices = started;
    }
    this.everSynced = true;
    return { groups: received, summaries: receivedSummaries, full, allGroups, requests, calls, devices, missingScopes: [...missing], ignoredFuture: ignored.n };
  }

  /** Keeps one row per day and source (a newer `modified` replaces it) for the last week; the newest row always stays. */
  private mergeActivities(rows: readonly ActivityDay[], now: number): void {
    for (const row of rows) {
      const key = `${row.date}|${row.source}`;
      const known = this.activities.get(key);
      if (!known || row.modified >= known.modified) {
        this.activities.set(key, row);
      }
    }
    const oldest = ymd(now - (ACTIVITY_DAYS + 1) * 86_400);
    const newest = [...this.activities.values()].reduce((latest, r) => Math.max(latest, Date.parse(r.date)), -Infinity);
    for (const [key, row] of this.activities) {
      if (row.date < oldest && Date.parse(row.date) !== newest) {
        this.activities.delete(key);
      }
    }
  }

  /**
   * Replaces groups by id; a full fetch also forgets groups Withings no longer returns. The same
   * weigh-in can arrive twice under one grpid (attrib 0 and 8): identical copies collapse, keeping
   * a usable one; copies that differ (other date or values) are kept side by side.
   */
  private mergeGroups(groups: readonly MeasureGroup[], full: boolean): MeasureGroup[] {
    const fresh = new Map<number, MeasureGroup[]>();
    for (const g of groups) {
      const variants = fresh.get(g.grpid) ?? [];
      const twin = variants.findIndex((v) => sameReading(v, g));
      if (twin < 0) {
        variants.push(g);
      } else if (!isUsableGroup(variants[twin]) && isUsableGroup(g)) {
        variants[twin] = g;
      }
      fresh.set(g.grpid, variants);
    }
    if (full) {
      this.groups.clear();
    }
    for (const [grpid, variants] of fresh) {
      this.groups.set(grpid, variants);
    }
    return [...fresh.values()].flat().sort((a, b) => a.date - b.date || a.grpid - b.grpid);
  }

  private mergeSummaries(series: readonly SleepSummary[], now: number): SleepSummary[] {
    for (const s of series) {
      this.summaries.set(String(s.id), s);
    }
    for (const [id, s] of this.summaries) {
      if (s.enddate < now - SUMMARY_HORIZON_SECONDS) {
        this.summaries.delete(id);
      }
    }
    return [...series].sort((a, b) => a.enddate - b.enddate);
  }
}

/** Two copies of one group that say the same thing (date and measures). */
function sameReading(a: MeasureGroup, b: MeasureGroup): boolean {
  return a.date === b.date && a.category === b.category && a.measures.length === b.measures.length
    && a.measures.every((m, i) => m.type === b.measures[i].type && m.value === b.measures[i].value && m.unit === b.measures[i].unit);
}

/**
 * A call whose refusal must not fail the whole sync (goals and devices have no documented scope):
 * Withings refusing the request gives undefined (tried again at its next turn); a lost grant, a
 * rate limit or a network failure still ends the sync as usual.
 */
async function optional<T>(call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (e) {
    if (isWithingsError(e) && e.kind === 'bad-request') {
      return undefined;
    }
    throw e;
  }
}
