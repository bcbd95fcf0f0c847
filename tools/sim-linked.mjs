#!/usr/bin/env node
// For manual runs with a real Homebridge (e.g. the HAP/Matter acceptance harness): starts the
// Withings simulator and writes a grant for each demo person into a Homebridge storage folder,
// as linking in the settings would. Prints "listening <url>" when ready; stops on SIGINT/SIGTERM.
//   node tools/sim-linked.mjs --port 8123 --storage /path/to/storage [--profiles Alice,Bob]
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { TokenStore } from '../dist/withings/token-store.js';
import { startSimulator } from './simulator/server.mjs';

const PEOPLE = { Alice: '1001001', Bob: '1001002' };
const { values } = parseArgs({ options: { port: { type: 'string', default: '0' }, storage: { type: 'string' }, profiles: { type: 'string', default: 'Alice,Bob' } } });
if (!values.storage) {
  process.stderr.write('usage: node tools/sim-linked.mjs --port N --storage DIR [--profiles Alice,Bob]\n');
  process.exit(2);
}
const sim = await startSimulator({ port: Number(values.port) });
const store = new TokenStore(join(values.storage, 'withings'));
for (const profile of values.profiles.split(',')) {
  const userid = PEOPLE[profile];
  const grant = await (await fetch(`${sim.url}/_control/grant`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ userid }) })).json();
  const now = Math.floor(Date.now() / 1000);
  await store.write({
    version: 1, userid, profile, access_token: grant.access_token, refresh_token: grant.refresh_token, expires_at: now + grant.expires_in,
    scope: grant.scope, client_id: 'demo-client', linked_at: now, updated_at: now,
  });
}
process.stdout.write(`listening ${sim.url}\n`);
const stop = () => sim.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
