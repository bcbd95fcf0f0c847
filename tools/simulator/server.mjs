// @ts-check
// A faithful Withings cloud simulator (consent page, token endpoint, data endpoints, notify) on plain
// node:http, with a control API for tests and the demo. This file wires the router; each service
// lives in its own module. See README.md next to this file.
import http from 'node:http';

import { dataCall } from './api.mjs';
import { sendCallbackRequest } from './callback-http.mjs';
import { control } from './control.mjs';
import { generateDemoData } from './data.mjs';
import { cancelDeliveries } from './delivery.mjs';
import { applyFault, hang, takeFault } from './faults.mjs';
import { authorize, tokenEndpoint } from './oauth.mjs';
import { invalidParams, record, Reply, send, sendEnvelope } from './reply.mjs';

/** @typedef {import('./types.js').SimOptions} SimOptions */
/** @typedef {import('./types.js').SimOptions} SimulatorOptions */
/** @typedef {import('./types.js').SimClient} SimulatorClient */
/** @typedef {import('./types.js').Simulator} Simulator */
/** @typedef {import('./types.js').SimContext} SimContext */
/** @typedef {import('./types.js').SimState} SimState */
/** @typedef {import('./types.js').RequestContext} RequestContext */
/** @typedef {import('node:http').IncomingMessage} IncomingMessage */
/** @typedef {import('node:http').ServerResponse} ServerResponse */
/** @typedef {import('node:net').Socket} Socket */

const MAX_BODY_BYTES = 1024 * 1024;
const CONSENT_PATH = '/oauth2_user/authorize2';

/**
 * The whole body as text; a body over 1 MiB is dropped (`tooLarge`).
 * @param {IncomingMessage} req
 * @returns {Promise<{text: string, tooLarge: boolean, aborted: boolean}>}
 */
function readBody(req) {
  return new Promise((resolve) => {
    /** @type {Buffer[]} */
    const chunks = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (/** @type {Buffer} */ c) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        tooLarge = true;
      } else {
        chunks.push(c);
      }
    });
    req.on('end', () => resolve({ text: tooLarge ? '' : Buffer.concat(chunks).toString('utf8'), tooLarge, aborted: false }));
    req.on('error', () => resolve({ text: '', tooLarge, aborted: true }));
    req.on('aborted', () => resolve({ text: '', tooLarge, aborted: true }));
  });
}

/**
 * @param {SimOptions} options
 * @returns {SimContext}
 */
function createContext(options) {
  const now = typeof options.now === 'function' ? options.now : () => Date.now();
  const clients = (options.clients ?? [{ client_id: 'demo-client', client_secret: 'demo-secret', redirect_uris: null }])
    .map((c) => ({ name: c.client_id, redirect_uris: null, ...c }));
  const seed = options.seed ?? 1;
  const generated = generateDemoData({ now: now(), seed });
  /** @type {SimState} */
  const state = {
    startedAt: now(),
    people: new Map(generated.people.map((p) => [p.userid, p])),
    clients,
    nextGrpid: generated.nextGrpid,
    nextSummaryId: generated.nextSummaryId,
    codes: new Map(),
    grants: new Map(),
    accessTokens: new Map(),
    refreshTokens: new Map(),
    recentTokenRequests: new Map(),
    requests: [],
    nextRequestIndex: 0,
    faults: [],
    nextFaultId: 1,
    blocked: false,
    pending: [],
    rate: new Map(),
    nextRequestId: 1,
    deliveries: [],
    nextDeliveryIndex: 0,
    nextDeliveryId: 1,
    outbox: [],
  };
  return {
    now,
    nowS: () => Math.floor(now() / 1000),
    seed,
    log: options.log === true,
    pageSize: { getmeas: 200, getsummary: 300, getactivity: 300, ...(options.pageSize ?? {}) },
    callbackCheck: options.callbackCheck === 'lenient' ? 'lenient' : 'strict',
    rateLimitPerMinute: Number(options.rateLimitPerMinute) > 0 ? Number(options.rateLimitPerMinute) : 0,
    clients,
    // Retry timers must not keep a process alive (a test, the demo) that is done otherwise.
    timers: options.timers ?? { setTimeout: (fn, ms) => setTimeout(fn, ms).unref(), clearTimeout: (h) => clearTimeout(/** @type {NodeJS.Timeout} */ (h)) },
    callbackClient: options.callbackClient ?? sendCallbackRequest,
    callbackTimeoutMs: options.callbackTimeoutMs ?? 2_000,
    state,
    hanging: new Set(),
    closed: false,
  };
}

/**
 * @param {SimContext} sim
 * @param {{method: string, control?: boolean} & Partial<RequestContext>} ctx
 * @param {ServerResponse} res
 * @param {unknown} e
 */
function internalError(sim, ctx, res, e) {
  if (sim.log) {
    process.stderr.write(`[withings-sim] internal error: ${e instanceof Error ? e.stack : e}\n`);
  }
  const bytes = send(ctx, res, 500, 'Internal Server Error', 'text/plain; charset=utf-8');
  if (!ctx.control) {
    record(sim, /** @type {RequestContext} */ (ctx), 500, bytes);
  }
}

/**
 * Answers an API request (not control): the consent page, the token endpoint or a data call.
 * @param {SimContext} sim
 * @param {RequestContext} ctx
 * @param {IncomingMessage} req
 * @param {ServerResponse} res
 * @param {URLSearchParams} query
 * @param {URLSearchParams} form
 * @param {boolean} tooLarge
 */
async function serve(sim, ctx, req, res, query, form, tooLarge) {
  try {
    if (ctx.path === CONSENT_PATH) {
      return authorize(sim, ctx, req, res, query, form);
    }
    if (tooLarge) {
      throw invalidParams();
    }
    if (ctx.path === '/v2/oauth2') {
      // Only the form body counts here: parameters in the query string give "invalid grant_type".
      return sendEnvelope(sim, ctx, res, { status: 0, body: tokenEndpoint(sim, ctx, form) });
    }
    // Data calls read the form body; legacy clients may also put parameters in the query string.
    const params = new URLSearchParams(query);
    for (const k of new Set(form.keys())) {
      params.delete(k);
    }
    for (const [k, v] of form) {
      params.append(k, v);
    }
    return sendEnvelope(sim, ctx, res, { status: 0, body: await dataCall(sim, ctx, req, params) });
  } catch (e) {
    if (e instanceof Reply) {
      return sendEnvelope(sim, ctx, res, e.envelope);
    }
    throw e;
  }
}

/**
 * @param {SimContext} sim
 * @param {IncomingMessage} req
 * @param {ServerResponse} res
 */
async function handle(sim, req, res) {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = (q === -1 ? url : url.slice(0, q)) || '/';
  const query = new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
  const method = req.method ?? 'GET';
  if (path === '/_control' || path.startsWith('/_control/')) {
    const { text, aborted } = await readBody(req);
    if (!aborted) {
      await control(sim, req, res, path, query, text);
    }
    return;
  }
  if (path === '/' && (method === 'GET' || method === 'HEAD')) {
    await readBody(req);
    send({ method }, res, 200, 'Withings simulator\n', 'text/plain; charset=utf-8');
    return;
  }
  const t = sim.now();
  const { text, tooLarge, aborted } = await readBody(req);
  if (aborted) {
    return;
  }
  const form = new URLSearchParams(tooLarge ? '' : text);
  const action = form.get('action') ?? query.get('action') ?? '';
  /** @type {RequestContext} */
  const ctx = {
    t, method, path, action: path === CONSENT_PATH ? '' : action.slice(0, 100), userid: null,
    xRequestId: String(req.headers['x-request-id'] ?? '').slice(0, 64).replace(/[^\w.-]/g, '') || 'Not provided', logged: false,
  };
  const fault = takeFault(sim, path);
  if (fault) {
    applyFault(sim, ctx, req, res, fault);
    return;
  }
  const run = () => {
    serve(sim, ctx, req, res, query, form, tooLarge).catch((e) => internalError(sim, ctx, res, e));
  };
  if (sim.state.blocked) {
    hang(sim, res);
    sim.state.pending.push(() => {
      sim.hanging.delete(res);
      run();
    });
    return;
  }
  run();
}

/**
 * Starts the simulator on 127.0.0.1.
 * @param {SimOptions} [options]
 * @returns {Promise<Simulator>}
 */
export async function startSimulator(options = {}) {
  const sim = createContext(options);
  /** @type {Set<Socket>} */
  const sockets = new Set();
  const server = http.createServer((req, res) => {
    handle(sim, req, res).catch((e) => internalError(sim, { control: true, method: req.method ?? 'GET' }, res, e));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    } else {
      socket.destroy();
    }
  });
  server.keepAliveTimeout = 5_000;

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve(undefined);
    });
  });
  const port = /** @type {import('node:net').AddressInfo} */ (server.address()).port;
  const url = `http://127.0.0.1:${port}`;
  /** @type {Promise<void> | null} */
  let closing = null;

  return {
    url,
    port,
    state: sim.state,
    close() {
      closing ??= new Promise((resolve) => {
        sim.closed = true;
        cancelDeliveries(sim);
        sim.state.pending.splice(0);
        server.close(() => resolve());
        for (const res of sim.hanging) {
          res.destroy();
        }
        for (const s of sockets) {
          s.destroy();
        }
        server.closeAllConnections?.();
      });
      return closing;
    },
  };
}
