/**
 * Which Withings notification categories (`appli`, docs/withings-api.md#notifications) the selected
 * measurements need, derived from each catalog row's source, and the scope each category needs.
 */
import type { MetricDefinition } from './catalog.js';

/** Body measure types by the appli that announces them; any other measure type is body composition (appli 1). */
const TEMPERATURE_TYPES = new Set([12, 71, 73]);
const HEART_TYPES = new Set([9, 10, 11, 54]);

export const APPLI_IN_BED = 50;
export const APPLI_OUT_OF_BED = 51;

/** The scope Withings requires to subscribe to each appli the plugin uses. */
export const APPLI_SCOPES: Readonly<Record<number, string>> = {
  1: 'user.metrics',
  2: 'user.metrics',
  4: 'user.metrics',
  16: 'user.activity',
  44: 'user.activity',
  50: 'user.sleepevents',
  51: 'user.sleepevents',
};

/** The applis whose notifications change a metric's value. */
export function appliOf(metric: MetricDefinition): number[] {
  const source = metric.source;
  switch (source.kind) {
    case 'measure':
      return [TEMPERATURE_TYPES.has(source.measureType) ? 2 : HEART_TYPES.has(source.measureType) ? 4 : 1];
    case 'bmi':
      return [1]; // a new weight (or height) changes it
    case 'activity':
      return [16];
    case 'summary':
    case 'sleep-state':
      return [44];
    case 'goal':
      return []; // goals have no notification: they are read hourly
    case 'bed-presence':
      return [APPLI_IN_BED, APPLI_OUT_OF_BED];
  }
}

/** Every appli the selected metrics need, ascending, each once. */
export function neededApplis(metrics: readonly MetricDefinition[]): number[] {
  return [...new Set(metrics.flatMap(appliOf))].sort((a, b) => a - b);
}

/** Applis that only announce that data changed (a sync fetches it); 50/51 are the data themselves. */
export const isDataAppli = (appli: number): boolean => appli !== APPLI_IN_BED && appli !== APPLI_OUT_OF_BED && appli !== 52;
