// @ts-check
// The control API (`/_control/…`, JSON, no token, never logged or faulted): what tests and the demo
// use to add data, mint grants, expire tokens, inject faults and read the request log.
import { ACTIVITY_FIELDS, activityRows } from './activity-data.mjs';
import { DEVICE_MODELS, KNOWN_SCOPES } from './data.mjs';
import { appliForMeasureTypes, notifyInBackground, runDueDeliveries, sendNotification } from './delivery.mjs';
import { isFault } from './faults.mjs';
import { isAppli } from './notify.mjs';
import { splitList } from './params.mjs';
import { hash32 } from './random.mjs';
import { sendControl } from './reply.mjs';
import { isYmd, ymd } from './time.mjs';
import { issueTokens, newGrant } from './tokens.mjs';
import { devicesOf, goalsOf } from './user.mjs';
import { orderedGroups, orderedSummaries, visibleGroups, visibleSegments, visibleSummaries } from './visible.mjs';

/** @typedef {import('./types.js').SimContext} SimContext */
/** @typedef {import('./types.js').Person} Person */
/** @typedef {import('./types.js').Device} Device */
/** @typedef {import('./types.js').RawData} RawData */
/** @typedef {import('node:http').IncomingMessage} IncomingMessage */
/** @typedef {import('node:http').ServerResponse} ServerResponse */
/** @typedef {Record<string, any>} JsonBody */

/** @param {unknown} v @returns {v is number} */
const isNum = (v) => typeof v === 'number' && Number.isFinite(v);

/**
 * @param {string} text
 * @returns {JsonBody | null} null when it is not a JSON object
 */
function readJson(text) {
  if (!text.trim()) {
    return {};
  }
  try {
    const v = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? v : null;
  } catch {
    return null;
  }
}

/**
 * @param {SimContext} sim
 * @param {ServerResponse} res
 * @param {unknown} userid
 * @returns {Person | undefined} undefined after answering 404
 */
function personOr404(sim, res, userid) {
  const p = sim.state.people.get(String(userid ?? ''));
  if (!p) {
    sendControl(res, 404, { error: 'unknown userid' });
  }
  return p;
}

/**
 * Everything of a person that is visible now, unfiltered, in API order.
 * @param {SimContext} sim
 * @param {Person} person
 * @returns {RawData}
 */
function rawData(sim, person) {
  return {
    userid: person.userid,
    name: person.name,
    timezone: person.timezone,
    measuregrps: orderedGroups(sim, visibleGroups(sim, person)),
    sleep_summaries: orderedSummaries(sim, visibleSummaries(sim, person)),
    sleep_segments: visibleSegments(sim, person),
    activities: activityRows(sim, person),
    devices: devicesOf(sim, person),
    goals: goalsOf(person).goals,
  };
}

/**
 * @param {SimContext} sim
 * @param {ServerResponse} res
 * @param {JsonBody} body
 */
function addMeasure(sim, res, body) {
  const person = personOr404(sim, res, body.userid);
  if (!person) {
    return;
  }
  /** @type {Array<{type: number, value: number, unit: number}>} */
  const measures = Array.isArray(body.measures) ? body.measures : [];
  if (!measures.length || !measures.every((x) => x && Number.isInteger(x.type) && Number.isInteger(x.value) && Number.isInteger(x.unit))) {
    sendControl(res, 400, { error: 'measures must be a non-empty list of {type, value, unit} integers' });
    return;
  }
  const t = sim.nowS();
  /** @type {Device | null} */
  let dev = null;
  if (typeof body.deviceid === 'string') {
    dev = person.devices.find((d) => d.deviceid === body.deviceid) ?? null;
  } else if (typeof body.model === 'string' && body.deviceid === undefined) {
    dev = person.devices.find((d) => d.model === body.model) ?? null;
  }
  /** @type {string | null} */
  const model = typeof body.model === 'string' ? body.model : dev?.model ?? null;
  /** @type {string | null} */
  const deviceid = body.deviceid === null ? null : typeof body.deviceid === 'string' ? body.deviceid : dev?.deviceid ?? null;
  const grpid = sim.state.nextGrpid;
  sim.state.nextGrpid += 1 + (hash32(`grp:${grpid}`) % 30);
  const date = isNum(body.date) ? Math.floor(body.date) : t;
  const category = Number.isInteger(body.category) ? body.category : 1;
  person.groups.push({
    grpid,
    attrib: Number.isInteger(body.attrib) ? body.attrib : 0,
    date,
    created: t,
    modified: t,
    category,
    deviceid,
    hash_deviceid: deviceid,
    measures: measures.map((x) => ({ value: x.value, type: x.type, unit: x.unit, algo: 0, fm: deviceid ? 3 : 128 })),
    modelid: model ? (dev?.model_id ?? DEVICE_MODELS[model]?.model_id ?? null) : null,
    model,
    comment: null,
  });
  sendControl(res, 200, { grpid });
  // Objectives (category 2) are not new measurements: nothing to notify.
  if (category === 1) {
    for (const appli of appliForMeasureTypes(measures.map((x) => x.type))) {
      notifyInBackground(sim, person.userid, appli, { startdate: date, enddate: date + 1 });
    }
  }
}

/**
 * @param {SimContext} sim
 * @param {ServerResponse} res
 * @param {JsonBody} body
 */
function addSleepSummary(sim, res, body) {
  const person = personOr404(sim, res, body.userid);
  if (!person) {
    return;
  }
  if (!isNum(body.startdate) || !isNum(body.enddate) || body.enddate < body.startdate || !body.data || typeof body.data !== 'object') {
    sendControl(res, 400, { error: 'startdate, enddate (epoch seconds) and data are required' });
    return;
  }
  const tz = typeof body.timezone === 'string' ? body.timezone : person.timezone;
  let date;
  try {
    date = ymd(tz, body.enddate);
  } catch {
    sendControl(res, 400, { error: 'invalid timezone' });
    return;
  }
  const sensor = person.devices.find((d) => d.model === 'Aura Sensor V2');
  const id = sim.state.nextSummaryId;
  sim.state.nextSummaryId += 1 + (hash32(`sum:${id}`) % 60);
  const t = sim.nowS();
  const startdate = Math.floor(body.startdate);
  const enddate = Math.floor(body.enddate);
  person.summaries.push({
    id, timezone: tz, model: 32, model_id: 63, hash_deviceid: sensor?.hash_deviceid ?? null,
    startdate, enddate, date, created: t, modified: t, data: { ...body.data },
  });
  sendControl(res, 200, { id });
  notifyInBackground(sim, person.userid, 44, { startdate, enddate });
}

/**
 * @param {SimContext} sim
 * @param {ServerResponse} res
 * @param {JsonBody} body
 */
function addSleepSegments(sim, res, body) {
  const person = personOr404(sim, res, body.userid);
  if (!person) {
    return;
  }
  /** @type {Array<{startdate: number, enddate: number, state: number}>} */
  const segs = Array.isArray(body.segments) ? body.segments : [];
  if (!segs.every((s) => s && isNum(s.startdate) && isNum(s.enddate) && s.enddate >= s.startdate && Number.isInteger(s.state))) {
    sendControl(res, 400, { error: 'segments must be a list of {startdate, enddate, state}' });
    return;
  }
  const sensor = person.devices.find((d) => d.model === 'Aura Sensor V2');
  for (const s of segs) {
    person.segments.push({ startdate: Math.floor(s.startdate), enddate: Math.floor(s.enddate), state: s.state, model: 'Aura Sensor V2', model_id: 63, hash_deviceid: sensor?.hash_deviceid ?? null });
  }
  person.segments.sort((a, b) => a.startdate - b.startdate);
  sendControl(res, 200, { added: segs.length });
  if (segs.length) {
    const startdate = Math.min(...segs.map((s) => Math.floor(s.startdate)));
    const enddate = Math.max(...segs.map((s) => Math.floor(s.enddate)));
    notifyInBackground(sim, person.userid, 44, { startdate, enddate });
  }
}

/**
 * @param {SimContext} sim
 * @param {ServerResponse} res
 * @param {string} path
 * @param {JsonBody} body
 */
function expireOrRevoke(sim, res, path, body) {
  const who = body.userid == null ? null : String(body.userid);
  const t = sim.nowS();
  let n = 0;
  if (path.endsWith('expire')) {
    for (const rec of sim.state.accessTokens.values()) {
      if ((who === null || rec.userid === who) && rec.expiresAt > t) {
        rec.expiresAt = t;
        n++;
      }
    }
    sendControl(res, 200, { expired: n });
    return;
  }
  for (const g of sim.state.grants.values()) {
    if ((who === null || g.userid === who) && !g.revoked) {
      g.revoked = true;
      n++;
    }
  }
  for (const c of sim.state.codes.values()) {
    if (who === null || c.userid === who) {
      c.used = true;
    }
  }
  sendControl(res, 200, { revoked: n });
}

/**
 * @param {SimContext} sim
 * @param {ServerResponse} res
 * @param {JsonBody} body
 */
function addFault(sim, res, body) {
  const fault = String(body.fault ?? '');
  if (!isFault(fault)) {
    sendControl(res, 400, { error: 'fault must be one of 500, 503-http, 601, hang, reset, malformed, 522' });
    return;
  }
  const count = body.count === undefined ? 1 : Number(body.count);
  if (!Number.isInteger(count) || (count < 1 && count !== -1)) {
    sendControl(res, 400, { error: 'count must be a positive integer or -1' });
    return;
  }
  const f = {
    id: sim.state.nextFaultId++, fault, remaining: count, path: typeof body.path === 'string' ? body.path : null,
    wait_seconds: Number.isInteger(body.wait_seconds) ? body.wait_seconds : 60,
  };
  sim.state.faults.push(f);
  sendControl(res, 200, { ok: true, ...f });
}

/** @type {ReadonlySet<string>} */
const BATTERIES = new Set(['high', 'medium', 'low', 'unknown']);

/**
 * POST /_control/activity: sets fields of one day (the generated ones stay for fields not named).
 * @param {SimContext} sim
 * @param {ServerResponse} res
 * @param {JsonBody} body
 */
function setActivity(sim, res, body) {
  const person = personOr404(sim, res, body.userid);
  if (!person) {
    return;
  }
  if (!isYmd(body.date)) {
    sendControl(res, 400, { error: 'date must be YYYY-MM-DD' });
    return;
  }
  /** @type {Record<string, number>} */
  const fields = {};
  for (const k of ACTIVITY_FIELDS) {
    if (body[k] !== undefined) {
      if (!isNum(body[k]) || body[k] < 0) {
        sendControl(res, 400, { error: `${k} must be a number ≥ 0` });
        return;
      }
      fields[k] = body[k];
    }
  }
  const previous = person.activityOverrides.get(body.date);
  person.activityOverrides.set(body.date, { fields: { ...previous?.fields, ...fields }, modified: sim.nowS() });
  sendControl(res, 200, activityRows(sim, person).find((r) => r.date === body.date) ?? null);
  notifyInBackground(sim, person.userid, 16, { date: body.date });
}

/**
 * POST /_control/device: changes a device's battery (for every person who shares it) or removes it
 * from one person's list.
 * @param {SimContext} sim
 * @param {ServerResponse} res
 * @param {JsonBody} body
 */
function changeDevice(sim, res, body) {
  const person = personOr404(sim, res, body.userid);
  if (!person) {
    return;
  }
  const dev = person.devices.find((d) => d.deviceid === body.deviceid);
  if (!dev) {
    sendControl(res, 404, { error: 'unknown deviceid' });
    return;
  }
  if (body.battery !== undefined && !BATTERIES.has(body.battery)) {
    sendControl(res, 400, { error: 'battery must be high, medium, low or unknown' });
    return;
  }
  if (body.remove === true) {
    person.devices.splice(person.devices.indexOf(dev), 1);
  } else if (body.battery !== undefined) {
    dev.battery = body.battery;
  }
  sendControl(res, 200, { devices: devicesOf(sim, person) });
}

/** Categories whose notification carries the window of the new data. */
const WINDOW_APPLIS = new Set([1, 2, 4, 44, 54, 55, 58]);

/**
 * POST /_control/notify: sends a notification now and answers with the first round per callback.
 * @param {SimContext} sim
 * @param {ServerResponse} res
 * @param {JsonBody} body
 */
async function notifyNow(sim, res, body) {
  const person = personOr404(sim, res, body.userid);
  if (!person) {
    return;
  }
  if (!isAppli(body.appli)) {
    sendControl(res, 400, { error: 'appli must be a notification category (1, 2, 4, 16, 44, 46, 50, 51, 52, 54, 55, 58)' });
    return;
  }
  /** @type {Record<string, string | number>} */
  const fields = {};
  for (const k of ['startdate', 'enddate', 'date', 'deviceid', 'action']) {
    if (typeof body[k] === 'string' || isNum(body[k])) {
      fields[k] = body[k];
    }
  }
  if (WINDOW_APPLIS.has(body.appli) && fields.startdate === undefined && fields.enddate === undefined) {
    fields.startdate = sim.nowS();
    fields.enddate = sim.nowS();
  }
  if (body.appli === 16 && fields.date === undefined) {
    fields.date = ymd(person.timezone, sim.nowS());
  }
  sendControl(res, 200, await sendNotification(sim, person.userid, body.appli, fields));
}

/**
 * Answers one control request.
 * @param {SimContext} sim
 * @param {IncomingMessage} req
 * @param {ServerResponse} res
 * @param {string} path
 * @param {URLSearchParams} query
 * @param {string} bodyText
 * @returns {Promise<void>}
 */
export async function control(sim, req, res, path, query, bodyText) {
  const { state } = sim;
  const m = req.method;
  const body = m === 'POST' ? readJson(bodyText) : {};
  if (body === null) {
    sendControl(res, 400, { error: 'the body must be a JSON object' });
    return;
  }
  switch (`${m} ${path}`) {
    case 'GET /_control/health':
      return sendControl(res, 200, { ok: true });
    case 'GET /_control/users':
      return sendControl(res, 200, [...state.people.values()].map((p) => ({ userid: p.userid, name: p.name, timezone: p.timezone })));
    case 'POST /_control/measure':
      return addMeasure(sim, res, body);
    case 'POST /_control/sleep_summary':
      return addSleepSummary(sim, res, body);
    case 'POST /_control/sleep_segments':
      return addSleepSegments(sim, res, body);
    case 'POST /_control/grant': {
      const person = personOr404(sim, res, body.userid);
      if (!person) {
        return undefined;
      }
      const client = sim.clients.find((c) => c.client_id === body.client_id) ?? sim.clients[0];
      const scope = typeof body.scope === 'string' ? splitList(body.scope).filter((s) => KNOWN_SCOPES.includes(s)) : [...KNOWN_SCOPES];
      return sendControl(res, 200, issueTokens(sim, newGrant(sim, person.userid, client.client_id, scope)).body);
    }
    case 'POST /_control/tokens/expire':
    case 'POST /_control/tokens/revoke':
      return expireOrRevoke(sim, res, path, body);
    case 'GET /_control/faults':
      return sendControl(res, 200, state.faults);
    case 'POST /_control/faults':
      return addFault(sim, res, body);
    case 'POST /_control/faults/clear':
      state.faults = [];
      return sendControl(res, 200, { ok: true });
    case 'GET /_control/requests': {
      const since = Number(query.get('since') ?? 0) || 0;
      return sendControl(res, 200, state.requests.filter((r) => r.i >= since));
    }
    case 'POST /_control/requests/clear':
      state.requests = [];
      return sendControl(res, 200, { ok: true, next: state.nextRequestIndex });
    case 'POST /_control/block': {
      state.blocked = body.on === true;
      if (!state.blocked) {
        for (const run of state.pending.splice(0)) {
          run();
        }
      }
      return sendControl(res, 200, { ok: true, blocked: state.blocked });
    }
    case 'POST /_control/activity':
      return setActivity(sim, res, body);
    case 'POST /_control/device':
      return changeDevice(sim, res, body);
    case 'POST /_control/notify':
      return await notifyNow(sim, res, body);
    case 'GET /_control/deliveries': {
      const since = Number(query.get('since') ?? 0) || 0;
      return sendControl(res, 200, state.deliveries.filter((d) => d.i >= since));
    }
    case 'POST /_control/deliveries/run':
      return sendControl(res, 200, await runDueDeliveries(sim, { all: body.all === true }));
    case 'POST /_control/deliveries/clear':
      state.deliveries = [];
      return sendControl(res, 200, { ok: true, next: state.nextDeliveryIndex, pending: state.outbox.length });
    case 'GET /_control/subscriptions':
      return sendControl(res, 200, Object.fromEntries([...state.people.values()].map((p) => [p.userid, p.subscriptions])));
    default: {
      const dataRoute = /^\/_control\/data\/([^/]+)$/.exec(path);
      if (m === 'GET' && dataRoute) {
        let userid = dataRoute[1];
        try {
          userid = decodeURIComponent(userid);
        } catch {
          // keep it as it came; it will not match anyone
        }
        const person = personOr404(sim, res, userid);
        return person ? sendControl(res, 200, rawData(sim, person)) : undefined;
      }
      return sendControl(res, 404, { error: 'not found' });
    }
  }
}
