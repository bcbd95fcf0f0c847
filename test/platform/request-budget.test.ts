/**
 * The request budget of issue 14: after the first sync a sync makes at most 4 requests per profile,
 * goals are still read about hourly, devices every 6 hours, and the sleep summaries are never put
 * off twice in a row. Checked on the pure plan and on a simulated day of 5-minute syncs.
 */
import { AccountSync } from '../../src/profile/account-sync.js';
import { planRequests, STEADY_STATE_BUDGET, type SyncCall } from '../../src/profile/request-budget.js';
import type { WithingsApi } from '../../src/withings/api.js';
import { FakeClock } from '../support/clock.js';

const ALL = { measures: true, summaries: true, sleepState: true, activity: true, goals: true, devices: true };

test('the first sync reads everything; later ones stay within the budget', () => {
  expect(planRequests(ALL, { first: true, nowSeconds: 0, summariesDeferred: false }))
    .toEqual(['measures', 'sleep-state', 'activity', 'devices', 'goals', 'summaries']);
  expect(planRequests(ALL, { first: false, nowSeconds: 7200, lastGoals: 0, lastDevices: 0, summariesDeferred: false }))
    .toEqual(['measures', 'sleep-state', 'activity', 'goals']);
  expect(planRequests(ALL, { first: false, nowSeconds: 7200, lastGoals: 0, lastDevices: 0, summariesDeferred: true }))
    .toEqual(['measures', 'sleep-state', 'activity', 'summaries']);
  expect(planRequests(ALL, { first: false, nowSeconds: 600, lastGoals: 0, lastDevices: 0, summariesDeferred: false }))
    .toEqual(['measures', 'sleep-state', 'activity', 'summaries']);
  // Fewer selected data: goals and devices fit beside the rest.
  expect(planRequests({ ...ALL, sleepState: false, activity: false }, { first: false, nowSeconds: 99_999, lastGoals: 0, lastDevices: 0, summariesDeferred: false }))
    .toEqual(['measures', 'devices', 'goals', 'summaries']);
  expect(planRequests({ ...ALL, activity: false, goals: false }, { first: false, nowSeconds: 600, summariesDeferred: false, lastDevices: 0 }))
    .toEqual(['measures', 'sleep-state', 'summaries']);
});

test('a simulated day of 5-minute syncs: ≤ 4 requests each, goals about hourly, devices every 6 h, summaries at most one sync late', async () => {
  const clock = new FakeClock(Date.UTC(2026, 10, 30, 0, 0, 0));
  const calls: SyncCall[] = [];
  const api = {
    getMeasures: async () => (calls.push('measures'), { groups: [], requests: 1, updatetime: Math.floor(clock.now() / 1000) }),
    getSleepSummaries: async () => (calls.push('summaries'), { series: [], requests: 1 }),
    getSleepSegments: async () => (calls.push('sleep-state'), []),
    getActivity: async () => (calls.push('activity'), { activities: [], requests: 1 }),
    getGoals: async () => (calls.push('goals'), { steps: 10_000 }),
    getDeviceStatuses: async () => (calls.push('devices'), []),
  } as unknown as WithingsApi;
  const sync = new AccountSync(api, clock, {
    measureTypes: [1], summaryFields: ['total_sleep_time'], sleepState: true, activityFields: ['steps'], goals: true, devices: true,
  });
  const perSync: number[] = [];
  const goalsAt: number[] = [];
  const devicesAt: number[] = [];
  let summaryGap = 0;
  let worstSummaryGap = 0;
  for (let i = 0; i < 288; i++) {
    calls.length = 0;
    const report = await sync.sync('user.metrics,user.activity,user.info');
    perSync.push(report.requests);
    expect(report.calls).toEqual(calls);
    if (calls.includes('goals')) {goalsAt.push(i);}
    if (calls.includes('devices')) {devicesAt.push(i);}
    summaryGap = calls.includes('summaries') ? 0 : summaryGap + 1;
    worstSummaryGap = Math.max(worstSummaryGap, summaryGap);
    await clock.advance(300_000);
  }
  expect(perSync[0]).toBe(6);
  expect(Math.max(...perSync.slice(1))).toBeLessThanOrEqual(STEADY_STATE_BUDGET);
  expect(worstSummaryGap).toBe(1);
  expect(goalsAt.length).toBeGreaterThanOrEqual(23); // hourly over 24 h (one sync late at worst)
  // At most two syncs late (when the devices and the put-off summaries go first): ≤ 70 min apart.
  expect(Math.max(...goalsAt.slice(1).map((g, i) => g - goalsAt[i]))).toBeLessThanOrEqual(14);
  expect(devicesAt.length).toBe(4);
});
