// @ts-check
// Injected faults: HTTP 500/503, envelope 522/601, a malformed body, a reset socket, a request
// that is never answered. Set through POST /_control/faults.
import { record, send } from './reply.mjs';

/** @typedef {import('./types.js').SimContext} SimContext */
/** @typedef {import('./types.js').RequestContext} RequestContext */
/** @typedef {import('./types.js').Fault} Fault */
/** @typedef {import('./types.js').FaultKind} FaultKind */
/** @typedef {import('node:http').IncomingMessage} IncomingMessage */
/** @typedef {import('node:http').ServerResponse} ServerResponse */

/** @type {ReadonlySet<string>} */
export const FAULTS = new Set(['500', '503-http', '601', 'hang', 'reset', 'malformed', '522']);

/**
 * @param {unknown} v
 * @returns {v is FaultKind}
 */
export const isFault = (v) => typeof v === 'string' && FAULTS.has(v);

/**
 * The next fault for a request on `path`, counted down (and removed when used up).
 * @param {SimContext} sim
 * @param {string} path
 * @returns {Fault | null}
 */
export function takeFault(sim, path) {
  const { state } = sim;
  const f = state.faults.find((x) => x.remaining !== 0 && (x.path == null || x.path === path));
  if (!f) {
    return null;
  }
  if (f.remaining > 0) {
    f.remaining--;
    if (f.remaining === 0) {
      state.faults.splice(state.faults.indexOf(f), 1);
    }
  }
  return f;
}

/**
 * Keeps a response open without answering (until the client gives up or the simulator closes).
 * @param {SimContext} sim
 * @param {ServerResponse} res
 */
export function hang(sim, res) {
  sim.hanging.add(res);
  res.on('close', () => sim.hanging.delete(res));
}

/**
 * @param {SimContext} sim
 * @param {RequestContext} ctx
 * @param {IncomingMessage} req
 * @param {ServerResponse} res
 * @param {Fault} f
 */
export function applyFault(sim, ctx, req, res, f) {
  const json = 'application/json; charset=utf-8';
  const fault = { fault: f.fault };
  switch (f.fault) {
    case '500':
      return record(sim, ctx, 500, send(ctx, res, 500, 'Internal Server Error', 'text/plain; charset=utf-8'), fault);
    case '503-http':
      return record(sim, ctx, 503, send(ctx, res, 503, 'Service Unavailable', 'text/plain; charset=utf-8'), fault);
    case '522':
      return record(sim, ctx, 522, send(ctx, res, 200, JSON.stringify({ status: 522, body: {}, error: 'Timeout' }), json), fault);
    case '601': {
      const text = JSON.stringify({ status: 601, body: { wait_seconds: f.wait_seconds }, error: 'Too many requests' });
      return record(sim, ctx, 601, send(ctx, res, 200, text, json), fault);
    }
    case 'malformed':
      // Content-Length must match what is sent, or the client would wait for the rest.
      return record(sim, ctx, 200, send(ctx, res, 200, '{"status":0,"body":{', json), fault);
    case 'reset':
      record(sim, ctx, null, 0, fault);
      req.socket.destroy();
      return undefined;
    case 'hang':
    default:
      record(sim, ctx, null, 0, { fault: 'hang' });
      return hang(sim, res);
  }
}
