/**
 * One configured profile as one unit: its accessories, their features and its controller, built
 * in one place. The platform only hands it cached accessories, grants and lifecycle events.
 */
import type { API, HAP } from 'homebridge';

import type { AlertConfig } from '../accessories/features/alerts.js';
import { createFeatures } from '../accessories/features/index.js';
import { profileDisplayName } from '../accessories/names.js';
import { type AccessoryRegistry, ProfileAccessories } from '../accessories/profile-accessories.js';
import type { MetricDefinition } from '../metrics/catalog.js';
import type { WithingsDevice } from '../metrics/data.js';
import { type Clock, epochSeconds } from '../util/clock.js';
import type { PluginLog } from '../util/log.js';
import type { WithingsHttp } from '../withings/http.js';
import type { RequestLimiter } from '../withings/limiter.js';
import type { ClientCredentials } from '../withings/oauth.js';
import type { TokenStore } from '../withings/token-store.js';
import { ProfileController } from './controller.js';
import { staggerMs } from './sync-policy.js';

/** What every profile of the platform shares. */
export interface ProfileEnvironment {
  readonly hap: HAP;
  readonly registry: AccessoryRegistry;
  readonly log: PluginLog;
  readonly clock: Clock;
  readonly store: TokenStore;
  readonly http: WithingsHttp;
  readonly limiter: RequestLimiter;
  readonly signal: AbortSignal;
  readonly client: ClientCredentials;
  readonly metrics: readonly MetricDefinition[];
  readonly intervalMs: number;
  readonly readingEvents: boolean;
  readonly alerts: readonly AlertConfig[];
  /** The Matter API, only when Matter is on and served by this bridge. */
  readonly matter?: NonNullable<API['matter']>;
  readonly version: string;
  /** A profile's state or last sync changed (the platform writes the status file). */
  readonly onStatus: () => void;
  /** A profile became linked (notifications subscribe for it). */
  readonly onLinked?: (controller: ProfileController) => void;
  /** A profile read its account's devices (the platform's device accessories). */
  readonly onDevices?: (userid: string, devices: readonly WithingsDevice[], ownerName: string) => void;
}

/** Builds the profile `name`, the `index`-th of `count` configured ones. */
export function createProfile(name: string, index: number, count: number, env: ProfileEnvironment): ProfileController {
  const profile = { name, displayName: profileDisplayName(name, index) };
  const features = createFeatures({
    hap: env.hap,
    log: env.log,
    profile,
    metrics: env.metrics,
    readingEvents: env.readingEvents,
    alerts: env.alerts.filter((a) => a.profile === name),
    matter: env.matter,
    nowSeconds: () => epochSeconds(env.clock),
    version: env.version,
  });
  const accessories = new ProfileAccessories(env.hap, env.registry, profile, env.metrics, features, env.version);
  return new ProfileController({
    log: env.log,
    clock: env.clock,
    store: env.store,
    http: env.http,
    limiter: env.limiter,
    client: env.client,
    metrics: env.metrics,
    intervalMs: env.intervalMs,
    signal: env.signal,
    onStatus: env.onStatus,
    historyDir: env.store.dir,
    onLinked: env.onLinked,
    onDevices: env.onDevices,
  }, accessories, staggerMs(index, count, env.intervalMs));
}
