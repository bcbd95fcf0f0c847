// @ts-check
// Notification deliveries: when new data arrives for a person, each of their subscriptions to that
// appli gets a form-encoded POST. A notification is tried up to 10 times: rounds at +0, +10 s,
// +1–10 min, +1 h and +4 h after the first attempt, 2 HTTP attempts per round; any HTTP status
// below 400 counts as received. A notification that fails every attempt removes its subscription.
// Later rounds are scheduled through `sim.timers`, so tests drive them without sleeping.
import { hash32 } from './random.mjs';

/** @typedef {import('./types.js').SimContext} SimContext */
/** @typedef {import('./types.js').Person} Person */
/** @typedef {import('./types.js').Subscription} Subscription */
/** @typedef {import('./types.js').PendingDelivery} PendingDelivery */
/** @typedef {import('./types.js').DeliveryEntry} DeliveryEntry */
/** @typedef {import('./types.js').NotificationParams} NotificationParams */
/** @typedef {import('./types.js').NotifyResult} NotifyResult */
/** @typedef {NotifyResult['delivered'][number]} RoundResult */

const ATTEMPTS_PER_ROUND = 2;
const ROUNDS = 5;
const DELIVERY_LOG_MAX = 1_000;

/** Blood pressure, pulse and SpO2 (appli 4); temperatures (appli 2); everything else is appli 1. */
const APPLI_4_TYPES = new Set([9, 10, 11, 54]);
const APPLI_2_TYPES = new Set([12, 71, 73]);
/** Body and skin temperature are also listed with the body measures (appli 1). */
const APPLI_1_AND_2_TYPES = new Set([71, 73]);

/**
 * The notification categories a new measure group with these types falls in.
 * @param {number[]} types
 * @returns {number[]}
 */
export function appliForMeasureTypes(types) {
  /** @type {Set<number>} */
  const applis = new Set();
  for (const t of types) {
    if (APPLI_4_TYPES.has(t)) {
      applis.add(4);
    } else if (APPLI_2_TYPES.has(t)) {
      applis.add(2);
      if (APPLI_1_AND_2_TYPES.has(t)) {
        applis.add(1);
      }
    } else {
      applis.add(1);
    }
  }
  return [...applis].sort((a, b) => a - b);
}

/**
 * Milliseconds after the first attempt at which `round` (0–4) starts.
 * @param {SimContext} sim
 * @param {PendingDelivery} pd
 * @param {number} round
 */
function roundOffsetMs(sim, pd, round) {
  switch (round) {
    case 0:
      return 0;
    case 1:
      return 10_000;
    case 2:
      // Somewhere between 1 and 10 minutes, the same for a given seed and notification.
      return 60_000 + (hash32(`retry:${sim.seed}:${pd.id}`) % 540_001);
    case 3:
      return 3_600_000;
    default:
      return 14_400_000;
  }
}

/**
 * @param {SimContext} sim
 * @param {DeliveryEntry} entry
 */
function logEntry(sim, entry) {
  const list = sim.state.deliveries;
  list.push(entry);
  if (list.length > DELIVERY_LOG_MAX) {
    list.splice(0, list.length - DELIVERY_LOG_MAX);
  }
  if (sim.log) {
    // Only the origin: a callback URL may carry a secret webhook id in its path or query.
    let origin = '?';
    try {
      origin = new URL(entry.callbackurl).origin;
    } catch {
      // keep '?'
    }
    process.stderr.write(`[withings-sim] notify appli ${entry.appli} user ${entry.userid} → ${origin} (attempt ${entry.attempt}) → ${entry.status ?? entry.error}\n`);
  }
}

/**
 * One HTTP attempt.
 * @param {SimContext} sim
 * @param {PendingDelivery} pd
 * @returns {Promise<DeliveryEntry>}
 */
async function attempt(sim, pd) {
  pd.attempts++;
  const { subscription: sub } = pd;
  /** @type {number | null} */
  let status = null;
  /** @type {string | undefined} */
  let error;
  try {
    ({ status } = await sim.callbackClient({
      method: 'POST', url: sub.callbackurl, headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(pd.params).toString(), timeoutMs: sim.callbackTimeoutMs,
    }));
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  }
  /** @type {DeliveryEntry} */
  const entry = {
    i: sim.state.nextDeliveryIndex++, t: sim.now(), delivery: pd.id, userid: pd.userid, appli: sub.appli, callbackurl: sub.callbackurl,
    attempt: pd.attempts, status, ok: status !== null && status < 400, params: { ...pd.params },
  };
  if (error !== undefined) {
    entry.error = error;
  }
  logEntry(sim, entry);
  return entry;
}

/**
 * @param {SimContext} sim
 * @param {PendingDelivery} pd
 */
function removeFromOutbox(sim, pd) {
  const i = sim.state.outbox.indexOf(pd);
  if (i >= 0) {
    sim.state.outbox.splice(i, 1);
  }
}

/**
 * Runs the next round of a pending notification: up to 2 attempts, then schedules the next round,
 * or gives up and removes the subscription after the last one.
 * @param {SimContext} sim
 * @param {PendingDelivery} pd
 * @returns {Promise<RoundResult>}
 */
async function runRound(sim, pd) {
  pd.dueAt = null;
  pd.timer = null;
  const person = sim.state.people.get(pd.userid);
  /** @type {DeliveryEntry | undefined} */
  let last;
  const alive = () => !sim.closed && person !== undefined && person.subscriptions.includes(pd.subscription);
  for (let k = 0; k < ATTEMPTS_PER_ROUND && alive(); k++) {
    last = await attempt(sim, pd);
    if (last.ok) {
      break;
    }
  }
  /** @type {RoundResult} */
  const result = { callbackurl: pd.subscription.callbackurl, status: last?.status ?? null, ok: last?.ok ?? false, attempts: pd.attempts };
  if (last?.error !== undefined) {
    result.error = last.error;
  }
  if (!last || last.ok || !alive()) {
    // Received, or nobody to deliver to any more (subscription revoked, simulator closed).
    removeFromOutbox(sim, pd);
    return result;
  }
  const round = Math.floor(pd.attempts / ATTEMPTS_PER_ROUND);
  if (round >= ROUNDS) {
    removeFromOutbox(sim, pd);
    person?.subscriptions.splice(person.subscriptions.indexOf(pd.subscription), 1);
    last.subscription_removed = true;
    return result;
  }
  pd.dueAt = pd.firstAt + roundOffsetMs(sim, pd, round);
  last.next_attempt_at = pd.dueAt;
  result.next_attempt_at = pd.dueAt;
  pd.timer = sim.timers.setTimeout(() => {
    if (pd.dueAt !== null) {
      runRound(sim, pd).catch(() => undefined);
    }
  }, Math.max(0, pd.dueAt - sim.now()));
  return result;
}

/**
 * Sends a notification to every subscription of `userid` to `appli` and waits for the first round.
 * @param {SimContext} sim
 * @param {string} userid
 * @param {number} appli
 * @param {Record<string, string | number>} fields besides userid and appli (startdate, enddate, date…)
 * @returns {Promise<NotifyResult>}
 */
export async function sendNotification(sim, userid, appli, fields) {
  /** @type {NotificationParams} */
  const params = { userid, appli: String(appli) };
  for (const [k, v] of Object.entries(fields)) {
    params[k] = String(v);
  }
  const person = sim.state.people.get(userid);
  const subs = person ? person.subscriptions.filter((s) => s.appli === appli) : [];
  const rounds = subs.map((subscription) => {
    /** @type {PendingDelivery} */
    const pd = { id: sim.state.nextDeliveryId++, userid, subscription, params, firstAt: sim.now(), attempts: 0, dueAt: null, timer: null };
    sim.state.outbox.push(pd);
    return runRound(sim, pd);
  });
  return { params, delivered: await Promise.all(rounds) };
}

/**
 * The same, in the background: data arriving through the control API must not wait for callbacks.
 * @param {SimContext} sim
 * @param {string} userid
 * @param {number} appli
 * @param {Record<string, string | number>} fields
 */
export function notifyInBackground(sim, userid, appli, fields) {
  sendNotification(sim, userid, appli, fields).catch(() => undefined);
}

/**
 * Runs now the next round of every notification that is due (or of every pending one with `all`),
 * instead of waiting for its timer.
 * @param {SimContext} sim
 * @param {{all?: boolean}} [options]
 * @returns {Promise<RoundResult[]>}
 */
export async function runDueDeliveries(sim, { all = false } = {}) {
  const due = sim.state.outbox.filter((pd) => pd.dueAt !== null && (all || pd.dueAt <= sim.now()));
  for (const pd of due) {
    sim.timers.clearTimeout(pd.timer);
  }
  return await Promise.all(due.map((pd) => runRound(sim, pd)));
}

/**
 * Cancels every scheduled retry (the simulator is closing).
 * @param {SimContext} sim
 */
export function cancelDeliveries(sim) {
  for (const pd of sim.state.outbox.splice(0)) {
    if (pd.timer !== null) {
      sim.timers.clearTimeout(pd.timer);
    }
  }
}
