/**
 * Features add services to a profile's accessories beside the metric sensors (new-reading buttons,
 * threshold alerts, Matter endpoints…). Each lives in one file under `features/` and is listed in
 * `features/index.ts`; the profile calls them in order.
 */
import type { API, HAP } from 'homebridge';

import type { MeasureGroup, SleepSummary } from '../metrics/data.js';
import type { MetricDefinition } from '../metrics/catalog.js';
import type { Reading } from '../metrics/values.js';
import type { PluginLog } from '../util/log.js';
import type { AlertConfig } from './features/alerts.js';
import type { GroupAccessory, ProfileIdentity } from './group-accessory.js';

/** What one successful sync brought, as features see it. */
export interface SyncUpdate {
  /** Groups received in this sync, oldest taken first (every group on a full fetch). */
  readonly groups: readonly MeasureGroup[];
  /** Sleep summaries received in this sync. */
  readonly summaries: readonly SleepSummary[];
  /** True for a full fetch (first sync or daily resync). */
  readonly full: boolean;
  readonly nowSeconds: number;
}

/** Extra services of a group accessory, added by features such as reading events and alerts. */
export interface GroupFeature {
  /** Called whenever the accessory's metric services were (re)built; may add or remove services. */
  attach(group: GroupAccessory): void;
  /** The profile now shows another Withings user: drop what belonged to the previous one. */
  userChanged?(userid: string): void;
  /** After a successful sync; returns the accessories whose context it changed (the profile saves them). */
  onSync?(update: SyncUpdate, groups: readonly GroupAccessory[]): readonly GroupAccessory[];
  /**
   * After the values were evaluated (each sync, and at local midnight): `values` holds the metrics
   * that have a value now. Returns the accessories whose context it changed.
   */
  onValues?(values: ReadonlyMap<string, Reading>, groups: readonly GroupAccessory[]): readonly GroupAccessory[];
}


type MatterApi = NonNullable<API['matter']>;

/** Everything a feature may need to build itself for one profile. */
export interface FeatureContext {
  readonly hap: HAP;
  readonly log: PluginLog;
  readonly profile: ProfileIdentity;
  /** The selected measurements. */
  readonly metrics: readonly MetricDefinition[];
  readonly readingEvents: boolean;
  /** This profile's threshold alerts. */
  readonly alerts: readonly AlertConfig[];
  /** The Matter API, only when the user turned Matter on and this bridge serves it. */
  readonly matter?: MatterApi;
  readonly nowSeconds: () => number;
  /** The plugin's version (firmware revision of what features create). */
  readonly version: string;
}

/** Builds a feature for a profile, or nothing when the config does not ask for it. */
export type FeatureFactory = (ctx: FeatureContext) => GroupFeature | undefined;
