// Shapes of the Withings simulator: its options and public handle, the state it holds, and the
// replies it sends. The .mjs modules reference them in JSDoc; the TypeScript tests import them.
import type { ServerResponse } from 'node:http';

// ------------------------------------------------------------------ options and the public handle

export interface SimClient {
  client_id: string;
  client_secret: string;
  /** null accepts any redirect URI; a list requires an exact match. */
  redirect_uris?: string[] | null;
  /** Shown on the consent page (default: the client id). */
  name?: string;
}

export interface PageSizes {
  getmeas: number;
  getsummary: number;
  getactivity: number;
}

/** A timer handle as returned by `SimTimers.setTimeout`. */
export type TimerHandle = unknown;

/** Where delayed work (notification retries) is scheduled; inject a manual one in tests. */
export interface SimTimers {
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** One outgoing HTTP request to a notification callback (the HEAD check or a delivery). */
export interface CallbackRequest {
  method: 'HEAD' | 'POST';
  url: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
}

/** Sends a CallbackRequest; resolves with the HTTP status, rejects on a network error or timeout. */
export type CallbackClient = (request: CallbackRequest) => Promise<{ status: number }>;

export interface SimOptions {
  /** 0 (default) = a free port. */
  port?: number;
  /** Milliseconds since the epoch; inject a controllable clock in tests. */
  now?: () => number;
  clients?: SimClient[];
  pageSize?: Partial<PageSizes>;
  seed?: number;
  /** One stderr line per request and per notification attempt (tokens are never logged). */
  log?: boolean;
  /** 'strict' (default): callbacks must follow the documented URL rules; 'lenient': any http(s) URL. */
  callbackCheck?: 'strict' | 'lenient';
  /** 0 = off; otherwise 601 per client id beyond N data calls a minute. */
  rateLimitPerMinute?: number;
  /** Schedules notification retries (default: the global timers, unref'ed). */
  timers?: SimTimers;
  /** Sends the HEAD checks and notification POSTs (default: node:http / node:https). */
  callbackClient?: CallbackClient;
  /** How long a callback may take to answer (default 2000 ms, the documented limit). */
  callbackTimeoutMs?: number;
}

export interface Simulator {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
  /** The live in-memory state, for in-process tests. */
  readonly state: SimState;
}

// ------------------------------------------------------------------ the data, in its API shape

export interface Measure {
  value: number;
  type: number;
  unit: number;
  algo?: number;
  fm?: number;
  /** Body segment (withings position codes). */
  position?: number;
  /** Undocumented extras seen in real replies. */
  apppfmid?: number;
  appliver?: number;
}

export interface Group {
  grpid: number;
  attrib: number;
  date: number;
  created: number;
  modified: number;
  category: number;
  deviceid: string | null;
  hash_deviceid: string | null;
  measures: Measure[];
  modelid: number | null;
  model: string | null;
  comment: null;
  /** While generating only: the group this attrib-8 copy duplicates. */
  dup?: Group;
}

export type NightEvents = Record<string, number[]>;
export type SummaryData = Record<string, number | NightEvents>;

export interface Summary {
  id: number;
  timezone: string;
  model: number;
  model_id: number;
  hash_deviceid: string | null;
  startdate: number;
  enddate: number;
  /** YYYY-MM-DD: the morning the night ended, in `timezone`. */
  date: string;
  created: number;
  modified: number;
  data: SummaryData;
}

export interface Segment {
  startdate: number;
  enddate: number;
  state: number;
  model: string;
  model_id: number;
  hash_deviceid: string | null;
  hr?: Record<string, number>;
  rr?: Record<string, number>;
  snoring?: Record<string, number>;
}

export type Battery = 'high' | 'medium' | 'low' | 'unknown';

export interface Device {
  type: string;
  model: string;
  model_id: number;
  battery: Battery;
  deviceid: string;
  hash_deviceid: string;
  timezone: string;
  first_session_date: number | null;
  last_session_date: number | null;
}

export interface Goals {
  steps?: number;
  /** Seconds. */
  sleep?: number;
  weight?: { value: number; unit: number };
}

export interface Subscription {
  appli: number;
  callbackurl: string;
  expires: number;
  comment: string | null;
}

/** The fields of one day of activity (withings getactivity `data_fields`). */
export interface ActivityFields {
  steps: number;
  /** Metres. */
  distance: number;
  /** Floors climbed. */
  elevation: number;
  /** Seconds of soft / moderate / intense activity; active = moderate + intense. */
  soft: number;
  moderate: number;
  intense: number;
  active: number;
  /** Active kcal; totalcalories = active + passive. */
  calories: number;
  totalcalories: number;
  hr_average: number;
  hr_min: number;
  hr_max: number;
  hr_zone_0: number;
  hr_zone_1: number;
  hr_zone_2: number;
  hr_zone_3: number;
}

export interface ActivityRow extends Partial<ActivityFields> {
  date: string;
  timezone: string;
  deviceid: string | null;
  hash_deviceid: string | null;
  brand: number;
  is_tracker: boolean;
  model: string | null;
  modelid: number | null;
  modified: number;
}

/** A person's tracker: rows are computed from it on demand, for every day from `firstDate` to today. */
export interface ActivityTracker {
  device: Device;
  /** YYYY-MM-DD, the first day with data. */
  firstDate: string;
}

/** A day set through the control API: it replaces the generated fields it names. */
export interface ActivityOverride {
  fields: Partial<ActivityFields>;
  modified: number;
}

export interface Person {
  userid: string;
  name: string;
  timezone: string;
  devices: Device[];
  /** An empty array when the person has no goals, as the real API answers. */
  goals: Goals | [];
  groups: Group[];
  summaries: Summary[];
  segments: Segment[];
  subscriptions: Subscription[];
  tracker: ActivityTracker | null;
  activityOverrides: Map<string, ActivityOverride>;
}

export interface DemoData {
  people: Person[];
  nextGrpid: number;
  nextSummaryId: number;
}

// ------------------------------------------------------------------ simulator state

export interface CodeRecord {
  clientId: string;
  redirectUri: string;
  userid: string;
  scope: string[];
  issuedMs: number;
  used: boolean;
}

export interface Grant {
  id: number;
  userid: string;
  clientId: string;
  scope: string[];
  revoked: boolean;
}

/** Times in epoch seconds. */
export interface AccessTokenRecord {
  grantId: number;
  userid: string;
  scope: string[];
  issuedAt: number;
  expiresAt: number;
  firstUsedAt: number | null;
}

export interface RefreshTokenRecord {
  grantId: number;
  userid: string;
  clientId: string;
  issuedAt: number;
  expiresAt: number;
  replacedAt: number | null;
  successorAccess: string[];
  successorRefresh: string[];
}

export type FaultKind = '500' | '503-http' | '601' | 'hang' | 'reset' | 'malformed' | '522';

export interface Fault {
  id: number;
  fault: FaultKind;
  /** -1 = until cleared. */
  remaining: number;
  path: string | null;
  wait_seconds: number;
}

export interface LogEntry {
  i: number;
  t: number;
  method: string;
  path: string;
  action: string;
  /** The envelope status or the HTTP code; null for hang/reset. */
  status: number | null;
  userid: string | null;
  bytes: number;
  fault?: string;
}

/** The form fields of a notification (all strings on the wire). */
export type NotificationParams = Record<string, string>;

/** One HTTP attempt to deliver a notification, as GET /_control/deliveries lists it. */
export interface DeliveryEntry {
  i: number;
  /** Milliseconds (the simulator clock). */
  t: number;
  /** The notification this attempt belongs to. */
  delivery: number;
  userid: string;
  appli: number;
  callbackurl: string;
  /** 1–10. */
  attempt: number;
  /** The HTTP status, or null when the callback did not answer (error or timeout). */
  status: number | null;
  ok: boolean;
  error?: string;
  params: NotificationParams;
  /** Epoch ms of the next attempt when this one failed and another is scheduled. */
  next_attempt_at?: number;
  /** True when this was the last attempt and the subscription was removed. */
  subscription_removed?: boolean;
}

/** A notification still being delivered to one callback. */
export interface PendingDelivery {
  id: number;
  userid: string;
  subscription: Subscription;
  params: NotificationParams;
  /** Epoch ms of the first attempt; the schedule is relative to it. */
  firstAt: number;
  /** Attempts made so far. */
  attempts: number;
  /** Epoch ms when the next round is due, or null while one runs. */
  dueAt: number | null;
  timer: TimerHandle | null;
}

export interface SimState {
  startedAt: number;
  people: Map<string, Person>;
  clients: Required<SimClient>[];
  nextGrpid: number;
  nextSummaryId: number;
  codes: Map<string, CodeRecord>;
  grants: Map<number, Grant>;
  accessTokens: Map<string, AccessTokenRecord>;
  refreshTokens: Map<string, RefreshTokenRecord>;
  /** Canonical token-request arguments → last time (ms), for the 10 s "same arguments" rule. */
  recentTokenRequests: Map<string, number>;
  requests: LogEntry[];
  nextRequestIndex: number;
  faults: Fault[];
  nextFaultId: number;
  blocked: boolean;
  /** Requests held while blocked: functions that answer them. */
  pending: Array<() => void>;
  /** Per client id: request times (ms) within the last minute, when rate limiting is on. */
  rate: Map<string, number[]>;
  nextRequestId: number;
  deliveries: DeliveryEntry[];
  nextDeliveryIndex: number;
  nextDeliveryId: number;
  outbox: PendingDelivery[];
}

/** What every module gets: the options, resolved, the clock and the state. */
export interface SimContext {
  now(): number;
  nowS(): number;
  seed: number;
  log: boolean;
  pageSize: PageSizes;
  callbackCheck: 'strict' | 'lenient';
  rateLimitPerMinute: number;
  clients: Required<SimClient>[];
  timers: SimTimers;
  callbackClient: CallbackClient;
  callbackTimeoutMs: number;
  state: SimState;
  /** Responses deliberately left unanswered (hang fault, block). */
  hanging: Set<ServerResponse>;
  closed: boolean;
}

/** One API request being answered. */
export interface RequestContext {
  t: number;
  method: string;
  path: string;
  action: string;
  userid: string | null;
  xRequestId: string;
  logged: boolean;
  /** Control and root requests are never logged. */
  control?: boolean;
}

// ------------------------------------------------------------------ replies

export interface Envelope<T = Record<string, unknown>> {
  status: number;
  body: T;
  error?: string;
}

export interface TokenBody {
  userid: string;
  access_token: string;
  refresh_token: string;
  expires_in: number;
  scope: string;
  csrf_token: string;
  token_type: 'Bearer';
}

export interface MeasPage {
  updatetime: number;
  timezone: string;
  measuregrps: Group[];
  /** 0/1 for getmeas. */
  more: number;
  offset: number;
}

export interface SummaryPage {
  series: Summary[];
  more: boolean;
  offset: number;
}

export interface ActivityPage {
  activities: ActivityRow[];
  more: boolean;
  offset: number;
}

export interface SleepGetBody {
  series: Segment[];
  model: number;
}

export interface DevicesBody {
  devices: Device[];
}

export interface GoalsBody {
  goals: Goals | [];
}

export interface NotifyListBody {
  profiles: Subscription[];
}

export interface NotifyGetBody {
  appli: number;
  callbackurl: string;
  comment: string | null;
}

/** GET /_control/data/:userid */
export interface RawData {
  userid: string;
  name: string;
  timezone: string;
  measuregrps: Group[];
  sleep_summaries: Summary[];
  sleep_segments: Segment[];
  activities: ActivityRow[];
  devices: Device[];
  goals: Goals | [];
}

/** POST /_control/notify: the first round of attempts per matching subscription. */
export interface NotifyResult {
  params: NotificationParams;
  delivered: Array<{
    callbackurl: string;
    /** The last attempt's HTTP status, null when the callback did not answer. */
    status: number | null;
    ok: boolean;
    attempts: number;
    error?: string;
    next_attempt_at?: number;
  }>;
}
