// @ts-check
// The default client for notification callbacks: one plain node:http(s) request, no keep-alive,
// no redirects followed, a hard timeout.
import http from 'node:http';
import https from 'node:https';

/** @typedef {import('./types.js').CallbackRequest} CallbackRequest */

/**
 * @param {CallbackRequest} request
 * @returns {Promise<{status: number}>}
 */
export function sendCallbackRequest({ method, url, headers, body, timeoutMs }) {
  return new Promise((resolve, reject) => {
    let u;
    try {
      u = new URL(url);
    } catch {
      reject(new Error('invalid url'));
      return;
    }
    const lib = u.protocol === 'https:' ? https : http;
    const payload = body === undefined ? undefined : Buffer.from(body, 'utf8');
    const req = lib.request(u, {
      method, agent: false,
      headers: { 'User-Agent': 'withings-simulator', ...headers, ...(payload ? { 'Content-Length': String(payload.length) } : {}) },
    }, (res) => {
      res.resume();
      clearTimeout(timer);
      resolve({ status: res.statusCode ?? 0 });
    });
    const timer = setTimeout(() => req.destroy(new Error('timeout')), timeoutMs);
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    req.end(payload);
  });
}
