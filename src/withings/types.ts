/**
 * Typed Withings replies, normalised from what the API really sends: ids as strings or safe
 * numbers, `null` device ids, unknown keys ignored, numbers that arrive as strings tolerated.
 */
import type { ActivityDay, BatteryWord, Goals, Measure, MeasureGroup, SleepSegment, SleepSummary, WithingsDevice } from '../metrics/data.js';
import { MAX_EPOCH_SECONDS, scaled } from '../metrics/values.js';

export interface MeasurePage {
  readonly updatetime?: number;
  readonly timezone?: string;
  readonly groups: MeasureGroup[];
  readonly more: boolean;
  readonly offset: number;
}

export interface SleepSummaryPage {
  readonly series: SleepSummary[];
  readonly more: boolean;
  readonly offset: number;
}

export interface Device {
  readonly type: string;
  readonly model: string;
  readonly modelId?: number;
  readonly battery?: string;
  readonly deviceid: string | null;
  readonly lastSessionDate?: number;
}

export interface NotifySubscription {
  readonly appli: number;
  readonly callbackurl: string;
  readonly comment?: string;
}

type Raw = Record<string, unknown>;
const isRaw = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A finite number from a number or numeric string, else undefined. */
export function num(v: unknown): number | undefined {
  if (typeof v === 'number') {
    return Number.isFinite(v) ? v : undefined;
  }
  // Decimal text only: `Number()` would also take "0x10", "0b1", " ", "Infinity".
  if (typeof v === 'string' && DECIMAL.test(v.trim())) {
    const n = Number(v.trim());
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * An instant from a reply: a finite number of seconds between 1970 and 2200, else undefined.
 * Readings dated in the near future are judged against the clock by the sync, which knows the time.
 */
export function epoch(v: unknown): number | undefined {
  const n = num(v);
  return n !== undefined && n >= 0 && n <= MAX_EPOCH_SECONDS ? Math.floor(n) : undefined;
}

/** Withings' exponent: small integers (−3 for grams, −2 for percent); larger ones are not a real unit. */
const MAX_UNIT_EXPONENT = 20;

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const truthy = (v: unknown): boolean => v === true || v === 1 || v === '1' || v === 'true';

export function parseMeasure(raw: unknown): Measure | undefined {
  if (!isRaw(raw)) {
    return undefined;
  }
  const value = num(raw.value);
  const unit = num(raw.unit);
  const type = num(raw.type);
  if (value === undefined || unit === undefined || type === undefined || !Number.isInteger(unit) || Math.abs(unit) > MAX_UNIT_EXPONENT
    || !Number.isFinite(scaled(value, unit))) {
    return undefined;
  }
  const position = num(raw.position);
  return position === undefined ? { value, unit, type } : { value, unit, type, position };
}

export function parseMeasureGroup(raw: unknown): MeasureGroup | undefined {
  if (!isRaw(raw)) {
    return undefined;
  }
  const grpid = num(raw.grpid);
  const date = epoch(raw.date);
  if (grpid === undefined || date === undefined) {
    return undefined;
  }
  const created = epoch(raw.created) ?? date;
  return {
    grpid,
    attrib: num(raw.attrib) ?? 0,
    date,
    created,
    modified: epoch(raw.modified) ?? created,
    category: num(raw.category) ?? 1,
    deviceid: str(raw.deviceid) ?? null,
    model: str(raw.model),
    measures: list(raw.measures).map(parseMeasure).filter((m): m is Measure => m !== undefined),
  };
}

export function parseMeasurePage(body: unknown): MeasurePage {
  const b = isRaw(body) ? body : {};
  return {
    updatetime: epoch(b.updatetime),
    timezone: str(b.timezone),
    groups: list(b.measuregrps).map(parseMeasureGroup).filter((g): g is MeasureGroup => g !== undefined),
    more: truthy(b.more),
    offset: num(b.offset) ?? 0,
  };
}

export function parseSleepSummary(raw: unknown): SleepSummary | undefined {
  if (!isRaw(raw)) {
    return undefined;
  }
  const startdate = epoch(raw.startdate);
  const enddate = epoch(raw.enddate);
  const id = typeof raw.id === 'number' || typeof raw.id === 'string' ? raw.id : undefined;
  if (startdate === undefined || enddate === undefined || enddate < startdate) {
    return undefined;
  }
  const data: Record<string, number> = {};
  if (isRaw(raw.data)) {
    for (const [k, v] of Object.entries(raw.data)) {
      const n = num(v);
      if (n !== undefined) {
        data[k] = n;
      }
    }
  }
  return {
    id: id ?? `${startdate}-${enddate}`,
    timezone: str(raw.timezone),
    startdate,
    enddate,
    date: str(raw.date),
    modified: epoch(raw.modified) ?? epoch(raw.created) ?? enddate,
    data,
  };
}

export function parseSleepSummaryPage(body: unknown): SleepSummaryPage {
  const b = isRaw(body) ? body : {};
  return {
    series: list(b.series).map(parseSleepSummary).filter((s): s is SleepSummary => s !== undefined),
    more: truthy(b.more),
    offset: num(b.offset) ?? 0,
  };
}

export function parseSleepSegments(body: unknown): SleepSegment[] {
  const b = isRaw(body) ? body : {};
  const out: SleepSegment[] = [];
  for (const raw of list(b.series)) {
    if (!isRaw(raw)) {
      continue;
    }
    const startdate = epoch(raw.startdate);
    const enddate = epoch(raw.enddate);
    const state = num(raw.state);
    if (startdate !== undefined && enddate !== undefined && enddate >= startdate && state !== undefined) {
      out.push({ startdate, enddate, state });
    }
  }
  return out;
}

export function parseDevices(body: unknown): Device[] {
  const b = isRaw(body) ? body : {};
  return list(b.devices).filter(isRaw).map((d) => ({
    type: str(d.type) ?? 'Unknown',
    model: str(d.model) ?? '',
    modelId: num(d.model_id),
    battery: str(d.battery),
    deviceid: str(d.deviceid) ?? null,
    lastSessionDate: epoch(d.last_session_date),
  }));
}

export function parseSubscriptions(body: unknown): NotifySubscription[] {
  const b = isRaw(body) ? body : {};
  return list(b.profiles).filter(isRaw).flatMap((p) => {
    const appli = num(p.appli);
    const callbackurl = str(p.callbackurl);
    return appli !== undefined && callbackurl ? [{ appli, callbackurl, comment: str(p.comment) }] : [];
  });
}

// ---------------------------------------------------------------------------------------------
// Activity, goals and device status (issue 14). Every value is checked here: a row or field that
// does not make sense is dropped, never passed on as a reading.

/** Epoch seconds from 2000 until a day from now would make sense for anything Withings stores. */
const EPOCH_2000 = 946_684_800;
export function saneEpoch(v: unknown, nowSeconds: number): number | undefined {
  const n = num(v);
  return n !== undefined && Number.isInteger(n) && n >= EPOCH_2000 && n <= nowSeconds + 86_400 ? n : undefined;
}

const YMD = /^(\d{4})-(\d{2})-(\d{2})$/;
/** A real calendar day as YYYY-MM-DD, else undefined. */
export function saneYmd(v: unknown): string | undefined {
  const m = typeof v === 'string' ? YMD.exec(v) : null;
  if (!m) {
    return undefined;
  }
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]) ? v as string : undefined;
}

export interface ActivityPage {
  readonly activities: ActivityDay[];
  readonly more: boolean;
  readonly offset: number;
}

/** Fields of an activity row that are values (the rest describe the row). Negative ones are dropped. */
const ACTIVITY_META = new Set(['date', 'timezone', 'deviceid', 'hash_deviceid', 'brand', 'is_tracker', 'modified', 'model', 'modelid']);

export function parseActivityDay(raw: unknown, nowSeconds: number): ActivityDay | undefined {
  if (!isRaw(raw)) {
    return undefined;
  }
  const date = saneYmd(raw.date);
  if (date === undefined) {
    return undefined;
  }
  const data: Record<string, number> = {};
  for (const [k, v] of Object.entries(raw)) {
    const n = ACTIVITY_META.has(k) ? undefined : num(v);
    if (n !== undefined && n >= 0) {
      data[k] = n;
    }
  }
  // A row without a usable `modified` still counts; it is then as old as the day it is about.
  const modified = saneEpoch(raw.modified, nowSeconds) ?? Math.floor(Date.parse(`${date}T00:00:00Z`) / 1000);
  const source = str(raw.hash_deviceid) ?? str(raw.deviceid) ?? `${str(raw.model) ?? 'phone'}:${str(raw.modelid) ?? ''}`;
  return { date, timezone: str(raw.timezone), modified, source, data };
}

export function parseActivityPage(body: unknown, nowSeconds: number): ActivityPage {
  const b = isRaw(body) ? body : {};
  return {
    activities: list(b.activities).map((a) => parseActivityDay(a, nowSeconds)).filter((a): a is ActivityDay => a !== undefined),
    more: truthy(b.more),
    offset: num(b.offset) ?? 0,
  };
}

/** Goals (`goals: []` when the user has none). A goal that is not a positive number is left out. */
export function parseGoals(body: unknown): Goals {
  const b = isRaw(body) ? body : {};
  const g = isRaw(b.goals) ? b.goals : {};
  const positive = (v: number | undefined): number | undefined => (v !== undefined && v > 0 ? v : undefined);
  const steps = positive(num(g.steps));
  const sleepSeconds = positive(num(g.sleep));
  let weightKg: number | undefined;
  if (isRaw(g.weight)) {
    const value = num(g.weight.value);
    const unit = num(g.weight.unit);
    if (value !== undefined && unit !== undefined && Number.isInteger(unit) && Math.abs(unit) <= 10) {
      weightKg = positive(scaled(value, unit));
    }
  }
  return {
    ...(steps !== undefined ? { steps } : {}),
    ...(sleepSeconds !== undefined ? { sleepSeconds } : {}),
    ...(weightKg !== undefined ? { weightKg } : {}),
  };
}

const BATTERY_WORDS: ReadonlySet<string> = new Set<BatteryWord>(['high', 'medium', 'low', 'unknown']);

/**
 * Devices with their battery. A device without an id cannot be told apart from the others and is
 * dropped; a battery word Withings may add later counts as `unknown`. The same device listed twice
 * (seen in recordings) is kept once, with its latest session.
 */
export function parseDeviceStatuses(body: unknown, nowSeconds: number): WithingsDevice[] {
  const b = isRaw(body) ? body : {};
  const byId = new Map<string, WithingsDevice>();
  for (const d of list(b.devices).filter(isRaw)) {
    const id = str(d.hash_deviceid) ?? str(d.deviceid);
    if (!id || id.length > 128) {
      continue;
    }
    const word = typeof d.battery === 'string' ? d.battery.toLowerCase() : 'unknown';
    const lastSessionDate = saneEpoch(d.last_session_date, nowSeconds);
    const firmware = str(d.fw);
    const modelId = num(d.model_id);
    const device: WithingsDevice = {
      id,
      type: (str(d.type) ?? '').trim() || 'Device',
      model: (str(d.model) ?? '').trim(),
      ...(modelId !== undefined ? { modelId } : {}),
      battery: (BATTERY_WORDS.has(word) ? word : 'unknown') as BatteryWord,
      ...(lastSessionDate !== undefined ? { lastSessionDate } : {}),
      ...(firmware ? { firmware } : {}),
    };
    const twin = byId.get(id);
    if (!twin || (device.lastSessionDate ?? 0) >= (twin.lastSessionDate ?? 0)) {
      byId.set(id, twin && device.battery === 'unknown' ? { ...device, battery: twin.battery } : device);
    }
  }
  return [...byId.values()];
}
