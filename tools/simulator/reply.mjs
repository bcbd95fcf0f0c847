// @ts-check
// Writing replies: the Withings envelope (HTTP 200, outcome in `status`), text and redirects for the
// consent page, JSON for the control API; and the request log every API reply goes through.

/** @typedef {import('./types.js').SimContext} SimContext */
/** @typedef {import('./types.js').RequestContext} RequestContext */
/** @typedef {import('./types.js').Envelope<unknown>} Envelope */
/** @typedef {import('node:http').ServerResponse} ServerResponse */

const REQUEST_LOG_MAX = 10_000;

/** Thrown inside a handler to answer with a Withings envelope. */
export class Reply {
  /**
   * @param {number} status
   * @param {Record<string, unknown>} [body]
   * @param {string} [error]
   */
  constructor(status, body = {}, error) {
    /** @type {Envelope} */
    this.envelope = error === undefined ? { status, body } : { status, body, error };
  }
}

/** @param {string} [detail] */
export const invalidParams = (detail) => new Reply(503, {}, detail ? `Invalid Params: ${detail}` : 'Invalid Params');
export const notImplemented = () => new Reply(2554, {}, 'Not implemented');

/** @type {Record<string, string>} */
const HTML_ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** @param {unknown} s */
export const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);

/**
 * Logs an API request once (control and root requests never).
 * @param {SimContext} sim
 * @param {RequestContext} ctx
 * @param {number | null} status
 * @param {number} bytes
 * @param {{fault?: string}} [extra]
 */
export function record(sim, ctx, status, bytes, extra = {}) {
  if (ctx.control || ctx.logged) {
    return;
  }
  ctx.logged = true;
  const { state } = sim;
  const entry = {
    i: state.nextRequestIndex++, t: ctx.t, method: ctx.method, path: ctx.path, action: ctx.action,
    status, userid: ctx.userid ?? null, bytes, ...extra,
  };
  state.requests.push(entry);
  if (state.requests.length > REQUEST_LOG_MAX) {
    state.requests.splice(0, state.requests.length - REQUEST_LOG_MAX);
  }
  if (sim.log) {
    process.stderr.write(`[withings-sim] ${entry.method} ${entry.path}${entry.action ? ` ${entry.action}` : ''} → ${entry.fault ?? status}${entry.userid ? ` user ${entry.userid}` : ''} (${bytes} B)\n`);
  }
}

/**
 * Writes a whole reply (no body for HEAD); returns the body size, 0 when the socket is gone.
 * @param {{method: string}} ctx
 * @param {ServerResponse} res
 * @param {number} httpStatus
 * @param {string} text
 * @param {string} contentType
 * @param {Record<string, string>} [headers]
 */
export function send(ctx, res, httpStatus, text, contentType, headers = {}) {
  if (res.destroyed || res.writableEnded) {
    return 0;
  }
  const buf = Buffer.from(text, 'utf8');
  res.writeHead(httpStatus, { 'Content-Type': contentType, 'Content-Length': buf.length, 'Cache-Control': 'no-store', ...headers });
  res.end(ctx.method === 'HEAD' ? undefined : buf);
  return buf.length;
}

/**
 * The real API escapes slashes in its JSON.
 * @param {SimContext} sim
 * @param {RequestContext} ctx
 * @param {ServerResponse} res
 * @param {Envelope} envelope
 */
export function sendEnvelope(sim, ctx, res, envelope) {
  const text = JSON.stringify(envelope).replace(/\//g, '\\/');
  const bytes = send(ctx, res, 200, text, 'application/json; charset=utf-8');
  record(sim, ctx, envelope.status, bytes);
}

/**
 * @param {SimContext} sim
 * @param {RequestContext} ctx
 * @param {ServerResponse} res
 * @param {number} status
 * @param {string} text
 */
export function sendText(sim, ctx, res, status, text, contentType = 'text/plain; charset=utf-8') {
  const bytes = send(ctx, res, status, text, contentType);
  record(sim, ctx, status, bytes);
}

/**
 * @param {SimContext} sim
 * @param {RequestContext} ctx
 * @param {ServerResponse} res
 * @param {string} location
 */
export function sendRedirect(sim, ctx, res, location) {
  const text = `<!doctype html><p>Redirecting to <a href="${escapeHtml(location)}">${escapeHtml(location)}</a></p>\n`;
  const bytes = send(ctx, res, 302, text, 'text/html; charset=utf-8', { Location: location });
  record(sim, ctx, 302, bytes);
}

/**
 * A control-API reply: plain JSON, never logged.
 * @param {ServerResponse} res
 * @param {number} status
 * @param {unknown} value
 */
export function sendControl(res, status, value) {
  if (res.destroyed || res.writableEnded) {
    return;
  }
  const buf = Buffer.from(JSON.stringify(value), 'utf8');
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': buf.length, 'Cache-Control': 'no-store' });
  res.end(buf);
}
