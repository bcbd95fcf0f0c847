/**
 * The Withings calls the plugin makes for one linked user (docs/withings-api.md#endpoints), with paging over
 * `more`/`offset` and the token handled by the session.
 */
import { isWithingsError } from './errors.js';
import type { Params, WithingsHttp } from './http.js';
import type { RequestLimiter } from './limiter.js';
import type { TokenSession } from './session.js';
import type { ActivityDay, Goals, MeasureGroup, SleepSegment, SleepSummary, WithingsDevice } from '../metrics/data.js';
import {
  type Device,
  type NotifySubscription,
  parseActivityPage,
  parseDevices,
  parseDeviceStatuses,
  parseGoals,
  parseMeasurePage,
  parseSleepSegments,
  parseSleepSummaryPage,
  parseSubscriptions,
} from './types.js';

/** A runaway `more` flag must not turn one sync into hundreds of requests. */
export const MAX_PAGES = 50;

export interface MeasureQuery {
  /** Groups created or modified after this instant (incremental sync). */
  readonly lastupdate?: number;
  readonly startdate?: number;
  readonly enddate?: number;
  readonly meastypes?: readonly number[];
}

export interface MeasureResult {
  readonly groups: MeasureGroup[];
  readonly timezone?: string;
  /** Server time of the (last page of the) answer, the next `lastupdate` cursor. */
  readonly updatetime?: number;
  readonly requests: number;
}

export type SummaryQuery =
  | { readonly lastupdate: number; readonly dataFields: readonly string[] }
  | { readonly startdateymd: string; readonly enddateymd: string; readonly dataFields: readonly string[] };

export type ActivityQuery =
  | { readonly lastupdate: number; readonly dataFields: readonly string[] }
  | { readonly startdateymd: string; readonly enddateymd: string; readonly dataFields: readonly string[] };

export class WithingsApi {
  constructor(
    private readonly http: WithingsHttp,
    private readonly session: TokenSession,
    private readonly limiter?: RequestLimiter,
    private readonly signal?: AbortSignal,
  ) {}

  private async call<T>(path: string, params: Params): Promise<T> {
    await this.limiter?.acquire(this.signal);
    try {
      return await this.session.withToken((token) => this.http.post<T>(path, params, { token }));
    } catch (e) {
      if (isWithingsError(e) && e.kind === 'rate-limited') {
        this.limiter?.pause(e.retryAfterSeconds ?? 60);
      }
      throw e;
    }
  }

  /** getmeas, always `category=1` (real measures, never objectives), every page. */
  async getMeasures(query: MeasureQuery = {}): Promise<MeasureResult> {
    const groups: MeasureGroup[] = [];
    let timezone: string | undefined;
    let updatetime: number | undefined;
    let offset: number | undefined;
    let requests = 0;
    for (let page = 0; page < MAX_PAGES; page++) {
      const body = await this.call<unknown>('/measure', {
        action: 'getmeas',
        category: 1,
        meastypes: query.meastypes?.length ? query.meastypes.join(',') : undefined,
        lastupdate: query.lastupdate,
        startdate: query.lastupdate === undefined ? query.startdate : undefined,
        enddate: query.lastupdate === undefined ? query.enddate : undefined,
        offset,
      });
      requests++;
      const reply = parseMeasurePage(body);
      groups.push(...reply.groups);
      timezone = reply.timezone ?? timezone;
      updatetime = reply.updatetime ?? updatetime;
      if (!reply.more || reply.offset <= (offset ?? 0)) {
        break;
      }
      offset = reply.offset;
    }
    return { groups, timezone, updatetime, requests };
  }

  /** Sleep v2 getsummary with an explicit `data_fields`, every page. */
  async getSleepSummaries(query: SummaryQuery): Promise<{ series: SleepSummary[]; requests: number }> {
    const { items, requests } = await this.pages('/v2/sleep', { action: 'getsummary', ...dayWindow(query), data_fields: query.dataFields.join(',') },
      (body) => {
        const reply = parseSleepSummaryPage(body);
        return { items: reply.series, more: reply.more, offset: reply.offset };
      });
    return { series: items, requests };
  }

  /** Every page of a `more`/`offset` paged call (bounded by MAX_PAGES; a stuck offset stops it). */
  private async pages<T>(path: string, params: Params, parse: (body: unknown) => { items: T[]; more: boolean; offset: number }): Promise<{ items: T[]; requests: number }> {
    const items: T[] = [];
    let offset: number | undefined;
    let requests = 0;
    for (let page = 0; page < MAX_PAGES; page++) {
      const reply = parse(await this.call<unknown>(path, { ...params, offset }));
      requests++;
      items.push(...reply.items);
      if (!reply.more || reply.offset <= (offset ?? 0)) {
        break;
      }
      offset = reply.offset;
    }
    return { items, requests };
  }

  /** Sleep v2 get: stage segments between two instants (Withings returns at most 24 h). */
  async getSleepSegments(startdate: number, enddate: number): Promise<SleepSegment[]> {
    const body = await this.call<unknown>('/v2/sleep', { action: 'get', startdate, enddate });
    return parseSleepSegments(body);
  }

  /**
   * Measure v2 getactivity: daily rows changed since `lastupdate` (or of a day range), every page.
   * `offset` can be non-zero while `more` is false, so only `more` continues.
   */
  async getActivity(query: ActivityQuery, nowSeconds: number): Promise<{ activities: ActivityDay[]; requests: number }> {
    const { items, requests } = await this.pages('/v2/measure', { action: 'getactivity', ...dayWindow(query), data_fields: query.dataFields.join(',') },
      (body) => {
        const reply = parseActivityPage(body, nowSeconds);
        return { items: reply.activities, more: reply.more, offset: reply.offset };
      });
    return { activities: items, requests };
  }


  /** User v2 getgoals. */
  async getGoals(): Promise<Goals> {
    return parseGoals(await this.call<unknown>('/v2/user', { action: 'getgoals' }));
  }

  /** User v2 getdevice, as devices with a validated battery word and last session. */
  async getDeviceStatuses(nowSeconds: number): Promise<WithingsDevice[]> {
    return parseDeviceStatuses(await this.call<unknown>('/v2/user', { action: 'getdevice' }), nowSeconds);
  }

  async getDevices(): Promise<Device[]> {
    return parseDevices(await this.call<unknown>('/v2/user', { action: 'getdevice' }));
  }

  async listSubscriptions(appli?: number): Promise<NotifySubscription[]> {
    return parseSubscriptions(await this.call<unknown>('/notify', { action: 'list', appli }));
  }

  async subscribe(callbackurl: string, appli: number, comment?: string): Promise<void> {
    await this.call<unknown>('/notify', { action: 'subscribe', callbackurl, appli, comment });
  }

  async revokeSubscription(callbackurl: string, appli: number): Promise<void> {
    await this.call<unknown>('/notify', { action: 'revoke', callbackurl, appli });
  }
}

/** The `lastupdate` of an incremental query, or its day range. */
function dayWindow(query: { readonly lastupdate: number } | { readonly startdateymd: string; readonly enddateymd: string }): Params {
  return 'lastupdate' in query ? { lastupdate: query.lastupdate } : { startdateymd: query.startdateymd, enddateymd: query.enddateymd };
}
