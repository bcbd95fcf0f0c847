/**
 * What Withings measured, as the value rules read it: measure groups, nightly sleep summaries and
 * sleep-stage segments. The API client (`src/withings/types.ts`) parses replies into these shapes.
 * Field meanings: docs/withings-api.md.
 */

export interface Measure {
  readonly value: number;
  readonly unit: number;
  readonly type: number;
  /** Body segment; absent, 6 and 7 mean whole body (docs/withings-api.md#positions). */
  readonly position?: number;
}

export interface MeasureGroup {
  /** Group id; can exceed 2^31 (still a safe JS integer). */
  readonly grpid: number;
  readonly attrib: number;
  /** When the measurement was taken (epoch s). */
  readonly date: number;
  /** When it was stored in the Withings cloud (epoch s). */
  readonly created: number;
  readonly modified: number;
  /** 1 real measure, 2 user objective. */
  readonly category: number;
  readonly deviceid: string | null;
  readonly model?: string;
  readonly measures: readonly Measure[];
}

export interface SleepSummary {
  readonly id: number | string;
  readonly timezone?: string;
  readonly startdate: number;
  readonly enddate: number;
  /** YYYY-MM-DD, the morning the night ended. */
  readonly date?: string;
  readonly modified: number;
  readonly data: Readonly<Record<string, number>>;
}

export interface SleepSegment {
  readonly startdate: number;
  readonly enddate: number;
  /** 0 awake, 1 light, 2 deep, 3 REM, others (manual, unspecified…) have no meaning here. */
  readonly state: number;
}

/**
 * One day of activity from one source (getactivity): `date` is the local day (YYYY-MM-DD), `data`
 * the requested fields (`steps`, `distance`, `active`, `calories`…). Withings sends today's row
 * again, with a newer `modified`, whenever it changes.
 */
export interface ActivityDay {
  readonly date: string;
  readonly timezone?: string;
  /** When Withings last changed the row (epoch s). */
  readonly modified: number;
  /** What sent it: the device id, else the model (phone and external apps have no device id). */
  readonly source: string;
  readonly data: Readonly<Record<string, number>>;
}

/** The user's goals (getgoals); each is optional. */
export interface Goals {
  readonly steps?: number;
  readonly sleepSeconds?: number;
  readonly weightKg?: number;
}

/** What Withings says about a device's battery; it never gives a percentage. */
export type BatteryWord = 'high' | 'medium' | 'low' | 'unknown';

/** One Withings device of an account (getdevice). */
export interface WithingsDevice {
  /** The hashed device id (the id measure groups point to). */
  readonly id: string;
  /** `Scale`, `Activity Tracker`, `Sleep Monitor`… (free text: new types appear). */
  readonly type: string;
  /** `Body+`, `ScanWatch 2`…; may be empty. */
  readonly model: string;
  readonly modelId?: number;
  readonly battery: BatteryWord;
  /** Last connection to the Withings cloud (epoch s). */
  readonly lastSessionDate?: number;
  readonly firmware?: string;
}
