#!/usr/bin/env node
// npm run demo [-- --linked] [-- --keep]
//
// The whole product on demo data, without a Withings account: the Withings simulator, Homebridge
// and the Homebridge UI (Config UI X) from devDependencies, on 127.0.0.1, with a throw-away storage
// folder (.demo/). The plugin is configured with the simulator's two demo people, Alice and Bob.
// Link them in the UI exactly as with the real service, or start with --linked to skip that.
// Ctrl-C stops everything.
import { spawn } from 'node:child_process';
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { DEMO_PEOPLE, linkProfiles } from './simulator/link.mjs';
import { startSimulator } from './simulator/server.mjs';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const LINKED = args.has('--linked');
const STORAGE = join(REPO, '.demo', 'storage');
const PIN = '031-45-154';
const HB_SERVICE = join(REPO, 'node_modules', 'homebridge-config-ui-x', 'dist', 'bin', 'hb-service.js');

const say = (line = '') => process.stdout.write(`${line}\n`);
const fail = (message) => {
  process.stderr.write(`demo: ${message}\n`);
  process.exit(1);
};

if (!existsSync(join(REPO, 'dist', 'index.js'))) {fail('the plugin is not built: run "npm run demo" (it builds first) or "npm run build".');}
if (!existsSync(HB_SERVICE)) {fail('homebridge-config-ui-x is missing from node_modules: run "npm ci" first.');}

const freePort = () => new Promise((res, rej) => {
  const srv = createServer().once('error', rej).listen(0, '127.0.0.1', () => {
    const { port } = srv.address();
    srv.close(() => res(port));
  });
});

// ------------------------------------------------------------------ the Withings simulator
// Lenient callback check: the plugin's notification listener is on loopback (the real Withings
// wants a public https address, see the README section "Notifications").
const sim = await startSimulator({ port: 0, callbackCheck: 'lenient' });

// ------------------------------------------------------------------ a fresh storage folder
rmSync(join(REPO, '.demo'), { recursive: true, force: true });
mkdirSync(STORAGE, { recursive: true });
// Homebridge loads only this checkout (strict plugin resolution), through a plugin folder.
mkdirSync(join(STORAGE, 'plugin-path'));
symlinkSync(REPO, join(STORAGE, 'plugin-path', 'homebridge-withings'));

const uiPort = await freePort();
const bridgePort = await freePort();
const notifyPort = await freePort();
const password = randomBytes(6).toString('base64url');
const mac = ['0E', ...randomBytes(5).toString('hex').toUpperCase().match(/../g)].join(':');
writeFileSync(join(STORAGE, 'config.json'), JSON.stringify({
  bridge: { name: 'Withings Demo', username: mac, port: bridgePort, pin: PIN, bind: ['127.0.0.1'], advertiser: 'ciao' },
  accessories: [],
  platforms: [
    { platform: 'config', name: 'Config', port: uiPort, host: '127.0.0.1', auth: 'form', lang: 'en' },
    {
      platform: 'Withings', name: 'Withings', client_id: 'demo-client', client_secret: 'demo-secret', profiles: Object.keys(DEMO_PEOPLE),
      update_interval: 60, alerts: [{ profile: 'Alice', measurement: 'spo2_pct', below: 95, name: 'Low SpO2' }],
      notifications: { url: `http://127.0.0.1:${notifyPort}/withings`, port: notifyPort, host: '127.0.0.1' },
    },
  ],
}, null, 2));
// The UI's login, so that no set-up wizard shows (same hashing as the UI itself).
const salt = randomBytes(32).toString('hex');
writeFileSync(join(STORAGE, 'auth.json'), JSON.stringify([{
  id: 1, username: 'admin', name: 'Administrator', admin: true, salt,
  hashedPassword: pbkdf2Sync(password, salt, 1000, 64, 'sha512').toString('hex'),
}], null, 2));
// Insecure mode lets the UI's Accessories page read the bridge.
writeFileSync(join(STORAGE, '.uix-hb-service-homebridge-startup.json'), JSON.stringify({ debugMode: false, insecureMode: true, keepOrphans: false, env: {} }));

if (LINKED) {
  await linkProfiles(sim.url, STORAGE, DEMO_PEOPLE);
}

// ------------------------------------------------------------------ Homebridge + the Homebridge UI
const hbArgs = [HB_SERVICE, 'run', '-U', STORAGE, '-P', join(STORAGE, 'plugin-path'), '--strict-plugin-resolution'];
if (process.getuid?.() === 0) {hbArgs.push('--allow-root');}
const child = spawn(process.execPath, hbArgs, {
  cwd: STORAGE,
  detached: true, // its own process group: Ctrl-C stops Homebridge, the UI and the settings server together
  stdio: ['ignore', 'ignore', 'pipe'],
  env: { ...process.env, WITHINGS_API_BASE: sim.url, WITHINGS_AUTH_BASE: sim.url },
});
let stderr = '';
child.stderr.on('data', (d) => { stderr += d.toString(); });

// Alice gets into bed and out again on a short schedule (appli 50 / 51 through the simulator's
// notify deliveries), so a person watching the Home app sees "Alice In Bed" change live.
const BED_PERIOD_MS = 45_000;
let inBed = false;
const bedTimer = setInterval(() => {
  inBed = !inBed;
  fetch(`${sim.url}/_control/notify`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ userid: DEMO_PEOPLE.Alice, appli: inBed ? 50 : 51 }),
  }).catch(() => undefined);
}, BED_PERIOD_MS);

let stopping = false;
async function stop(code = 0) {
  if (stopping) {return;}
  stopping = true;
  clearInterval(bedTimer);
  say('\nStopping Homebridge, the Homebridge UI and the simulator…');
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch { /* already gone */ }
  const exited = new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch { /* gone */ }
  }, 15_000);
  await exited;
  clearTimeout(timer);
  await sim.close();
  if (!args.has('--keep')) {rmSync(join(REPO, '.demo'), { recursive: true, force: true });}
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
child.once('exit', (code) => {
  if (!stopping) {
    process.stderr.write(`demo: Homebridge stopped unexpectedly (exit ${code}). ${stderr.split('\n').slice(-5).join(' ')}\n`);
    void stop(1);
  }
});

const log = join(STORAGE, 'homebridge.log');
const deadline = Date.now() + 90_000;
let uiUp = false;
let bridgeUp = false;
while (!(uiUp && bridgeUp) && Date.now() < deadline && !stopping) {
  await new Promise((r) => setTimeout(r, 300));
  uiUp ||= await fetch(`http://127.0.0.1:${uiPort}/api/auth/settings`).then((r) => r.ok, () => false);
  bridgeUp ||= existsSync(log) && /is running on port/.test(readFileSync(log, 'utf8'));
}
if (!(uiUp && bridgeUp)) {
  process.stderr.write(`demo: Homebridge or its UI did not start within 90 s; see ${log}\n`);
  await stop(1);
}

say('');
say('Withings demo is running (Ctrl-C stops everything).');
say('');
say(`  Homebridge UI   http://127.0.0.1:${uiPort}`);
say(`  login           admin / ${password}`);
say(`  HomeKit code    ${PIN} (bridge "Withings Demo" on port ${bridgePort}, 127.0.0.1 only)`);
say(`  Withings        simulated at ${sim.url}`);
say(`  log             ${log}`);
say('');
if (LINKED) {
  say('Alice and Bob are already linked. In the UI open Accessories to see their sensors, or');
  say('Plugins → Withings → ⋮ → Plugin Config to see their links.');
} else {
  say('Next: open the UI, log in, go to Plugins → Withings → ⋮ → Plugin Config, press "Link" next to');
  say('Alice, choose Alice on the (simulated) Withings page and press Allow; the window comes back and');
  say('Alice shows as linked. Do the same for Bob. Then open Accessories to see their sensors.');
}
say(`Notifications are on (listener on 127.0.0.1:${notifyPort}): Alice gets into bed and out again every ${BED_PERIOD_MS / 1000} s,`);
say('so "Alice In Bed" (in Alice Sleep) changes live; new readings added with the simulator\'s control API show within seconds.');
say('The demo people\'s data is always recent: Alice (Paris) has a scale, a watch and a sleep mat; Bob');
say('(New York) a blood-pressure monitor, a thermometer, a scale and a sleep mat.');
