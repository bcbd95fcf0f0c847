/**
 * Config parsing and validation. Users edit raw JSON, so every key is checked here at start-up,
 * whatever the settings UI already enforced. Pure: no logging, no Homebridge imports.
 */
import type { AlertConfig, AlertDirection } from '../accessories/features/alerts.js';
import { METRIC_KEYS, metricByKey, type MetricDefinition } from '../metrics/catalog.js';
import type { NotificationsConfig } from '../notify/hub.js';
import { checkNotifyUrl } from '../notify/url.js';
import {
  DEFAULT_NOTIFY_PORT,
  DEFAULT_UPDATE_INTERVAL_SECONDS,
  MAX_UPDATE_INTERVAL_SECONDS,
  MIN_UPDATE_INTERVAL_SECONDS,
} from '../settings.js';
import { checkBaseUrl, checkCallbackUrl, type UrlCheck } from './callback-url.js';

export interface WithingsConfig {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly profiles: readonly string[];
  readonly baseUrl?: string;
  /** The exact OAuth redirect URI (`callback_url`), when the user set one. */
  readonly callbackUrl?: string;
  readonly metrics: readonly MetricDefinition[];
  readonly updateIntervalSeconds: number;
  readonly readingEvents: boolean;
  readonly matter: boolean;
  readonly alerts: readonly AlertConfig[];
  /** Withings notifications; undefined = polling only. */
  readonly notifications?: NotificationsConfig;
}

export interface ParseOptions {
  /** `WITHINGS_API_BASE` is set (a simulator): http and loopback notification URLs are accepted. */
  readonly simulator?: boolean;
}

export type ConfigResult =
  | { ok: true; config: WithingsConfig; warnings: string[] }
  | { ok: false; errors: string[]; warnings: string[] };

/** Keys Homebridge or the UI put in every platform block. */
const HOMEBRIDGE_KEYS = new Set(['platform', 'name', '_bridge']);
const KNOWN_KEYS = new Set([
  'client_id', 'client_secret', 'profiles', 'base_url', 'callback_url', 'measurements', 'update_interval',
  'reading_events', 'matter', 'alerts', 'notifications',
]);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseConfig(raw: unknown, options: ParseOptions = {}): ConfigResult {
  const errors: string[] = [];
  const warnings: string[] = [];
  const block = isObject(raw) ? raw : {};

  const unknown = Object.keys(block).filter((k) => !KNOWN_KEYS.has(k) && !HOMEBRIDGE_KEYS.has(k));
  if (unknown.length > 0) {
    warnings.push(`unknown config key${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')} ignored`);
  }

  const clientId = requiredString(block, 'client_id', 'the Client ID of your Withings developer app', errors);
  const clientSecret = requiredString(block, 'client_secret', 'the Client Secret of your Withings developer app', errors);
  const profiles = parseProfiles(block.profiles, errors);
  const baseUrl = parseUrlSetting(block, 'base_url', checkBaseUrl, errors);
  const callbackUrl = parseUrlSetting(block, 'callback_url', checkCallbackUrl, errors);
  const notifications = parseNotifications(block.notifications, options, errors);
  const metrics = withoutInBed(parseMeasurements(block.measurements, errors), block.notifications, block.measurements, { errors, warnings });
  const updateIntervalSeconds = parseInterval(block.update_interval, errors);
  const readingEvents = parseBoolean(block, 'reading_events', true, errors);
  const matter = parseBoolean(block, 'matter', false, errors);
  // Without a valid profile list, checking the alerts' profiles would only add knock-on errors.
  const alerts = parseAlerts(block.alerts, profiles, errors);

  if (errors.length > 0 || clientId === undefined || clientSecret === undefined || profiles === undefined
    || metrics === undefined || updateIntervalSeconds === undefined || alerts === undefined) {
    return { ok: false, errors, warnings };
  }
  return {
    ok: true,
    warnings,
    config: { clientId, clientSecret, profiles, baseUrl, callbackUrl, metrics, updateIntervalSeconds, readingEvents, matter, alerts, notifications },
  };
}

function requiredString(block: Record<string, unknown>, key: string, what: string, errors: string[]): string | undefined {
  const value = block[key];
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) {
    errors.push(`"${key}" is missing: enter ${what}`);
    return undefined;
  }
  if (typeof value !== 'string') {
    errors.push(`"${key}" must be a string (${what})`);
    return undefined;
  }
  return value.trim();
}

function parseProfiles(value: unknown, errors: string[]): string[] | undefined {
  if (value === undefined) {
    errors.push('"profiles" is missing: list the names of the people whose data to show, e.g. ["Alice"]');
    return undefined;
  }
  if (!Array.isArray(value) || value.length === 0) {
    errors.push('"profiles" must list at least one profile name, e.g. ["Alice", "Bob"]');
    return undefined;
  }
  const names: string[] = [];
  const seen = new Set<string>();
  for (const [i, entry] of value.entries()) {
    if (typeof entry !== 'string' || entry.trim() === '') {
      errors.push(`"profiles" entry ${i + 1} must be a non-empty name`);
      return undefined;
    }
    const name = entry.trim();
    if (name.length > 64) {
      errors.push(`"profiles" entry "${name.slice(0, 20)}…" is longer than 64 characters`);
      return undefined;
    }
    const folded = name.toLocaleLowerCase();
    if (seen.has(folded)) {
      errors.push(`"profiles" lists "${name}" twice: each profile name must be unique`);
      return undefined;
    }
    seen.add(folded);
    names.push(name);
  }
  return names;
}

function parseUrlSetting(block: Record<string, unknown>, key: string, check: (v: string) => UrlCheck, errors: string[]): string | undefined {
  const value = block[key];
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) {
    return undefined;
  }
  if (typeof value !== 'string') {
    errors.push(`"${key}" must be an address such as "https://homebridge.example.com" (got ${JSON.stringify(value)})`);
    return undefined;
  }
  const result = check(value);
  if (!result.ok) {
    errors.push(`"${key}" ${result.error}`);
    return undefined;
  }
  return result.url;
}

function parseMeasurements(value: unknown, errors: string[]): MetricDefinition[] | undefined {
  if (value === undefined || value === null) {
    return METRIC_KEYS.map((k) => metricByKey(k)!);
  }
  if (!Array.isArray(value)) {
    errors.push('"measurements" must be a list of measurement keys, e.g. ["weight_kg", "spo2_pct"]');
    return undefined;
  }
  if (value.length === 0) {
    errors.push('"measurements" is empty: remove the key to show every measurement, or select at least one');
    return undefined;
  }
  const selected = new Set<string>();
  for (const key of value) {
    if (typeof key !== 'string' || metricByKey(key) === undefined) {
      errors.push(`"measurements" contains unknown key ${JSON.stringify(key)} (known keys are listed in the README)`);
      return undefined;
    }
    selected.add(key);
  }
  // Keep catalog order whatever order the user wrote, so accessories are built predictably.
  return METRIC_KEYS.filter((k) => selected.has(k)).map((k) => metricByKey(k)!);
}

function parseInterval(value: unknown, errors: string[]): number | undefined {
  if (value === undefined || value === null) {
    return DEFAULT_UPDATE_INTERVAL_SECONDS;
  }
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    errors.push(`"update_interval" must be a whole number of seconds (got ${JSON.stringify(value)})`);
    return undefined;
  }
  if (value < MIN_UPDATE_INTERVAL_SECONDS || value > MAX_UPDATE_INTERVAL_SECONDS) {
    errors.push(`"update_interval" must be between ${MIN_UPDATE_INTERVAL_SECONDS} and ${MAX_UPDATE_INTERVAL_SECONDS} seconds (got ${value})`);
    return undefined;
  }
  return value;
}

function parseBoolean(block: Record<string, unknown>, key: string, fallback: boolean, errors: string[]): boolean {
  const value = block[key];
  if (value === undefined || value === null) {
    return fallback;
  }
  if (typeof value !== 'boolean') {
    errors.push(`"${key}" must be true or false (got ${JSON.stringify(value)})`);
    return fallback;
  }
  return value;
}

const ALERT_KEYS = ['name', 'profile', 'measurement', 'above', 'below'] as const;

/** The known key a typo most likely meant (same letters give or take two edits), for "did you mean". */
function closestKey(key: string, known: readonly string[]): string | undefined {
  const distance = (a: string, b: string): number => {
    const row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      let prev = row[0]!;
      row[0] = i;
      for (let j = 1; j <= b.length; j++) {
        const next = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
        prev = row[j]!;
        row[j] = next;
      }
    }
    return row[b.length]!;
  };
  const best = known.map((k) => ({ k, d: distance(key.toLowerCase(), k) })).sort((a, b) => a.d - b.d)[0];
  return best && best.d <= 2 ? best.k : undefined;
}

function parseAlerts(value: unknown, profiles: readonly string[] | undefined, errors: string[]): AlertConfig[] | undefined {
  if (value === undefined || value === null) {
    return [];
  }
  if (!Array.isArray(value)) {
    errors.push('"alerts" must be a list of { "profile", "measurement", "above" or "below", "name" } entries');
    return undefined;
  }
  const alerts: AlertConfig[] = [];
  const ids = new Set<string>();
  let failed = false;
  for (const [i, entry] of value.entries()) {
    const where = `"alerts" entry ${i + 1}`;
    if (!isObject(entry)) {
      errors.push(`${where} must be an object with "profile", "measurement", "above" or "below", and "name"`);
      failed = true;
      continue;
    }
    // A misspelt key is named as the user wrote it; the entry is not checked further (no knock-on errors).
    const strange = Object.keys(entry).filter((k) => !(ALERT_KEYS as readonly string[]).includes(k));
    if (strange.length > 0) {
      errors.push(`${where} has unknown key${strange.length > 1 ? 's' : ''} ${strange.map((k) => {
        const hint = closestKey(k, ALERT_KEYS);
        return hint ? `"${k}" (did you mean "${hint}"?)` : `"${k}"`;
      }).join(', ')}; an alert has only "name", "profile", "measurement", "above" and "below"`);
      failed = true;
      continue;
    }
    const alert = parseAlert(entry, where, profiles, errors);
    if (alert === undefined) {
      failed = true;
      continue;
    }
    if (alert === null) {
      continue; // its profile could not be checked: the profiles' own error says why
    }
    if (ids.has(alert.id)) {
      errors.push(`${where} repeats an earlier alert (${alert.profile}, ${alert.metric.key} ${alert.direction} ${alert.threshold})`);
      failed = true;
      continue;
    }
    ids.add(alert.id);
    alerts.push(alert);
  }
  return failed ? undefined : alerts;
}

/** One alert entry; `undefined` with an error pushed, or `null` when only the (broken) profile list stops it. */
function parseAlert(entry: Record<string, unknown>, where: string, profiles: readonly string[] | undefined, errors: string[]): AlertConfig | null | undefined {
  if (typeof entry.measurement !== 'string' || entry.measurement.trim() === '') {
    errors.push(`${where} has no "measurement": choose the measurement to watch, e.g. "spo2_pct"`);
    return undefined;
  }
  const metric = metricByKey(entry.measurement.trim());
  if (metric === undefined) {
    errors.push(`${where}: "measurement" is "${entry.measurement}", which is not a measurement key (the keys are listed in the README)`);
    return undefined;
  }
  if (metric.source.kind === 'sleep-state' || metric.source.kind === 'bed-presence') {
    errors.push(`${where}: "measurement" is "${metric.key}", which has no number to compare; choose a numeric measurement`);
    return undefined;
  }
  const hasAbove = entry.above !== undefined && entry.above !== null;
  const hasBelow = entry.below !== undefined && entry.below !== null;
  if (hasAbove === hasBelow) {
    errors.push(hasAbove
      ? `${where} ("${metric.key}"): fill in only one of "above" and "below", not both (one alert watches one direction)`
      : `${where} ("${metric.key}") has no threshold: fill in "above" or "below" (in ${metric.unit || 'the measurement unit'})`);
    return undefined;
  }
  const direction: AlertDirection = hasAbove ? 'above' : 'below';
  const threshold = entry[direction];
  if (typeof threshold !== 'number' || !Number.isFinite(threshold)) {
    errors.push(`${where} ("${metric.key}"): "${direction}" must be a number in ${metric.unit || 'the measurement unit'} (got ${JSON.stringify(threshold)})`);
    return undefined;
  }
  if (typeof entry.profile !== 'string' || entry.profile.trim() === '') {
    errors.push(`${where} ("${metric.key}") has no "profile": choose whose ${metric.label.toLowerCase()} to watch`);
    return undefined;
  }
  if (profiles === undefined) {
    return null;
  }
  const wanted = entry.profile.trim().toLocaleLowerCase();
  const profile = profiles.find((p) => p.toLocaleLowerCase() === wanted);
  if (profile === undefined) {
    errors.push(`${where} ("${metric.key}"): "profile" is "${entry.profile}", which is not one of "profiles" (${profiles.map((p) => `"${p}"`).join(', ')})`);
    return undefined;
  }
  if (entry.name !== undefined && entry.name !== null && typeof entry.name !== 'string') {
    errors.push(`${where} ("${metric.key}"): "name" must be text`);
    return undefined;
  }
  const name = typeof entry.name === 'string' && entry.name.trim() !== '' ? entry.name.trim() : `${metric.label} ${direction} ${threshold}`;
  const id = `${profile.toLocaleLowerCase()}|${metric.key}|${direction}|${threshold}`;
  return { profile, metric, direction, threshold, name, id };
}

/**
 * `notifications`: absent, or without a `url`, = polling only (the settings form may save the
 * default port alone); with a `url` it must pass Withings' rules, `port` and `host` optional.
 */
function parseNotifications(value: unknown, options: ParseOptions, errors: string[]): NotificationsConfig | undefined {
  if (value === undefined || value === null || (isObject(value) && !hasUrl(value))) {
    return undefined;
  }
  if (!isObject(value)) {
    errors.push('"notifications" must be an object such as { "url": "https://homebridge.example.com/withings", "port": 8582 }');
    return undefined;
  }
  const url = checkNotifyUrl(value.url, { simulator: options.simulator === true });
  if (!url.ok) {
    errors.push(url.error);
    return undefined;
  }
  let port = DEFAULT_NOTIFY_PORT;
  if (value.port !== undefined && value.port !== null) {
    if (typeof value.port !== 'number' || !Number.isInteger(value.port) || value.port < 1 || value.port > 65_535) {
      errors.push(`"notifications.port" must be a port number between 1 and 65535 (got ${JSON.stringify(value.port)})`);
      return undefined;
    }
    port = value.port;
  }
  let host: string | undefined;
  if (value.host !== undefined && value.host !== null && value.host !== '') {
    if (typeof value.host !== 'string' || !/^[0-9A-Za-z.:-]{1,253}$/.test(value.host.trim())) {
      errors.push(`"notifications.host" must be an address of this machine such as "0.0.0.0" or "127.0.0.1" (got ${JSON.stringify(value.host)})`);
      return undefined;
    }
    host = value.host.trim();
  }
  return { url: url.url, port, host };
}

/**
 * In Bed comes only from notifications: without them it is left out (an explicit selection of it
 * gets a warning that says why).
 */
const hasUrl = (n: Record<string, unknown>): boolean => n.url !== undefined && n.url !== null && !(typeof n.url === 'string' && n.url.trim() === '');

function withoutInBed(metrics: MetricDefinition[] | undefined, notifications: unknown, raw: unknown, out: { errors: string[]; warnings: string[] }): MetricDefinition[] | undefined {
  const configured = isObject(notifications) && hasUrl(notifications);
  if (metrics === undefined || configured) {
    return metrics;
  }
  const kept = metrics.filter((m) => m.source.kind !== 'bed-presence');
  if (kept.length === 0) {
    out.errors.push('"measurements" selects only "in_bed", which needs "notifications": configure them or select other measurements');
    return undefined;
  }
  // The full default list (as the settings UI saves it) includes in_bed: only a deliberate selection is warned about.
  if (kept.length < metrics.length && Array.isArray(raw) && metrics.length < METRIC_KEYS.length) {
    out.warnings.push('"in_bed" needs "notifications" (Withings reports getting into and out of bed only through them), so In Bed is not shown');
  }
  return kept;
}
