/**
 * The notification listener over real loopback sockets: only the secret path is served, HEAD/GET
 * answer 200, a POST is answered before its notification is handed on, bodies are capped, a body
 * that does not arrive in time is answered and dropped, and a busy port is one clear error.
 */
import { request } from 'node:http';

import { MAX_BODY_BYTES, type Notification } from '../../src/notify/body.js';
import { BODY_DEADLINE_MS, ListenError, NotifyListener } from '../../src/notify/listener.js';

const SECRET = '0123456789abcdef0123456789abcdef01234567';

interface Answer {
  status: number;
  body: string;
}

function send(port: number, method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { ...(body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}), ...headers } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => { text += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

let listener: NotifyListener;
let received: Notification[];
let rejected: string[];
let port: number;

beforeEach(async () => {
  received = [];
  rejected = [];
  listener = new NotifyListener({ host: '127.0.0.1', port: 0, secret: SECRET, onNotification: (n) => received.push(n), onRejected: (w) => rejected.push(w) });
  await listener.start();
  port = listener.port!;
});

afterEach(async () => {
  await listener.close();
});

const settle = () => new Promise((r) => setImmediate(r));

test('HEAD and GET on the secret path answer 200 (Withings checks the URL); any prefix is allowed', async () => {
  expect((await send(port, 'HEAD', `/${SECRET}`)).status).toBe(200);
  expect((await send(port, 'GET', `/withings/${SECRET}`)).status).toBe(200);
  expect((await send(port, 'HEAD', `/proxy/prefix/${SECRET}?x=1`)).status).toBe(200);
});

test('without the secret: 404 with no details, and nothing is handed on', async () => {
  for (const path of ['/', '/withings', `/${SECRET.slice(0, 39)}`, `/${SECRET}/more`, `/x${SECRET}`]) {
    const a = await send(port, 'POST', path, 'userid=1001001&appli=50');
    expect(a).toEqual({ status: 404, body: '' });
  }
  expect((await send(port, 'HEAD', '/withings')).status).toBe(404);
  await settle();
  expect(received).toEqual([]);
});

test('other methods on the secret path: 404', async () => {
  expect((await send(port, 'PUT', `/${SECRET}`, 'userid=1&appli=1')).status).toBe(404);
  expect((await send(port, 'DELETE', `/${SECRET}`)).status).toBe(404);
});

test('a POST is answered 200 and its notification handed on; a failing handler changes neither the answer nor the next one', async () => {
  await listener.close();
  let calls = 0;
  listener = new NotifyListener({ host: '127.0.0.1', port: 0, secret: SECRET, onNotification: (n) => {
    calls++;
    if (calls === 1) {
      throw new Error('handler failed');
    }
    received.push(n);
  } });
  await listener.start();
  port = listener.port!;
  expect((await send(port, 'POST', `/withings/${SECRET}`, 'userid=1001001&appli=51')).status).toBe(200);
  await settle();
  expect((await send(port, 'POST', `/withings/${SECRET}`, 'userid=1001001&appli=50&date=1764576000')).status).toBe(200);
  await settle();
  await settle();
  expect(received).toEqual([expect.objectContaining({ userid: '1001001', appli: 50, date: 1764576000 })]);
});

test('a body over the cap is refused (413) and not handed on; a body without userid/appli is answered and ignored', async () => {
  const big = `userid=1&appli=1&pad=${'x'.repeat(MAX_BODY_BYTES)}`;
  expect((await send(port, 'POST', `/${SECRET}`, big)).status).toBe(413);
  expect((await send(port, 'POST', `/${SECRET}`, 'hello=world')).status).toBe(200);
  await settle();
  await settle();
  expect(received).toEqual([]);
  expect(rejected).toEqual(['a body over the size cap', 'a body without "userid" and "appli"']);
});

test(`a body that has not arrived after ${BODY_DEADLINE_MS} ms is answered (within Withings' 2 s) and dropped`, async () => {
  // The listener's own deadline timer decides; the test only waits for the answer.
  const started = process.hrtime.bigint();
  const status = await new Promise<number>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: `/${SECRET}`, headers: { 'content-length': '100', 'content-type': 'application/x-www-form-urlencoded' } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.write('userid=1&'); // and never the rest
  });
  const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
  expect(status).toBe(408);
  expect(elapsedMs).toBeLessThan(2_000);
  expect(received).toEqual([]);
});

test('a port in use is one clear error naming the port', async () => {
  const second = new NotifyListener({ host: '127.0.0.1', port, secret: SECRET, onNotification: () => undefined });
  const error = await second.start().catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ListenError);
  expect((error as ListenError).code).toBe('EADDRINUSE');
  expect((error as Error).message).toBe(`port ${port} is already in use (127.0.0.1 port ${port}): choose another "notifications.port"`);
  // The first listener still serves.
  expect((await send(port, 'HEAD', `/${SECRET}`)).status).toBe(200);
});
