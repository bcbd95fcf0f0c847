/**
 * The callback page (docs/callback.html: hosted by the project, served by the plugin) run in a
 * small fake browser: it posts the answer only to the origin of the settings page that started
 * the attempt (never '*'), on the attempt's own BroadcastChannel, takes its setup only from its
 * opener at the origin it was given, forwards only to the address that settings page gave for that
 * state, and otherwise shows the address with a Copy button.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';

import { REPO } from '../support/homebridge.js';

const SCRIPT = (() => {
  const html = readFileSync(join(REPO, 'docs', 'callback.html'), 'utf8');
  return html.slice(html.lastIndexOf('<script>') + 8, html.lastIndexOf('</script>'));
})();

const HOSTED = 'https://homebridge-withings.github.io';
const SETTINGS = 'http://192.168.1.20:8581';
const STATE = 'ab'.repeat(24);

interface Posted { message: unknown; target: string }

function browser(href: string, options: { opener?: boolean; storage?: Record<string, string> } = {}) {
  const url = new URL(href);
  const posted: Posted[] = [];
  const channels: { name: string; messages: unknown[]; onmessage?: (e: { data: unknown }) => void }[] = [];
  const listeners: ((e: { data: unknown; origin: string; source: unknown }) => void)[] = [];
  const timers: (() => void)[] = [];
  const replaced: string[] = [];
  const storage = { ...options.storage };
  const elements = new Map<string, { textContent: string; className: string; hidden: boolean; value: string; addEventListener: () => void; select: () => void }>();
  const element = (id: string) => {
    if (!elements.has(id)) {
      elements.set(id, { textContent: '', className: '', hidden: true, value: '', addEventListener: () => undefined, select: () => undefined });
    }
    return elements.get(id)!;
  };
  const opener = options.opener === false ? null : { closed: false, postMessage: (message: unknown, target: string) => posted.push({ message, target }) };
  const window = {
    opener,
    location: { href, search: url.search, hash: url.hash, origin: url.origin, replace: (to: string) => replaced.push(to) },
    localStorage: { getItem: (k: string) => storage[k] ?? null, setItem: (k: string, v: string) => { storage[k] = v; } },
    addEventListener: (type: string, fn: (e: { data: unknown; origin: string; source: unknown }) => void) => {
      if (type === 'message') {listeners.push(fn);}
    },
    close: () => undefined,
  };
  class FakeChannel {
    messages: unknown[] = [];
    onmessage?: (e: { data: unknown }) => void;
    constructor(readonly name: string) {
      channels.push(this);
    }
    postMessage(m: unknown) {
      this.messages.push(m);
    }
    close() {}
  }
  runInNewContext(SCRIPT, {
    window, document: { getElementById: element, execCommand: () => true }, navigator: {},
    URL, URLSearchParams, JSON, Date, Object, BroadcastChannel: FakeChannel,
    setTimeout: (fn: () => void) => timers.push(fn), decodeURIComponent,
  });
  return {
    posted, channels, replaced, storage, element,
    send: (data: unknown, origin: string, source: unknown = opener) => listeners.forEach((fn) => fn({ data, origin, source })),
    runTimers: () => timers.splice(0).forEach((fn) => fn()),
  };
}

const attempts = (b: { storage: Record<string, string> }) => JSON.parse(b.storage['homebridge-withings:attempts'] ?? '{}');

test('setup: asks only its opener, at the origin it was given, and takes the answer only from there', () => {
  const b = browser(`${HOSTED}/homebridge-withings/callback.html#link=${encodeURIComponent(SETTINGS)}`);
  expect(b.posted).toEqual([{ message: { source: 'homebridge-withings', type: 'hello' }, target: SETTINGS }]);
  const setup = { source: 'homebridge-withings', type: 'setup', state: STATE, authorize: 'https://account.withings.com/oauth2_user/authorize2?x=1', forward: `${SETTINGS}/api/plugins/settings-ui/homebridge-withings/callback.html` };
  b.send(setup, 'https://evil.example'); // another origin
  b.send(setup, SETTINGS, {}); // another window
  b.send({ ...setup, authorize: 'javascript:alert(1)' }, SETTINGS); // not a web address
  expect(b.replaced).toEqual([]);
  b.send({ ...setup, forward: 'https://evil.example/x' }, SETTINGS);
  expect(b.replaced).toEqual([setup.authorize]);
  expect(attempts(b)[STATE]).toMatchObject({ origin: SETTINGS, forward: '' }); // a forward to another origin is dropped
});

test('back from Withings: the answer goes to the remembered origin only (never "*") and on the attempt\'s own channel', () => {
  const stored = { 'homebridge-withings:attempts': JSON.stringify({ [STATE]: { origin: SETTINGS, forward: `${SETTINGS}/cb.html`, expires: Date.now() + 60_000 } }) };
  const href = `${HOSTED}/homebridge-withings/callback.html?code=c0de&state=${STATE}`;
  const b = browser(href, { storage: stored });
  expect(b.posted).toEqual([{ message: { source: 'homebridge-withings', type: 'redirect', url: href }, target: SETTINGS }]);
  expect(b.channels.map((c) => c.name)).toEqual([`homebridge-withings-oauth-${STATE}`]);
  expect(attempts(b)[STATE]).toBeUndefined(); // one use
  b.send({ source: 'homebridge-withings', type: 'received', state: STATE }, SETTINGS);
  b.runTimers();
  expect(b.element('title').textContent).toBe('Done');
  expect(b.replaced).toEqual([]);
});

test('the plugin\'s own page (no remembered attempt) posts to its own origin', () => {
  const href = `${SETTINGS}/api/plugins/settings-ui/homebridge-withings/callback.html?code=c0de&state=${STATE}`;
  const b = browser(href);
  expect(b.posted.map((p) => p.target)).toEqual([SETTINGS]);
});

test('no answer: forwards only to the address the settings page gave for this state, else shows the Copy box', () => {
  const stored = { 'homebridge-withings:attempts': JSON.stringify({ [STATE]: { origin: SETTINGS, forward: `${SETTINGS}/cb.html`, expires: Date.now() + 60_000 } }) };
  const forwarded = browser(`${HOSTED}/cb.html?code=c0de&state=${STATE}`, { opener: false, storage: stored });
  forwarded.runTimers();
  expect(forwarded.replaced).toEqual([`${SETTINGS}/cb.html?code=c0de&state=${STATE}`]);

  const other = browser(`${HOSTED}/cb.html?code=c0de&state=${'cd'.repeat(24)}`, { opener: false, storage: stored });
  other.runTimers();
  expect(other.replaced).toEqual([]);
  expect(other.element('copy-box').hidden).toBe(false);
  expect(other.element('address').value).toBe(`${HOSTED}/cb.html?code=c0de&state=${'cd'.repeat(24)}`);

  const expired = { 'homebridge-withings:attempts': JSON.stringify({ [STATE]: { origin: SETTINGS, forward: `${SETTINGS}/cb.html`, expires: Date.now() - 1 } }) };
  const late = browser(`${HOSTED}/cb.html?code=c0de&state=${STATE}`, { opener: false, storage: expired });
  late.runTimers();
  expect(late.replaced).toEqual([]);
});

test('remembers at most 20 attempts', () => {
  const many = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`${i}`.padStart(48, '0'), { origin: SETTINGS, forward: '', expires: Date.now() + 60_000 + i }]));
  const b = browser(`${HOSTED}/cb.html#link=${encodeURIComponent(SETTINGS)}`, { storage: { 'homebridge-withings:attempts': JSON.stringify(many) } });
  b.send({ source: 'homebridge-withings', type: 'setup', state: STATE, authorize: 'https://account.withings.com/a', forward: '' }, SETTINGS);
  expect(Object.keys(attempts(b))).toHaveLength(20);
  expect(attempts(b)[STATE]).toBeDefined();
});
