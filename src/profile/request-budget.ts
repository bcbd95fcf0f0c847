/**
 * Which Withings calls one sync makes, as a pure function (unit-tested). The data that changes all
 * day (measures, the sleep state, today's activity) is read at every sync; goals (hourly) and
 * devices (every 6 h) change rarely. After the first sync a sync makes at most
 * `STEADY_STATE_BUDGET` requests: when goals or devices are due and there is no room left, they
 * take the sleep summaries' turn (the summaries' `lastupdate` cursor means nothing is missed, a
 * new night just shows one sync later), and the summaries are never put off twice in a row.
 */
export const STEADY_STATE_BUDGET = 4;
export const GOALS_EVERY_SECONDS = 3600;
export const DEVICES_EVERY_SECONDS = 6 * 3600;

export type SyncCall = 'measures' | 'summaries' | 'sleep-state' | 'activity' | 'goals' | 'devices';

export interface RequestNeeds {
  readonly measures: boolean;
  readonly summaries: boolean;
  readonly sleepState: boolean;
  readonly activity: boolean;
  readonly goals: boolean;
  readonly devices: boolean;
}

export interface RequestHistory {
  /** No sync has succeeded yet: everything is read, whatever it costs. */
  readonly first: boolean;
  readonly nowSeconds: number;
  readonly lastGoals?: number;
  readonly lastDevices?: number;
  /** The previous sync put the summaries off. */
  readonly summariesDeferred: boolean;
}

const due = (last: number | undefined, now: number, every: number): boolean => last === undefined || now - last >= every;

/** The calls of this sync, in the order they are made. */
export function planRequests(needs: RequestNeeds, history: RequestHistory): SyncCall[] {
  const every: SyncCall[] = [];
  if (needs.measures) {
    every.push('measures');
  }
  if (needs.sleepState) {
    every.push('sleep-state');
  }
  if (needs.activity) {
    every.push('activity');
  }
  const flexible: SyncCall[] = [];
  if (needs.devices && due(history.lastDevices, history.nowSeconds, DEVICES_EVERY_SECONDS)) {
    flexible.push('devices');
  }
  if (needs.goals && due(history.lastGoals, history.nowSeconds, GOALS_EVERY_SECONDS)) {
    flexible.push('goals');
  }
  if (needs.summaries) {
    // Put off at most once: then it goes first among the flexible calls.
    if (history.summariesDeferred) {
      flexible.unshift('summaries');
    } else {
      flexible.push('summaries');
    }
  }
  if (history.first) {
    return [...every, ...flexible];
  }
  const room = Math.max(0, STEADY_STATE_BUDGET - every.length);
  return [...every, ...flexible.slice(0, room)];
}
