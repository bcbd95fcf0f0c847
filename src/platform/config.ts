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

export interface WithingsConfig {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly profiles: readonly string[];
  readonly baseUrl?: string;
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
  'client_id', 'client_secret', 'profiles', 'base_url', 'measurements', 'update_interval',
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
  const baseUrl = parseBaseUrl(block.base_url, errors);
  const notifications = parseNotifications(block.notifications, options, errors);
  const metrics = withoutInBed(parseMeasurements(block.measurements, errors), block.notifications, block.measurements, { errors, warnings });
  const updateIntervalSeconds = parseInterval(block.update_interval, errors);
  const readingEvents = parseBoolean(block, 'reading_events', true, errors);
  const matter = parseBoolean(block, 'matter', false, errors);
  const alerts = parseAlerts(block.alerts, profiles ?? [], errors);

  if (errors.length > 0 || clientId === undefined || clientSecret === undefined || profiles === undefined
    || metrics === undefined || updateIntervalSeconds === undefined || alerts === undefined) {
    return { ok: false, errors, warnings };
  }
  return {
    ok: true,
    warnings,
    config: { clientId, clientSecret, profiles, baseUrl, metrics, updateIntervalSeconds, readingEvents, matter, alerts, notifications },
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

function parseBaseUrl(value: unknown, errors: string[]): string | undefined {
  if (value === undefined || value === null || value === '') {
    return undefined;
  }
  if (typeof value !== 'string') {
    errors.push('"base_url" must be a URL such as "https://homebridge.example.com"');
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    errors.push(`"base_url" is not a valid URL: "${value}" (expected e.g. "https://homebridge.example.com")`);
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    errors.push(`"base_url" must start with https:// (got "${url.protocol}")`);
    return undefined;
  }
  if (url.search || url.hash) {
    errors.push('"base_url" must not contain a query string or fragment');
    return undefined;
  }
  return url.toString().replace(/\/+$/, '');
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

function parseAlerts(value: unknown, profiles: readonly string[], errors: string[]): AlertConfig[] | undefined {
  if (value === undefined || value === null) {
    return [];
  }
  if (!Array.isArray(value)) {
    errors.push('"alerts" must be a list of { "profile", "measurement", "above" or "below", "name" } entries');
    return undefined;
  }
  const alerts: AlertConfig[] = [];
  const ids = new Set<string>();
  for (const [i, entry] of value.entries()) {
    const where = `"alerts" entry ${i + 1}`;
    if (!isObject(entry)) {
      errors.push(`${where} must be an object with "profile", "measurement", "above" or "below", and "name"`);
      return undefined;
    }
    const profile = profiles.find((p) => typeof entry.profile === 'string' && p.toLocaleLowerCase() === entry.profile.trim().toLocaleLowerCase());
    if (profile === undefined) {
      errors.push(`${where}: profile ${JSON.stringify(entry.profile)} is not one of "profiles"`);
      return undefined;
    }
    const metric = typeof entry.measurement === 'string' ? metricByKey(entry.measurement) : undefined;
    if (metric === undefined || metric.source.kind === 'sleep-state' || metric.source.kind === 'bed-presence') {
      errors.push(`${where}: measurement ${JSON.stringify(entry.measurement)} is not a numeric measurement key`);
      return undefined;
    }
    const hasAbove = entry.above !== undefined && entry.above !== null;
    const hasBelow = entry.below !== undefined && entry.below !== null;
    if (hasAbove === hasBelow) {
      errors.push(`${where} ("${metric.key}"): give exactly one of "above" or "below"`);
      return undefined;
    }
    const direction: AlertDirection = hasAbove ? 'above' : 'below';
    const threshold = entry[direction];
    if (typeof threshold !== 'number' || !Number.isFinite(threshold)) {
      errors.push(`${where} ("${metric.key}"): "${direction}" must be a number in ${metric.unit || 'the measurement unit'}`);
      return undefined;
    }
    const name = typeof entry.name === 'string' && entry.name.trim() !== ''
      ? entry.name.trim()
      : `${metric.label} ${direction} ${threshold}`;
    const id = `${profile.toLocaleLowerCase()}|${metric.key}|${direction}|${threshold}`;
    if (ids.has(id)) {
      errors.push(`${where} repeats an earlier alert (${profile}, ${metric.key} ${direction} ${threshold})`);
      return undefined;
    }
    ids.add(id);
    alerts.push({ profile, metric, direction, threshold, name, id });
  }
  return alerts;
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
